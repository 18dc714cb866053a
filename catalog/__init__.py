"""The vendor error catalog: data files per vendor, validated, indexed, with overlays."""

from vendor_errors.catalog.loader import Catalog, load
from vendor_errors.catalog.model import CATEGORIES, CHANNELS, SEVERITIES, VENDORS, Entry, Source
from vendor_errors.catalog.schema import CatalogError

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
