"""Read the vendor data files and overlays into entries: validation, then one `Entry` per code.

catalog/loader.py indexes what this module reads; catalog/README.md describes the files.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path

import yaml
from vendor_errors.catalog.loaded import HTTP_CODE, HTTP_FILE, Key, Loaded, RangeRule
from vendor_errors.catalog.model import Entry, Source, VendorInfo
from vendor_errors.catalog.schema import (
    CatalogError,
    EntryModel,
    HttpFileModel,
    OverlayFileModel,
    TableModel,
    VendorFileModel,
    WordingModel,
    validate,
)
from vendor_errors.catalog.vendors import check_vendors, vendor_info, vendor_order

try:  # the C loader is ~10x faster; fall back quietly where libyaml is missing
    _YamlLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _YamlLoader = yaml.SafeLoader


def read_yaml(path: Path) -> object:
    try:
        with path.open("rb") as handle:
            return yaml.load(handle, Loader=_YamlLoader)  # a SafeLoader: no object construction
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path}: not valid YAML: {exc}") from None


def _entry(
    vendor: str, channel: str | None, model: EntryModel, source: Source, table: TableModel | None
) -> Entry:
    http_status = model.http_status
    if http_status is None and (match := HTTP_CODE.match(model.code)):
        http_status = int(match.group(1))
    seed = table is not None and table.seed
    source_url = None if seed or table is None else (model.source_url or table.source_url)
    if source_url is not None:
        source = Source(source_url, source.table)
    also = tuple(item.text if isinstance(item, WordingModel) else item for item in model.also)
    return Entry(
        vendor=vendor,
        channel=channel,
        code=model.code,
        message=model.message,
        category=model.category,
        severity=model.severity,
        transient=model.transient,
        remediation=model.remediation,
        source=source,
        http_status=http_status,
        also=also,
        details=model.details,
        note=model.note,
        seed=seed,
        source_url=source_url,
        also_sources=tuple(
            (item.text, item.source_url) for item in model.also if isinstance(item, WordingModel)
        ),
    )


def _vendor_files(data_dir: Path) -> list[Path]:
    files = sorted(p for p in data_dir.glob("*.yaml") if p.name != HTTP_FILE)
    if not files:
        raise CatalogError(f"{data_dir}: no vendor data files (*.yaml)")
    return files


def _channel_rules(doc: VendorFileModel, path: Path) -> tuple[frozenset[str], frozenset[str]]:
    """(explicit channels, standalone channels); every table of a channel must agree."""
    rules: dict[str, tuple[bool, bool, str]] = {}
    for table in doc.tables:
        if table.channel is None:
            continue
        # `standalone` implies `explicit`: a lookup that names no channel never lands there.
        rule = (table.explicit or table.standalone, table.standalone, table.table)
        first = rules.setdefault(table.channel, rule)
        if first[:2] != rule[:2]:
            raise CatalogError(
                f"{path}: table {table.table!r}: channel {table.channel!r} is "
                f"explicit={rule[0]}, standalone={rule[1]} here but explicit={first[0]}, "
                f"standalone={first[1]} in table {first[2]!r}; give every table of a channel "
                "the same lookup rules"
            )
    explicit = frozenset(c for c, (exp, _, _) in rules.items() if exp)
    return explicit, frozenset(c for c, (_, alone, _) in rules.items() if alone)


def parse_data_dir(data_dir: Path) -> Loaded:
    entries: list[Entry] = []
    ranges: list[RangeRule] = []
    shared: dict[str, tuple[str, ...]] = {}
    explicit: dict[str, frozenset[str]] = {}
    standalone: dict[str, frozenset[str]] = {}
    seen: dict[Key, str] = {}
    vendors_seen: set[str] = set()
    infos: list[VendorInfo] = []
    for path in _vendor_files(data_dir):
        doc: VendorFileModel = validate(VendorFileModel, read_yaml(path), path)
        if doc.vendor in vendors_seen:
            raise CatalogError(f"{path}: vendor {doc.vendor!r} is already defined by another file")
        vendors_seen.add(doc.vendor)
        infos.append(vendor_info(doc, path))
        shared[doc.vendor] = tuple(t.channel for t in doc.tables if t.shared and t.channel)
        explicit[doc.vendor], standalone[doc.vendor] = _channel_rules(doc, path)
        for table in doc.tables:
            source = Source(doc.document, table.table)
            for model in table.entries:
                key = (doc.vendor, table.channel, model.code)
                if key in seen:
                    raise CatalogError(
                        f"{path}: table {table.table!r} code {model.code!r}: already defined "
                        f"for channel {table.channel!r} in table {seen[key]!r}"
                    )
                seen[key] = table.table
                entries.append(_entry(doc.vendor, table.channel, model, source, table))
        ranges.extend(
            RangeRule(
                vendor=doc.vendor,
                channel=r.channel,
                low=r.from_,
                high=r.to,
                document=doc.document,
                table=r.table,
                message=r.message,
                category=r.category,
                severity=r.severity,
                transient=r.transient,
                remediation=r.remediation,
                details=r.details,
                note=r.note,
            )
            for r in doc.ranges
        )
    http_path = data_dir / HTTP_FILE
    if http_path.exists():
        http: HttpFileModel = validate(HttpFileModel, read_yaml(http_path), http_path)
        source = Source(http.document, http.table)
        for vendor in sorted(vendors_seen, key=vendor_order):
            for model in http.entries:
                if (vendor, None, model.code) not in seen:
                    entries.append(_entry(vendor, None, model, source, None))
    return Loaded(tuple(entries), tuple(ranges), shared, check_vendors(infos), explicit, standalone)


REQUIRED = ("message", "category", "severity", "transient", "remediation")


def apply_overlay(
    entries: Iterable[Entry], path: Path, vendors: tuple[str, ...] | None = None
) -> list[Entry]:
    """Merge an overlay over loaded entries: override given fields, add new codes. `vendors`:
    those it may name (default: any slug)."""
    doc: OverlayFileModel = validate(OverlayFileModel, read_yaml(path), path, vendors)
    merged = list(entries)
    index = {(e.vendor, e.channel, e.code): i for i, e in enumerate(merged)}
    problems: list[str] = []
    for number, item in enumerate(doc.entries):
        changes = {
            name: getattr(item, name)
            for name in (*REQUIRED, "http_status", "note", "source_url")
            if getattr(item, name) is not None
        }
        key = (item.vendor, item.channel, item.code)
        if key in index:
            position = index[key]
            merged[position] = dataclasses.replace(merged[position], **changes)
            continue
        missing = [name for name in REQUIRED if name not in changes]
        if missing:
            problems.append(
                f"{path}: entry {number} ({item.vendor} {item.code!r}"
                f"{' channel ' + item.channel if item.channel else ''}): a new code needs "
                f"field(s) {', '.join(missing)}"
            )
            continue
        index[key] = len(merged)
        merged.append(
            Entry(
                vendor=item.vendor,
                channel=item.channel,
                code=item.code,
                source=Source(str(path), "overlay"),
                seed=False,
                **changes,  # type: ignore[arg-type]
            )
        )
    if problems:
        # Every incomplete entry at once: a drafted overlay is filled in one pass, not N.
        raise CatalogError("\n".join(problems))
    return merged
