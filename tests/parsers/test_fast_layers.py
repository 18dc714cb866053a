"""Each speed layer of parsers/fast, put over the general path's stage it wraps, gives what that
stage gives. The two filters differ from it only where docs/parsing.md says, and those
differences are pinned here too, so that any other fails.

Batches: test_batch.py; templates and skeletons through the whole extractor: test_templates.py,
test_skeletons.py; verdicts and the memos of times and channels: test_memos.py.
"""

from __future__ import annotations

import functools
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vendor_errors import catalog
from vendor_errors.parsers import general
from vendor_errors.parsers.decoding import urls
from vendor_errors.parsers.decoding.directory import Directory
from vendor_errors.parsers.decoding.fields import fold
from vendor_errors.parsers.decoding.raw import binary_reason, truncated_json
from vendor_errors.parsers.extract import LAYERS, Extractor, Paths
from vendor_errors.parsers.fast import templates
from vendor_errors.parsers.fast.memo import Memo
from vendor_errors.parsers.fast.prefilter import NOTHING, Needles, Prefilter
from vendor_errors.parsers.fast.skeletons import Skeletons
from vendor_errors.parsers.fast.templates import Templates
from vendor_errors.parsers.fast.triage import Triage
from vendor_errors.parsers.general import Split
from vendor_errors.parsers.result import Result

from tests.parsers.test_batch import ODD
from tests.parsers.test_corpus import CASES
from tests.parsers.test_templates import TRAPS, _records, _stable

SOURCE = {"file": "layers.log", "line": 9}


@functools.cache
def _general() -> Paths:
    """The general path alone: no speed layer at all."""
    return Extractor(catalog.load(), layers=frozenset()).paths


@functools.cache
def _bench_records() -> list[bytes]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from bench.bench_scan import generate

    with tempfile.TemporaryDirectory() as tmp:
        mixed, errors = Path(tmp, "mixed.log"), Path(tmp, "errors.log")
        generate(mixed, 3_000, 0.2, seed=5)
        generate(errors, 600, 1.0, seed=6)
        return mixed.read_bytes().splitlines() + errors.read_bytes().splitlines()


def _records_of_every_kind() -> list[bytes]:
    corpus = [case["record"].encode() for case in CASES]
    return corpus + _records() + TRAPS + ODD + _bench_records()


def _json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None


def _text(raw: bytes) -> str | None:
    """What `Extractor.extract` hands the record stage as the record's text."""
    return None if raw.isascii() else raw.decode("utf-8", "replace")


# -- the prefilter ----------------------------------------------------------------------------


def _prefiltered(paths: Paths) -> Prefilter:
    return Prefilter(Needles(catalog.load().vendors), paths.record, paths.record)


def _same_or_the_binary_difference(raw: bytes, fast: Result, general: Result) -> None:
    if (
        raw.isascii()
        and binary_reason(raw) is not None
        and Needles(catalog.load().vendors).kind(raw) == NOTHING
    ):
        # The one difference kept on purpose: control characters are only counted in a record
        # the search lets through.
        expected = "undecodable" if truncated_json(raw) else "no_error"
        assert (fast.outcome, general.outcome, general.reason) == (
            expected,
            "undecodable",
            "binary data",
        )
        return
    assert _stable(fast) == _stable(general), raw


def test_the_prefilter_gives_what_the_record_stage_gives() -> None:
    paths = _general()
    prefilter = _prefiltered(paths)
    records = [r for r in _records_of_every_kind() if b"\x00" not in r]
    for raw in records:
        text = _text(raw)
        fast = prefilter.record(raw, text, SOURCE)
        _same_or_the_binary_difference(raw, fast, paths.record(raw, text, SOURCE))
    assert len(records) > 4000


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200).filter(lambda raw: raw.isascii() and b"\x00" not in raw))
def test_the_prefilter_on_any_ascii_bytes(raw: bytes) -> None:
    paths = _general()
    fast = _prefiltered(paths).record(raw, None, SOURCE)
    _same_or_the_binary_difference(raw, fast, paths.record(raw, None, SOURCE))


def test_the_prefilter_misses_spellings_it_does_not_search_for() -> None:
    """Documented (docs/parsing.md, "Speed"): the needles are the spellings the vendors' data
    gives and the usual code members; a code member spelled otherwise, with no vendor named,
    is not looked at."""
    paths = _general()
    raw = b'{"ERRCODE":"1300","message":"Not found"}'
    assert paths.record(raw, None, SOURCE).outcome == "error_found"
    assert _prefiltered(paths).record(raw, None, SOURCE).outcome == "no_error"


