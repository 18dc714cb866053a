"""One record in, one Result out: decode, envelope, recognise, attribute, enrich.

The data flows one way: bytes -> prefilter (parsers.prefilter) -> triage of JSON records
(parsers.triage) -> Envelope (parsers.envelope) -> candidate bodies read by the vendor
recognisers (parsers.vendors) -> vendor chosen (parsers.attribution) -> catalog entry -> the
contract's event. `Extractor.catalog` may be replaced at any time by
another Catalog (an overlay reload swaps the reference); each record reads it once.

Undecodable records (outcome "undecodable", `reason` says why) are those that are not text:
- "record too large": more than `max_record_bytes` bytes (characters for `str` input);
- "invalid utf-8": more than 10% of the characters are invalid UTF-8 sequences (a few bad
  bytes in a text line are replaced and the line is analysed);
- "binary data": more than 10% control characters (NUL, ...; tab, newlines and the ESC of
  colour codes are text);
- "truncated json": it opens a JSON object or array and never closes it, and nothing was
  found in it (what was found in a cut-off record is still reported).
Anything else is text: a plain line with no vendor error is "no_error".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from vendor_errors.catalog import Catalog
from vendor_errors.parsers.attribution import CodeIndex, attribute, attribute_record
from vendor_errors.parsers.decoding.envelope import Envelope, from_json, from_text
from vendor_errors.parsers.decoding.fields import ERROR_LEVELS
from vendor_errors.parsers.decoding.grok import Layouts
from vendor_errors.parsers.decoding.times import record_time, rfc3339
from vendor_errors.parsers.decoding.urls import exported
from vendor_errors.parsers.enrichment.verdict import Verdicts
from vendor_errors.parsers.fast import triage
from vendor_errors.parsers.fast.prefilter import CODE_MEMBER, NOTHING, may_hold_vendor_error
from vendor_errors.parsers.fast.skeletons import Skeletons
from vendor_errors.parsers.fast.templates import Templates
from vendor_errors.parsers.recognisers.base import Reading
from vendor_errors.parsers.recognisers.registry import RECOGNISERS
from vendor_errors.parsers.result import Finding, Origin, Result

log = logging.getLogger(__name__)

# Bytes that are not text: C0 controls except tab, LF, VT, FF, CR and ESC.
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 27)) + b"\x7f"
_loads = orjson.loads
_JSONDecodeError = orjson.JSONDecodeError
# What is built once per catalog object: reloads swap the catalog, and these with it.
PerCatalog = tuple[Catalog, CodeIndex, Verdicts, Templates]


class Extractor:
    """Finds vendor errors in log records and turns each into the contract's event."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        patterns: Sequence[str] = (),
        include_status: bool = False,
        max_record_bytes: int = 1 << 20,
    ) -> None:
        self.catalog = catalog
        self._cached: PerCatalog | None = None
        self._include_status = include_status
        self.max_record_bytes = max_record_bytes
        self._layouts = Layouts.default(patterns)  # raises GrokError for a bad pattern

    @property
    def include_status(self) -> bool:
        return self._include_status

    @include_status.setter
    def include_status(self, value: bool) -> None:
        self._include_status = value
        self._cached = None  # verdicts and templates were made for the other setting

    # -- the hot path --------------------------------------------------------------------

    def extract(self, raw: bytes | str, source: dict[str, Any]) -> Result:
        catalog = self.catalog  # once per record: a reload may swap it meanwhile
        try:
            return self._extract(raw, source, catalog)
        except Exception as exc:  # a parser bug must cost one record, never the stream
            log.exception("parser failed on a record from %s", source)
            return Result("undecodable", reason=f"parser error: {type(exc).__name__}")

    def _extract(self, raw: bytes | str, source: dict[str, Any], catalog: Catalog) -> Result:
        cls = raw.__class__
        if cls is not bytes and cls is not str:
            raw = bytes(raw)  # bytearray, memoryview
            cls = bytes
        if len(raw) > self.max_record_bytes:
            return Result("undecodable", reason="record too large")
        # Is it text? Cheap for the usual ASCII record: only a NUL byte calls for a count.
        text: str | None = None
        if cls is bytes:
            if not raw.isascii():
                text, reason = _decode(raw)  # type: ignore[arg-type]
                if text is None:
                    return Result("undecodable", reason=reason)
            elif b"\x00" in raw:  # type: ignore[operator]
                reason = _binary_reason(raw)  # type: ignore[arg-type]
                if reason is not None:
                    return Result("undecodable", reason=reason)
        else:
            text = raw  # type: ignore[assignment]
            if not raw.isascii() or "\x00" in raw:  # type: ignore[operator]
                reason = _binary_reason(text.encode("utf-8", "surrogatepass"))  # type: ignore[union-attr]
                if reason is not None:
                    return Result("undecodable", reason=reason)
        seen = may_hold_vendor_error(raw)
        if seen == NOTHING:
            return _truncated() if truncated_json(raw) else Result("no_error")
        return self._analyse(raw, text, seen, source, catalog)

    def extract_many(
        self,
        values: Sequence[bytes],
        source_of: Callable[[int], Origin],
        *,
        block: bytes | None = None,
    ) -> tuple[int, list[tuple[int, Result]]]:
        """Every record of a batch: how many are plain "no_error" (nothing found, nothing
        wrong), and the results of the others by index, in order. Exactly `extract` record by
        record, for a fraction of the cost (parsers.batch). `block`, when the caller has it,
        is `b"\\n".join(values)`. The one batch entry point: `scan` and `run` both use it."""
        from vendor_errors.parsers.fast.batch import extract_many

        return extract_many(self, values, source_of, block=block)

    def extract_prefiltered(self, raw: bytes, seen: int, source: dict[str, Any]) -> Result:
        """`extract` for a record already known to be ASCII, free of NUL bytes, within
        `max_record_bytes`, and to hold prefilter matches of kind `seen` (VENDOR_ONLY or
        CODE_MEMBER): `scan` learns all that for a whole block of lines at once."""
        catalog = self.catalog
        try:
            return self._analyse(raw, None, seen, source, catalog)
        except Exception as exc:
            log.exception("parser failed on a record from %s", source)
            return Result("undecodable", reason=f"parser error: {type(exc).__name__}")

    def _analyse(
        self,
        raw: bytes | str,
        text: str | None,
        seen: int,
        source: dict[str, Any],
        catalog: Catalog,
    ) -> Result:
        start = raw[:1]
        if start.isspace():
            start = raw.lstrip()[:1]
        if start in (b"{", "{", b"[", "["):
            # Skeletons only for records spelling a code member: a record that only names a
            # vendor is mostly a successful call, which triage drops for less than a lookup.
            if start == b"{" and seen == CODE_MEMBER and raw.__class__ is bytes:
                result = self._from_skeleton(raw, source, catalog)  # type: ignore[arg-type]
                if result is not None:
                    return result
            try:
                obj = _loads(raw)
            except _JSONDecodeError:
                obj = None  # truncated or not JSON after all: read it as text
            if obj.__class__ is dict or obj.__class__ is list:
                # With a code member spelled out the full analysis is due anyway.
                if seen != CODE_MEMBER and not triage.json_needs_look(obj):
                    return Result("no_error")
                if obj.__class__ is dict and raw.__class__ is bytes:
                    result = self._templated(raw, obj, seen, source, catalog)  # type: ignore[arg-type]
                    if result is not None:
                        return result
                return self._result(from_json(obj), source, catalog)
        if text is None:
            text = raw.decode("ascii")  # type: ignore[union-attr]
            reason = _binary_reason(raw)  # type: ignore[arg-type]
            if reason is not None:
                return Result("undecodable", reason=reason)
        result = self._result(from_text(text, self._layouts), source, catalog)
        if not result.findings and truncated_json(raw):
            return _truncated()
        return result

    # -- findings ------------------------------------------------------------------------

    def _per_catalog(self, catalog: Catalog) -> PerCatalog:
        cached = self._cached
        if cached is None or cached[0] is not catalog:
            verdicts = Verdicts(catalog, self.include_status)
            templates = Templates(Skeletons())
            cached = (catalog, CodeIndex.build(catalog), verdicts, templates)
            self._cached = cached
        return cached

    def _from_skeleton(self, raw: bytes, source: dict[str, Any], catalog: Catalog) -> Result | None:
        """A JSON object record's result from its raw bytes (parsers.skeletons), or None."""
        cached = self._cached
        if cached is None or cached[0] is not catalog:
            cached = self._per_catalog(catalog)
        return cached[3].from_raw(raw, source)

    def _templated(
        self,
        raw: bytes,
        obj: dict[str, Any],
        seen: int,
        source: dict[str, Any],
        catalog: Catalog,
    ) -> Result | None:
        """A JSON object record's result from its template (parsers.templates), or None."""
        cached = self._cached
        if cached is None or cached[0] is not catalog:
            cached = self._per_catalog(catalog)
        return cached[3].result(
            raw,
            obj,
            source,
            lambda template: self._result(from_json(template), {}, catalog),
            seen == CODE_MEMBER,
        )

    def _result(self, env: Envelope, source: dict[str, Any], catalog: Catalog) -> Result:
        cached = self._cached
        if cached is None or cached[0] is not catalog:
            cached = self._per_catalog(catalog)
        index, verdicts = cached[1], cached[2]
        findings: list[Finding] = []
        seen: dict[tuple[Any, ...], int] = {}
        vendors_seen: set[str] = set()
        when: tuple[str, int | None] | None = None
        for candidate in env.candidates:
            vendor = attribute(env, candidate, index)
            if vendor is None:
                continue
            reading = RECOGNISERS[vendor].read(candidate)
            vendors_seen.add(vendor)
            when = when or _record_time(env)
            finding = _finding(env, vendor, reading, verdicts, source, when)
            if finding is None:
                continue
            event = finding.event
            key = (vendor, event["code"], event["channel"], event["message"])
            group = seen.setdefault(key, candidate.group)
            if group != candidate.group:
                continue  # the same body read twice (a field and its copy in the message)
            findings.append(finding)
        if (
            env.status is not None
            and env.status >= 400
            # A failed call with no body of its own: only for a vendor no body was read for.
            and not (
                vendors_seen
                and vendors_seen.issuperset(env.explicit_vendors)
                and vendors_seen.issuperset(env.host_vendors)
                and vendors_seen.issuperset(env.header_vendors)
            )
        ):
            vendor = attribute_record(env)
            if vendor is not None and vendor not in vendors_seen:
                reading = Reading(code=None, http_status=env.status)
                when = when or _record_time(env)
                finding = _finding(env, vendor, reading, verdicts, source, when)
                if finding is not None:
                    findings.append(finding)
        for finding in findings:
            if finding.event["category"] != "status":
                return Result("error_found", findings)
        return Result("no_error", findings)


