"""The vendor error catalog: data files per vendor, validated, indexed, with overlays."""

from catalog.loader import Catalog, load
from catalog.model import CATEGORIES, CHANNELS, SEVERITIES, VENDORS, Entry, Source
from catalog.schema import CatalogError

__all__ = [
    "CATEGORIES",
    "CHANNELS",
    "SEVERITIES",
    "VENDORS",
    "Catalog",
    "CatalogError",
    "Entry",
    "Source",
    "load",
]
