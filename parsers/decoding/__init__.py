"""Decoding: bytes to text, records to envelopes (fields, times, URLs, embedded bodies, logfmt,
grok layouts), and the lines of a file grouped into records."""
