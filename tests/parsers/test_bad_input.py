"""Bad input: never crash, never hang, bounded memory; what is not text is "undecodable"."""

from __future__ import annotations

import io
import time
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vendor_errors.parsers.decoding.records import iter_records
from vendor_errors.parsers.extract import Extractor
from vendor_errors.parsers.result import Result

from tests.parsers.test_corpus import CASES

OUTCOMES = {"error_found", "no_error", "undecodable"}
SOURCE = {"file": "fuzz.log", "line": 1}
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(["code", "errorCode", "7302", "1300", "https://sms.8x8.com/x", "webex"]),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.sampled_from(
                [
                    "code",
                    "errorCode",
                    "message",
                    "description",
                    "status",
                    "url",
                    "vendor",
                    "deliveryChannel",
                    "errorId",
                    "success",
                    "data",
                    "ts",
                    "level",
                    "msg",
                    "body",
                ]
            )
            | st.text(max_size=10),
            children,
            max_size=6,
        )
    ),
    max_leaves=30,
)


def _check(result: Result) -> None:
    assert result.outcome in OUTCOMES
    assert (result.reason is not None) == (result.outcome == "undecodable")
    for finding in result.findings:
        orjson.dumps(finding.event)  # always serialisable


@FAST
@given(st.binary(max_size=3000))
def test_any_bytes(extractor: Extractor, raw: bytes) -> None:
    _check(extractor.extract(raw, SOURCE))


@FAST
@given(st.text(max_size=3000))
def test_any_text(extractor: Extractor, raw: str) -> None:
    result = extractor.extract(raw, SOURCE)
    _check(result)
    assert result.outcome != "undecodable" or result.reason in {
        "binary data",
        "record too large",
        "truncated json",
    }


@FAST
@given(json_values)
def test_any_json(extractor: Extractor, value: Any) -> None:
    _check(extractor.extract(orjson.dumps(value), SOURCE))


@FAST
@given(st.sampled_from(CASES), st.data())
def test_truncated_and_corrupted_records(
    extractor: Extractor, case: dict, data: st.DataObject
) -> None:
    raw = case["record"].encode("utf-8")
    cut = data.draw(st.integers(0, len(raw)))
    _check(extractor.extract(raw[:cut], SOURCE))
    position = data.draw(st.integers(0, max(0, len(raw) - 1)))
    junk = data.draw(st.binary(min_size=1, max_size=8))
    _check(extractor.extract(raw[:position] + junk + raw[position:], SOURCE))


@FAST
@given(st.lists(st.sampled_from(CASES), max_size=8), st.binary(max_size=200))
def test_any_stream_groups_into_bounded_records(cases: list, junk: bytes) -> None:
    data = b"\n".join(c["record"].encode() for c in cases) + junk
    total = 0
    for line, record in iter_records(io.BytesIO(data), max_record_bytes=4096):
        assert line >= 1
        assert len(record) <= 4096 + 4096  # the cap plus the line that crossed it
        total += len(record)
    assert total <= len(data)


def test_binary_junk_is_undecodable(extractor: Extractor) -> None:
    junk = bytes(range(256)) * 8
    result = extractor.extract(junk, SOURCE)
    assert result.outcome == "undecodable"
    assert result.reason in {"invalid utf-8", "binary data"}
    utf16 = "level=error code=1300 vendor=8x8".encode("utf-16-le")
    assert extractor.extract(utf16, SOURCE).reason == "binary data"


def test_a_few_bad_bytes_in_a_text_line_are_tolerated(extractor: Extractor) -> None:
    line = (
        b"2024-05-02 09:12:45,118 ERROR [app.vendors.eightbyeight] caf\xe9 send failed status=401 "
        b"body={'code': 1200, 'message': 'Unauthorized Access', 'errorId': 'x', 'timestamp': 'y'}"
    )
    result = extractor.extract(line, SOURCE)
    assert [f.event["code"] for f in result.findings] == ["1200"]


