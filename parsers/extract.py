"""Parse one log record (or a batch) into vendor-error findings; never raise on bad input.

`Extractor` is the parsers' entry point (docs/parsing.md). `extract` checks that a record is
text, then hands it to the record stage: the general path (parsers/general.py) wrapped by the
speed layers (parsers/fast/), which give what it gives for less work:

    Prefilter ──no needle──────────────────────────────────────────> no_error / truncated json
       ├── a vendor named ── Calm ── Repeats ── Split ── Triage ── Templates ── General.json
       │                                            └────────────────────────── General.text
       └── a code member ─── Repeats ── Skeletons ── Split ── Templates ── General.json
                                                        └─────────────── General.text

What is built from the catalog (the registry of vendors, the code index, the memo of verdicts,
the templates) is built once per catalog object: reloads swap the catalog, and these with it.

Outcomes: "error_found" (at least one vendor error), "no_error" (anything else that is text),
"undecodable" with a `reason` (dead-letter header):
- "record too large": over `max_record_bytes`;
- "invalid utf-8", "binary data", "truncated json": parsers.decoding.raw;
- "parser error: <Exception>": a bug; the record is dead-lettered, the stream goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from functools import partial

from vendor_errors.catalog import Catalog
from vendor_errors.parsers.attribution import CodeIndex
from vendor_errors.parsers.decoding.envelope import Reader
from vendor_errors.parsers.decoding.grok import Layouts
from vendor_errors.parsers.decoding.raw import binary_reason, decode
from vendor_errors.parsers.enrichment.findings import Findings
from vendor_errors.parsers.enrichment.verdict import judge
from vendor_errors.parsers.fast import batch
from vendor_errors.parsers.fast.batch import Noted, Screen, parser_error
from vendor_errors.parsers.fast.calm import Calm
from vendor_errors.parsers.fast.prefilter import Needles, Prefilter
from vendor_errors.parsers.fast.repeats import Repeats
from vendor_errors.parsers.fast.skeletons import Skeletons
from vendor_errors.parsers.fast.templates import Templates
from vendor_errors.parsers.fast.triage import Triage
from vendor_errors.parsers.fast.verdicts import Verdicts
from vendor_errors.parsers.general import General, Split
from vendor_errors.parsers.recognisers.registry import Registry
from vendor_errors.parsers.result import Origin, Result
from vendor_errors.parsers.stages import JsonStage, RecordStage

# The speed layers; an extractor without some gives the same results (a differential check).
LAYERS = frozenset({"prefilter", "triage", "templates", "skeletons", "verdicts", "repeats", "calm"})


class Paths:
    """The stages and layers built for one catalog object (parsers/extract.py's diagram)."""

    __slots__ = (
        "calm",
        "catalog",
        "general",
        "record",
        "registry",
        "repeats",
        "screen",
        "skeletons",
        "templates",
        "triage",
        "verdicts",
    )

    def __init__(
        self, catalog: Catalog, layouts: Layouts, include_status: bool, layers: Collection[str]
    ) -> None:
        self.catalog = catalog
        self.registry = registry = Registry.build(catalog.vendors)
        directory = registry.directory
        self.verdicts = Verdicts(catalog, include_status) if "verdicts" in layers else None
        verdict = (
            self.verdicts.get
            if self.verdicts is not None
            else partial(judge, catalog, include_status)
        )
        findings = Findings(registry, CodeIndex.build(catalog), verdict)
        self.general = general = General(Reader(directory, layouts), findings)
        json: JsonStage = general.json
        self.templates: Templates | None = None
        if "templates" in layers:
            self.templates = Templates(general.json, directory.roles)
            json = self.templates.json
        self.record: RecordStage = Split(json, general.text).record
        self.skeletons: Skeletons | None = None
        self.triage: Triage | None = None
        self.screen: Screen | None = None
        self.repeats: tuple[Repeats, Repeats] | None = None
        self.calm: Calm | None = None
        if "prefilter" not in layers:
            if any(layer in layers for layer in ("triage", "skeletons", "repeats", "calm")):
                raise ValueError(
                    "triage, skeletons, repeats and calm need the prefilter (it routes to them)"
                )
            return
        code_member = self.record
        if self.templates is not None and "skeletons" in layers:
            self.skeletons = Skeletons(code_member, self.templates, directory.roles)
            code_member = self.skeletons.record
        vendor_only = self.record
        if "triage" in layers:
            self.triage = Triage(json, directory.roles)
            vendor_only = Split(self.triage.json, general.text).record
        if "repeats" in layers:
            # Each route's copies are checked against that route without memos.
            plain = Split(general.json, general.text).record
            checked = plain
            if self.triage is not None:
                checked = Split(Triage(general.json, directory.roles).json, general.text).record
            self.repeats = (
                Repeats(code_member, plain, catalog.vendors),
                Repeats(vendor_only, checked, catalog.vendors),
            )
            code_member, vendor_only = self.repeats[0].record, self.repeats[1].record
        if "calm" in layers:
            if self.triage is None:
                raise ValueError("calm needs triage (it learns from triage's verdicts)")
            self.calm = Calm(vendor_only, self.triage)
            vendor_only = self.calm.record
        needles = Needles.build(catalog.vendors)
        self.screen = Screen(needles, vendor_only, code_member)
        self.record = Prefilter(needles, vendor_only, code_member).record


class Extractor:
    """Finds vendor errors in log records and turns each into the contract's event."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        patterns: Sequence[str] = (),
        include_status: bool = False,
        max_record_bytes: int = 1 << 20,
        layers: Collection[str] = LAYERS,
    ) -> None:
        unknown = set(layers) - LAYERS
        if unknown:
            raise ValueError(f"unknown speed layers: {', '.join(sorted(unknown))}")
        if "skeletons" in layers and "templates" not in layers:
            raise ValueError("skeletons need templates (they answer from its store)")
        self.catalog = catalog
        self._include_status = include_status
        self.max_record_bytes = max_record_bytes
        self._layouts = Layouts.default(patterns)  # raises GrokError for a bad pattern
        self._layers = frozenset(layers)
        # Built now, so that a vendor block naming a module that is not there fails at start.
        self._paths = self._build(catalog)

    @property
    def include_status(self) -> bool:
        return self._include_status

    @include_status.setter
    def include_status(self, value: bool) -> None:
        self._include_status = value
        self._paths = self._build(self.catalog)  # verdicts and templates were for the other

    @property
    def paths(self) -> Paths:
        """The stages and layers of the current catalog (for tests and tools)."""
        return self._paths_for(self.catalog)

    def _paths_for(self, catalog: Catalog) -> Paths:
        paths = self._paths
        if paths.catalog is not catalog:
            paths = self._build(catalog)
        return paths

    def _build(self, catalog: Catalog) -> Paths:
        self._paths = Paths(catalog, self._layouts, self._include_status, self._layers)
        return self._paths

    # -- the hot path --------------------------------------------------------------------

    def extract(self, raw: bytes | str, source: Origin) -> Result:
        catalog = self.catalog  # once per record: a reload may swap it meanwhile
        try:
            return self._extract(raw, source, catalog)
        except Exception as exc:  # a parser bug must cost one record, never the stream
            return parser_error(exc, source)

    def _extract(self, raw: bytes | str, source: Origin, catalog: Catalog) -> Result:
        # Is it text? Cheap for the usual ASCII record: only a NUL byte calls for a count.
        text: str | None = None
        if isinstance(raw, str):
            if len(raw) > self.max_record_bytes:
                return Result("undecodable", reason="record too large")
            text = raw
            if not raw.isascii() or "\x00" in raw:
                reason = binary_reason(raw.encode("utf-8", "surrogatepass"))
                if reason is not None:
                    return Result("undecodable", reason=reason)
        else:
            if type(raw) is not bytes:
                raw = bytes(raw)  # bytearray, memoryview
            if len(raw) > self.max_record_bytes:
                return Result("undecodable", reason="record too large")
            if not raw.isascii():
                text, reason = decode(raw)
                if text is None:
                    return Result("undecodable", reason=reason)
            elif b"\x00" in raw:
                reason = binary_reason(raw)
                if reason is not None:
                    return Result("undecodable", reason=reason)
        paths = self._paths
        if paths.catalog is not catalog:
            paths = self._build(catalog)
        return paths.record(raw, text, source)

    def extract_many(
        self,
        values: Sequence[bytes],
        source_of: Callable[[int], Origin],
        *,
        block: bytes | None = None,
        json_lines: bool = False,
    ) -> tuple[int, Noted]:
        """Every record of a batch: how many are plain "no_error" (nothing found, nothing
        wrong), and the results of the others by index, in order. Exactly `extract` record by
        record, for a fraction of the cost (parsers.fast.batch). `block`, when the caller has
        it, is `b"\\n".join(values)`; `json_lines`: every value is known to be one whole JSON
        object on one line. The one batch entry point: `scan` and `run` both use it; the batch
        reads the catalog once."""
        paths = self._paths_for(self.catalog)
        return batch.extract_many(
            values,
            source_of,
            self.extract,
            self.max_record_bytes,
            paths.screen,
            block=block,
            json_lines=json_lines,
        )
