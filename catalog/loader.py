"""Load the vendor data files and an optional overlay into one immutable index; look codes up.

catalog/compiled.py reads the data files' compiled form when it is current, else catalog/files.py
reads and validates the files (and always the overlay); this module indexes them and answers
lookups in the order of catalog/README.md ("Lookup"). pydantic and yaml are imported only for
the YAML.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from vendor_errors.catalog import compiled
from vendor_errors.catalog.fallback import guess_from_message, guess_from_status
from vendor_errors.catalog.loaded import DATA_DIR, HTTP_CODE, HTTP_FILE, Key, Loaded, RangeRule
from vendor_errors.catalog.model import Entry, Source, VendorInfo

_HTTP_CODE = HTTP_CODE

__all__ = ["DATA_DIR", "HTTP_FILE", "Catalog", "Loaded", "load", "load_entries"]


class Catalog:
    """An immutable index of every entry; build a new one to change it (reloads swap the object).

    `vendors` are the recognition blocks of the data files (what the parsers know of each
    vendor); a catalog built from entries alone uses the shipped ones.
    """

    def __init__(
        self,
        entries: Iterable[Entry],
        ranges: Iterable[RangeRule] = (),
        shared_channels: dict[str, tuple[str, ...]] | None = None,
        vendors: tuple[VendorInfo, ...] | None = None,
        *,
        explicit: dict[str, frozenset[str]] | None = None,
        standalone: dict[str, frozenset[str]] | None = None,
    ) -> None:
        self._vendors = vendors
        # Channels looked up only when named (a standalone one is explicit too).
        self._standalone = standalone or {}
        self._explicit = {
            vendor: frozenset(channels) | self._standalone.get(vendor, frozenset())
            for vendor, channels in (explicit or {}).items()
        }
        for vendor, channels in self._standalone.items():
            self._explicit.setdefault(vendor, channels)
        self._entries: dict[Key, Entry] = {}
        # code -> its entries under every channel, in document order (`listings`).
        self._listed: dict[tuple[str, str], list[Entry]] = {}
        for entry in entries:
            key = (entry.vendor, entry.channel, entry.code)
            self._entries[key] = entry
            self._listed.setdefault((entry.vendor, entry.code), []).append(entry)
        # ... less the explicit channels: what a lookup with no channel may land on.
        self._by_code = {
            key: kept
            for key, listed in self._listed.items()
            if (kept := [e for e in listed if not self.is_explicit(e.vendor, e.channel)])
        }
        self._ranges = tuple(ranges)
        self._shared = shared_channels or {}

    # -- reading -----------------------------------------------------------------------------

    @property
    def vendors(self) -> tuple[VendorInfo, ...]:
        """The vendors' recognition blocks, in vendor order (catalog.vendors.vendor_order)."""
        if self._vendors is None:
            self._vendors = load_entries(DATA_DIR).vendors
        return self._vendors

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries.values())

    def get(self, vendor: str, code: str, channel: str | None = None) -> Entry | None:
        """The entry stored under exactly this key, without any fallback."""
        return self._entries.get((vendor, channel, code))

    def listings(self, vendor: str, code: str) -> list[Entry]:
        """Every entry of the vendor with this code, whatever its channel, in document order."""
        return list(self._listed.get((vendor, code), ()))

    def is_explicit(self, vendor: str, channel: str | None) -> bool:
        """Whether the channel's table is looked up only when a record names it."""
        return channel is not None and channel in self._explicit.get(vendor, ())

    def is_standalone(self, vendor: str, channel: str | None) -> bool:
        """Whether a code missing from the channel's table is unknown (no other table tried)."""
        return channel is not None and channel in self._standalone.get(vendor, ())

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
            if self.is_standalone(vendor, channel):
                return None  # its numbers mean other things in the vendor's other tables
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
                    and (
                        rule.channel == channel
                        if channel is not None
                        else not self.is_explicit(vendor, rule.channel)
                    )
                ):
                    return self._range_entry(rule, code)
        return None

    @staticmethod
    def _range_entry(rule: RangeRule, code: str) -> Entry:
        return Entry(
            vendor=rule.vendor,
            channel=rule.channel,
            code=code,
            message=rule.message,
            category=rule.category,
            severity=rule.severity,
            transient=rule.transient,
            remediation=rule.remediation,
            source=Source(rule.document, rule.table),
            details=rule.details,
            note=rule.note,
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
            seed=False,
            matched_by="fallback",
        )


# -- building ------------------------------------------------------------------------------

_CACHE: dict[tuple[Path, tuple[tuple[str, int, int], ...]], Loaded] = {}


def load_entries(data_dir: Path = DATA_DIR, *, validate: bool = False) -> Loaded:
    """The data files, read once per version of the files on disk: from their compiled form
    when it is current (catalog/compiled.py), else validated from the YAML. `validate`: from
    the YAML whatever the compiled form (`catalog lint`).

    Reading is most of the cost of a load; caching it keeps an overlay reload (which rebuilds
    the index every few seconds when the overlay changes) down to the overlay itself.
    """
    files = sorted(
        p for p in data_dir.glob("*") if p.suffix == ".yaml" or p.name == compiled.ARTIFACT
    )
    stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    key = (data_dir.resolve(), stamp)
    if validate or key not in _CACHE:
        loaded = None if validate else compiled.read(data_dir)
        if loaded is None:
            from vendor_errors.catalog.files import parse_data_dir

            loaded = parse_data_dir(data_dir)
        _CACHE.clear()  # one version of the data at a time; entries are immutable and shared
        _CACHE[key] = loaded
    return _CACHE[key]


def load(
    overlay: Path | str | None = None, data_dir: Path = DATA_DIR, *, validate: bool = False
) -> Catalog:
    """The shipped data files (validated: from the YAML with `validate`, else possibly from
    their compiled form, validated when it was made), `overlay` merged over them (validated),
    indexed."""
    loaded = load_entries(data_dir, validate=validate)
    entries: Iterable[Entry] = loaded.entries
    if overlay is not None:
        from vendor_errors.catalog.files import apply_overlay

        names = tuple(info.vendor for info in loaded.vendors)
        entries = apply_overlay(loaded.entries, Path(overlay), names)
    return Catalog(
        entries,
        loaded.ranges,
        loaded.shared,
        loaded.vendors,
        explicit=loaded.explicit,
        standalone=loaded.standalone,
    )
