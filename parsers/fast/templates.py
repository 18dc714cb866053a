"""Records that repeat but for their ids and times: analysed once per template, then reused.

When a vendor fails, the same error line is logged thousands of times, each copy with its own
timestamp, trace id and error id. A decoded JSON record becomes a *template* by replacing the
values of a few fields with placeholders; a record whose template was analysed before gets
that analysis with the placeholders swapped back for its own values, without the envelope
walk, attribution and catalog work. `Templates.json` is the JSON stage of the general path
(parsers.stages), with the same signature: it calls the stage it wraps for each new template.

This is the general analysis (of the template), not a second parser, and it is exact because
a placeholder stands only for a value the analysis copies to the event and never looks into:

- the templated fields (`TEMPLATED_KEYS`, in objects at any depth, not in arrays) have the
  same role at any depth (tests/parsers/test_templates.py checks the role table) and reach
  the event only as its `timestamp` (a time already in the spelling events use), `trace_id`,
  `span_id` or `correlation_id` (8x8 `errorId`, Webex `transid`); no recogniser, attribution
  or classification step reads them otherwise;
- a value is templated only in a strict format and its placeholder has that format, so every
  test the analysis makes of it (a valid time? a valid trace id? blank?) answers the same;
- times are templated only when the record's own time (the first top-level field with a time
  role, see `template_of`) is a templated one: then no other time can become the event's;
- placeholders are unique per templated value: an event field holding one took it from that
  value (a record holding placeholder text elsewhere, in any case or spelled with dashes as
  trace ids may be, is analysed as it is).

Memory stays bounded: templates over `MAX_RECORD_BYTES` or with more than `MAX_FINDINGS`
errors are not kept, and the store (a parsers.fast.memo.Memo) holds `MAX_TEMPLATES` (a stream
of unique records costs a refill). A store belongs to one catalog object and one
`include_status` setting (see parsers/extract.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from vendor_errors.parsers.decoding.fields import R_NONE, R_TIMESTAMP, Roles
from vendor_errors.parsers.decoding.times import record_time, rfc3339
from vendor_errors.parsers.fast.memo import Memo
from vendor_errors.parsers.result import Finding, Origin, Outcome, Result
from vendor_errors.parsers.stages import JsonStage

MAX_RECORD_BYTES = 4096
MAX_TEMPLATES = 1024
MAX_FINDINGS = 8
MAX_SLOTS = 16
MAX_DEPTH = 8
WINDOW = 256  # records tried per verdict on whether templating pays
PROBE_EVERY = 32  # while it does not, one record in this many tries
PROBES = 32  # records tried per verdict then

TIME, TRACE, SPAN, ID = 0, 1, 2, 3
# Field names, as written, whose values are templated, and what each value is.
TEMPLATED_KEYS: dict[str, int] = {
    **dict.fromkeys(("ts", "time", "timestamp", "@timestamp"), TIME),
    **dict.fromkeys(("trace_id", "traceId", "traceid"), TRACE),
    **dict.fromkeys(("span_id", "spanId", "spanid"), SPAN),
    **dict.fromkeys(("errorId", "transid"), ID),
}
_TRACE_ID = re.compile("[0-9a-f]{32}").fullmatch
_SPAN_ID = re.compile("[0-9a-f]{16}").fullmatch
# Ids copied as they are: no blank, quote, bracket, brace or "://" to look into.
_PLAIN_ID = re.compile("[0-9A-Za-z_.:-]{1,64}").fullmatch

# Valid values of each kind, unique per slot, all holding this marker.
_MARKER = b"5e471e15"
_PLACEHOLDERS: tuple[tuple[str, ...], ...] = (
    tuple(f"2099-12-31T23:58:{slot:02d}.000Z" for slot in range(MAX_SLOTS)),
    tuple(f"5e471e15{slot + 1:024x}" for slot in range(MAX_SLOTS)),
    tuple(f"5e471e15{slot + 1:08x}" for slot in range(MAX_SLOTS)),
    tuple(f"5e471e15-id-{slot:02d}" for slot in range(MAX_SLOTS)),
)
# Per kind: placeholder -> slot.
_SLOT_OF: tuple[dict[str, int], ...] = tuple(
    {placeholder: slot for slot, placeholder in enumerate(placeholders)}
    for placeholders in _PLACEHOLDERS
)
_NO_SLOT = -1

# A template finding: the finding, then the slots its timestamp, trace id, span id and
# correlation id came from (_NO_SLOT: not from a templated value).
Slots = tuple[int, int, int, int]
# What a template's analysis keeps: the outcome, and its findings with their slots.
Analysed = tuple[Outcome, list[tuple[Finding, Slots]]]
# The source a template is analysed with: each record of it gets its own.
_NO_SOURCE: Origin = {"file": "", "line": 0}


class Templates:
    """The JSON stage, over the analysed templates of one catalog object and one
    `include_status` setting."""

    __slots__ = ("_hits", "_inner", "_roles", "_skipped", "_store", "_tries", "active", "store")

    def __init__(self, inner: JsonStage, roles: Roles) -> None:
        self._inner = inner
        self._roles = roles
        self._store: Memo[bytes, Analysed] = Memo(MAX_TEMPLATES)
        self.store = self._store.data  # template -> its analysis (parsers.fast.skeletons reads)
        # Templating only pays when records repeat: a miss costs more than the analysis
        # alone. When fewer than half the records of a window find their template, only one
        # record in PROBE_EVERY tries, until the probes find theirs again.
        self.active = True
        self._tries = self._hits = self._skipped = 0

    def json(self, obj: Any, source: Origin) -> Result:
        """What the wrapped stage gives for `obj`, from the record's template when it has one."""
        if obj.__class__ is not dict:
            return self._inner(obj, source)
        if not self.active:
            self._skipped += 1
            if self._skipped % PROBE_EVERY:
                return self._inner(obj, source)
        values: list[Any] = []
        times: list[int] = []
        template = template_of(obj, values, times, self._roles)
        if template is None:
            return self._inner(obj, source)  # nothing to template: no cheaper than the stage
        key = orjson.dumps(template)
        # Placeholder text anywhere else in the record (in any case, with dashes: trace ids
        # are read that way) could reach an event: such a record is analysed as it is.
        if len(key) > MAX_RECORD_BYTES or key.lower().replace(b"-", b"").count(_MARKER) != len(
            values
        ) - len(times):
            return self._inner(obj, source)
        analysed = self.store.get(key)
        self.count(analysed is not None)
        if analysed is None:
            result = self._inner(template, _NO_SOURCE)
            analysed = (result.outcome, [(f, _slots(f, times)) for f in result.findings])
            if len(result.findings) <= MAX_FINDINGS:  # a record of many errors is no template
                # Stored as a copy of its own size: orjson's bytes keep the KiBs of buffer
                # they were written into (~4 KiB a key, ~4 MiB for a full store).
                self._store.put(bytes(memoryview(key)), analysed)
        return instance(analysed, values, source)

    def count(self, hit: bool) -> None:
        """One more record tried on the templates (`hit`: its template was known)."""
        self._tries += 1
        if hit:
            self._hits += 1
        if self._tries >= (WINDOW if self.active else PROBES):
            self.active = self._hits * 2 >= self._tries
            self._tries = self._hits = 0


