"""Where findings go: metrics, spans, the enriched topic, the dead-letter topic."""
