"""Find catalog entries by what they say: the words of a message, ranked (`catalog search`).

A query's words are matched against each entry's vendor wording (message and `also`, weighted
most), the document's details, then our remediation. A word matches the same word, a longer
word it begins (`throttl` finds "throttled"), or a close spelling from the catalog's own
vocabulary (`recipent` finds "recipient"). Entries that match more of the query rank first;
the whole query found in a message ranks above scattered words.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from vendor_errors.catalog.model import Entry
from vendor_errors.catalog.vendors import vendor_order

_WORD = re.compile(r"[a-z0-9]+")
# How much a query word found in each part of an entry is worth.
_WEIGHTS = (("wording", 3.0), ("details", 2.0), ("remediation", 1.0))
_PREFIX_MIN = 3  # shorter query words must match whole words
_CLOSE_MIN = 5  # shorter query words are not corrected (too many near neighbours)


def words(text: str | None) -> list[str]:
    return _WORD.findall(text.lower()) if text else []


@dataclass(frozen=True, slots=True)
class Hit:
    entry: Entry
    score: float
    matched: int  # query words found somewhere in the entry


def _parts(entry: Entry) -> dict[str, set[str]]:
    wording = set(words(entry.message))
    for text in entry.also:
        wording.update(words(text))
    return {
        "wording": wording,
        "details": set(words(entry.details)),
        "remediation": set(words(entry.remediation)),
    }


def _expand(term: str, vocabulary: set[str]) -> tuple[set[str], set[str]]:
    """(words that match `term` fully, words that match it partly: longer or misspelt)."""
    full = {term} if term in vocabulary else set()
    partial: set[str] = set()
    if len(term) >= _PREFIX_MIN:
        partial.update(w for w in vocabulary if w != term and w.startswith(term))
    if not full and len(term) >= _CLOSE_MIN:
        partial.update(difflib.get_close_matches(term, vocabulary, n=5, cutoff=0.8))
    return full, partial


def search(entries: Iterable[Entry], query: str, limit: int | None = 20) -> list[Hit]:
    """Entries whose words match the query, best first; codes match too (`7302`, `NOT_FOUND`)."""
    terms = list(dict.fromkeys(words(query)))
    if not terms:
        return []
    listed = list(entries)
    parts = [_parts(entry) for entry in listed]
    vocabulary: set[str] = set().union(*(p for entry_parts in parts for p in entry_parts.values()))
    expanded = [_expand(term, vocabulary) for term in terms]
    phrase = " ".join(terms)
    hits: list[Hit] = []
    for entry, entry_parts in zip(listed, parts, strict=True):
        score = 0.0
        matched = 0
        for term, (full, partial) in zip(terms, expanded, strict=True):
            best = 0.0
            if term == entry.code.lower() or f"http_{term}" == entry.code:
                best = 6.0
            for part, weight in _WEIGHTS:
                found = entry_parts[part]
                if full & found:
                    best = max(best, weight)
                elif partial & found:
                    best = max(best, weight * 0.6)
            if best:
                matched += 1
                score += best
        if not matched:
            continue
        if len(terms) > 1 and phrase in " ".join(words(entry.message)):
            score += 3.0
        hits.append(Hit(entry, score, matched))
    hits.sort(
        key=lambda hit: (
            -hit.matched,
            -hit.score,
            len(hit.entry.message),  # the more focused wording first
            vendor_order(hit.entry.vendor),
            hit.entry.channel or "",
            hit.entry.code,
        )
    )
    return hits[:limit] if limit is not None else hits
