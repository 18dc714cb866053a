"""Many records at once: one prefilter pass over all of them, the full analysis only where due.

Kafka hands the processor records by the hundred and a file scan reads lines by the thousand.
Most hold no vendor error; for those the whole cost should be one search over the joined
records (parsers.prefilter) and a few checks of the joined bytes, not a Python call each. The
results are exactly those of `Extractor.extract` on each record (a test holds both to that).

A record gets the quick treatment when it is ASCII, free of NUL bytes and within the size
limit (for a typical batch one check of the joined bytes says so for all); any other record
goes through `Extractor.extract` alone, which knows about invalid UTF-8, binary data and
oversized records.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from itertools import compress, repeat
from operator import gt, itemgetter
from typing import Any

from parsers.extract import Extractor, truncated_json
from parsers.prefilter import candidate_kinds
from parsers.result import Result

# (index of the record in the batch, its result), for every record that is not a plain
# "no_error" with nothing found; in record order.
Noted = list[tuple[int, Result]]
SourceOf = Callable[[int], dict[str, Any]]

_CLOSERS = (b"}", b"]")
# What a cut-off JSON record can start with: a bracket, or blanks before one.
_MAY_OPEN = (b"{", b"[", b" ", b"\t", b"\r", b"\n", b"\f", b"\v")
_by_index = itemgetter(0)


def extract_many(
    extractor: Extractor,
    values: Sequence[bytes],
    source_of: SourceOf,
    *,
    block: bytes | None = None,
) -> tuple[int, Noted]:
    """Extract every record of `values`; `source_of(i)` is the event source of record i.

    Returns how many records are plain "no_error" (nothing found, nothing wrong) and the
    results of all the others. `block`, when the caller has it, is `b"\\n".join(values)`.
    """
    count = len(values)
    if not count:
        return 0, []
    if block is None:
        block = b"\n".join(values)
    limit = extractor.max_record_bytes
    if (
        block.isascii()
        and b"\x00" not in block
        and (len(block) <= limit or max(map(len, values)) <= limit)
    ):
        noted = _screen(extractor, values, block, source_of)
        return count - len(noted), noted
    # Some record is not plain ASCII text within the limit: those one at a time.
    plain: list[int] = []
    noted = []
    extract = extractor.extract
    for index, value in enumerate(values):
        if value.isascii() and b"\x00" not in value and len(value) <= limit:
            plain.append(index)
            continue
        result = extract(value, source_of(index))
        if result.outcome != "no_error" or result.findings:
            noted.append((index, result))
    if plain:
        subset = [values[index] for index in plain]
        for position, result in _screen(
            extractor, subset, b"\n".join(subset), lambda i: source_of(plain[i])
        ):
            noted.append((plain[position], result))
        noted.sort(key=_by_index)
    return count - len(noted), noted


def _screen(
    extractor: Extractor, values: Sequence[bytes], block: bytes, source_of: SourceOf
) -> Noted:
    """`extract_many` for ASCII records without NUL bytes, none over the size limit."""
    count = len(values)
    if block.count(b"\n") != count - 1:
        # Some record spans lines. No needle holds a newline or a space, so blanking a
        # record's newlines changes none of its matches and keeps one line per record.
        block = b"\n".join([value.replace(b"\n", b" ") for value in values])
    chosen, kinds = candidate_kinds(block)
    analyse = extractor.extract_prefiltered
    noted: Noted = []
    for index, seen in zip(chosen, kinds, strict=True):
        result = analyse(values[index], seen, source_of(index))
        if result.outcome != "no_error" or result.findings:
            noted.append((index, result))
    # The records no needle matched are "no_error", unless cut off part-way (truncated JSON).
    # Only a record that starts like JSON (or with blanks) and does not end like it can be;
    # both tests run in C over the whole batch (map over bytes methods, no Python per record).
    suspects = list(
        compress(
            itertools.count(),
            map(
                gt,
                map(bytes.startswith, values, repeat(_MAY_OPEN)),
                map(bytes.endswith, values, repeat(_CLOSERS)),
            ),
        )
    )
    if suspects:
        skip = set(chosen)
        damaged = [
            (index, Result("undecodable", reason="truncated json"))
            for index in suspects
            if index not in skip and truncated_json(values[index])
        ]
        if damaged:
            noted.extend(damaged)
            noted.sort(key=_by_index)
    return noted
