"""Classification of codes nobody documented: from the HTTP status, else the message's wording."""

from __future__ import annotations

import re
from typing import NamedTuple


class Guess(NamedTuple):
    category: str
    severity: str
    transient: bool


# Order matters: the first rule whose pattern matches wins, so specific wording
# (rate limit, timeout) comes before generic words (invalid, error).
_WORDING: tuple[tuple[re.Pattern[str], Guess], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), Guess(*guess))
    for pattern, guess in (
        (r"rate.?limit|too many requests|throttl|\btps\b", ("rate_limit", "warning", True)),
        (r"time[ d-]?out|timed out|deadline exceeded", ("timeout", "warning", True)),
        (
            r"unavailable|try again|please retry|temporar|maintenance|overload",
            ("unavailable", "warning", True),
        ),
        (r"quota|credit|balance|limit reached", ("quota", "error", False)),
        (
            r"unauthori[sz]ed|authenticat|token|credential|api key",
            ("authentication", "critical", False),
        ),
        (
            r"forbidden|permission|not allowed|access denied|scope",
            ("authorization", "critical", False),
        ),
        (
            r"not found|does(?:n't| not) exist|no such|unknown (?:user|subscriber)",
            ("not_found", "error", False),
        ),
        (r"duplicate|already exists|conflict", ("conflict", "error", False)),
        (
            r"too (?:large|long|big)|exceed|max(?:imum)? (?:size|length)",
            ("payload_too_large", "error", False),
        ),
        (r"not supported|unsupported|not implemented", ("unsupported", "error", False)),
        (r"invalid|missing|malformed|required|must be|bad request", ("validation", "error", False)),
        (r"internal|server error|exception", ("internal", "error", True)),
    )
)

_UNKNOWN = Guess("unknown", "error", False)


def guess_from_status(status: int | None) -> Guess | None:
    """Only the broad classes; specific statuses come from the `http_<status>` entries."""
    if status is None or status < 400 or status > 599:
        return None
    if status >= 500:
        return Guess("internal", "error", True)
    return Guess("validation", "error", False)


def guess_from_message(message: str | None) -> Guess:
    if message:
        for pattern, guess in _WORDING:
            if pattern.search(message):
                return guess
    return _UNKNOWN
