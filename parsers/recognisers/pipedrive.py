"""Pipedrive messaging app extension.

The app's manifest endpoints answer `{"success": false, "data": {"message": ..., "code":
"RATE_LIMIT_EXCEEDED", "retry_by": ...}}`; Pipedrive's own REST API answers `{"success": false,
"error": ..., "errorCode": 401}` where the number is the HTTP status.
"""

from __future__ import annotations

from vendor_errors.parsers.decoding.candidates import Candidate
from vendor_errors.parsers.recognisers.base import (
    Reading,
    code_of,
    is_false,
    message_for,
    status_of,
)


def shape(candidate: Candidate) -> bool:
    if candidate.parent_key != "data":
        # The REST API's failure: success false, `error` and Pipedrive's `error_info`.
        body = candidate.body
        return "errorinfo" in body and is_false(body.get("success"))
    if not is_false((candidate.parent or {}).get("success")):
        return False
    code = code_of(candidate.body)
    return code is not None and not code.isdigit()


def read(candidate: Candidate) -> Reading:
    body, parent = candidate.body, candidate.parent or {}
    code = code_of(body)
    status = status_of(body) or status_of(parent)
    if code is not None and code.isdigit() and len(code) == 3 and 400 <= int(code) <= 599:
        # REST API errors put the HTTP status in errorCode: that is no vendor code.
        status = status or int(code)
        code = f"http_{code}"
    return Reading(
        code=code,
        message=message_for(candidate, ("message", "error", "errorinfo", "description")),
        http_status=status,
        error_hint=is_false(parent.get("success")) or is_false(body.get("success")),
    )