# -- triage ---------------------------------------------------------------------------------


def test_triage_gives_what_the_json_stage_gives() -> None:
    paths = _general()
    triage = Triage(paths.general.json, Directory(catalog.load().vendors).roles)
    looked = 0
    for raw in _records_of_every_kind():
        obj = _json(raw)
        if obj.__class__ is not dict and obj.__class__ is not list:
            continue
        looked += 1
        general = paths.general.json(obj, SOURCE)
        assert _stable(triage.json(obj, SOURCE)) == _stable(general), raw
    assert looked > 3000


def test_triage_has_one_blind_spot() -> None:
    """Documented (docs/parsing.md, "Speed"): an info-level record with no status field whose
    only sign of failure is a status in its prose."""
    paths = _general()
    triage = Triage(paths.general.json, Directory(catalog.load().vendors).roles)
    blind = {"level": "info", "url": "https://sms.8x8.com/x", "msg": "8x8 returned 503"}
    assert paths.general.json(blind, SOURCE).outcome == "error_found"
    assert triage.json(blind, SOURCE).outcome == "no_error"
    for seen in ({**blind, "level": "warn"}, {**blind, "status": 503}, {"msg": blind["msg"]}):
        assert _stable(triage.json(seen, SOURCE)) == _stable(paths.general.json(seen, SOURCE))
    # Only a level that says "fine" is the blind spot: a level field holding something else (a
    # time, a logger's name; found by tests/parsers/test_repeats.py's hypothesis records) is
    # no sign that the call went well.
    for level in ("2024-05-01T12:00:00.072Z", "com.acme.Sms", "LEVEL_UNSET", ""):
        odd = {**blind, "level": level}
        assert paths.general.json(odd, SOURCE).outcome == "error_found", level
        assert _stable(triage.json(odd, SOURCE)) == _stable(paths.general.json(odd, SOURCE))


# -- repeated records -----------------------------------------------------------------------


@pytest.fixture
def _keep_templating(monkeypatch: pytest.MonkeyPatch) -> None:
    # Most records here are new: keep templating on (it would stop while they do not repeat).
    monkeypatch.setattr(templates, "WINDOW", 1 << 60)


@pytest.mark.usefixtures("_keep_templating")
def test_templates_give_what_the_json_stage_gives() -> None:
    paths = _general()
    layer = Templates(paths.general.json, Directory(catalog.load().vendors).roles)
    rng = random.Random(2)
    records = _records_of_every_kind()
    rng.shuffle(records)
    for raw in records * 2:  # the second round finds the templates of the first
        obj = _json(raw)
        if obj.__class__ is dict:
            expected = _stable(paths.general.json(obj, SOURCE))
            assert _stable(layer.json(obj, SOURCE)) == expected, raw
    assert len(layer.store) > 50


@pytest.mark.usefixtures("_keep_templating")
def test_skeletons_give_what_the_record_stage_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = _general()
    roles = Directory(catalog.load().vendors).roles
    store = Templates(paths.general.json, roles)
    layer = Skeletons(Split(store.json, paths.general.text).record, store, roles)
    decoded = 0
    loads = general._loads

    def counted(raw: bytes | str) -> Any:
        nonlocal decoded
        decoded += 1
        return loads(raw)

    records = [r for r in _records_of_every_kind() if r.lstrip()[:1] == b"{"] * 3
    for raw in records:  # a skeleton is learnt from a record's second copy
        text = _text(raw)
        expected = _stable(paths.record(raw, text, SOURCE))
        with monkeypatch.context() as patch:
            patch.setattr(general, "_loads", counted)
            assert _stable(layer.record(raw, text, SOURCE)) == expected, raw
    assert decoded < len(records) * 0.8  # copies answered from their bytes, not decoded


# -- the whole stack ------------------------------------------------------------------------


def test_every_layer_together_gives_what_the_general_path_gives() -> None:
    shipped = catalog.load()
    fast, general = Extractor(shipped), Extractor(shipped, layers=frozenset())
    assert fast.paths.screen is not None and general.paths.screen is None
    for raw in _records_of_every_kind():
        _same_or_the_binary_difference(raw, fast.extract(raw, SOURCE), general.extract(raw, SOURCE))