def template_of(
    obj: dict[str, Any], values: list[Any], times: list[int], roles: Roles
) -> dict[str, Any] | None:
    """`_inner` for the record itself, which also decides whether times are templated.

    The event's time is read from the first field with a time role among the top-level
    fields that hold no object or array (parsers.decoding.envelope reads those first). Times are
    templated only when that field is a templated one: then no other time reaches the event.
    """
    copy = None
    nested: list[str] | None = None
    templated_times: bool | None = None  # None: no field with a time role seen yet
    for key, value in obj.items():
        kind = TEMPLATED_KEYS.get(key)
        cls = value.__class__
        if kind is None:  # most fields
            if cls is dict:
                if nested is None:
                    nested = [key]
                else:
                    nested.append(key)
            elif templated_times is None and cls is not list:
                role = roles.top.get(key)
                if role is None:
                    role = roles.role_of(key) if key.__class__ is str else R_NONE
                if role == R_TIMESTAMP:
                    templated_times = False
            continue
        if cls is not str or len(values) >= MAX_SLOTS:
            if cls is dict:
                if nested is None:
                    nested = [key]
                else:
                    nested.append(key)
            elif kind == TIME and templated_times is None and cls is not list:
                templated_times = False
            continue
        value = value_of(kind, value, templated_times is not False)
        if kind == TIME:
            if templated_times is None:
                templated_times = value is not None
            if value is not None:
                times.append(len(values))
        if value is not None:
            if copy is None:
                copy = obj.copy()
            copy[key] = _PLACEHOLDERS[kind][len(values)]
            values.append(value)
    if nested is not None:
        for key in nested:
            inner = _inner(obj[key], values, times, 1, templated_times is True)
            if inner is not None:
                if copy is None:
                    copy = obj.copy()
                copy[key] = inner
    return copy


