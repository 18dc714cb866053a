"""Microsoft Dynamics 365 Customer Service / Contact Center messaging APIs.

Errors are RFC 7807 / RFC 9457 problem details (`type`, `title`, `status`, `detail`) with an
error code member (`errorCode`, 30001-30016 in the seed document); every failed response has an
`x-ms-correlation-id` header.
"""

from __future__ import annotations

from vendor_errors.parsers.decoding.candidates import Candidate
from vendor_errors.parsers.recognisers.base import (
    Reading,
    code_of,
    generic_error_hint,
    message_of,
    status_of,
    text,
)

_PROBLEM_MEMBERS = ("type", "title", "status", "detail", "instance")


def shape(candidate: Candidate) -> bool:
    body = candidate.body
    if "title" not in body and "detail" not in body:  # the cheap test first
        return False
    members = sum(1 for key in _PROBLEM_MEMBERS if key in body)
    return members >= 2 and code_of(body) is not None


def read(candidate: Candidate) -> Reading:
    body = candidate.body
    status = status_of(body)
    return Reading(
        code=code_of(body),
        # A problem's `detail` explains this occurrence; `title` only names the problem type.
        message=message_of(body, ("detail", "message", "title", "description")),
        http_status=status,
        correlation_id=text(body.get("xmscorrelationid")) or text(body.get("correlationid")),
        error_hint="title" in body or generic_error_hint(candidate),
    )
