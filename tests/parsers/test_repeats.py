"""Repeated lines recognised from their bytes (parsers.fast.repeats) give exactly what the general
path gives: the corpus's shapes logged again with fresh ids and times, any record with tokens
in any field (hypothesis), and the traps where a token's value is more than copied."""

from __future__ import annotations

import functools
import random
import sys
from pathlib import Path
from typing import Any
from uuid import uuid4

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vendor_errors import catalog
from vendor_errors.parsers.decoding import times
from vendor_errors.parsers.extract import Extractor
from vendor_errors.parsers.fast import repeats
from vendor_errors.parsers.fast.repeats import MAX_LINES, TOKEN

from tests.parsers.test_templates import _stable

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.bench_scan import freshen, outage_shapes


@functools.cache
def _pair() -> tuple[Extractor, Extractor]:
    shipped = catalog.load()
    return Extractor(shipped), Extractor(shipped, layers=frozenset())


def _same(raw: bytes, fast: Extractor | None = None) -> None:
    fast = fast or _pair()[0]
    source = {"file": "r.log", "line": 7}
    got = fast.extract(raw, source)
    assert _stable(got) == _stable(_pair()[1].extract(raw, source)), raw
    for finding in got.findings:
        assert finding.event["source"] is source


def _hits(extractor: Extractor) -> int:
    assert extractor.paths.repeats is not None
    return sum(layer.hits for layer in extractor.paths.repeats)


def test_the_corpus_logged_again_with_fresh_ids_and_times() -> None:
    extractor = Extractor(catalog.load())
    rng = random.Random(3)
    shapes = outage_shapes()
    copies = [freshen(shape, rng, 1714564800 + n * 0.137) for n in range(4) for shape in shapes]
    for raw in copies:
        _same(raw, extractor)
    assert _hits(extractor) > len(shapes)  # most third and fourth copies come from recipes


def test_every_corpus_record_and_its_copies() -> None:
    from tests.parsers.test_templates import _records

    extractor = Extractor(catalog.load())
    for raw in _records() * 2:
        _same(raw, extractor)
    assert _hits(extractor) > 100


def _times_of(rng: random.Random, n: int) -> list[str]:
    """One moment in every spelling the tokens cover."""
    stamp = 1714564800 + n * 3.217 + rng.random()
    whole = int(stamp)
    iso = f"2024-05-01T12:{whole // 60 % 60:02d}:{whole % 60:02d}"
    fraction = f"{stamp % 1:.9f}"[2:]
    return [
        f"{iso}.{fraction[:3]}Z",
        f"{iso}.{fraction[:6]}Z",
        f"{iso}.{fraction[:7]}Z",
        f"{iso}.{fraction[:3]}+02:00",
        f"{iso.replace('T', ' ')},{fraction[:3]}",
        f"{iso}Z",
        str(whole),
        str(int(stamp * 1000)),
        str(int(stamp * 1_000_000_000)),
        f"{stamp:.4f}",  # zap's seconds
    ]


def _ids_of(rng: random.Random) -> list[str]:
    uuid = f"{rng.getrandbits(128):032x}"
    uuid = "-".join((uuid[:8], uuid[8:12], uuid[12:16], uuid[16:20], uuid[20:]))
    return [
        uuid,
        uuid.upper(),
        f"{rng.getrandbits(128):032x}",
        f"{rng.getrandbits(64):016x}",
        f"{rng.getrandbits(96):024X}",
        "0" * 32,
        "00000000-0000-0000-0000-000000000000",
        "1cc1eda1-d365-4a7b-8c9d-0e1f2a3b4c5d",  # names Dynamics 365 as a word
    ]


_KEYS = [
    *("ts", "time", "@t", "timestamp", "timeStamp", "created", "trace.id", "traceId", "span_id"),
    *("x-ms-correlation-id", "requestId", "umid", "errorId", "transid", "id", "code", "status"),
    *("message", "msg", "log", "url", "level", "vendor", "body", "response_body", "detail"),
]
_WORDS = st.sampled_from(
    [
        "error",
        "warn",
        "info",
        "8x8",
        "webex",
        "https://sms.8x8.com/api/v1/messages",
        "https://acme.crm.dynamics.com/api/data",
        "1300",
        "7101",
        "Not found",
        "HTTP 503",
        "Service Unavailable",
        "error code",
        "Failed",
        False,
        400,
        503,
        1300,
    ]
)


