"""The vendor-errors processor: Kafka consumer, enrichment, OpenTelemetry output, command line."""

__version__ = "0.1.0"
