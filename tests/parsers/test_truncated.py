"""A JSON record cut off part-way: damaged (undecodable) when nothing is found in it."""

from __future__ import annotations

import pytest
from vendor_errors import catalog
from vendor_errors.parsers.decoding.raw import truncated_json
from vendor_errors.parsers.extract import Extractor


@pytest.mark.parametrize(
    ("value", "truncated"),
    [
        (b'{"level":"error","code":13', True),
        (b'  {"a": [1, 2', True),
        (b'[{"a": 1}, {"b"', True),
        ('{"a": "cut', True),
        (b'{"a": 1}', False),
        (b'{"a": 1}\r\n', False),
        (b"[1, 2]", False),
        (b"plain text line {not json", False),
        (b"", False),
    ],
)
def test_truncated_json(value: bytes | str, truncated: bool) -> None:
    assert truncated_json(value) is truncated


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor(catalog.load())


@pytest.mark.parametrize(
    "value",
    [
        b'{"level":"info","msg":"cut',  # no prefilter match: the quick path
        b'{"level":"error","logger":"notify.sms","response":{"code":13',  # a code member
        '{"level":"info","msg":"cut',  # text input
    ],
)
def test_cut_off_json_with_nothing_in_it_is_undecodable(
    extractor: Extractor, value: bytes | str
) -> None:
    result = extractor.extract(value, {})
    assert (result.outcome, result.reason) == ("undecodable", "truncated json")


def test_what_a_cut_off_record_shows_is_still_reported(extractor: Extractor) -> None:
    value = b'{"level":"error","url":"https://sms.8x8.com/api/v1/x","status":503,"msg":"cut'
    result = extractor.extract(value, {})
    assert result.outcome == "error_found"
    assert [f.event["code"] for f in result.findings] == ["http_503"]


def test_whole_records_are_not_damaged(extractor: Extractor) -> None:
    assert extractor.extract(b'{"level":"info"}', {}).outcome == "no_error"
    assert extractor.extract(b"GET /healthz 200", {}).outcome == "no_error"
