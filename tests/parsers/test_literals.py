"""Maps and objects as languages print them (parsers/decoding/literals.py), and bodies cut
short: one tolerant reader, checked family by family, and on any input."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vendor_errors.parsers.decoding.embedded import embedded_values, xml_values
from vendor_errors.parsers.decoding.literals import parse_literal

BODY = {"code": 1002, "message": "Invalid MSISDN", "errorId": "e-1"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # JavaScript util.inspect (also multi-line, type tags, elisions, concatenation)
        ("{ code: 1002, message: 'Invalid MSISDN', errorId: 'e-1' }", BODY),
        ("{\n  code: 1002,\n  message: 'Invalid MSISDN',\n  errorId: 'e-1'\n}", BODY),
        (
            "{ h: Object [AxiosHeaders] { a: 'x' }, b: [ [Object] ], s: 'a' +\n  'b' }",
            {"h": {"a": "x"}, "b": [["Object"]], "s": "ab"},
        ),
        # Ruby (<= 3.3 and 3.4), Elixir, Erlang, Perl, PHP var_export
        ('{"code"=>1002, "message"=>"Invalid MSISDN", "errorId"=>"e-1"}', BODY),
        ('{"code" => 1002, "message" => "Invalid MSISDN", "errorId" => "e-1"}', BODY),
        ('{code: 1002, message: "Invalid MSISDN", errorId: "e-1"}', BODY),
        (
            '{:code=>1002, :message=>"Invalid MSISDN", :errorId=>"e-1"}',
            {":code": 1002, ":message": "Invalid MSISDN", ":errorId": "e-1"},
        ),
        ('#<struct E code=1002, message="Invalid MSISDN", errorId="e-1">', BODY),
        (
            '#<E:0x00007f8b1c0a2e48 @code=1002, @message="Invalid MSISDN">',
            {"@code": 1002, "@message": "Invalid MSISDN"},
        ),
        ('%{"code" => 1002, "message" => "Invalid MSISDN", "errorId" => "e-1"}', BODY),
        (
            '#{<<"code">> => 1002,<<"message">> => <<"Invalid MSISDN">>,'
            '<<"errorId">> => <<"e-1">>}',
            BODY,
        ),
        ("{\n  'code' => 1002,\n  'message' => 'Invalid MSISDN',\n  'errorId' => 'e-1',\n}", BODY),
        # PHP print_r (false prints as nothing) and var_dump
        (
            "Array\n(\n    [code] => 1002\n    [message] => Invalid MSISDN\n"
            "    [errorId] => e-1\n)",
            BODY,
        ),
        ("Array\n(\n    [success] => \n    [code] => 1\n)", {"success": "", "code": 1}),
        (
            'array(2) {\n  ["code"]=>\n  int(1002)\n  ["message"]=>\n'
            '  string(14) "Invalid MSISDN"\n}',
            {"code": 1002, "message": "Invalid MSISDN"},
        ),
        # Java/Kotlin/Lombok/Scala toString, Java records, .NET anonymous types and records
        ("{code=1002, message=Invalid MSISDN, errorId=e-1}", BODY),
        ("E(code=1002, message=Invalid MSISDN, errorId=e-1)", BODY),
        ("E[code=1002, message=Invalid MSISDN, errorId=e-1]", BODY),
        ("Map(code -> 1002, message -> Invalid MSISDN, errorId -> e-1)", BODY),
        ("{ code = 1002, message = Invalid MSISDN, errorId = e-1 }", BODY),
        (
            "E(detail=Max 6,000 characters allowed., code=1)",
            {"detail": "Max 6,000 characters allowed.", "code": 1},
        ),
        (
            "{ data = { message = throttled, retry later, code = X } }",
            {"data": {"message": "throttled, retry later", "code": "X"}},
        ),
        # Go %v, %+v, %#v
        ("map[code:1002 errorId:e-1 message:Invalid MSISDN]", BODY),
        (
            "&{Code:1002 Message:Invalid MSISDN ErrorID:}",
            {"Code": 1002, "Message": "Invalid MSISDN", "ErrorID": ""},
        ),
        (
            '&p.E{Code:1002, Message:"Invalid MSISDN", Data:p.D{A:"b"}}',
            {"Code": 1002, "Message": "Invalid MSISDN", "Data": {"A": "b"}},
        ),
        # Rust Debug (pretty, with trailing commas; serde_json::Value), Dart, Clojure
        ('E {\n    code: 1002,\n    message: "Invalid MSISDN",\n    errorId: "e-1",\n}', BODY),
        (
            'Object {"code": Number(1002), "message": String("Invalid MSISDN")}',
            {"code": 1002, "message": "Invalid MSISDN"},
        ),
        ("{code: 1002, message: Invalid MSISDN, errorId: e-1}", BODY),
        ('{:code 1002, :message "Invalid MSISDN", :errorId "e-1"}', BODY),
    ],
)
def test_families(text: str, expected: Any) -> None:
    found = parse_literal(text, text.index(text.lstrip()[0]))
    assert found is not None and found[0] == expected
    assert found[1] == len(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Guzzle's 120 characters: the members before the cut are kept, the cut one dropped.
        (
            '{"code":1002,"message":"Invalid MSISDN","errorId":"5a1f2c (truncated...)',
            {"code": 1002, "message": "Invalid MSISDN"},
        ),
        # Half a code is no code.
        ('{"code":10', None),
        ('{"message":"x","code":70... (617 bytes)]', {"message": "x"}),
        # Complete objects of an array cut in the next one.
        (
            '[{"code":1,"message":"a"},{"code":2,"message":"b... (482 bytes)]',
            [{"code": 1, "message": "a"}, {"code": 2}],
        ),
    ],
)
def test_cut_short(text: str, expected: Any) -> None:
    found = parse_literal(text, 0)
    assert (found[0] if found else None) == expected


def test_embedded_values_find_every_family_and_keep_apart_what_is_not_one() -> None:
    text = (
        "8x8 failed: SmsError(code=1002, message='Invalid MSISDN') then "
        '{"code":1,"message":"m"} and #<struct E code=3> and [INFO] [x] (see docs)'
    )
    assert embedded_values(text) == [
        {"code": 1, "message": "m"},
        {"code": 1002, "message": "Invalid MSISDN"},
        {"code": 3},
    ]


def test_xml_bodies_are_read_without_entities() -> None:
    text = "DR <root><status><errorCode>15</errorCode><state>undelivered</state></status></root>"
    assert xml_values(text) == [{"root": {"status": {"errorCode": "15", "state": "undelivered"}}}]
    bomb = '<!DOCTYPE a [<!ENTITY a "aaaa">]><r><c>&a;</c></r>'
    assert xml_values(bomb) == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="{}[]()<>#%&:=,;'\"\\ \n\tab1-.>_@$+*", max_size=400))
def test_any_text_reads_without_raising(text: str) -> None:
    for start in range(min(len(text), 8)):
        found = parse_literal(text, start)
        if found is not None:
            value, end = found
            assert isinstance(value, dict | list) and start < end <= len(text)
    embedded_values(text)
    xml_values(text)
