"""Find vendor errors in log records: envelopes, text patterns, vendor recognisers, attribution."""
