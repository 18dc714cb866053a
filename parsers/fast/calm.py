"""Successful vendor calls recognised from their bytes, by the shape their logger writes.

Most records that name a vendor and spell no code member are its successful calls
(`"url": "https://sms.8x8.com/...", "status": 200, "level": "info"`), and one logger writes
them all alike: the same keys in the same order, a calm level, a status under 400. Triage
(parsers.fast.triage) calls each calm after orjson has decoded it. `Calm.record` is the record
stage of that route (parsers.stages) with the route behind it: from records triage called calm
it learns *shapes*, patterns (`re`) of their bytes that only such records can match, and a
record that matches one is "no_error" without being decoded.

A shape holds a record's keys, spelled as written and in their order (one JSON object per key
sequence: no other key, none twice), nested objects alike, and for each value what keeps
triage's walk calm, by what triage reads the key as (`Triage.kind_of`):
- a level: the same word;
- a status: an integer from 100 to 399, or as text (`"200"`, Go's `"200 OK"`);
- a message: a string without "ode", "ODE" or " err:" (no body, code or SMPP receipt in it);
- any other string: without "ode"/"ODE", or without `{` and `=` (no body in it);
- strings without control characters and with no escape but `\\" \\\\ \\/ \\b \\f \\n \\r
  \\t`, none of which spells a letter triage looks for;
- numbers of up to 18 digits without an exponent (orjson reads them, as ints or floats;
  triage reads neither outside a status), `null`, `true`, and `false` but for `success`.
A key triage stops at (a code member, `errorId`, a vendor's header), a list, a status outside
100-399 or in another spelling, and batches of records (`resourceLogs`, ...) make no shape.
Separators are learnt as written (`{"a":1,"b":2}` or `{"a": 1, "b": 2}`, else any blanks).

What a matching record gets is what the route gives it: Repeats (parsers.fast.repeats) only
knows lines with findings, and triage's verdict cannot differ between two copies of a line
(their tokens spell none of what it reads), so the route decodes it and triage calls it calm
(tests/parsers/test_calm.py checks the route's results against this layer's).

Learning costs a decode, a walk and a compiled pattern (~1 ms; records of more keys than fit
`MAX_PATTERN_BYTES` make none), so it is rationed: one try per `LEARN_GAP` records the shapes
missed; a pattern is compiled only when a second try builds it again (and kept compiled, up to
`COMPILED_LIMIT`), and after `FREE_COMPILES` only as the hits pay for it. At most `MAX_SHAPES`
shapes are tried, the last one to match first.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

import orjson
from vendor_errors.parsers.fast.memo import Memo
from vendor_errors.parsers.fast.triage import (
    K_LEVEL,
    K_MESSAGE,
    K_OTHER,
    K_SIGNAL,
    K_STATUS,
    Triage,
    is_calm_level,
)
from vendor_errors.parsers.result import Origin, Result
from vendor_errors.parsers.stages import RecordStage

log = logging.getLogger(__name__)

MAX_SHAPES = 4
LEARN_GAP = 64
COMPILED_LIMIT = 32
MAX_DEPTH = 6
MAX_KEYS = 64
MAX_PATTERN_BYTES = 8 * 1024  # ~70 keys: compiled in ~8 ms
# Compiles beyond the first few must be paid for by hits (a hit saves ~2.5 us; a compile
# costs ~1-8 ms): loggers of ever new shapes cost at most ~1 us a hit.
FREE_COMPILES = 8
HITS_PER_COMPILE = 10_000
BUILT_LIMIT = 256  # patterns built once, waiting for a second sighting (their hashes)

# What a string may hold: no quote, no backslash but the escapes named above, no control byte.
_ESCAPE = rb'\\["\\/bfnrt]'
_PLAIN = rb'"(?:[^"\\\x00-\x1f{=]++|' + _ESCAPE + rb')*+"'
_NO_CODE = rb'"(?:[^"\\\x00-\x1foO]++|' + _ESCAPE + rb"|o(?!de)|O(?!DE))*+\""
_STRING = rb"(?:" + _PLAIN + rb"|" + _NO_CODE + rb")"
_MESSAGE = rb'"(?:[^"\\\x00-\x1f oO]++|' + _ESCAPE + rb"|o(?!de)|O(?!DE)| (?!err:))*+\""
_NUMBER = rb"-?(?:0|[1-9][0-9]{0,17})(?:\.[0-9]{1,17})?(?![0-9.eE])"
_STATUS = rb"[1-3][0-9][0-9](?![0-9.eE])"
# A status as text, as `as_status` reads it: three digits, or three and a space and words.
_STATUS_TEXT = re.compile(r"[1-3][0-9][0-9](?: [\x20-\x21\x23-\x5b\x5d-\x7e]*)?")
_STATUS_DIGITS = rb'"[1-3][0-9][0-9]"'
_STATUS_WORDS = rb'"[1-3][0-9][0-9] [^"\\\x00-\x1f]*"'
_KEY = re.compile(r"[\x20-\x7e]{1,256}")  # printable ASCII; quotes and backslashes refused
_COMPACT, _SPACED = (b":", b","), (b": ", b", ")  # orjson and most loggers; Python's json
_BLANKS = (rb"[ \t]*:[ \t]*", rb"[ \t]*,[ \t]*")
_BATCH_KEYS = ("resourceLogs", "logEvents", "streams")

Match = Callable[[bytes], "re.Match[bytes] | None"]


class Calm:
    """The record stage of records that name a vendor, over the calm shapes it has learnt."""

    __slots__ = (
        "_built",
        "_compiled",
        "_compiles",
        "_gap",
        "_inner",
        "_kind_of",
        "_needs_look",
        "_shapes",
        "_wait",
        "hits",
        "learnt",
    )

    def __init__(self, inner: RecordStage, triage: Triage, gap: int = LEARN_GAP) -> None:
        self._inner = inner
        self._gap = gap
        self._kind_of = triage.kind_of
        self._needs_look = triage.needs_look
        self._shapes: list[Match] = []
        self._built: Memo[int, bool] = Memo(BUILT_LIMIT)
        # Patterns compiled, active or not: a shape that made room and comes back is not
        # compiled again (loggers of more shapes than MAX_SHAPES, in turn).
        self._compiled: Memo[bytes, Match] = Memo(COMPILED_LIMIT)
        self._compiles = 0
        self._wait = 0  # records to miss before the next try at learning
        self.hits = self.learnt = 0

    def record(self, raw: bytes | str, text: str | None, source: Origin) -> Result:
        if text is not None or raw.__class__ is not bytes:
            return self._inner(raw, text, source)  # not ASCII bytes
        shapes = self._shapes
        for match in shapes:
            if match(raw) is not None:  # type: ignore[arg-type]
                if match is not shapes[0]:
                    shapes.remove(match)
                    shapes.insert(0, match)
                self.hits += 1
                return Result("no_error")
        result = self._inner(raw, text, source)
        if result.outcome == "no_error" and not result.findings:
            self._wait -= 1
            if self._wait <= 0:
                self._wait = self._gap
                try:
                    self._learn(raw)  # type: ignore[arg-type]
                except Exception as exc:  # learning saves time: a bug in it must cost nothing
                    log.warning("calm shapes: learning failed (%s): not learning", exc)
                    self._gap = self._wait = 1 << 62
        return result

    def _learn(self, raw: bytes) -> None:
        if raw[:1] != b"{":
            return
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return
        if obj.__class__ is not dict or self._needs_look(obj):
            return
        colon, comma = _separators(raw, obj)
        pattern = self.pattern(obj, colon, comma)
        if pattern is None or len(pattern) > MAX_PATTERN_BYTES:
            return  # a record of hundreds of keys: its pattern would take long to compile
        match = self._compiled.data.get(pattern)
        if match is None:
            mark = hash(pattern)
            if mark not in self._built.data:
                self._built.put(mark, True)  # built once: compiled if it is built again
                return
            if self._compiles >= FREE_COMPILES and self.hits < self._compiles * HITS_PER_COMPILE:
                return  # the shapes compiled so far have not paid for another
            self._compiles += 1
            match = self._compiled.put(pattern, re.compile(pattern).fullmatch)
        if match in self._shapes or match(raw) is None:
            return  # a value no shape allows (a `=` and "ode" in one string)
        if len(self._shapes) >= MAX_SHAPES:
            self._shapes.pop()
        self._shapes.insert(0, match)
        self.learnt += 1

    def pattern(self, obj: dict[str, Any], colon: bytes, comma: bytes) -> bytes | None:
        """The shape of a decoded record triage calls calm (None: it makes none)."""
        if any(key in obj for key in _BATCH_KEYS):
            return None
        return self._object(obj, colon, comma, 0)

    def _object(self, obj: dict[str, Any], colon: bytes, comma: bytes, depth: int) -> bytes | None:
        if depth > MAX_DEPTH or len(obj) > MAX_KEYS:
            return None
        members: list[bytes] = []
        for key, value in obj.items():
            if _KEY.fullmatch(key) is None or '"' in key or "\\" in key:
                return None
            kind = self._kind_of(key)
            if kind == K_SIGNAL:
                return None
            cls = value.__class__
            if cls is dict:
                inner = self._object(value, colon, comma, depth + 1)
                if inner is None:
                    return None
                spelled = inner
            elif cls is str:
                if kind == K_LEVEL:
                    if not is_calm_level(value) or _KEY.fullmatch(value) is None:
                        return None
                    if '"' in value or "\\" in value:
                        return None
                    spelled = b'"' + re.escape(value.encode()) + b'"'
                elif kind == K_MESSAGE:
                    spelled = _MESSAGE
                elif kind == K_OTHER:
                    spelled = _STRING
                elif _STATUS_TEXT.fullmatch(value) is not None:  # "200", Go's "200 OK"
                    spelled = _STATUS_WORDS if len(value) > 3 else _STATUS_DIGITS
                else:
                    return None
            elif cls is int or cls is float:
                if kind == K_STATUS:
                    if cls is not int or not 100 <= value <= 399:
                        return None
                    spelled = _STATUS
                else:
                    spelled = _NUMBER
            elif value is None:
                spelled = b"null"
            elif value is True:
                spelled = b"true"
            elif value is False and key != "success":
                spelled = b"false"
            else:  # a list, or `success: false`
                return None
            members.append(b'"' + re.escape(key.encode()) + b'"' + colon + spelled)
        blank = b"[ \\t]*" if len(colon) > 2 else b""
        return b"\\{" + blank + comma.join(members) + blank + b"\\}"


def _separators(raw: bytes, obj: dict[str, Any]) -> tuple[bytes, bytes]:
    """The record's colon and comma: as orjson or Python's json write them, else any blanks
    around them (a slower pattern)."""
    if orjson.dumps(obj) == raw:
        return _COMPACT
    if json.dumps(obj).encode() == raw:
        return _SPACED
    return _BLANKS
