"""Vendor messages are cut at a blank, never inside a word (redaction comes after the cut)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from vendor_errors.parsers.recognisers.base import MAX_MESSAGE_CHARS, clip


def test_short_messages_are_kept_whole() -> None:
    message = "Invalid MSISDN " * 10
    assert clip(message) == message


def test_the_word_the_cut_falls_in_is_left_out_whole() -> None:
    message = "x" * 990 + " jane.doe.sixteen@example.com and more"
    assert clip(message) == "x" * 990
    assert clip("call +14155550105 now", 10) == "call"


def test_a_cut_on_a_blank_keeps_everything_before_it() -> None:
    assert clip("abc def", 3) == "abc"
    assert clip("abcdefgh", 4) == "abcd"  # no blank before the limit: cut there


@given(st.text(alphabet="ab \n", max_size=60), st.integers(min_value=1, max_value=40))
def test_a_clipped_message_is_a_prefix_ending_before_a_blank_or_at_the_limit(
    message: str, limit: int
) -> None:
    clipped = clip(message, limit)
    assert message.startswith(clipped)
    assert len(clipped) <= limit
    rest = message[len(clipped) :]
    # Either nothing was cut, or the cut is at a blank, or there was no blank to cut at.
    assert not rest or rest[0].isspace() or not any(c.isspace() for c in message[:limit])


def test_the_limit_is_the_events_message_limit() -> None:
    assert MAX_MESSAGE_CHARS == 1000