@st.composite
def _lines(draw: st.DrawFn) -> tuple[Any, list[tuple[int, int]]]:
    """A record with places for tokens: (kind, spelling) per place, 0 times, 1 ids."""
    places: list[tuple[int, int]] = []

    def value(depth: int) -> Any:
        roll = draw(st.integers(0, 9))
        if roll < 3:
            places.append((0, draw(st.integers(0, 9))))
            return ("token", len(places) - 1)
        if roll < 5:
            places.append((1, draw(st.integers(0, 7))))
            return ("token", len(places) - 1)
        if roll < 6 and depth < 2:
            keys = draw(st.lists(st.sampled_from(_KEYS), min_size=1, max_size=4, unique=True))
            return {key: value(depth + 1) for key in keys}
        if roll < 7:
            places.append((draw(st.integers(0, 1)), draw(st.integers(0, 7))))
            return ("text", len(places) - 1, draw(_WORDS))
        return draw(_WORDS)

    keys = draw(st.lists(st.sampled_from(_KEYS), min_size=2, max_size=7, unique=True))
    return {key: value(0) for key in keys}, places


def _filled(line: Any, places: list[tuple[int, int]], rng: random.Random, n: int) -> bytes:
    tokens = [
        (_times_of(rng, n) if kind == 0 else _ids_of(rng))[spelling] for kind, spelling in places
    ]

    def fill(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: fill(item) for key, item in value.items()}
        if isinstance(value, tuple) and value[0] == "token":
            token = tokens[value[1]]
            if value[1] % 2 and token.replace(".", "", 1).isdigit():
                return float(token) if "." in token else int(token)
            return token
        if isinstance(value, tuple):
            return f"{value[2]} {tokens[value[1]]} {value[2]}"
        return value

    record = fill(line)
    if n % 3 == 2:  # some copies as JSON in a string, as Docker writes them
        record = {"log": orjson.dumps(record).decode() + "\n", "stream": "stderr"}
    return orjson.dumps(record)


@settings(max_examples=120, deadline=None)
@given(_lines())
def test_any_record_with_tokens_anywhere_and_its_copies(drawn: Any) -> None:
    line, places = drawn
    fast = Extractor(catalog.load())
    rng = random.Random(len(places))
    for n in range(9):
        _same(_filled(line, places, rng, n), fast)


TRAPS = [
    # A token's digits are the status the line states: "...,503 Service Unavailable".
    b"2024-05-01 12:00:{s:02d},{f} Service Unavailable from https://sms.8x8.com/api/v1/messages",
    b'{{"level":"error","url":"https://sms.8x8.com/x","msg":"at 2024-05-01T12:00:{s:02d}.{f} '
    b'Service Unavailable","code":"x"}}',
    b'{{"ts":"2024-05-01T12:00:{s:02d}.{f}Z","msg":"8x8 failed","code":"{h16}","errorId":"x"}}',
    # A token as the code: never copied into the event.
    b'{{"level":"error","url":"https://sms.8x8.com/x","status":400,"body":{{"code":{e},'
    b'"message":"Invalid MSISDN","errorId":"{u}"}}}}',
    # A time that is no valid time in some copies (month 13).
    b'{{"@timestamp":"2024-{m}-01T12:00:{s:02d}.{f}Z","level":"error","url":"https://sms.8x8.com'
    b'/x","status":404,"body":{{"code":1300,"message":"Not found","errorId":"{u}"}}}}',
    # A fraction of a second with a hex letter in some copies: the same signature, no time.
    b'{{"ts":"2024-05-01T12:00:{s:02d}.{g}Z","level":"error","url":"https://sms.8x8.com/x",'
    b'"status":404,"body":{{"code":1300,"message":"Not found","errorId":"{u}"}}}}',
    b'{{"ts":"2024-05-01T12:00:{s:02d}.{g}999Z","level":"error","url":"https://sms.8x8.com/x",'
    b'"status":404,"body":{{"code":1300,"message":"Not found","errorId":"{u}"}}}}',
    # Ids equal in some copies, different in others.
    b'{{"ts":"2024-05-01T12:00:{s:02d}.{f}Z","level":"error","url":"https://sms.8x8.com/x",'
    b'"status":404,"errors":[{{"code":1300,"errorId":"{u}","message":"m {u}"}},'
    b'{{"code":1300,"errorId":"{v}","message":"m {v}"}}]}}',
    # An id of zeros, a vendor's name in an id, another case.
    b'{{"ts":"2024-05-01T12:00:{s:02d}.{f}Z","trace_id":"{t}","level":"error","msg":'
    b'"webex failed {u}","status":503,"url":"https://api.webexconnect.io/x/{t}"}}',
]


