"""The vendor error catalog: data files per vendor (codes, and how the vendor shows in log records),
validated, indexed, with overlays."""

from vendor_errors.catalog.loader import Catalog, load
from vendor_errors.catalog.model import (
    CATEGORIES,
    CHANNELS,
    SEVERITIES,
    VENDORS,
    CatalogError,
    ChannelRemap,
    Entry,
    Source,
    VendorInfo,
)

__all__ = [
    "CATEGORIES",
    "CHANNELS",
    "SEVERITIES",
    "VENDORS",
    "Catalog",
    "CatalogError",
    "ChannelRemap",
    "Entry",
    "Source",
    "VendorInfo",
    "load",
]
