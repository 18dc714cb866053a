"""Webex Connect (formerly IMIconnect) channel status codes.

Synchronous API answers `{"code": "7001", "description": "Authentication failed"}` (possibly
under `response`, possibly an array); delivery reports (outbound webhooks) nest
`deliveryInfo: {"code", "Description", "deliveryChannel", "deliveryStatus", "timeStamp"}` next to
`transid`; the Transaction Status API answers `status: failed` + `error_code` +
`error_message`; and applications store a status as `status`/`statusCode` +
`description`/`statusDescription` with a `channel`. Codes are per channel, so the channel is read
from the body or the record (its spellings, and the voice logbook's codes, are catalog data:
catalog/data/webex.yaml); an API answer with no channel is read in the API table.
"""

from __future__ import annotations

from vendor_errors.parsers.decoding.candidates import Candidate
from vendor_errors.parsers.recognisers.base import (
    Reading,
    code_of,
    generic_error_hint,
    message_for,
    text,
)

_FAILED = frozenset({"failed", "un-delivered", "undelivered", "rejected", "expired", "error"})
_WORDING = ("description", "statusdescription", "errormessage", "message", "additionalinfo")
_REPORT_KEYS = ("deliverychannel", "deliverystatus")
API_TABLE = "api"  # catalog/data/webex.yaml: the synchronous answers' codes (1000 Success, ...)


def shape(candidate: Candidate) -> bool:
    body = candidate.body
    if _is_report(candidate):
        return True
    code = code_of(body)
    if code is None or not code.isdigit() or len(code) < 4:
        return False
    if "code" not in body and "errorcode" not in body:
        # Its code is its `status`: a stored status, worded by `description`.
        return "description" in body or "statusdescription" in body
    if "errorcode" in body and _failed(body.get("status")):
        return True  # Transaction Status: status failed + error_code
    return "description" in body and "message" not in body


def read(candidate: Candidate) -> Reading:
    body = candidate.body
    transid = text(body.get("transid"))
    if transid is None:
        transid = text((candidate.parent or {}).get("transid"))
    report = _is_report(candidate)
    return Reading(
        code=code_of(body),
        message=message_for(candidate, _WORDING),
        channel=candidate.channel,
        correlation_id=transid,
        error_hint=_failed(body.get("deliverystatus"))
        or _failed(body.get("status"))
        or generic_error_hint(candidate),
        table=None if report else API_TABLE,
    )


def _is_report(candidate: Candidate) -> bool:
    body = candidate.body
    return candidate.parent_key == "deliveryinfo" or any(key in body for key in _REPORT_KEYS)


def _failed(value: object) -> bool:
    status = text(value)
    return status is not None and status.lower() in _FAILED