def _inner(
    obj: dict[str, Any], values: list[Any], times: list[int], depth: int, templated_times: bool
) -> dict[str, Any] | None:
    """A copy of `obj` with placeholders for its templated values (their own go to
    `values`, and the slots of times to `times`); None when it has none."""
    copy = None
    for key, value in obj.items():
        kind = TEMPLATED_KEYS.get(key)
        if kind is None or value.__class__ is not str:
            if value.__class__ is dict and depth < MAX_DEPTH:
                inner = _inner(value, values, times, depth + 1, templated_times)
                if inner is not None:
                    if copy is None:
                        copy = obj.copy()
                    copy[key] = inner
            continue
        if len(values) >= MAX_SLOTS:
            continue
        value = value_of(kind, value, templated_times)
        if value is None:
            continue
        if kind == TIME:
            times.append(len(values))
        if copy is None:
            copy = obj.copy()
        copy[key] = _PLACEHOLDERS[kind][len(values)]
        values.append(value)
    return copy


def value_of(kind: int, value: str, templated_times: bool) -> Any:
    """What a templated field's value stands for, or None when it is not templated: a time
    as `record_time` reads it (only one the event keeps as written), an id as written."""
    if kind == TIME and not templated_times:
        return None
    return VALUE_OF_KIND[kind](value)


def _time_value(value: str) -> tuple[str, int] | None:
    if len(value) != 24:
        return None
    parsed = record_time(value)
    return parsed if parsed is not None and parsed[0] == value else None


def _trace_value(value: str) -> str | None:
    return value if _TRACE_ID(value) is not None and value.strip("0") else None


def _span_value(value: str) -> str | None:
    return value if _SPAN_ID(value) is not None and value.strip("0") else None


def _id_value(value: str) -> str | None:
    return value if _PLAIN_ID(value) is not None else None


# By kind: `value_of` when times are templated.
VALUE_OF_KIND: tuple[Callable[[str], Any], ...] = (
    _time_value,
    _trace_value,
    _span_value,
    _id_value,
)


def _slot(kind: int, value: object) -> int:
    return _SLOT_OF[kind].get(value, _NO_SLOT) if type(value) is str else _NO_SLOT


def _slots(finding: Finding, times: list[int]) -> Slots:
    event = finding.event
    # A time takes its slot only when times were templated (then the event's is one of
    # them); otherwise a time of the record may be spelled like a placeholder.
    time_slot = _slot(TIME, event["timestamp"]) if times else _NO_SLOT
    return (
        time_slot if finding.time_unix_nano is not None and time_slot in times else _NO_SLOT,
        _slot(TRACE, event["trace_id"]),
        _slot(SPAN, event["span_id"]),
        _slot(ID, event["correlation_id"]),
    )


def instance(analysed: Analysed, values: list[Any], source: Origin) -> Result:
    """The template's result for a record of it: its own values and source put back."""
    findings: list[Finding] = []
    now: str | None = None
    for finding, (time_slot, trace_slot, span_slot, id_slot) in analysed[1]:
        event = finding.event.copy()
        event["source"] = source
        nanos = finding.time_unix_nano
        if nanos is None:
            # The record has no time of its own: stamped when analysed, like any record.
            if now is None:
                now = rfc3339(datetime.now(UTC))
            event["timestamp"] = now
        elif time_slot != _NO_SLOT:
            event["timestamp"], nanos = values[time_slot]
        if trace_slot != _NO_SLOT:
            event["trace_id"] = values[trace_slot]
        if span_slot != _NO_SLOT:
            event["span_id"] = values[span_slot]
        if id_slot != _NO_SLOT:
            event["correlation_id"] = values[id_slot]
        findings.append(
            Finding(
                event,
                finding.url,
                finding.server_address,
                finding.http_method,
                nanos,
                finding.trace_flags,
            )
        )
    return Result(analysed[0], findings)
