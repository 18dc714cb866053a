"""Calm shapes (parsers.fast.calm) give exactly what the route they wrap gives: records a shape
matches are ones triage calls calm, whatever their values; the traps, records one value away
from a calm one, are never matched; learning is rationed and memory bounded."""

from __future__ import annotations

import functools
import json
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vendor_errors import catalog
from vendor_errors.parsers.extract import LAYERS, Extractor
from vendor_errors.parsers.fast import calm
from vendor_errors.parsers.fast.calm import MAX_SHAPES, Calm
from vendor_errors.parsers.stages import RecordStage

from tests.parsers.test_templates import _stable

SOURCE = {"file": "calm.log", "line": 3}


@functools.cache
def _route() -> tuple[RecordStage, Any]:
    """The vendor-only route without this layer, and its triage."""
    paths = Extractor(catalog.load(), layers=LAYERS - {"calm"}).paths
    assert paths.screen is not None and paths.triage is not None
    return paths.screen.vendor_only, paths.triage


def _calm(gap: int = 1) -> Calm:
    route, triage = _route()
    return Calm(route, triage, gap=gap)


def _same(layer: Calm, raw: bytes) -> bool:
    """The layer's result is the route's; True when a shape answered it."""
    hits = layer.hits
    got = layer.record(raw, None, SOURCE)
    assert _stable(got) == _stable(_route()[0](raw, None, SOURCE)), raw
    return layer.hits > hits


CALL = {
    "ts": "2024-05-01T12:00:00.042Z",
    "level": "info",
    "service": "notify",
    "msg": "sms accepted by provider",
    "http": {"method": "POST", "url": "https://sms.8x8.com/api/v1/messages", "status_code": 200},
    "duration_ms": 12.5,
    "ok": True,
    "retry": None,
    "cached": False,
    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
}


def _learnt(record: dict[str, Any], dumps: Any = orjson.dumps) -> Calm:
    layer = _calm()
    raw = dumps(record)
    raw = raw.encode() if isinstance(raw, str) else raw
    for _ in range(2):  # a pattern is compiled when it is built a second time
        assert not _same(layer, raw)
    assert layer.learnt == 1
    return layer


