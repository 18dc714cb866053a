"""Webex Connect (formerly IMIconnect) channel status codes.

Synchronous API answers `{"code": "7001", "description": "Authentication failed"}` (possibly
under `response`, possibly an array); delivery reports (outbound webhooks) nest
`deliveryInfo: {"code", "Description", "deliveryChannel", "deliveryStatus", "timeStamp"}` next to
`transid`. Codes are per channel, so the channel is read from the body or the record (its
spellings, and the voice logbook's codes, are catalog data: catalog/data/webex.yaml).
"""

from __future__ import annotations

from vendor_errors.parsers.decoding.candidates import Candidate
from vendor_errors.parsers.recognisers.base import (
    Reading,
    code_of,
    generic_error_hint,
    message_of,
    text,
)

_FAILED = frozenset({"failed", "un-delivered", "undelivered", "rejected", "expired", "error"})


def shape(candidate: Candidate) -> bool:
    body = candidate.body
    if (
        "deliverychannel" in body
        or "deliverystatus" in body
        or candidate.parent_key == "deliveryinfo"
    ):
        return True
    if "description" not in body or "message" in body:
        return False
    code = code_of(body)
    return code is not None and code.isdigit() and len(code) >= 4


def read(candidate: Candidate) -> Reading:
    body = candidate.body
    status = text(body.get("deliverystatus"))
    transid = text(body.get("transid"))
    if transid is None:
        transid = text((candidate.parent or {}).get("transid"))
    return Reading(
        code=code_of(body),
        message=message_of(body, ("description", "message", "additionalinfo", "detail")),
        channel=candidate.channel,
        correlation_id=transid,
        error_hint=(status is not None and status.lower() in _FAILED)
        or generic_error_hint(candidate),
    )