def test_layers_are_named_and_depend_on_the_prefilter() -> None:
    with pytest.raises(ValueError, match="unknown speed layers: turbo"):
        Extractor(catalog.load(), layers={"turbo"})
    with pytest.raises(ValueError, match="need the prefilter"):
        Extractor(catalog.load(), layers=LAYERS - {"prefilter"})
    with pytest.raises(ValueError, match="skeletons need templates"):
        Extractor(catalog.load(), layers=LAYERS - {"templates"})
    with pytest.raises(ValueError, match="calm needs triage"):
        Extractor(catalog.load(), layers=LAYERS - {"triage"})


# -- the memo -------------------------------------------------------------------------------


def test_a_memo_is_bounded_and_reads_as_a_dict() -> None:
    memo: Memo[str, int] = Memo(3)
    data = memo.data
    assert memo.put("a", 1) == 1 and data == {"a": 1}
    memo.put("b", 2)
    memo.put("c", 3)
    memo.put("d", 4)  # full: emptied first
    assert data == {"d": 4} and memo.data is data and len(memo) == 1
    with pytest.raises(ValueError):
        Memo(0)


def test_memoised_url_readers_give_what_their_functions_give() -> None:
    samples = [
        "https://user:pw@api.8x8.com/sms/v1?sig=abc&page=2#frag",
        "https://[::1]:8443/x",
        "http://host:notaport/x",
        "https://acme.my.salesforce.com/services?access_token=eyJabcdefghij.eyJx.y",
        "not a url",
        "",
    ]
    for _ in range(2):  # the second round reads the memos
        for url in samples:
            assert urls.sanitize_url(url) == urls._sanitize(url)
            assert urls.url_host(url) == urls._host(url)
            clean = urls._sanitize(url)
            assert urls.exported(url) == (clean, urls._host(clean) if clean else None)


def test_memoised_vendor_lookups_give_what_a_fresh_directory_gives() -> None:
    vendors = catalog.load().vendors
    used = Directory(vendors)
    values = ["api.8x8.com", "x.dynamics.com", "webexconnect.io", "example.com", "Microsoft"]
    values += ["com.acme.WebexConnectClient", "thermodynamics", "SmsEightByEightClient", "d365"]
    values += ["Sforce-Limit-Info", "http.response.header.x-ms-correlation-id", "x-request-id"]
    for value in values * 2:
        fresh = Directory(vendors)
        assert used.vendor_of_host(value.lower()) == fresh.vendor_of_host(value.lower())
        assert used.vendors_named(value) == fresh.vendors_named(value)
        assert used.vendors_in_text(value.lower()) == fresh.vendors_in_text(value.lower())
        assert used.header_vendor(value) == fresh.header_vendor(value)
        assert used.roles.role_of(value) == fresh.roles.role_of(value)
        assert used.roles.role_of(value, "http") == fresh.roles.role_of(value, "http")
    assert used.vendors_named("SmsEightByEightClient") == {"8x8"}
    assert used.header_vendor("http.response.header.x-ms-correlation-id") == "dynamics365"
    assert fold("Sforce-Limit-Info") == "sforcelimitinfo"


def test_the_prefilter_finds_the_same_lines_from_the_lines_offsets() -> None:
    needles = Needles(catalog.load().vendors)
    records = [r.replace(b"\n", b" ") for r in _records_of_every_kind()]
    for size in (1, 7, 100, len(records)):
        for start in range(0, len(records), size):
            lines = records[start : start + size]
            block = b"\n".join(lines)
            assert needles.kinds(block, lines) == needles.kinds(block)


_PIECES = st.sampled_from(
    [
        *(b"", b"x", b"{", b"}", b'"code":1', b"8x8", b"sms.8x8.com", b"webex", b"code="),
        *(b" " * 40, b"a" * 300, b'{"level":"info","msg":"ok"}', b"errorCode", b"Dynamics"),
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_PIECES, max_size=6).map(b"".join), min_size=1, max_size=60))
def test_the_prefilter_finds_the_same_lines_however_long_they_are(lines: list[bytes]) -> None:
    # Long lines take the walk back from the lines' lengths, many short ones the offsets with
    # their newlines (prefilter.Needles._kinds_of_lines): both must be the block searched alone.
    needles = Needles.build(catalog.load().vendors)
    block = b"\n".join(lines)
    assert needles.kinds(block, lines) == needles.kinds(block)