def _finding(
    env: Envelope,
    vendor: str,
    reading: Reading,
    verdicts: Verdicts,
    source: dict[str, Any],
    when: tuple[str, int | None],
) -> Finding | None:
    verdict = verdicts.get(
        vendor,
        reading.code,
        reading.http_status or env.status,
        (reading.channel or env.channel) if vendor == "webex" else None,
        reading.message,
        reading.error_hint,
        env.level is not None and env.level in ERROR_LEVELS,
    )
    if verdict is None:
        return None
    code, channel, status, message, category, severity, transient, known = verdict
    url = env.url_for(vendor) if env.urls else None
    clean_url, host = exported(url) if url else _NO_URL
    event = {
        "vendor": vendor,
        "code": code,
        "channel": channel,
        "http_status": status,
        "message": message,
        "category": category,
        "severity": severity,
        "transient": transient,
        "known": known,
        "timestamp": when[0],
        "trace_id": env.trace_id,
        "span_id": env.span_id,
        "correlation_id": reading.correlation_id or env.correlation_id,
        "source": source,
    }
    return Finding(
        event=event,
        url=clean_url,
        server_address=host,
        http_method=env.method,
        time_unix_nano=when[1],
        trace_flags=env.trace_flags,
    )


_NO_URL: tuple[None, None] = (None, None)


