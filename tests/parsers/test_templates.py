"""Records analysed from a template (parsers.fast.templates) give exactly what the general analysis
gives: over the corpus, over copies with other ids and times, and over the traps."""

from __future__ import annotations

import functools
import random
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vendor_errors import catalog
from vendor_errors.parsers.decoding import fields
from vendor_errors.parsers.decoding.directory import Directory
from vendor_errors.parsers.extract import LAYERS, Extractor
from vendor_errors.parsers.fast import templates
from vendor_errors.parsers.fast.templates import MAX_TEMPLATES, SPAN, TEMPLATED_KEYS, TIME, TRACE
from vendor_errors.parsers.general import General
from vendor_errors.parsers.result import Finding, Result

from tests.parsers.test_corpus import CASES

ROLE_OF_KIND = {TIME: fields.R_TIMESTAMP, TRACE: fields.R_TRACE_ID, SPAN: fields.R_SPAN_ID}
ID_ROLES = {"errorId": fields.R_ERROR_ID, "transid": fields.R_NONE}


# The extractor without templates and skeletons: every record analysed from scratch.
GeneralOnly = functools.partial(Extractor, layers=LAYERS - {"templates", "skeletons"})


def test_templated_fields_have_one_role_at_any_depth() -> None:
    # The roles the walk uses: the generic table and the shipped vendors' headers.
    roles = Directory(catalog.load().vendors).roles
    for key, kind in TEMPLATED_KEYS.items():
        folded = fields.fold(key)
        role = ROLE_OF_KIND.get(kind, ID_ROLES.get(key))
        assert role is not None, key
        assert roles.role_of(key) == role, key
        # Under a parent a key may take a composite role (`url` + `full`): none may differ.
        for name, other in roles.table.items():
            if name.endswith(folded) and name != folded:
                assert other == role, (key, name)


def _stable(result: Result) -> list[Any]:
    def finding(f: Finding) -> list[Any]:
        event = dict(f.event)
        if f.time_unix_nano is None:  # stamped with "now": may tick between the two runs
            event["timestamp"] = "now"
        return [event, f.url, f.server_address, f.http_method, f.time_unix_nano, f.trace_flags]

    return [result.outcome, result.reason, [finding(f) for f in result.findings]]


def _hex(rng: random.Random, n: int) -> str:
    return f"{rng.getrandbits(4 * n):0{n}x}"


