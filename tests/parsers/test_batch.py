"""`extract_many` gives, record for record, what `Extractor.extract` gives each record alone."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vendor_errors import catalog
from vendor_errors.parsers.extract import Extractor
from vendor_errors.parsers.result import Result

from tests.parsers.test_corpus import CASES

RECORDS = [case["record"].encode("utf-8") for case in CASES]
ODD = [
    b"",
    b"\x00\x01\x02\xff" * 20,  # binary
    b'{"level":"info","msg":"cut',  # truncated, nothing in it
    b'{"level":"error","logger":"notify.sms","response":{"code":13',  # truncated, code member
    '{"level":"info","msg":"caf\u00e9 ferm\u00e9"}'.encode(),  # valid UTF-8, not ASCII
    b'{"level":"error","msg":"\xff\xfe bad bytes"}',
    b'{\n  "code": 1002,\n  "message": "Invalid MSISDN",\n  "errorId": "e1"\n}',  # lines
    b"GET /healthz 200",
    b"  [1, 2",
    b'{"level":"info"} ',
    b"x" * 5000,  # over the small extractor's limit
]


def _source(index: int) -> dict[str, Any]:
    return {"topic": "t", "partition": 0, "offset": index}


def _view(result: Result) -> tuple[Any, ...]:
    # Records without a time of their own are stamped "now": not comparable between calls.
    events = [{k: v for k, v in f.event.items() if k != "timestamp"} for f in result.findings]
    return result.outcome, result.reason, events


def _one_by_one(extractor: Extractor, values: list[bytes]) -> list[tuple[Any, ...]]:
    return [_view(extractor.extract(value, _source(i))) for i, value in enumerate(values)]


def _many(extractor: Extractor, values: list[bytes]) -> list[tuple[Any, ...]]:
    quiet, noted = extractor.extract_many(values, _source)
    views = [("no_error", None, [])] * len(values)
    for index, result in noted:
        views[index] = _view(result)
    assert [index for index, _ in noted] == sorted({index for index, _ in noted})
    assert quiet == len(values) - len(noted)
    return views


def test_the_corpus_and_odd_records_in_one_batch(extractor: Extractor) -> None:
    values = RECORDS + ODD
    assert _many(extractor, values) == _one_by_one(extractor, values)


def test_cut_off_records_are_found_among_plain_ones(extractor: Extractor) -> None:
    # No empty record: the cut-off records are found from the batch's first and last bytes.
    values = [value for value in RECORDS + ODD if value]
    views = _many(extractor, values)
    assert views == _one_by_one(extractor, values)
    assert ("undecodable", "truncated json", []) in views


def test_records_over_the_size_limit() -> None:
    small = Extractor(catalog.load(), max_record_bytes=1024)
    values = RECORDS[:20] + ODD
    views = _many(small, values)
    assert views == _one_by_one(small, values)
    assert ("undecodable", "record too large", []) in views


def test_a_plain_json_batch_is_screened_in_bulk(extractor: Extractor) -> None:
    quiet, noted = extractor.extract_many(
        [b'{"level":"info","n":%d}' % n for n in range(500)], _source
    )
    assert (quiet, noted) == (500, [])


def test_empty_batch(extractor: Extractor) -> None:
    assert extractor.extract_many([], _source) == (0, [])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(RECORDS + ODD) | st.binary(max_size=120), max_size=30))
def test_any_mix_of_records(extractor: Extractor, values: list[bytes]) -> None:
    assert _many(extractor, values) == _one_by_one(extractor, values)
