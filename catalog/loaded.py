"""What a data folder loads into: plain data, built either from the YAML files (catalog/files.py,
validated with pydantic) or from the compiled catalog (catalog/compiled.py, no pydantic).

catalog/loader.py indexes it; nothing here imports pydantic or yaml, so `scan` and the
processor pay for neither when the compiled catalog is current.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import NamedTuple

from vendor_errors.catalog.model import Entry, VendorInfo

DATA_DIR = Path(__file__).parent / "data"  # the shipped data files
HTTP_FILE = "http.yaml"
HTTP_CODE = re.compile(r"^http_(\d{3})$")

Key = tuple[str, str | None, str]


@dataclasses.dataclass(frozen=True, slots=True)
class RangeRule:
    """A documented rule for a whole range of codes (Webex voice logbook "Other 1000 ...")."""

    vendor: str
    channel: str | None
    low: int
    high: int
    document: str
    table: str
    message: str
    category: str
    severity: str
    transient: bool
    remediation: str
    details: str | None = None
    note: str | None = None


class Loaded(NamedTuple):
    """The validated data files of one data folder."""

    entries: tuple[Entry, ...]
    ranges: tuple[RangeRule, ...]
    shared: dict[str, tuple[str, ...]]  # vendor -> channels whose codes apply to every channel
    vendors: tuple[VendorInfo, ...]
    explicit: dict[str, frozenset[str]]  # vendor -> channels looked up only when named
    standalone: dict[str, frozenset[str]]  # vendor -> channels with no fallback to other tables