def _fresh(value: Any, rng: random.Random) -> Any:
    """The record with other values in its templated fields (same format, or a trap)."""
    if isinstance(value, list):
        return [_fresh(item, rng) for item in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        kind = TEMPLATED_KEYS.get(key)
        if kind is None or not isinstance(item, str):
            out[key] = _fresh(item, rng)
        elif kind == TIME:
            out[key] = rng.choice(
                [
                    f"2024-0{rng.randrange(1, 10)}-1{rng.randrange(10)}T12:3{rng.randrange(10)}"
                    f":{rng.randrange(60):02d}.{rng.randrange(1000):03d}Z",
                    "2024-13-01T00:00:00.000Z",  # no such month
                    "2099-12-31T23:58:00.000Z",  # a placeholder's own spelling
                    "2024-05-01T12:00:00Z",
                ]
            )
        elif kind == TRACE:
            out[key] = rng.choice([_hex(rng, 32), "0" * 32, _hex(rng, 32).upper(), _hex(rng, 16)])
        elif kind == SPAN:
            out[key] = rng.choice([_hex(rng, 16), "0" * 16, " " + _hex(rng, 16)])
        else:
            out[key] = rng.choice([_hex(rng, 32), f"{_hex(rng, 8)}-{_hex(rng, 4)}", " x ", ""])
    return out


def _records() -> list[bytes]:
    rng = random.Random(5)
    records = []
    for case in CASES:
        raw = case["record"].encode()
        records.append(raw)
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        for _ in range(4):
            records.append(orjson.dumps(_fresh(obj, rng)))
    return records


TRAPS = [
    # Placeholder text elsewhere in the record: in a traceparent, upper case, with dashes.
    b'{"ts":"2024-05-01T12:00:00.000Z","traceparent":"00-5e471e15000000000000000000000001-'
    b'5e471e1500000001-01","trace_id":"0af7651916cd43dd8448eb211c80319c","level":"error",'
    b'"url":"https://sms.8x8.com/x","status":404,"body":{"code":1300,"message":"Not found",'
    b'"errorId":"ab12"}}',
    b'{"ts":"2024-05-01T12:00:00.000Z","trace_id":"5E47-1E15000000000000000000000001",'
    b'"span_id":"0af7651916cd43dd","level":"error","url":"https://sms.8x8.com/x","status":404,'
    b'"body":{"code":1300,"message":"Not found","errorId":"5e471e15-id-00"}}',
    # A numeric time first: the templated time later must not be taken for the event's.
    b'{"time":4102444680,"ts":"2024-05-01T12:00:00.000Z","level":"error",'
    b'"url":"https://sms.8x8.com/x","status":404,"body":{"code":1300,"message":"Not found",'
    b'"errorId":"ab12","timestamp":"2024-05-01T12:00:00.500Z"}}',
    # A body first, its time before the record's own.
    b'{"body":{"code":1300,"message":"Not found","errorId":"ab12","timestamp":'
    b'"2024-05-01T12:00:00.500Z"},"level":"error","url":"https://sms.8x8.com/x","status":404,'
    b'"@timestamp":"2024-05-01T12:00:01.000Z"}',
    # No time at all: stamped when analysed.
    b'{"level":"error","url":"https://sms.8x8.com/x","status":404,"trace_id":'
    b'"0af7651916cd43dd8448eb211c80319c","body":{"code":1300,"message":"Not found",'
    b'"errorId":"ab12"}}',
    # Webex transid beside the body and in it.
    b'{"ts":"2024-05-01T12:00:00.000Z","payload":{"deliveryInfo":{"code":"7101","transid":'
    b'"t-1","Description":"Invalid Sender ID","deliveryChannel":"SMS","deliveryStatus":'
    b'"Failed"},"transid":"0af7651916cd43dd8448eb211c80319c"}}',
]


@pytest.mark.parametrize("include_status", [False, True])
def test_templates_give_what_the_general_analysis_gives(
    include_status: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Most of these records are new: keep templating on (it would stop, see the last test).
    monkeypatch.setattr(templates, "WINDOW", 1 << 60)
    shipped = catalog.load()
    fast = Extractor(shipped, include_status=include_status)
    general = GeneralOnly(shipped, include_status=include_status)
    for raw in _records() + TRAPS * 2:
        source = {"file": "t.log", "line": 3}
        got = fast.extract(raw, source)
        assert _stable(got) == _stable(general.extract(raw, source)), raw
        for finding in got.findings:
            assert finding.event["source"] is source


def test_templated_records_are_analysed_once_per_template(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = 0
    analyse = General.json

    def counted(*args: Any) -> Result:
        nonlocal calls
        calls += 1
        return analyse(*args)

    monkeypatch.setattr(General, "json", counted)  # the general path's JSON stage
    # Without repeats (test_repeats.py), which would answer these copies before templates do.
    extractor = Extractor(catalog.load(), layers=LAYERS - {"repeats"})
    rng = random.Random(1)
    for second in range(50):
        record = {
            "ts": f"2024-05-01T12:00:{second:02d}.123Z",
            "trace_id": _hex(rng, 32),
            "level": "error",
            "url": "https://sms.8x8.com/api/v1/messages",
            "status": 400,
            "body": {"code": 1002, "message": "Invalid MSISDN", "errorId": _hex(rng, 32)},
        }
        result = extractor.extract(orjson.dumps(record), {})
        (finding,) = result.findings
        assert finding.event["timestamp"] == record["ts"]
        assert finding.event["trace_id"] == record["trace_id"]
        assert finding.event["correlation_id"] == record["body"]["errorId"]  # type: ignore[index]
    assert calls == 1


def test_the_store_of_templates_stays_bounded() -> None:
    extractor = Extractor(catalog.load())
    for n in range(MAX_TEMPLATES + 50):
        record = {
            "ts": "2024-05-01T12:00:00.000Z",
            "level": "error",
            "url": "https://sms.8x8.com/api/v1/messages",
            "body": {"code": 1002, "message": f"Invalid MSISDN {n}", "errorId": "e"},
        }
        extractor.extract(orjson.dumps(record), {})
    store = extractor.paths.templates.store  # type: ignore[union-attr]
    assert 0 < len(store) <= MAX_TEMPLATES


def test_a_new_catalog_gets_new_templates(tmp_path: Path) -> None:
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text('entries:\n  - {vendor: 8x8, code: "1002", severity: critical}\n')
    extractor = Extractor(catalog.load())
    record = orjson.dumps(
        {
            "ts": "2024-05-01T12:00:00.000Z",
            "level": "error",
            "url": "https://sms.8x8.com/api/v1/messages",
            "body": {"code": 1002, "message": "Invalid MSISDN", "errorId": "e1"},
        }
    )
    before = extractor.extract(record, {}).findings[0].event["severity"]
    extractor.catalog = catalog.load(overlay)  # what an overlay reload does
    after = extractor.extract(record.replace(b"e1", b"e2"), {}).findings[0].event
    assert (before, after["severity"], after["correlation_id"]) == ("error", "critical", "e2")


def test_templating_stops_while_records_do_not_repeat_and_resumes_when_they_do() -> None:
    extractor = Extractor(catalog.load())

    def record(message: str, n: int) -> bytes:
        return orjson.dumps(
            {
                "ts": f"2024-05-01T12:00:{n % 60:02d}.000Z",
                "level": "error",
                "url": "https://sms.8x8.com/api/v1/messages",
                "body": {"code": 1002, "message": message, "errorId": f"e{n}"},
            }
        )

    for n in range(300):
        extractor.extract(record(f"Invalid MSISDN {n}", n), {})
    templates = extractor.paths.templates
    assert templates is not None
    assert not templates.active
    for n in range(2000):
        result = extractor.extract(record("Invalid MSISDN", n), {})
        assert result.findings[0].event["correlation_id"] == f"e{n}"
    assert templates.active


_KEYS = [*TEMPLATED_KEYS, "level", "status", "url", "vendor", "code", "message", "body", "data"]
_SCALARS = st.one_of(
    st.sampled_from(
        [
            "2024-05-01T12:00:00.123Z",
            "2099-12-31T23:58:01.000Z",
            "0af7651916cd43dd8448eb211c80319c",
            "5e471e15000000000000000000000001",
            "b7ad6b7169203331",
            "5e471e15-id-01",
            "error",
            "https://sms.8x8.com/x",
            "1300",
            "Not found",
            "8x8",
            "webex",
        ]
    ),
    st.integers(min_value=0, max_value=4_200_000_000),
    st.none(),
)
_OBJECTS = st.recursive(
    _SCALARS,
    lambda inner: st.dictionaries(st.sampled_from(_KEYS), inner, max_size=6),
    max_leaves=12,
)


@functools.cache
def _pair() -> tuple[Extractor, Extractor]:
    shipped = catalog.load()
    return Extractor(shipped), GeneralOnly(shipped)


@settings(max_examples=150, deadline=None)
@given(obj=st.dictionaries(st.sampled_from(_KEYS), _OBJECTS, min_size=1, max_size=8))
def test_any_record_and_its_copies_give_what_the_general_analysis_gives(obj: dict) -> None:
    fast, general = _pair()
    rng = random.Random(len(orjson.dumps(obj)))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(templates, "WINDOW", 1 << 60)  # keep templating on
        for record in (obj, _fresh(obj, rng), _fresh(obj, rng), obj):
            raw = orjson.dumps(record)
            assert _stable(fast.extract(raw, {})) == _stable(general.extract(raw, {})), raw
