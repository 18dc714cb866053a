"""8x8 SMS API and Chat Apps API.

Every response with HTTP status 400 or above has `code` (integer), `message`, `errorId` (UUID,
the reference for 8x8 support) and `timestamp`.
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


def shape(candidate: Candidate) -> bool:
    body = candidate.body
    return "errorid" in body and "code" in body


def read(candidate: Candidate) -> Reading:
    body = candidate.body
    return Reading(
        code=code_of(body),
        message=message_of(body, ("message", "description", "errormessage", "detail")),
        correlation_id=text(body.get("errorid")),
        error_hint="errorid" in body or generic_error_hint(candidate),
    )
