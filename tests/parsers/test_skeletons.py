"""Records recognised from their raw bytes (parsers.fast.skeletons) give exactly what the general
analysis gives, and are not decoded once their skeleton is known."""

from __future__ import annotations

import json
import random
import re
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vendor_errors import catalog
from vendor_errors.parsers import general
from vendor_errors.parsers.extract import Extractor
from vendor_errors.parsers.fast import skeletons, templates
from vendor_errors.parsers.fast.skeletons import MAX_SKELETONS
from vendor_errors.parsers.fast.templates import TEMPLATED_KEYS

from tests.parsers.test_templates import _KEYS, _OBJECTS, GeneralOnly, _fresh, _records, _stable


@pytest.fixture(autouse=True)
def _keep_templating(monkeypatch: pytest.MonkeyPatch) -> None:
    # Most records here are new: keep templating on (it would stop while they do not repeat).
    monkeypatch.setattr(templates, "WINDOW", 1 << 60)


def _record(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "ts": f"2024-05-01T12:00:{n % 60:02d}.{n % 1000:03d}Z",
        "trace_id": f"{n + 1:032x}",
        "level": "error",
        "url": "https://sms.8x8.com/api/v1/messages",
        "status": 400,
        "body": {"code": 1002, "message": "Invalid MSISDN", "errorId": f"e-{n}"},
        **extra,
    }


def _same(fast: Extractor, general: Extractor, raw: bytes) -> None:
    source = {"line": 1}
    assert _stable(fast.extract(raw, source)) == _stable(general.extract(raw, source)), raw


def test_the_names_in_the_regex_are_the_templated_keys() -> None:
    names = re.compile(skeletons._NAMES.decode())
    for key in TEMPLATED_KEYS:
        assert names.fullmatch(key), key
    near = ["traceID", "TraceId", "Ts", "tss", "times", "timestamps", "span_Id", "spanID"]
    near += ["errorid", "error_id", "transId", "@time", "trace", "span", "t", "timestam"]
    for other in near:
        assert other not in TEMPLATED_KEYS
        assert not names.fullmatch(other), other


def test_a_known_skeleton_is_not_decoded_again(monkeypatch: pytest.MonkeyPatch) -> None:
    extractor = Extractor(catalog.load())
    decoded = 0
    loads = general._loads

    def counted(raw: bytes) -> Any:
        nonlocal decoded
        decoded += 1
        return loads(raw)

    monkeypatch.setattr(general, "_loads", counted)
    for n in range(50):
        record = _record(n)
        (finding,) = extractor.extract(orjson.dumps(record), {"line": n}).findings
        event = finding.event
        assert (event["timestamp"], event["trace_id"]) == (record["ts"], record["trace_id"])
        assert event["correlation_id"] == f"e-{n}"
        assert event["source"] == {"line": n}
    assert decoded == 2  # the first copy makes the template, the second the skeleton


