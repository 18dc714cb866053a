"""The compiled catalog: what the data files say, as plain JSON (`data/catalog.json`) that loads
without pydantic or yaml.

The YAML files stay the source, reviewed like code. `python -m vendor_errors.catalog.compile`
(catalog/compile.py) validates them (catalog/files.py) and writes the artifact from what they
load into. Validation
is most of the memory a process that reads the catalog pays (pydantic and the schema's
validators: ~20 MiB of `scan`'s 45 at start-up, measured); the artifact costs none of it.

Two guards keep a stale artifact from being used or shipped:
- it records a digest of the files it was made from (`digest`), and `read` returns None when
  the files differ now (an edit not compiled yet): the loader then validates the YAML, so an
  edited catalog is never read from an old artifact;
- tests/catalog/test_compiled.py regenerates it and fails on any difference (`differences`),
  which also catches a change of the code that derives entries from the files (or of this
  module's layout, unless FORMAT is bumped with it).

Overlays are not compiled: they are validated on every load (catalog/files.py).
"""

from __future__ import annotations

import dataclasses
import zlib
from pathlib import Path
from typing import Any

import orjson
from vendor_errors.catalog.loaded import Loaded, RangeRule
from vendor_errors.catalog.model import ChannelRemap, Entry, Source, VendorInfo

ARTIFACT = "catalog.json"
# Bumped when the layout of the artifact changes; an artifact of another format is not read.
FORMAT = 1
# An entry is one row: its fields in this order (`source` as `document`, `table`); `matched_by`
# is not stored (every stored entry is matched exactly).
ENTRY_FIELDS = tuple(
    name
    for field in dataclasses.fields(Entry)
    if field.name != "matched_by"
    for name in (("document", "table") if field.name == "source" else (field.name,))
)
RANGE_FIELDS = tuple(field.name for field in dataclasses.fields(RangeRule))
COMPILE = "python -m vendor_errors.catalog.compile"  # catalog/compile.py


def digest(data_dir: Path) -> str:
    """A checksum of the data files (names, sizes and bytes, in name order) and of FORMAT.

    CRC-32, not SHA-256: it detects an edit, which is all it is for (the files are as trusted
    as the code), and hashlib would load OpenSSL, ~4 MiB of resident memory for every `scan`.
    """
    crc = zlib.crc32(f"vendor-errors catalog {FORMAT}\n".encode())
    total = 0
    for path in sorted(data_dir.glob("*.yaml")):
        content = path.read_bytes()
        crc = zlib.crc32(f"{path.name}\n{len(content)}\n".encode(), crc)
        crc = zlib.crc32(content, crc)
        total += len(content)
    return f"crc32:{crc:08x}:{total}"


# -- reading (no pydantic, no yaml) -----------------------------------------------------------


def read(data_dir: Path) -> Loaded | None:
    """The catalog compiled from the files of `data_dir` as they are now; None when there is
    no artifact, or it was made from other files or in another format."""
    try:
        raw = (data_dir / ARTIFACT).read_bytes()
    except FileNotFoundError:
        return None
    doc = orjson.loads(raw)
    del raw
    if (
        doc.get("format") != FORMAT
        or doc.get("entry_fields") != list(ENTRY_FIELDS)
        or doc.get("range_fields") != list(RANGE_FIELDS)
        or doc.get("digest") != digest(data_dir)
    ):
        return None
    return Loaded(
        entries=_entries(doc["entries"]),
        ranges=tuple(RangeRule(*row) for row in doc["ranges"]),
        shared={vendor: tuple(channels) for vendor, channels in doc["shared"].items()},
        vendors=tuple(_vendor(item, data_dir) for item in doc["vendors"]),
        explicit={vendor: frozenset(channels) for vendor, channels in doc["explicit"].items()},
        standalone={vendor: frozenset(c) for vendor, c in doc["standalone"].items()},
    )


_POOLED = ("vendor", "channel", "category", "severity", "document", "table", "source_url")


def _entries(rows: list[list[Any]]) -> tuple[Entry, ...]:
    # One object for each repeated value (vendor, category, table ...) and each source, as the
    # YAML path shares them: JSON decoding makes a new string per occurrence.
    pool: dict[Any, Any] = {}
    sources: dict[tuple[str, str], Source] = {}
    pooled = [ENTRY_FIELDS.index(name) for name in _POOLED]
    position = {name: index for index, name in enumerate(ENTRY_FIELDS)}
    document, table = position["document"], position["table"]
    also, also_sources = position["also"], position["also_sources"]
    entries = []
    for row in rows:
        for index in pooled:
            row[index] = pool.setdefault(row[index], row[index])
        fields = dict(zip(ENTRY_FIELDS, row, strict=True))
        del fields["document"], fields["table"]
        key = (row[document], row[table])
        fields["source"] = sources.get(key) or sources.setdefault(key, Source(*key))
        fields["also"] = tuple(row[also])
        fields["also_sources"] = tuple((text, url) for text, url in row[also_sources])
        entries.append(Entry(**fields))
    return tuple(entries)


def _vendor(item: dict[str, Any], data_dir: Path) -> VendorInfo:
    fields: dict[str, Any] = {
        name: tuple(value) if isinstance(value, list) else value for name, value in item.items()
    }
    fields["channels"] = tuple(
        (channel, tuple(spellings)) for channel, spellings in item["channels"]
    )
    fields["channel_remaps"] = tuple(ChannelRemap(**rule) for rule in item["channel_remaps"])
    fields["file"] = str(data_dir / item["file"])
    return VendorInfo(**fields)