def test_oversized_record_is_undecodable(extractor: Extractor) -> None:
    big = b'{"msg":"' + b"a" * (2 << 20) + b'"}'
    result = extractor.extract(big, SOURCE)
    assert (result.outcome, result.reason) == ("undecodable", "record too large")


def test_ten_megabyte_record_with_a_larger_limit(shipped_catalog: Any) -> None:
    extractor = Extractor(shipped_catalog, max_record_bytes=16 << 20)
    body = b'{"code":1300,"message":"Not found","errorId":"e","timestamp":"t"}'
    record = b"2024-05-02 09:12:45,118 ERROR [x] " + b"{ " * (5 << 20) + body
    started = time.perf_counter()
    _check(extractor.extract(record, SOURCE))
    assert time.perf_counter() - started < 20


PATHOLOGICAL = {
    "quotes": '"' * 200_000,
    "escaped-quotes": '{"' + '\\"' * 200_000,
    "apostrophes": "{'" + "a'" * 100_000,
    "open-braces": "{" * 200_000,
    "open-brackets": "[" * 200_000 + "code",
    "deep-json": '{"code":' * 50_000,
    "nested-arrays": "[" * 5_000 + "]" * 5_000,
    "dotted": "a." * 200_000 + "Exception",
    "logfmt-keys": "code=" * 100_000,
    "logfmt-quotes": 'a="' * 100_000,
    "logfmt-escapes": 'code="' + "\\" * 200_000,
    "urls": "https://8x8.com/" * 20_000,
    "error-code": "error code " * 50_000,
    "status": "HTTP " * 100_000 + "503",
    "spaces": " " * 500_000 + "x",
    "digits": "7" * 500_000,
    "python-literal": "{'code': " * 20_000,
    "grok-ish": "2024-05-01 12:00:00,123 ERROR [" + "a" * 500_000,
    "spring": "2024-05-01 12:00:00.123 ERROR 1 --- [" + "x" * 200_000 + "] " + "c." * 100_000,
    "mixed": ('{"code": "1300", "message": "x", ' * 5_000) + '"errorId": "y"',
}


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_strings_finish_quickly(extractor: Extractor, name: str) -> None:
    text = PATHOLOGICAL[name]
    started = time.perf_counter()
    _check(extractor.extract(text.encode(), SOURCE))
    _check(extractor.extract('{"msg": ' + orjson.dumps(text).decode() + "}", SOURCE))
    # Generous: the point is "no catastrophic backtracking", which takes minutes to hours.
    assert time.perf_counter() - started < 10, name


def test_deeply_nested_json_does_not_recurse_without_bound(extractor: Extractor) -> None:
    deep = b'{"a":' * 100_000 + b'{"code":1300,"errorId":"x"}' + b"}" * 100_000
    _check(extractor.extract(deep, SOURCE))
    deep_list = orjson.dumps(
        [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{"vendor": "8x8", "code": 1300}]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]
    )
    _check(extractor.extract(deep_list, SOURCE))


def test_long_line_without_newline_is_cut_not_buffered() -> None:
    data = b"x" * (8 << 20) + b"\nnext line\n"
    records = list(iter_records(io.BytesIO(data), max_record_bytes=1 << 20))
    assert [len(data) for _, data in records] == [(1 << 20) + 1, 9]
    assert [line for line, _ in records] == [1, 2]


def test_a_parser_bug_costs_one_record_not_the_stream(
    extractor: Extractor, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("bug")

    monkeypatch.setattr("vendor_errors.parsers.decoding.envelope.Reader.from_json", broken)
    result = extractor.extract(CASES[0]["record"], SOURCE)
    assert (result.outcome, result.reason) == ("undecodable", "parser error: KeyError")


@pytest.mark.slow
def test_fuzz_target_runs_clean_for_a_few_thousand_inputs() -> None:
    """A short run of the atheris fuzz target (the long run is `python -m
    tests.parsers.fuzz_extract -max_total_time=...`, see docs/parsing.md)."""
    pytest.importorskip("atheris")
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "tests.parsers.fuzz_extract", "-runs=1000", "-timeout=10"],
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert b"Done 1000 runs" in done.stderr
