"""The parts of the parser one by one: grok, URLs, records, fields, embedded bodies, logfmt,
attribution precedence, the prefilter and the catalog swap."""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import pytest
from vendor_errors import catalog
from vendor_errors.parsers.decoding import embedded, logfmt
from vendor_errors.parsers.decoding.grok import GrokError, Layouts
from vendor_errors.parsers.decoding.records import Batch, iter_batches, iter_records
from vendor_errors.parsers.decoding.times import record_time
from vendor_errors.parsers.decoding.urls import sanitize_url, url_host
from vendor_errors.parsers.decoding.values import as_trace_id, parse_traceparent
from vendor_errors.parsers.extract import LAYERS, Extractor
from vendor_errors.parsers.fast import prefilter

from tests.parsers.test_corpus import CASES

# -- grok ------------------------------------------------------------------------------------


def test_grok_pattern_captures_fields_and_message() -> None:
    layouts = Layouts(
        [("mine", "%{TIMESTAMP_ISO8601:ts} <%{LOGLEVEL:level}> %{GREEDYDATA:message}")]
    )
    match = layouts.match("2024-05-01T12:00:00Z  <ERROR> boom {x}")
    assert match is not None
    assert match.fields == {"ts": "2024-05-01T12:00:00Z", "level": "ERROR", "message": "boom {x}"}
    assert layouts.match("<ERROR> no timestamp") is None


def test_grok_literal_text_is_not_a_regex() -> None:
    layouts = Layouts([("dots", "a.b %{WORD:word}")])
    assert layouts.match("a.b ok") is not None
    assert layouts.match("aXb ok") is None


@pytest.mark.parametrize("pattern", ["%{NOPE:x}", "%{WORD:x", "%{lower}", "%{WORD:bad field}"])
def test_grok_bad_patterns_are_clear_errors(pattern: str) -> None:
    with pytest.raises(GrokError, match="pattern"):
        Layouts([("bad", pattern)])


def test_user_patterns_come_first(shipped_catalog: catalog.Catalog) -> None:
    custom = "%{WORD:service} | %{LOGLEVEL:level} | %{GREEDYDATA:message}"
    extractor = Extractor(shipped_catalog, patterns=[custom])
    result = extractor.extract(
        "sms-gw | ERROR | POST https://sms.8x8.com/api/v1/x answered 429 Too Many Requests", {}
    )
    assert [(f.event["vendor"], f.event["code"]) for f in result.findings] == [("8x8", "http_429")]
    with pytest.raises(GrokError):
        Extractor(shipped_catalog, patterns=["%{UNKNOWN:x}"])


# -- urls ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "clean"),
    [
        (
            "https://user:pw@api.8x8.com/sms/v1?sig=abc&page=2#frag",
            "https://api.8x8.com/sms/v1?page=2",
        ),
        (
            "https://x.crm.dynamics.com/a?api-version=1&access_token=t",
            "https://x.crm.dynamics.com/a?api-version=1",
        ),
        (
            "https://h.example/p?X-Amz-Signature=s&X-Amz-Credential=c&keep=1",
            "https://h.example/p?keep=1",
        ),
        (
            "https://h.example/p?state=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
            "https://h.example/p",
        ),
        ("https://[::1]:8443/x?token=1", "https://[::1]:8443/x"),
        ("not a url", None),
        ("https://[broken/x", None),
    ],
)
def test_sanitize_url(url: str, clean: str | None) -> None:
    assert sanitize_url(url) == clean


def test_url_host() -> None:
    assert url_host("https://u:p@API.8x8.com:443/x?y") == "api.8x8.com"
    assert url_host("no url") is None


# -- records ---------------------------------------------------------------------------------


def _records(text: str) -> list[tuple[int, str]]:
    return [(n, data.decode()) for n, data in iter_records(io.BytesIO(text.encode()))]


def test_stack_traces_and_python_tracebacks_stay_with_their_line() -> None:
    text = (
        "2024-05-01 12:00:00 ERROR boom\n"
        "java.lang.IllegalStateException: bad\n"
        "\tat a.B.c(B.java:1)\n"
        "Caused by: x.Y: z\n"
        "\t... 3 more\n"
        "2024-05-01 12:00:01 INFO next\n"
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1\n'
        "ValueError: nope\n"
    )
    assert [n for n, _ in _records(text)] == [1, 6]
    assert _records(text)[1][1].endswith("ValueError: nope")


