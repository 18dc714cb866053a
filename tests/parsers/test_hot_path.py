"""Shortcuts of the hot path give what the plain code gives: event times, prefiltered lines,
bodies embedded side by side."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import orjson
import pytest
from vendor_errors import catalog
from vendor_errors.parsers.decoding.times import record_time
from vendor_errors.parsers.extract import Extractor
from vendor_errors.parsers.fast.prefilter import Needles


def test_two_embedded_bodies_in_one_record_are_both_read(extractor: Extractor) -> None:
    # Each JSON string is parsed and freed in turn: the second body must not be taken for the
    # first (a cache by object id once did that).
    record = orjson.dumps(
        {
            "level": "error",
            "url": "https://sms.8x8.com/api/v1/messages",
            "first_body": json.dumps({"code": 1002, "message": "Invalid MSISDN", "errorId": "a"}),
            "second_body": json.dumps({"code": 1300, "message": "Not found", "errorId": "b"}),
        }
    )
    result = extractor.extract(record, {"file": "t", "line": 1})
    found = sorted((f.event["code"], f.event["correlation_id"]) for f in result.findings)
    assert found == [("1002", "a"), ("1300", "b")]


@pytest.mark.parametrize(
    "value",
    [
        "2024-05-01T12:00:00.123Z",
        "2024-05-01T23:59:59.999Z",
        "1999-12-31T23:59:59.999Z",  # before the plausible range
        "2000-01-01T00:00:00.000Z",
        "2099-12-31T23:59:59.999Z",
        "2100-01-01T00:00:00.000Z",  # after it
        "2024-02-29T12:00:00.000Z",
        "2023-02-29T12:00:00.000Z",  # no such day
        "2024-05-01T24:00:00.000Z",
        "2024-05-01T12:60:00.000Z",
        "2024-05-01T12:00:60.000Z",
        "2024-05-01T12:00:0x.000Z",
        "2024-05-01T12:00:00.1x3Z",
        "2024-05-01T12:00:00.\u0663\u0663\u0663Z",  # non-ASCII digits
    ],
)
def test_event_time_shortcut_agrees_with_a_full_parse(value: str) -> None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        expected = None
    else:
        seconds = moment.timestamp()
        if 946_684_800 <= seconds < 4_102_444_800:
            delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
            nanos = (delta.days * 86_400 + delta.seconds) * 10**9 + delta.microseconds * 1000
            expected = (value, nanos)
        else:
            expected = None
    assert record_time(value) == expected
    assert record_time(value) == expected  # again, from the cache of minutes


def test_the_lines_chosen_in_a_block_are_the_lines_holding_a_needle() -> None:
    needles = Needles(catalog.load().vendors)
    lines = [
        b'{"msg": "nothing here"}',
        b'{"vendor": "8x8", "code": 1, "errorCode": 2, "x": "webex"}',
        b"",
        b'{"msg": "still nothing"}',
        b'{"url": "https://api.us.webexconnect.io/"}',
        b'{"last": "salesforce"}',
    ]
    block = b"\n".join(lines)
    expected = [
        index
        for index, line in enumerate(lines)
        if any(needle.encode() in line for needle in needles.needles)
    ]
    assert expected == [1, 4, 5]
    assert needles.kinds(block)[0] == expected
