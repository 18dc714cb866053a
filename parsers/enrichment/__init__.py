"""Enrichment: what the catalog makes of an error (the verdict) and the event built from it."""
