"""'Did you mean ...?' for a mistyped name: options, sub-commands, settings, vendors."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like `word` (case aside), or None when none is close enough."""
    by_folded = {candidate.lower(): candidate for candidate in candidates}
    found = difflib.get_close_matches(word.lower(), list(by_folded), n=1, cutoff=0.6)
    return by_folded[found[0]] if found else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """' (did you mean X?)' when a candidate is close to `word`, else ''."""
    match = closest(word, candidates)
    return f" (did you mean {match}?)" if match is not None else ""
