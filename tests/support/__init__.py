"""Helpers shared by the tests' fixtures."""

from __future__ import annotations

import uuid


def unique_id() -> str:
    """A short unique name part that never reads as a phone number.

    Eight hex digits are all decimal one time in 43; the privacy stage rightly redacts a run of
    eight digits in a topic name (`source.topic`, the `topic` label), and a test that compares
    topic names then fails by chance. A letter first keeps the digit runs to seven.
    """
    return f"u{uuid.uuid4().hex[:7]}"