def test_pretty_printed_json_and_crlf() -> None:
    text = '{\r\n"a": {\r\n"code": "7101"\r\n}\r\n}\r\n{"b": 1}\r\n\r\nplain line\r\n'
    assert _records(text) == [
        (1, '{\n"a": {\n"code": "7101"\n}\n}'),
        (6, '{"b": 1}'),
        (8, "plain line"),
    ]


def test_one_json_object_per_line_comes_as_a_batch() -> None:
    data = b'{"a":1}\n{"b":2}\n{"c":3}\n'
    items = list(iter_batches(io.BytesIO(data)))
    assert len(items) == 1 and isinstance(items[0], Batch)
    assert items[0].first_line == 1 and items[0].lines == [b'{"a":1}', b'{"b":2}', b'{"c":3}']


def test_a_pending_record_is_not_swallowed_by_a_following_batch() -> None:
    data = b'2024-05-01 12:00:00 ERROR body follows:\n{"code":1300}\n{"next":1}\n'
    assert [n for n, _ in iter_records(io.BytesIO(data))] == [1, 3]


# -- fields ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-01T12:00:00.123Z", "2024-05-01T12:00:00.123Z"),
        ("2024-05-01 14:00:00,5+02:00", "2024-05-01T12:00:00.500Z"),
        ("2024-05-01T12:00:00", "2024-05-01T12:00:00.000Z"),
        ("01/May/2024:12:00:00 +0000", "2024-05-01T12:00:00.000Z"),
        ("2024/05/01 12:00:00", "2024-05-01T12:00:00.000Z"),
        (1714564800, "2024-05-01T12:00:00.000Z"),
        (1714564800.25, "2024-05-01T12:00:00.250Z"),
        (1714564800123, "2024-05-01T12:00:00.123Z"),
        ("1714564800123456789", "2024-05-01T12:00:00.123Z"),
        ("12:00:00.123", None),
        ("yesterday", None),
        (True, None),
        (42, None),
    ],
)
def test_record_time(value: Any, expected: str | None) -> None:
    parsed = record_time(value)
    assert (parsed[0] if parsed else None) == expected
    if parsed is not None:
        assert parsed[1] // 1_000_000 == 1714564800000 + int(expected[20:23])  # type: ignore[index]


def test_trace_ids() -> None:
    assert as_trace_id("4BF92F3577B34DA6A3CE929D0E0E4736") == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert as_trace_id("a3ce929d0e0e4736") == "0000000000000000a3ce929d0e0e4736"
    assert as_trace_id("0" * 32) is None
    assert as_trace_id("not-a-trace-id") is None
    assert parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") == (
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "00f067aa0ba902b7",
        1,
    )


# -- embedded bodies and key=value pairs ----------------------------------------------------


def test_segments_in_text() -> None:
    text = "it's [main] ok {\"code\": 1} and {'a': True, 'b': [1, 2]} done"
    assert embedded.embedded_values(text) == [{"code": 1}, {"a": True, "b": [1, 2]}]


def test_inner_objects_of_a_truncated_one_are_recovered() -> None:
    text = '{"x": {"code": 1300, "message": "Not found"}, "y": [{"z": 1}], "cut": "abc'
    assert embedded.embedded_values(text) == [{"code": 1300, "message": "Not found"}, [{"z": 1}]]


def test_logfmt_pairs() -> None:
    pairs = logfmt.pairs(
        'level=error msg="a \\"quoted\\" b" code=1300, x=\'y z\' VendorError{code=7}'
    )
    assert pairs == {"level": "error", "msg": 'a "quoted" b', "code": "1300", "x": "y z"}


# -- attribution precedence -----------------------------------------------------------------


def _vendors(extractor: Extractor, record: str) -> list[tuple[str, str]]:
    return [(f.event["vendor"], f.event["code"]) for f in extractor.extract(record, {}).findings]


def test_explicit_field_beats_url_host(extractor: Extractor) -> None:
    record = (
        '{"vendor":"8x8","url":"https://api.webexconnect.io/x","status":400,'
        '"body":{"code":1002,"message":"Invalid MSISDN"}}'
    )
    assert _vendors(extractor, record) == [("8x8", "1002")]


