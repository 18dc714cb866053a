"""Load the vendor data files and an optional overlay into one immutable index; look codes up."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import yaml
from vendor_errors.catalog.fallback import guess_from_message, guess_from_status
from vendor_errors.catalog.model import Entry, Source, VendorInfo
from vendor_errors.catalog.schema import (
    CatalogError,
    EntryModel,
    HttpFileModel,
    OverlayFileModel,
    RangeModel,
    VendorFileModel,
    validate,
)
from vendor_errors.catalog.vendors import check_vendors, vendor_info, vendor_order

DATA_DIR = Path(__file__).parent / "data"
HTTP_FILE = "http.yaml"
_HTTP_CODE = re.compile(r"^http_(\d{3})$")

try:  # the C loader is ~10x faster; fall back quietly where libyaml is missing
    _YamlLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _YamlLoader = yaml.SafeLoader

Key = tuple[str, str | None, str]


def _read_yaml(path: Path) -> object:
    try:
        with path.open("rb") as handle:
            return yaml.load(handle, Loader=_YamlLoader)  # a SafeLoader: no object construction
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path}: not valid YAML: {exc}") from None


def _entry(vendor: str, channel: str | None, model: EntryModel, source: Source) -> Entry:
    http_status = model.http_status
    if http_status is None and (match := _HTTP_CODE.match(model.code)):
        http_status = int(match.group(1))
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
        also=model.also,
        details=model.details,
        note=model.note,
    )


@dataclasses.dataclass(frozen=True, slots=True)
class _Range:
    vendor: str
    channel: str | None
    low: int
    high: int
    model: RangeModel
    document: str


class Catalog:
    """An immutable index of every entry; build a new one to change it (reloads swap the object).

    `vendors` are the recognition blocks of the data files (what the parsers know of each
    vendor); a catalog built from entries alone uses the shipped ones.
    """

    def __init__(
        self,
        entries: Iterable[Entry],
        ranges: Iterable[_Range] = (),
        shared_channels: dict[str, tuple[str, ...]] | None = None,
        vendors: tuple[VendorInfo, ...] | None = None,
    ) -> None:
        self._vendors = vendors
        self._entries: dict[Key, Entry] = {}
        # code -> entries under any channel, in document order, for lookups with no channel.
        self._by_code: dict[tuple[str, str], list[Entry]] = {}
        for entry in entries:
            key = (entry.vendor, entry.channel, entry.code)
            self._entries[key] = entry
            self._by_code.setdefault((entry.vendor, entry.code), []).append(entry)
        self._ranges = tuple(ranges)
        self._shared = shared_channels or {}

    # -- reading -----------------------------------------------------------------------------

    @property
    def vendors(self) -> tuple[VendorInfo, ...]:
        """The vendors' recognition blocks, in vendor order (catalog.vendors.vendor_order)."""
        if self._vendors is None:
            self._vendors = load_entries(DATA_DIR)[3]
        return self._vendors

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries.values())

    def get(self, vendor: str, code: str, channel: str | None = None) -> Entry | None:
        """The entry stored under exactly this key, without any fallback."""
        return self._entries.get((vendor, channel, code))

    def lookup(
        self,
        vendor: str,
        code: str | None,
        channel: str | None = None,
        http_status: int | None = None,
        message: str | None = None,
    ) -> Entry:
        """Always an entry: the catalog's, or a `known=False` fallback classification."""
        if code is not None:
            code = code.strip()
            found = self._find(vendor, code, channel) or (
                self._find(vendor, code.upper(), channel) if not code.isdigit() else None
            )
            if found is not None:
                return found
        if code is None or _HTTP_CODE.match(code):
            status = http_status if code is None else int(code[5:])
            entry = self._entries.get((vendor, None, f"http_{status}"))
            if entry is not None:
                return entry
            code = f"http_{status}" if status is not None else "unknown"
        return self._fallback(vendor, code, channel, http_status, message)

    def _find(self, vendor: str, code: str, channel: str | None) -> Entry | None:
        entries = self._entries
        if channel is not None:
            entry = entries.get((vendor, channel, code))
            if entry is not None:
                return entry
        entry = entries.get((vendor, None, code))
        if entry is not None:
            return entry
        for shared in self._shared.get(vendor, ()):
            entry = entries.get((vendor, shared, code))
            if entry is not None:
                return entry
        if channel is None:
            listed = self._by_code.get((vendor, code))
            if listed:
                return listed[0]
        if code.isdigit():
            number = int(code)
            for rule in self._ranges:
                if (
                    rule.vendor == vendor
                    and rule.low <= number <= rule.high
                    and (channel is None or rule.channel == channel)
                ):
                    return self._range_entry(rule, code)
        return None

    @staticmethod
    def _range_entry(rule: _Range, code: str) -> Entry:
        model = rule.model
        return Entry(
            vendor=rule.vendor,
            channel=rule.channel,
            code=code,
            message=model.message,
            category=model.category,
            severity=model.severity,
            transient=model.transient,
            remediation=model.remediation,
            source=Source(rule.document, model.table),
            details=model.details,
            note=model.note,
            matched_by="range",
        )

    def _fallback(
        self,
        vendor: str,
        code: str,
        channel: str | None,
        http_status: int | None,
        message: str | None,
    ) -> Entry:
        by_status = (
            self._entries.get((vendor, None, f"http_{http_status}"))
            if http_status is not None
            else None
        )
        if by_status is not None:
            category, severity, transient = (
                by_status.category,
                by_status.severity,
                by_status.transient,
            )
            remediation = by_status.remediation
        else:
            guess = guess_from_status(http_status)
            if guess is None or guess.category in {"validation", "internal"}:
                # The wording is more specific than a bare 4xx/5xx class.
                worded = guess_from_message(message)
                guess = worded if worded.category != "unknown" or guess is None else guess
            category, severity, transient = guess
            remediation = (
                "This code is not in the catalog: check the vendor's documentation and add it "
                "with an overlay (see catalog/README.md)."
            )
        return Entry(
            vendor=vendor,
            channel=channel,
            code=code,
            message=message or (by_status.message if by_status else "Undocumented vendor error"),
            category=category,
            severity=severity,
            transient=transient,
            remediation=remediation,
            source=Source("fallback", "undocumented code"),
            http_status=http_status,
            known=False,
            matched_by="fallback",
        )


