"""Salesforce Interaction API (Bring Your Own Channel).

Errors come as `{"code"|"errorCode": ..., "message": ...}` objects, alone, in arrays
(`[{"errorCode": ..., "message": ...}]`, the Salesforce REST convention) or with
`"success": false`. Interaction API codes are five digits (1xxxx client, 2xxxx service) plus
`500`; REST codes are upper-snake words (`INVALID_SESSION_ID`).
"""

from __future__ import annotations

import re

from vendor_errors.parsers.decoding.candidates import Candidate
from vendor_errors.parsers.recognisers.base import Reading, code_of, generic_read, text

_SALESFORCE_CODE = re.compile(r"^(?:[12]\d{4}|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)$")


def shape(candidate: Candidate) -> bool:
    body = candidate.body
    if "errorcode" not in body or "message" not in body:
        return False
    code = code_of(body)
    return code is not None and _SALESFORCE_CODE.match(code) is not None


def read(candidate: Candidate) -> Reading:
    reading = generic_read(candidate)
    parent = candidate.parent or {}
    reading.correlation_id = text(parent.get("requestid")) or text(candidate.body.get("requestid"))
    return reading