def _with(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    record = json.loads(json.dumps(CALL))
    target = record
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return record


def test_a_learnt_shape_answers_other_calls_of_the_same_logger() -> None:
    layer = _learnt(CALL)
    for values in (
        {"msg": "token refreshed", "duration_ms": 0},
        {"service": "", "duration_ms": -3.25, "trace_id": "x" * 300},
        {"msg": 'quoted \\"answer\\"\nnext line', "level": "info"},
        {"service": "a=b", "msg": "cache miss for key user:17"},  # `=`, but no "ode"
        {"service": "node-7 [ok]"},  # "ode", but no `{` or `=`: no body
    ):
        record = {**CALL, **values}
        assert _same(layer, orjson.dumps(record)), record
    for status in (100, 204, 304, 399):
        assert _same(layer, orjson.dumps(_with(("http", "status_code"), status)))


@pytest.mark.parametrize(
    ("trap", "value"),
    [
        pytest.param(("level",), "warn", id="a warning level"),
        pytest.param(("level",), "INFO", id="another spelling of the level"),
        pytest.param(("http", "status_code"), 503, id="a failed status"),
        pytest.param(("http", "status_code"), 400, id="status 400"),
        pytest.param(("http", "status_code"), 99, id="status under 100"),
        pytest.param(("http", "status_code"), "200", id="a status as a string"),
        pytest.param(("http", "status_code"), 200.5, id="a status as a float"),
        pytest.param(("msg",), "rejected with error code 1300", id="a code in the message"),
        pytest.param(("msg",), "id:7 stat:UNDELIV err:046", id="an SMPP receipt"),
        pytest.param(("msg",), "ERROR CODE 7101", id="a code in capitals"),
        pytest.param(("service",), '{"code": 1300}', id="a body in a field"),
        pytest.param(("service",), "errorCode=1300 x", id="a key=value code in a field"),
        pytest.param(("service",), "\u006fde", id="an escaped letter"),
        pytest.param(("cached",), [1], id="a list"),
        pytest.param(("cached",), {"code": 1}, id="a code member nested"),
        pytest.param(("duration_ms",), 1e300, id="a number with an exponent"),
        pytest.param(("duration_ms",), 10**19, id="a number of 20 digits"),
        pytest.param(("ok",), False, id="false for true"),
    ],
)
def test_a_record_one_value_away_from_a_calm_one_is_not_matched(
    trap: tuple[str, ...], value: Any
) -> None:
    layer = _learnt(CALL)
    raw = orjson.dumps(_with(trap, value))
    if trap == ("service",) and value == "\u006fde":
        raw = raw.replace(b'"ode"', b'"\\u006fde"')
    assert not _same(layer, raw), raw


@pytest.mark.parametrize(
    ("learnt", "matched", "refused"),
    [
        pytest.param("200", ["204", "399"], ["503", "200 OK", "2000", 200, "099"], id="digits"),
        pytest.param(
            "200 OK",
            ["204 No Content", "302 Found", "200 "],
            ["503 Service Unavailable", "200", "200 O\\K", "400 Bad Request"],
            id="Go's resp.Status",
        ),
    ],
)
def test_a_status_as_text_is_learnt_as_written(
    learnt: str, matched: list[str], refused: list[Any]
) -> None:
    layer = _learnt(_with(("http", "status_code"), learnt))
    for status in matched:
        assert _same(layer, orjson.dumps(_with(("http", "status_code"), status))), status
    for status in refused:
        assert not _same(layer, orjson.dumps(_with(("http", "status_code"), status))), status


def test_success_false_is_a_failure_in_words() -> None:
    layer = _learnt({**CALL, "success": True})
    assert not _same(layer, orjson.dumps({**CALL, "success": False}))


def test_keys_and_separators_are_the_shape() -> None:
    layer = _learnt(CALL)
    moved = {"level": CALL["level"], **{k: v for k, v in CALL.items() if k != "level"}}
    for raw in (
        orjson.dumps({**CALL, "extra": 1}),  # a key more
        orjson.dumps({k: v for k, v in CALL.items() if k != "ok"}),  # a key less
        orjson.dumps(moved),  # another order
        json.dumps(CALL).encode(),  # blanks after colons and commas
        orjson.dumps(CALL).replace(b'"ok"', b'"ok","ok":true,"ok"', 1),  # a key twice
        orjson.dumps(CALL) + b"\n",
    ):
        assert not _same(layer, raw), raw
    assert _same(layer, orjson.dumps(CALL))


def test_python_json_and_any_blanks_are_learnt_too() -> None:
    spaced = _learnt(CALL, json.dumps)
    assert _same(spaced, json.dumps({**CALL, "msg": "sent"}).encode())
    assert not _same(spaced, orjson.dumps(CALL))

    def blanks(record: dict[str, Any]) -> bytes:
        return json.dumps(record, separators=(" ,\t", " : ")).encode()

    loose = _learnt(CALL, blanks)
    assert _same(loose, blanks({**CALL, "msg": "sent"}))
    assert _same(loose, json.dumps({**CALL, "msg": "sent"}).encode())


def test_records_triage_would_look_at_make_no_shape() -> None:
    layer = _calm()
    for record in (
        {**CALL, "level": "error"},
        {**CALL, "errorId": "4bf92f35"},  # a body marker: triage stops at it
        {**CALL, "tags": ["a", "b"]},  # calm, but lists make no shape
        {**CALL, "http": {**CALL["http"], "status_code": "0200"}},  # calm; no shape either
    ):
        for _ in range(3):
            _same(layer, orjson.dumps(record))
    assert layer.learnt == 0 and layer.hits == 0


def test_learning_is_rationed_and_shapes_are_bounded() -> None:
    layer = _calm(gap=4)
    raw = orjson.dumps(CALL)
    for _ in range(4):
        _same(layer, raw)
    assert layer.learnt == 0  # one try in four records missed: built once, not compiled
    for _ in range(4):
        _same(layer, raw)
    assert layer.learnt == 1 and _same(layer, raw)
    many = _calm()
    for n in range(MAX_SHAPES + 3):
        record = {f"k{n}": n, **CALL}
        for _ in range(2):
            _same(many, orjson.dumps(record))
    assert many.learnt == MAX_SHAPES + 3
    assert len(many._shapes) == MAX_SHAPES  # the least recently matched made room


def test_a_shape_that_made_room_comes_back_without_a_compile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    layer = _calm()
    records = [orjson.dumps({f"k{n}": n, **CALL}) for n in range(MAX_SHAPES + 2)]
    for raw in records:
        for _ in range(2):
            _same(layer, raw)

    def no_compile(*_args: object) -> None:
        raise AssertionError("compiled again")

    monkeypatch.setattr(calm.re, "compile", no_compile)
    assert not _same(layer, records[0])  # it made room for the later ones: learnt again
    assert layer.learnt == MAX_SHAPES + 3 and _same(layer, records[0])


# -- any record: what the route gives (hypothesis) ---------------------------------------------

_TEXT = st.text(alphabet='odeODE{}=: err\\"\n\tax1', max_size=12)
_KEYS = st.sampled_from(
    [
        *("ts", "level", "severity", "msg", "message", "status", "statusCode", "url"),
        *("success", "service", "errorId", "code", "http", "data", "note", "n"),
    ]
)
_SCALARS = st.one_of(
    _TEXT,
    st.sampled_from(["info", "debug", "warn", "error", "INFO", "notice", "200", "503"]),
    st.sampled_from(["204 No Content", "503 Service Unavailable", "200 ", "3000"]),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.sampled_from([100, 200, 304, 399, 400, 503, 7102, 0]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([None, True, False]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.dictionaries(_KEYS, inner, max_size=4), st.lists(inner, max_size=2)),
    max_leaves=8,
)
_RECORDS = st.dictionaries(_KEYS, _VALUES, max_size=7).map(
    lambda record: {"url": "https://sms.8x8.com/api/v1/messages", **record}
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shapes=st.lists(_RECORDS, min_size=1, max_size=3), values=st.lists(_RECORDS, max_size=12))
def test_any_record_gets_what_the_route_gives(
    shapes: list[dict[str, Any]], values: list[dict[str, Any]]
) -> None:
    layer = _calm()
    for record in shapes + shapes + values + shapes:
        for dumps in (_compact, json.dumps):
            _same(layer, dumps(record).encode())
    # And with each shape's keys holding the values drawn for others: same keys, any values.
    for shape in shapes:
        for other in values:
            mixed = dict(zip(shape, list(other.values()) + list(shape.values()), strict=False))
            _same(layer, _compact(mixed).encode())


def _compact(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":"))  # orjson's spelling, for any integer


def test_the_layer_answers_most_of_the_bench_files_calls() -> None:
    """Not a vacuous layer: the bench's successful vendor calls are answered from shapes."""
    from tests.parsers.test_fast_layers import _bench_records

    _route_stage, triage = _route()
    layer = _calm()
    named = [raw for raw in _bench_records() if b"https://" in raw and b"example.com" not in raw]
    calm_calls = sum(not triage.needs_look(orjson.loads(raw)) for raw in named)
    answered = sum(_same(layer, raw) for raw in named)
    assert calm_calls > 100 and answered > 0.9 * calm_calls


def test_compiles_beyond_the_first_few_must_be_paid_for_by_hits() -> None:
    layer = _calm()
    for n in range(calm.FREE_COMPILES + 1):
        raw = orjson.dumps({f"k{n}": n, **CALL})
        for _ in range(2):
            _same(layer, raw)
    assert layer.learnt == calm.FREE_COMPILES  # the last one waits for hits
    assert _same(layer, orjson.dumps({"k0": 1, **CALL})) is False  # made room: not shaped


def test_a_record_of_too_many_keys_makes_no_shape() -> None:
    layer = _calm()
    wide = {**CALL, **{f"field_{n}": "value" for n in range(100)}}
    for _ in range(3):
        _same(layer, orjson.dumps(wide))
    assert layer.learnt == 0


def test_a_failure_while_learning_costs_no_record(monkeypatch: pytest.MonkeyPatch) -> None:
    layer = _calm()

    def broken(*_args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(Calm, "pattern", broken)
    for _ in range(3):
        assert not _same(layer, orjson.dumps(CALL))  # the route's result, every time
    assert layer.learnt == 0
