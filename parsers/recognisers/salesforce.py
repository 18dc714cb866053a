"""Salesforce Interaction API (Bring Your Own Channel).

Errors come as `{"code"|"errorCode": ..., "message": ...}` objects, alone, in arrays
(`[{"errorCode": ..., "message": ...}]`, the Salesforce REST convention), with
`"success": false`, or as `errorDetail`; the Route API answers `errors: {errorMessage,
errorType, apiErrorCode}`; the messaging-session API answers `success: false` with an
`errorReason` (`CONVERSATION_PRECONDITION_FAILED`). Interaction API codes are five digits
(1xxxx client, 2xxxx service) plus `500`; REST codes and error reasons are upper-snake words.
"""

from __future__ import annotations

import re

from vendor_errors.parsers.decoding.candidates import Candidate
from vendor_errors.parsers.recognisers.base import (
    Reading,
    code_of,
    generic_read,
    is_false,
    text,
)

_SALESFORCE_CODE = re.compile(r"^(?:[12]\d{4}|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)$")


def shape(candidate: Candidate) -> bool:
    body = candidate.body
    if "apierrorcode" in body:
        return True  # the Route API's RoutingError
    if "errorreason" in body and is_false(body.get("success")):
        return _salesforce_code(text(body.get("errorreason")))
    if "errorcode" not in body or "message" not in body:
        return False
    return _salesforce_code(code_of(body))


def read(candidate: Candidate) -> Reading:
    reading = generic_read(candidate)
    body = candidate.body
    if reading.code is None:
        reading.code = text(body.get("errorreason"), 64)
        reading.error_hint = reading.error_hint or reading.code is not None
    parent = candidate.parent or {}
    reading.correlation_id = text(parent.get("requestid")) or text(body.get("requestid"))
    return reading


def _salesforce_code(code: str | None) -> bool:
    return code is not None and _SALESFORCE_CODE.match(code) is not None