def test_traps() -> None:
    rng = random.Random(11)
    fast = Extractor(catalog.load())
    for trap in TRAPS:
        for n in range(40):
            uuid = _ids_of(rng)[rng.choice([0, 0, 0, 1, 6, 7])]
            values = {
                "s": n % 60,
                # Learnt from copies whose fraction is no status, met with one that is.
                "f": ["123", "000", "999", "503", "429"][n % 5],
                "g": ["123", "456", "789", "5a8", "0fe"][n % 5],
                "h16": f"{rng.getrandbits(64):016x}",
                "e": rng.choice(["1714564800", "1714564800123", "1002"]),
                "m": ["05", "05", "05", "13"][n % 4],
                "u": uuid,
                "v": uuid if n % 4 == 0 else _ids_of(rng)[0],
                "t": rng.choice([f"{rng.getrandbits(128):032x}", "0" * 32, "A" * 32]),
            }
            _same(trap.decode().format(**values).encode(), fast)


def test_copies_are_not_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    from vendor_errors.parsers import general

    extractor = Extractor(catalog.load())
    rng = random.Random(5)
    shape = outage_shapes()[0]
    for n in range(3):  # seen, learnt (and checked twice), then known
        extractor.extract(freshen(shape, rng, 1714564800 + n), {})
    decoded = 0
    loads = general._loads

    def counted(raw: bytes) -> Any:
        nonlocal decoded
        decoded += 1
        return loads(raw)

    monkeypatch.setattr(general, "_loads", counted)
    for n in range(50):
        _same(freshen(shape, rng, 1714564900 + n * 1.5), extractor)
    assert decoded == 50  # the general path's own, in _same; none in the extractor


def test_the_lines_stay_bounded() -> None:
    extractor = Extractor(catalog.load())
    for n in range(MAX_LINES + 60):
        record = {
            "ts": f"2024-05-01T12:00:{n % 60:02d}.{n % 1000:03d}Z",
            "level": "error",
            "url": "https://sms.8x8.com/api/v1/messages",
            "status": 400,
            "body": {"code": 1002, "message": f"Invalid MSISDN {n // 2}", "errorId": "e"},
        }
        extractor.extract(orjson.dumps(record), {})
    assert extractor.paths.repeats is not None
    for layer in extractor.paths.repeats:
        assert len(layer.by_signature) <= MAX_LINES


def test_large_lines_are_learnt_and_few_are_kept() -> None:
    """A stack trace in a JSON field makes a line of several KiB: its copies come from the
    recipe, as the general path gives them; only MAX_LARGE_LINES such lines are kept."""
    extractor = Extractor(catalog.load())
    frames = "".join(f"\\n\\tat com.acme.sms.Client{n}.send(Client.java:{n})" for n in range(160))
    rng = random.Random(8)
    for variant in range(repeats.MAX_LARGE_LINES + 4):
        for n in range(3):
            record = {
                "@timestamp": f"2024-05-01T12:00:{n:02d}.{rng.randrange(1000):03d}Z",
                "level": "ERROR",
                "trace_id": f"{rng.getrandbits(128):032x}",
                "message": f"8x8 send failed at step {'I' * (variant + 1)}",
                "url": "https://sms.8x8.com/api/v1/subaccounts/acme/messages",
                "status": 400,
                "body": {"code": 1002, "message": "Invalid MSISDN", "errorId": str(uuid4())},
                "stack_trace": f"com.acme.sms.SendException: 400{frames}",
            }
            raw = orjson.dumps(record)
            assert repeats.LARGE_RECORD_BYTES < len(raw) <= repeats.MAX_RECORD_BYTES
            _same(raw, extractor)
    layer = extractor.paths.repeats[0]  # type: ignore[index]
    # The second and third copies of the lines kept.
    assert layer.hits == 2 * repeats.MAX_LARGE_LINES
    assert sum(map(len, layer.by_signature.values())) == repeats.MAX_LARGE_LINES


def test_tokens_are_ids_and_times_on_word_boundaries() -> None:
    text = (
        b'{"a":"2024-05-01T12:00:00.123+02:00","b":"x1cc1eda1-f5dd-ea11-8288-0263195dd35a",'
        b'"c":"5b8efff798038103d269b633813fc60c","d":1714564800123,"e":"\\b5b8efff798038103",'
        b'"f":"call 1300 at 12:00","g":"eee19b7ec3c1b174"}'
    )
    assert TOKEN.findall(text) == [
        b"2024-05-01T12:00:00.123+02:00",
        b"5b8efff798038103d269b633813fc60c",
        b"1714564800123",
        b"eee19b7ec3c1b174",
    ]
    assert repeats.hex_words(catalog.load().vendors) == (b"d365",)


