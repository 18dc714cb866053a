"""What every vendor recogniser reads from a candidate error body, and the readers they share.

A recogniser module (one per vendor, named by its catalog data's `recognition.recogniser`) has
two functions of a `Candidate` (parsers.decoding.candidates, keys folded):

- `shape(candidate) -> bool`: the body has this vendor's distinctive error shape (one level of
  attribution, parsers/attribution.py);
- `read(candidate) -> Reading`: the error, once attribution says the body is this vendor's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from vendor_errors.parsers.decoding.candidates import Candidate
from vendor_errors.parsers.decoding.values import as_code, as_status, is_status_code


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
    # The catalog table to read the code in when neither the body nor the record names a
    # channel (Webex's synchronous API answers: `api`); the event's channel stays null.
    table: str | None = None


CODE_KEYS = ("errorcode", "code", "errcode", "apierrorcode")
# A `status` that is a vendor's code (4-6 digits, no HTTP status): Webex's receipts as apps
# store them, `{"status": "7102", "description": "Invalid address"}`.
STATUS_CODE_KEYS = ("statuscode", "status")
MESSAGE_KEYS = (
    "message",
    "description",
    "statusdescription",
    "detail",
    "errormessage",
    "errordescription",
    "title",
    "msg",
    "reason",
    "error",
)
_ERROR_PARENTS = frozenset({"error", "errors", "fault", "failure", "failures", "exception"})


MAX_MESSAGE_CHARS = 1000
_LAST_BLANK = re.compile(r"\s(?=\S*$)")


def clip(value: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """`value` cut to at most `limit` characters, at a blank when the cut would split a word.

    Vendor messages quote recipients, and redaction (processor.privacy) comes later: a phone
    number or address split by the cut would leave a fragment no rule recognises. So the word
    the cut falls in is left out whole; a text with no blank before the limit is cut there.
    """
    if len(value) <= limit:
        return value
    if value[limit].isspace():
        return value[:limit]
    head = value[:limit]
    found = _LAST_BLANK.search(head)
    return head[: found.start()] if found is not None else head


def text(value: Any, limit: int = MAX_MESSAGE_CHARS) -> str | None:
    if type(value) is str:
        value = value.strip()
        return clip(value, limit) if value else None
    return None


def code_of(body: dict[str, Any]) -> str | None:
    for key in CODE_KEYS:
        if key in body:
            return as_code(body[key])
    for key in STATUS_CODE_KEYS:
        value = body.get(key)
        if value is not None and is_status_code(value):
            return as_code(value)
    return None


# The key of a record's own log line, first present of these: a log record (with a level)
# whose top level is the body has `msg` or `message` for its line, not for the vendor's wording;
# in key=value pairs, `msg`.
_LOG_LINE_KEYS = ("msg", "message", "m", "log")


def message_for(candidate: Candidate, keys: tuple[str, ...] = MESSAGE_KEYS) -> str | None:
    """The vendor's wording in the body: `message_of`, without the record's own log line when
    the body is the record."""
    body = candidate.body
    if not candidate.record_level:
        return message_of(body, keys)
    if candidate.origin == "logfmt":  # `msg=` is the line, a `message=` may be the vendor's
        line: str | None = "msg"
    else:
        line = next((key for key in _LOG_LINE_KEYS if key in body), None)
    return message_of(body, tuple(key for key in keys if key != line))


def message_of(body: dict[str, Any], keys: tuple[str, ...] = MESSAGE_KEYS) -> str | None:
    for key in keys:
        value = body.get(key)
        if value.__class__ is str:  # text(), inlined: bodies are read on the hot path
            value = value.strip()
            if value:
                return value if len(value) <= MAX_MESSAGE_CHARS else clip(value)
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
        message=message_for(candidate),
        http_status=status_of(body),
        channel=None,
        error_hint=generic_error_hint(candidate),
    )
