"""Recognisers: one module per vendor (its body shapes, how its bodies read), and the registry
that pairs each with its vendor's block of catalog data."""
