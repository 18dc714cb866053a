"""What every vendor recogniser works on: a candidate error body, and what it reads from it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from vendor_errors.parsers.decoding.fields import FOLDED, as_channel, as_code, as_status, fold


class Candidate:
    """An object in a record that carries an error code member: possibly a vendor error body."""

    __slots__ = ("_folded_parent", "_parent", "body", "group", "origin", "parent_key")

    def __init__(
        self,
        body: dict[str, Any],
        parent: dict[str, Any] | None,
        parent_key: str,
        group: int,
        origin: str,
    ) -> None:
        self.body = body  # keys folded (see parsers.fields.fold), values as decoded
        self._parent = parent  # the enclosing object as decoded
        self._folded_parent: dict[str, Any] | None = None
        self.parent_key = parent_key  # folded key the body sits under ("data", "errors", "")
        self.group = group  # bodies from one array share a group (duplicates there are real)
        self.origin = origin  # "json", "embedded", "logfmt", "prose"

    @property
    def parent(self) -> dict[str, Any] | None:
        """The enclosing object with folded keys (folded when a recogniser first asks)."""
        if self._folded_parent is None and self._parent is not None:
            self._folded_parent = fold_keys(self._parent)
        return self._folded_parent


@dataclass(slots=True)
class Reading:
    """An error as a recogniser reads it from a body, before the catalog is consulted."""

    code: str | None
    message: str | None = None
    http_status: int | None = None
    channel: str | None = None
    correlation_id: str | None = None
    # The body itself says this is a failure (errorId, success:false, a "Failed" delivery
    # status, an errorCode member): enough to report a code the catalog does not know.
    error_hint: bool = False


class Recogniser(Protocol):
    VENDOR: str
    HOST_SUFFIXES: tuple[str, ...]
    KEYWORDS: tuple[str, ...]

    def shape(self, candidate: Candidate) -> bool:
        """True when the body has this vendor's distinctive error shape."""
        ...

    def read(self, candidate: Candidate) -> Reading:
        """The error, assuming the body is this vendor's (attribution already decided)."""
        ...


def fold_keys(obj: dict[str, Any]) -> dict[str, Any]:
    """The object with folded keys (first spelling wins): recognisers match on these."""
    folded: dict[str, Any] = {}
    cached = FOLDED.get
    for key, value in obj.items():
        name = cached(key)  # most keys: folded before (fold() caches them)
        if name is None:
            if key.__class__ is not str:
                continue
            name = fold(key)
        if name not in folded:
            folded[name] = value
    return folded


CODE_KEYS = ("errorcode", "code", "errcode")
MESSAGE_KEYS = (
    "message",
    "description",
    "detail",
    "errormessage",
    "errordescription",
    "title",
    "msg",
    "reason",
    "error",
)
_ERROR_PARENTS = frozenset({"error", "errors", "fault", "failure", "failures", "exception"})


def text(value: Any, limit: int = 1000) -> str | None:
    if value.__class__ is str:
        value = value.strip()
        return value[:limit] if value else None
    return None


def code_of(body: dict[str, Any]) -> str | None:
    for key in CODE_KEYS:
        if key in body:
            return as_code(body[key])
    return None


def message_of(body: dict[str, Any], keys: tuple[str, ...] = MESSAGE_KEYS) -> str | None:
    for key in keys:
        value = body.get(key)
        if value.__class__ is str:  # text(), inlined: bodies are read on the hot path
            value = value.strip()
            if value:
                return value[:1000]
    return None


_STATUS_KEYS = ("status", "statuscode", "httpstatus", "httpstatuscode")


def status_of(body: dict[str, Any]) -> int | None:
    for key in _STATUS_KEYS:
        value = body.get(key)
        if value is not None:
            status = as_status(value)
            if status is not None:
                return status
    return None


_CHANNEL_KEYS = ("deliverychannel", "channel", "channeltype", "channelname")


def channel_of(candidate: Candidate) -> str | None:
    """The channel named by the body, else by the object around it."""
    body = candidate.body
    for key in _CHANNEL_KEYS:
        if key in body:
            channel = as_channel(body[key])
            if channel is not None:
                return channel
    parent = candidate.parent
    if parent:
        for key in _CHANNEL_KEYS:
            if key in parent:
                channel = as_channel(parent[key])
                if channel is not None:
                    return channel
    return None


def is_false(value: Any) -> bool:
    return value is False or (value.__class__ is str and value.strip().lower() == "false")


def generic_error_hint(candidate: Candidate) -> bool:
    """Signs, common to all vendors, that a body reports a failure."""
    body = candidate.body
    if "errorcode" in body or candidate.parent_key in _ERROR_PARENTS:
        return True
    status = status_of(body)
    if status is not None and status >= 400:
        return True
    if is_false(body.get("success")):
        return True
    parent = candidate.parent
    return parent is not None and is_false(parent.get("success"))


def generic_read(candidate: Candidate) -> Reading:
    body = candidate.body
    return Reading(
        code=code_of(body),
        message=message_of(body),
        http_status=status_of(body),
        channel=None,
        error_hint=generic_error_hint(candidate),
    )