def truncated_json(raw: bytes | str) -> bool:
    """A record that opens a JSON object or array and does not close it."""
    closing = raw[-1:]
    if closing in _CLOSERS:  # almost every JSON record: one slice, no copy
        return False
    if closing.isspace():
        raw = raw.rstrip()
        closing = raw[-1:]
    opening = raw[:1]
    if opening.isspace():
        opening = raw.lstrip()[:1]
    if opening in _OBJECT_OPENERS:
        return closing not in _OBJECT_CLOSERS
    return opening in _ARRAY_OPENERS and closing not in _ARRAY_CLOSERS


_CLOSERS = (b"}", b"]", "}", "]")
_OBJECT_OPENERS, _OBJECT_CLOSERS = (b"{", "{"), (b"}", "}")
_ARRAY_OPENERS, _ARRAY_CLOSERS = (b"[", "["), (b"]", "]")


def _truncated() -> Result:
    return Result("undecodable", reason="truncated json")


def _record_time(env: Envelope) -> tuple[str, int | None]:
    for value in env.timestamps:
        parsed = record_time(value)
        if parsed is not None:
            return parsed
    return rfc3339(datetime.now(UTC)), None


def _binary_reason(data: bytes) -> str | None:
    if not data:
        return None
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    return "binary data" if controls * 10 > len(data) else None


def _decode(raw: bytes) -> tuple[str | None, str | None]:
    """Text from non-ASCII bytes, or why they are not text."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", "replace")
        if text.count("\ufffd") * 10 > len(text):
            return None, "invalid utf-8"
    reason = _binary_reason(raw)
    return (None, reason) if reason is not None else (text, None)