def test_url_host_beats_body_shape(extractor: Extractor) -> None:
    webex_shaped = '{"code":"7101","description":"Invalid Sender ID"}'
    record = '{"url":"https://sms.8x8.com/x","status":400,"body":' + webex_shaped + "}"
    assert _vendors(extractor, record) == [("8x8", "7101")]


def test_shape_beats_code_range(extractor: Extractor) -> None:
    record = (
        '{"level":"error","body":{"code":1001,"message":"Queued","errorId":"e","timestamp":"t"}}'
    )
    assert _vendors(extractor, record) == [("8x8", "1001")]


def test_conflicting_signals_at_one_level_without_a_tiebreak_report_nothing(
    extractor: Extractor,
) -> None:
    record = '{"level":"error","urls":["https://sms.8x8.com/x","https://api.webexconnect.io/y"],"status":503}'
    assert _vendors(extractor, record) == []


def test_lifecycle_statuses_only_with_include_status(shipped_catalog: catalog.Catalog) -> None:
    record = '{"deliveryInfo":{"code":"7500","Description":"Delivered","deliveryChannel":"SMS"}}'
    assert Extractor(shipped_catalog).extract(record, {}).findings == []
    result = Extractor(shipped_catalog, include_status=True).extract(record, {})
    assert result.outcome == "no_error"
    assert [(f.event["code"], f.event["category"]) for f in result.findings] == [("7500", "status")]


# -- the prefilter and triage never hide an error --------------------------------------------


def test_every_corpus_event_survives_the_prefilter_and_triage(
    extractor: Extractor, shipped_catalog: catalog.Catalog
) -> None:
    def events(extractor: Extractor) -> list[list[dict[str, Any]]]:
        # Records without a time get the processing time: leave it out of the comparison.
        return [
            [{**f.event, "timestamp": None} for f in extractor.extract(c["record"], {}).findings]
            for c in CASES
        ]

    with_filters = events(extractor)
    # Skeletons, repeats and calm go with the prefilter (it routes to them): they are exact,
    # test_skeletons.py, test_repeats.py, test_calm.py.
    unfiltered = Extractor(
        shipped_catalog, layers=LAYERS - {"prefilter", "triage", "skeletons", "repeats", "calm"}
    )
    without = events(unfiltered)
    assert with_filters == without
    assert sum(map(len, without)) >= 120  # not a vacuous comparison


def test_prefilter_passes_every_record_with_an_expected_event(
    shipped_catalog: catalog.Catalog,
) -> None:
    needles = prefilter.Needles(shipped_catalog.vendors)
    for case in CASES:
        if case["expect"]:
            assert needles.kind(case["record"].encode()), case["id"]


# -- catalog swaps -----------------------------------------------------------------------------


def test_a_swapped_catalog_is_used_from_the_next_record(
    shipped_catalog: catalog.Catalog,
) -> None:
    extractor = Extractor(shipped_catalog)
    record = (
        '{"url":"https://sms.8x8.com/x","status":404,'
        '"body":{"code":1300,"message":"Not found","errorId":"e"}}'
    )
    assert extractor.extract(record, {}).findings[0].event["transient"] is False
    changed = [
        dataclasses.replace(e, transient=True) if (e.vendor, e.code) == ("8x8", "1300") else e
        for e in shipped_catalog
    ]
    extractor.catalog = catalog.Catalog(changed)
    assert extractor.extract(record, {}).findings[0].event["transient"] is True


def test_the_block_prefilter_agrees_with_the_per_record_prefilter(
    shipped_catalog: catalog.Catalog,
) -> None:
    needles = prefilter.Needles(shipped_catalog.vendors)
    lines = [c["record"].encode() for c in CASES if "\n" not in c["record"]]
    lines += [b'{"msg":"nothing here"}', b'{"code":1}{"x":"8x8"}', b"", b"webex"]
    expected = [i for i, line in enumerate(lines) if needles.kind(line)]
    chosen, kinds = needles.kinds(b"\n".join(lines))
    assert chosen == expected
    assert kinds == [needles.kind(lines[i]) for i in chosen]
    assert needles.kinds(b'{"a":1}\n{"b":2}') == ([], [])