# Each is repeated with other values in its templated fields (same format or not).
TRAPS: list[Any] = [
    # A key ending in `"ts` (escaped quote): not the field `ts`, whatever the regex sees.
    '{"x\\"ts":"2024-05-01T12:00:00.000Z","level":"error","url":"https://sms.8x8.com/x",'
    '"status":404,"body":{"code":1300,"message":"Not found","errorId":"ab12"}}',
    # Blanks around the colon, pretty-printed.
    json.dumps(_record(7), indent=2),
    json.dumps(_record(8), separators=(", ", " : ")),
    # The same field twice: the decoder keeps the last.
    '{"ts":"2024-05-01T12:00:00.000Z","ts":"2024-05-01T12:00:09.000Z","level":"error",'
    '"url":"https://sms.8x8.com/x","status":404,"body":{"code":1300,"errorId":"a","errorId":"b"}}',
    # A numeric time first: the string times are not the record's, so not templated.
    {"time": 1714564800, **_record(9)},
    # ... one that is no valid time: the string times are not templated, yet read.
    {"time": 5, **_record(9)},
    # Times and ids in an array (not templated) and escaped values (not cut).
    _record(10, items=[{"ts": "2024-05-01T12:00:00.000Z", "errorId": "x"}]),
    '{"ts":"2024-05-01T12:00:00.000Z","trace_id":"\\u0061bc0000000000000000000000000001",'
    '"level":"error","url":"https://sms.8x8.com/x","status":404,"body":{"code":1300}}',
    # A templated field the regex cannot cut (escaped) holding a stand-in's value, and a cut
    # field that is not templated (in an array): the stand-in comes back from the wrong field.
    '{"trace_id":"\\u006111ce' + "0" * 27 + '","items":[{"trace_id":'
    '"0af7651916cd43dd8448eb211c80319c"}],"level":"error","url":"https://sms.8x8.com/x",'
    '"status":404,"body":{"code":1300}}',
    # A stand-in's own spelling elsewhere in the record.
    _record(11, note="a11ce000000000000000000000000000", other="2097-03-01T00:17:43.219Z"),
    _record(12, errorId="a11ce-0"),
    # An id spelling a code member in a record without one: what the prefilter sees changes.
    {
        "ts": "2024-05-01T12:00:00.000Z",
        "level": "error",
        "url": "https://sms.8x8.com/x",
        "status": 503,
        "errorId": "errorcode-1",
    },
    # Not an object, and not JSON at all.
    '[{"ts":"2024-05-01T12:00:00.000Z","code":1300,"vendor":"8x8"}]',
    '{"ts":"2024-05-01T12:00:00.000Z","code":1300,"vendor":"8x8"',
]


def _spellings(trap: Any, rng: random.Random) -> list[bytes]:
    if isinstance(trap, dict):
        # Twice as it is (the second copy makes the skeleton), then with other values.
        return [orjson.dumps(trap)] * 2 + [orjson.dumps(_fresh(trap, rng)) for _ in range(4)]
    raw = trap.encode()
    # Copies that keep the spelling (blanks, duplicates, escapes) but change the values.
    copies = [raw, raw]
    for _ in range(4):
        fresh = raw
        for value in re.findall(rb'"(\d{4}-\d\d-\d\dT[0-9:.]{12}Z|[0-9a-f]{32})"', raw):
            other = orjson.dumps(_fresh({"ts" if b"T" in value else "trace_id": "x"}, rng))
            fresh = fresh.replace(value, other.split(b'"')[3], 1)
        copies.append(fresh)
    return copies


@pytest.mark.parametrize("include_status", [False, True])
def test_skeletons_give_what_the_general_analysis_gives(include_status: bool) -> None:
    shipped = catalog.load()
    fast = Extractor(shipped, include_status=include_status)
    general = GeneralOnly(shipped, include_status=include_status)
    rng = random.Random(3)
    for trap in TRAPS:
        for raw in _spellings(trap, rng):
            _same(fast, general, raw)
    for raw in _records():
        _same(fast, general, raw)


def test_the_store_of_skeletons_stays_bounded() -> None:
    extractor = Extractor(catalog.load())
    for n in range(MAX_SKELETONS + 50):
        for copy in range(3):  # a skeleton is learnt from the second copy of a template
            extractor.extract(orjson.dumps(_record(copy, seq=n)), {})
    store = extractor.paths.skeletons._store  # type: ignore[union-attr]
    assert 0 < len(store) <= MAX_SKELETONS


_SPACING = st.sampled_from([(",", ":"), (", ", ": "), (",", " : "), ("  ,", ":\t")])


@settings(max_examples=120, deadline=None)
@given(
    obj=st.dictionaries(st.sampled_from(_KEYS), _OBJECTS, min_size=1, max_size=8),
    spacing=_SPACING,
)
def test_any_record_spelled_any_way_gives_what_the_general_analysis_gives(
    obj: dict, spacing: tuple[str, str]
) -> None:
    shipped = catalog.load()
    fast, general = Extractor(shipped), GeneralOnly(shipped)
    rng = random.Random(len(orjson.dumps(obj)))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(templates, "WINDOW", 1 << 60)
        for record in (obj, obj, _fresh(obj, rng), _fresh(obj, rng), obj):
            _same(fast, general, json.dumps(record, separators=spacing).encode())
