"""What the catalog makes of an error read from a record: the event's classification fields.

`judge` is a pure function of a few small values (vendor, code, status, channel, message, two
signs of failure) and of the catalog; parsers.fast.verdicts memoises it.
"""

from __future__ import annotations

from typing import NamedTuple

from vendor_errors.catalog import Catalog
from vendor_errors.parsers.decoding.values import is_success_code


class Verdict(NamedTuple):
    """The event's classification of one error."""

    code: str
    channel: str | None
    http_status: int | None
    message: str  # the record's message, else the catalog's
    category: str
    severity: str
    transient: bool
    known: bool
    wording: str  # the catalog's message: the event's `message` when the record gives none


def judge(
    catalog: Catalog,
    include_status: bool,
    vendor: str,
    code: str | None,
    status: int | None,
    channel: str | None,
    message: str | None,
    error_hint: bool,
    error_level: bool,
) -> Verdict | None:
    """The classification of an error, or None when it is not one to report.

    `status` is the HTTP status of the body or else of the record; `channel` the channel whose
    table holds the code (parsers.recognisers.registry.Registry.channel: None for vendors whose
    codes are not per channel); `error_hint` the body's own sign of failure, `error_level` the
    record's error level.
    """
    if code is None:
        if status is None or status < 400:
            return None
        code = f"http_{status}"
    elif is_success_code(code):
        return None
    entry = catalog.lookup(vendor, code, channel, status, message)
    if (
        code.isdigit()
        and len(code) == 3
        and 400 <= int(code) <= 599
        and (not entry.known or entry.http_status == int(code))
    ):
        # A vendor echoing the HTTP status as its code (8x8's `{"code": 429}`, catalogued
        # with that status; OkHttp's `Response{code=429}`): report the status.
        status = status or int(code)
        code = f"http_{code}"
        entry = catalog.lookup(vendor, code, channel, status, message)
    if not entry.known:
        failed = status is not None and status >= 400
        if not (error_hint or failed or error_level):
            return None  # an unknown code with no sign of failure is not evidence
    if not entry.is_error and not include_status:
        return None
    return Verdict(
        entry.code if entry.known else code,
        channel,
        status,
        message or entry.message,
        entry.category,
        entry.severity,
        entry.transient,
        entry.known,
        entry.message,
    )
