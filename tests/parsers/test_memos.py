"""The memos of the general path give what the functions they stand for give, and stay small."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest
from vendor_errors import catalog
from vendor_errors.parsers.decoding import times
from vendor_errors.parsers.decoding.context import Envelope, settle
from vendor_errors.parsers.decoding.directory import CHANNEL_MEMO_LIMIT, Directory
from vendor_errors.parsers.decoding.prose import PROSE_STATUS
from vendor_errors.parsers.enrichment.verdict import judge
from vendor_errors.parsers.fast.verdicts import MEMO_LIMIT, Verdicts

# -- record times ----------------------------------------------------------------------------

TIMES = (
    "2025-03-01T10:00:01Z",
    "2025-03-01T10:00:01+02:00",
    "2025-03-01 10:00:01,250",
    " 2025-03-01T10:00:01Z ",
    "1714564800",
    "1714564800123",
    "1714564800.5",
    "01/May/2024:12:00:00 +0000",
    "2024/05/01 12:00:00",
    "1999-12-31T23:59:59Z",  # before 2000: no log time
    "not a time",
    "2025-02-30T10:00:00Z",
    "",
)


def test_record_time_memo_gives_what_parsing_gives() -> None:
    times._times.clear()
    for _ in range(2):  # the first round fills the memo, the second reads it
        for text in TIMES:
            assert times.record_time(text) == times._record_time(text), text
    assert times.record_time("2025-03-01T10:00:01Z") == (
        "2025-03-01T10:00:01.000Z",
        1_740_823_201_000_000_000,
    )


def test_record_time_does_not_memoise_other_values() -> None:
    # True == 1 == 1.0 as dict keys, yet they are no log time, seconds and seconds.
    times._times.clear()
    for value in (True, 1_714_564_800, 1_714_564_800.5, None, b"1714564800"):
        assert times.record_time(value) == times._record_time(value)
    assert times.record_time(True) is None
    assert times.record_time(1_714_564_800) == ("2024-05-01T12:00:00.000Z", 1714564800 * 10**9)
    assert times._times.data == {}


def _as_written(text: str) -> tuple[str, int] | None:
    """What `record_time` must make of "YYYY-MM-DDTHH:MM:SS.mmmZ", the slow way."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if not 946_684_800 <= moment.timestamp() < 4_102_444_800:
        return None
    return text, int(moment.timestamp()) * 10**9 + moment.microsecond * 1000


@pytest.mark.parametrize("year", ["1969", "1999", "2000", "2024", "2099", "2100", "20x4"])
def test_record_time_as_written_by_the_second(year: str) -> None:
    days = ("01-01", "02-29", "02-30", "12-31", "13-01")
    clocks = ("00:00:00", "23:59:59", "23:59:60", "24:00:00")
    for _ in range(2):  # the second round reads the memo of seconds
        for day, clock, millis in itertools.product(days, clocks, ("000", "999", "9a9")):
            text = f"{year}-{day}T{clock}.{millis}Z"
            assert times.record_time(text) == _as_written(text), text


def test_record_time_memo_is_bounded() -> None:
    times._times.clear()
    for second in range(5000):
        times.record_time(f"2025-03-01T10:{second // 60 % 60:02d}:{second % 60:02d}Z")
    assert 0 < len(times._times) <= 4096


# -- verdicts --------------------------------------------------------------------------------


@pytest.mark.parametrize("include_status", [False, True])
def test_verdicts_match_judge_for_every_message(include_status: bool) -> None:
    """A known code's verdict is kept without its message: only the message it reports may
    differ between messages. If the catalog ever read the message for a code it has, this
    fails."""
    cat = catalog.load()
    verdicts = Verdicts(cat, include_status)
    codes = {(entry.vendor, entry.code, entry.channel) for entry in cat}
    codes |= {("8x8", "99999", None), ("salesforce", "SOMETHING_NEW", None)}
    codes |= {("webex", "404", "sms"), ("pipedrive", None, None)}
    messages = ("Conversation 1 is closed", None, "", "Rate limit exceeded", "timeout")
    signs = ((True, False), (False, False), (False, True))
    for (vendor, code, channel), status, message, (hint, level) in itertools.product(
        sorted(codes, key=str), (None, 404, 503), messages, signs
    ):
        channel = channel if vendor == "webex" else None
        key = (vendor, code, status, channel, message, hint, level)
        assert verdicts.get(*key) == judge(cat, include_status, *key), key


def test_verdict_memos_are_bounded() -> None:
    verdicts = Verdicts(catalog.load(), False)
    for n in range(MEMO_LIMIT + 100):
        verdicts.get("8x8", "1300", 400, None, f"Invalid destination +1415555{n:04d}", True, True)
        verdicts.get("8x8", "1300", 400 + n % 200, None, None, True, True)
        verdicts.get("8x8", str(90000 + n), 400, None, f"message {n}", True, True)
    assert len(verdicts._known) <= MEMO_LIMIT
    assert len(verdicts._memo) <= MEMO_LIMIT


# -- channels --------------------------------------------------------------------------------


def test_channel_memo_gives_what_folding_gives() -> None:
    directory = Directory(catalog.load().vendors)
    spellings = ("SMS", "sms", "WhatsApp", "whats-app", "In App", "Voice", "pager", "", "x" * 41)
    for _ in range(2):
        found = [directory.channel(text) for text in spellings]
        assert found == ["sms", "sms", "whatsapp", "whatsapp", "in_app", "voice", None, None, None]
    assert directory.channel(7) is None
    for n in range(CHANNEL_MEMO_LIMIT + 10):
        directory.channel(f"channel {n}")
    assert len(directory.channel_memo) <= CHANNEL_MEMO_LIMIT


# -- statuses in prose ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "vendor returned 503",
        "HTTP 429 from upstream",
        "status: 404",
        "502 Bad Gateway",
        "retrying in 1000 ms",
        "took 503 ms",
        "Rate limit exceeded",
        "HTTP \u0664\u0660\u0664",  # Arabic-Indic digits: \d reads them, [45] does not
        "failed with 400",
        "error 3000 at step 5",
    ],
)
def test_prose_status_skip_changes_nothing(text: str) -> None:
    env = Envelope()
    env.prose.append(text)
    found = PROSE_STATUS.search(text)
    expected = int(found.group(1) or found.group(2)) if found is not None else None
    assert settle(env).status == expected
