"""A second cheap look, at a decoded JSON record, before the full analysis.

`Triage.json` is the JSON stage of the general path (parsers.stages), with the same signature,
for the records the prefilter let through because a vendor is named somewhere, no code member
being spelled. Without an error body (a code member, a body embedded in a message or a field),
the only vendor error a record can show is a failed call (`http_<status>`): then it needs a
status of 400 or more, or a warning/error level. A record of a successful vendor call
(`"url": "https://sms.8x8.com/...", "status": 200, "level": "info"`) stops here, for about the
cost of reading its keys. Triage may say yes wrongly (the full analysis then finds nothing),
never no wrongly but for one blind spot, kept on purpose: an info-level record with no status
field, whose only evidence of failure is a status written in its prose ("... returned 503"),
is not analysed (tests/parsers/test_fast_layers.py runs records through both and pins it).
"""

from __future__ import annotations

from typing import Any

from vendor_errors.parsers.decoding.fields import (
    R_CODE,
    R_ERROR_ID,
    R_LEVEL,
    R_MESSAGE,
    R_STATUS,
    R_VENDOR_HEADER,
    Roles,
)
from vendor_errors.parsers.decoding.values import ERROR_LEVELS, as_status, is_status_code
from vendor_errors.parsers.fast.memo import Memo
from vendor_errors.parsers.result import Origin, Result
from vendor_errors.parsers.stages import JsonStage

MEMO_LIMIT = 4096  # keys as written; as parsers/decoding/fields.py's memo of them
_FAILED_LEVELS = ERROR_LEVELS | {"warn", "warning", "wrn"}
# Levels that say "fine". Only these make a record calm: a level field holding anything else (a
# time, a logger's name, a level word we do not know) says nothing, and the record is looked at.
_CALM_LEVELS = frozenset(
    {"trace", "trc", "verbose", "vrb", "debug", "dbg", "info", "inf", "information"}
    | {"informational", "notice", "fine", "finer", "finest", "config"}
)

# What a key tells triage (plain ints for speed, like the roles).
K_OTHER = 0
K_SIGNAL = 1  # the key alone is enough: code members, errorId, vendor-only headers
K_MESSAGE = 2
K_STATUS = 3
K_LEVEL = 4

_BY_ROLE = {
    R_CODE: K_SIGNAL,
    R_ERROR_ID: K_SIGNAL,
    R_VENDOR_HEADER: K_SIGNAL,
    R_MESSAGE: K_MESSAGE,
    R_STATUS: K_STATUS,
    R_LEVEL: K_LEVEL,
}


# What the walk has seen so far, as bits of an int (no object to allocate per record).
_FAILED = 1  # a status >= 400 or a warning/error level
_CALM = 2  # a status < 400 or an info/debug level: the record says "fine"
_SIGNAL = 4  # enough to look: the walk stops


def is_calm_level(word: str) -> bool:
    """A level word that makes a record calm (info, debug, ...), in any case."""
    return word.lower() in _CALM_LEVELS


def _has_body(value: str) -> bool:
    # An embedded body or key=value code needs a code member.
    return ("{" in value or "=" in value) and ("ode" in value or "ODE" in value)


class Triage:
    """The JSON stage of records that name a vendor and spell no code member."""

    __slots__ = ("_inner", "_kinds", "_memo", "_role_of")

    def __init__(self, inner: JsonStage, roles: Roles) -> None:
        self._inner = inner
        self._role_of = roles.role_of
        self._memo: Memo[str, int] = Memo(MEMO_LIMIT)
        self._kinds = self._memo.data  # key as written -> K_*

    def json(self, obj: Any, source: Origin) -> Result:
        if self.needs_look(obj):
            return self._inner(obj, source)
        return Result("no_error")

    def needs_look(self, obj: Any) -> bool:
        """Could this decoded JSON record hold a vendor error?"""
        if obj.__class__ is not dict:
            return obj.__class__ is list and bool(obj)
        if "resourceLogs" in obj or "logEvents" in obj or "streams" in obj:
            return True  # a batch of records (parsers/decoding/wrappers.py): each has its own
        seen = self._object(obj, 0, 0)
        return seen != _CALM  # a signal, a failure, or nothing that says "fine"

    def kind_of(self, key: str) -> int:
        """What the walk reads `key` as (a K_* value), at any depth."""
        kind = self._kinds.get(key)
        return self._kind(key) if kind is None else kind

    def _kind(self, key: str) -> int:
        return self._memo.put(key, _BY_ROLE.get(self._role_of(key), K_OTHER))

    def _object(self, obj: dict[str, Any], seen: int, depth: int) -> int:
        """`seen` with what `obj` adds to it; with _SIGNAL as soon as it is found."""
        kinds = self._kinds
        for key, value in obj.items():
            kind = kinds.get(key)
            cls = value.__class__
            if kind == K_OTHER and cls is str:  # most fields: `_has_body`, inlined
                if (
                    len(value) > 8
                    and ("{" in value or "=" in value)
                    and ("ode" in value or "ODE" in value)
                ):
                    return _SIGNAL
                continue
            if kind is None:
                if key.__class__ is not str:
                    continue
                kind = self._kind(key)
            if kind == K_SIGNAL:
                return _SIGNAL
            if cls is str:
                if kind == K_OTHER:  # a key seen for the first time
                    if len(value) > 8 and _has_body(value):
                        return _SIGNAL
                elif kind == K_MESSAGE:
                    # A body or key=value code in it needs a code member; so does "error code
                    # 1300"; an SMPP receipt has its `err:`.
                    if "ode" in value or "ODE" in value or " err:" in value:
                        return _SIGNAL
                elif kind == K_LEVEL:
                    level = value.lower()
                    if level in _FAILED_LEVELS:
                        seen |= _FAILED
                    elif level in _CALM_LEVELS:
                        seen |= _CALM
                elif kind == K_STATUS:
                    status = as_status(value)
                    if status is not None:
                        seen |= _CALM | _FAILED if status >= 400 else _CALM
                    elif is_status_code(value):
                        return _SIGNAL  # a vendor's status code (Webex's "7102")
            elif cls is int:
                if kind == K_STATUS:
                    if 100 <= value <= 599:
                        seen |= _CALM | _FAILED if value >= 400 else _CALM
                    elif is_status_code(value):
                        return _SIGNAL
            elif value is False:
                if key == "success":
                    return _SIGNAL  # `success: false`: a failure in words, even without a code
            elif cls is dict:
                if depth < 12:
                    seen = self._object(value, seen, depth + 1)
                    if seen & _SIGNAL:
                        return _SIGNAL
            elif cls is list and depth < 12:
                for item in value[:100]:
                    if item.__class__ is dict:
                        seen = self._object(item, seen, depth + 1)
                        if seen & _SIGNAL:
                            return _SIGNAL
                    elif item.__class__ is str and len(item) > 8 and _has_body(item):
                        return _SIGNAL
        return seen