# -- building ------------------------------------------------------------------------------


def _vendor_files(data_dir: Path) -> list[Path]:
    files = sorted(p for p in data_dir.glob("*.yaml") if p.name != HTTP_FILE)
    if not files:
        raise CatalogError(f"{data_dir}: no vendor data files (*.yaml)")
    return files


Loaded = tuple[
    tuple[Entry, ...], tuple[_Range, ...], dict[str, tuple[str, ...]], tuple[VendorInfo, ...]
]
_CACHE: dict[tuple[Path, tuple[tuple[str, int, int], ...]], Loaded] = {}


def load_entries(data_dir: Path = DATA_DIR) -> Loaded:
    """The validated data files, parsed once per version of the files on disk.

    YAML parsing is most of the cost of a load; caching it keeps an overlay reload (which
    rebuilds the index every few seconds when the overlay changes) down to the overlay itself.
    """
    stamp = tuple(
        (p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(data_dir.glob("*.yaml"))
    )
    key = (data_dir.resolve(), stamp)
    if key not in _CACHE:
        _CACHE.clear()  # one version of the data at a time; entries are immutable and shared
        _CACHE[key] = _parse_data_dir(data_dir)
    return _CACHE[key]


def _parse_data_dir(data_dir: Path) -> Loaded:
    entries: list[Entry] = []
    ranges: list[_Range] = []
    shared: dict[str, tuple[str, ...]] = {}
    seen: dict[Key, str] = {}
    vendors_seen: set[str] = set()
    infos: list[VendorInfo] = []
    for path in _vendor_files(data_dir):
        doc: VendorFileModel = validate(VendorFileModel, _read_yaml(path), path)
        if doc.vendor in vendors_seen:
            raise CatalogError(f"{path}: vendor {doc.vendor!r} is already defined by another file")
        vendors_seen.add(doc.vendor)
        infos.append(vendor_info(doc, path))
        shared[doc.vendor] = tuple(t.channel for t in doc.tables if t.shared and t.channel)
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
                entries.append(_entry(doc.vendor, table.channel, model, source))
        ranges.extend(
            _Range(doc.vendor, r.channel, r.from_, r.to, r, doc.document) for r in doc.ranges
        )
    http_path = data_dir / HTTP_FILE
    if http_path.exists():
        http: HttpFileModel = validate(HttpFileModel, _read_yaml(http_path), http_path)
        source = Source(http.document, http.table)
        for vendor in sorted(vendors_seen, key=vendor_order):
            for model in http.entries:
                if (vendor, None, model.code) not in seen:
                    entries.append(_entry(vendor, None, model, source))
    return tuple(entries), tuple(ranges), shared, check_vendors(infos)


def apply_overlay(
    entries: Iterable[Entry], path: Path, vendors: tuple[str, ...] | None = None
) -> list[Entry]:
    """Merge an overlay over loaded entries: override given fields, add new codes. `vendors`:
    those it may name (default: any slug)."""
    doc: OverlayFileModel = validate(OverlayFileModel, _read_yaml(path), path, vendors)
    merged = list(entries)
    index = {(e.vendor, e.channel, e.code): i for i, e in enumerate(merged)}
    required = ("message", "category", "severity", "transient", "remediation")
    for number, item in enumerate(doc.entries):
        changes = {
            name: getattr(item, name)
            for name in (*required, "http_status", "note")
            if getattr(item, name) is not None
        }
        key = (item.vendor, item.channel, item.code)
        if key in index:
            position = index[key]
            merged[position] = dataclasses.replace(merged[position], **changes)
            continue
        missing = [name for name in required if name not in changes]
        if missing:
            raise CatalogError(
                f"{path}: entry {number} ({item.vendor} {item.code!r}"
                f"{' channel ' + item.channel if item.channel else ''}): a new code needs "
                f"field(s) {', '.join(missing)}"
            )
        index[key] = len(merged)
        merged.append(
            Entry(
                vendor=item.vendor,
                channel=item.channel,
                code=item.code,
                source=Source(str(path), "overlay"),
                **changes,  # type: ignore[arg-type]
            )
        )
    return merged


def load(overlay: Path | str | None = None, data_dir: Path = DATA_DIR) -> Catalog:
    """Read and validate the shipped data files, merge `overlay` over them, index the result."""
    entries, ranges, shared, vendors = load_entries(data_dir)
    if overlay is not None:
        names = tuple(info.vendor for info in vendors)
        return Catalog(apply_overlay(entries, Path(overlay), names), ranges, shared, vendors)
    return Catalog(entries, ranges, shared, vendors)