@settings(max_examples=400, deadline=None)
@given(
    st.integers(1998, 2101),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(0, 24),
    st.integers(0, 60),
    st.text("0123456789", min_size=1, max_size=10),
    st.sampled_from([".", ","]),
    st.sampled_from(["T", " "]),
    st.sampled_from(["Z", "", "+02:00", "-0530", "+2400", "-23:59"]),
)
def test_clock_reads_a_time_as_record_time_does(
    year: int, month: int, day: int, hour: int, second: int, digits: str, dot: str, t: str, z: str
) -> None:
    token = f"{year:04d}-{month:02d}-{day:02d}{t}{hour:02d}:17:{second:02d}{dot}{digits}{z}"
    assert times.clock(token) == times._record_time(token)
    assert times.clock(token) == times._record_time(token)  # from the memo


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.integers(0, 10**17),
        st.integers(1_500_000_000, 2_000_000_000).map(lambda s: s * 1000 + 999),
        st.sampled_from([946_684_800, 4_102_444_800]).flatmap(
            lambda edge: st.sampled_from([1, 1000, 10**6, 10**9]).map(lambda scale: edge * scale)
        ),
    ),
    st.integers(-2, 2),
    st.integers(0, 3),
)
def test_clock_reads_an_epoch_as_record_time_does(number: int, nudge: int, zeros: int) -> None:
    token = "0" * zeros + str(max(0, number + nudge))
    assert times.clock(token) == times._record_time(token)
    assert times.clock(token) == times._record_time(token)  # from the memo


# What a learnt line's check of a copy must refuse, one byte changed at a time: a hex digit
# as another (a literal's letters: "code" and "c0de"), a case (an id of the other case is
# another id), a letter in digits (no epoch), a dash or a dot moved.
_SWAPS = b"0123456789abcdefABCDEF-."


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_a_copy_changed_in_one_byte_is_read_as_the_general_path_reads_it(data: Any) -> None:
    fast = Extractor(catalog.load())
    rng = random.Random(data.draw(st.integers(0, 2**32)))
    shape = data.draw(st.sampled_from(outage_shapes()))
    for n in range(3):  # seen, then learnt
        _same(freshen(shape, rng, 1714564800 + n * 1.25), fast)
    copy = bytearray(freshen(shape, rng, 1714564900.5))
    for _ in range(data.draw(st.integers(1, 3))):
        where = data.draw(st.integers(0, len(copy) - 1))
        copy[where] = data.draw(st.sampled_from(_SWAPS))
    _same(bytes(copy), fast)


def test_the_check_of_a_copy_refuses_what_changes_the_line() -> None:
    fast = Extractor(catalog.load())
    rng = random.Random(8)
    line = (
        b'{{"ts":"2024-05-01T12:00:{s}.{f}Z","level":"error","trace_id":"{t}",'
        b'"span":"{p}","sent":{e},"url":"https://sms.8x8.com/api/v1/x","status":404,'
        b'"body":{{"code":1300,"message":"Not found","errorId":"{u}"}}}}'
    ).decode()

    def copy(n: int, **changed: str) -> bytes:
        trace = f"{rng.getrandbits(128):032x}"
        values = {
            "s": f"{n % 60:02d}",
            "f": f"{n % 1000:03d}",
            "t": trace,
            "p": trace,  # the same id twice
            "e": str(1714564800123 + n),
            "u": _ids_of(rng)[0],
        } | changed
        return line.format(**values).encode()

    for n in range(3):
        _same(copy(n), fast)
    hits = _hits(fast)
    _same(copy(5), fast)
    assert _hits(fast) == hits + 1  # a copy: from the recipe
    for changed in (
        {"t": "A" * 16 + "b" * 16},  # mixed case where the line had one
        {"u": _ids_of(rng)[1]},  # an upper-case UUID where the line had a lower-case one
        {"e": "17145648001a3"},  # a letter in epoch digits
        {"e": "2714564800123"},  # another unit or range: other first digits
        {"t": "0" * 32, "p": "0" * 32},  # an id of zeros
        {"p": f"{rng.getrandbits(128):032x}"},  # two ids that were one
        {"s": "5a"},  # a letter in a time
    ):
        _same(copy(9, **changed), fast)
    assert _hits(fast) == hits + 1  # none of them a copy
