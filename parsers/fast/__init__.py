"""Speed layers: each wraps a stage of the general path with the same signature and gives what
it gives (tests/parsers/test_fast_layers.py), for less work on the records that allow it."""
