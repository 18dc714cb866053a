"""Compile the catalog: validate the data files and write their compiled form (catalog/compiled.py
reads it; `data/catalog.json`, committed beside the YAML).

    python -m vendor_errors.catalog.compile [DATA_DIR]

Run it after editing a data file; tests/catalog/test_compiled.py fails until it is run.
"""

from __future__ import annotations

import dataclasses
import difflib
import sys
from pathlib import Path
from typing import Any

import orjson
from vendor_errors.catalog.compiled import (
    ARTIFACT,
    COMPILE,
    ENTRY_FIELDS,
    FORMAT,
    RANGE_FIELDS,
    digest,
)
from vendor_errors.catalog.files import parse_data_dir
from vendor_errors.catalog.loaded import DATA_DIR
from vendor_errors.catalog.model import CatalogError, Entry

COMMAND = COMPILE


def render(data_dir: Path = DATA_DIR) -> bytes:
    """The artifact for the files of `data_dir`: validated (CatalogError if they are wrong),
    one entry per line."""
    loaded = parse_data_dir(data_dir)
    vendors = []
    for info in loaded.vendors:
        item = dataclasses.asdict(info)
        item["file"] = Path(info.file).name
        vendors.append(item)
    head = {
        "format": FORMAT,
        "digest": digest(data_dir),
        "made_by": COMMAND + ", from the *.yaml files beside it: do not edit",
        "entry_fields": ENTRY_FIELDS,
        "range_fields": RANGE_FIELDS,
        "shared": loaded.shared,
        "explicit": {vendor: sorted(channels) for vendor, channels in loaded.explicit.items()},
        "standalone": {vendor: sorted(c) for vendor, c in loaded.standalone.items()},
        "ranges": [dataclasses.astuple(rule) for rule in loaded.ranges],
    }
    rows = [orjson.dumps(_row(entry)) for entry in loaded.entries]
    lines = [orjson.dumps(head)[:-1] + b',"vendors":[']
    lines += [b",\n".join(orjson.dumps(item) for item in vendors) + b"],", b'"entries":[']
    lines += [b",\n".join(rows), b"]}", b""]
    return b"\n".join(lines)


def _row(entry: Entry) -> list[Any]:
    values = {field.name: getattr(entry, field.name) for field in dataclasses.fields(Entry)}
    values["document"], values["table"] = entry.source.document, entry.source.table
    return [values[name] for name in ENTRY_FIELDS]


def differences(data_dir: Path = DATA_DIR) -> list[str]:
    """How the committed artifact differs from what the files make (a unified diff; [] when
    it is current)."""
    path = data_dir / ARTIFACT
    made = render(data_dir).decode()
    try:
        committed = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        committed = ""
    if committed == made:
        return []
    return list(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            made.splitlines(keepends=True),
            f"{path} (committed)",
            f"{path} ({COMMAND})",
            n=0,
        )
    )


def write(data_dir: Path = DATA_DIR) -> bool:
    """Write the artifact of `data_dir`; whether it changed."""
    path = data_dir / ARTIFACT
    made = render(data_dir)
    if path.exists() and path.read_bytes() == made:
        return False
    path.write_bytes(made)
    return True


def main(argv: list[str] | None = None) -> int:
    """`python -m vendor_errors.catalog.compiled [DATA_DIR]`: (re)write the artifact."""
    args = sys.argv[1:] if argv is None else argv
    data_dir = Path(args[0]) if args else DATA_DIR
    try:
        changed = write(data_dir)
    except CatalogError as exc:
        print(f"{COMMAND}: {exc}", file=sys.stderr)
        return 1
    print(f"{data_dir / ARTIFACT}: {'written' if changed else 'already current'}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
