"""Many records at once: one prefilter pass over all of them, the full analysis only where due.

Kafka hands the processor records by the hundred and a file scan reads lines by the thousand.
Most hold no vendor error; for those the whole cost should be one search over the joined
records (parsers.fast.prefilter) and a few checks of the joined bytes, not a Python call each.
`extract_many` gives exactly what `extract` gives each record (tests/parsers/test_batch.py);
`Extractor.extract_many` is the one batch entry point, for `scan` and `run` alike.

A record gets the quick treatment when it is ASCII, free of NUL bytes and within the size
limit (for a typical batch one check of the joined bytes says so for all); any other record
goes through `extract` alone, which knows about invalid UTF-8, binary data and oversized
records.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Sequence
from itertools import compress, repeat
from operator import gt, itemgetter
from typing import NamedTuple

from vendor_errors.parsers.decoding.raw import truncated_json
from vendor_errors.parsers.fast.prefilter import CODE_MEMBER, Needles
from vendor_errors.parsers.result import Origin, Result
from vendor_errors.parsers.stages import RecordStage

log = logging.getLogger(__name__)

# (index of the record in the batch, its result), for every record that is not a plain
# "no_error" with nothing found; in record order.
Noted = list[tuple[int, Result]]
SourceOf = Callable[[int], Origin]
Extract = Callable[[bytes, Origin], Result]

_CLOSERS = (b"}", b"]")
# What a cut-off JSON record can start with: a bracket, or blanks before one.
_MAY_OPEN = (b"{", b"[", b" ", b"\t", b"\r", b"\n", b"\f", b"\v")
_by_index = itemgetter(0)
_first_byte, _last_byte = itemgetter(slice(0, 1)), itemgetter(slice(-1, None))
# Byte -> 1 or 0, for `bytes.translate`: the first byte may open a cut-off record; the last
# byte does not close one.
_MAY_OPEN_BYTE = bytes(byte in b"{[ \t\r\n\f\v" for byte in range(256))
_OPEN_END_BYTE = bytes(byte not in b"}]" for byte in range(256))


class Screen(NamedTuple):
    """The prefilter's parts: its search, and the record stage for each kind it finds."""

    needles: Needles
    vendor_only: RecordStage
    code_member: RecordStage


def extract_many(
    values: Sequence[bytes],
    source_of: SourceOf,
    extract: Extract,
    limit: int,
    screen: Screen | None,
    *,
    block: bytes | None = None,
    json_lines: bool = False,
) -> tuple[int, Noted]:
    """`extract(values[i], source_of(i))` for every record, in bulk.

    Returns how many records are plain "no_error" (nothing found, nothing wrong) and the
    results of all the others. `limit` is the extractor's `max_record_bytes`; `screen` its
    prefilter (None: records one by one). `block`, when the caller has it, is
    `b"\\n".join(values)`; `json_lines`: the caller checked that every value is one line
    holding a whole JSON object, `{...}` (scan's parsers.decoding.records.Batch).
    """
    count = len(values)
    if not count:
        return 0, []
    if screen is None:
        return _one_by_one(values, source_of, extract, range(count))
    if block is None:
        block = b"\n".join(values)
    if (
        block.isascii()
        and b"\x00" not in block
        and (len(block) <= limit or max(map(len, values)) <= limit)
    ):
        noted = _screen(values, block, source_of, screen, json_lines)
        return count - len(noted), noted
    # Some record is not plain ASCII text within the limit: those one at a time.
    plain: list[int] = []
    odd: list[int] = []
    for index, value in enumerate(values):
        if value.isascii() and b"\x00" not in value and len(value) <= limit:
            plain.append(index)
        else:
            odd.append(index)
    _quiet, noted = _one_by_one(values, source_of, extract, odd)
    if plain:
        subset = [values[index] for index in plain]
        for position, result in _screen(
            subset, b"\n".join(subset), lambda i: source_of(plain[i]), screen, json_lines
        ):
            noted.append((plain[position], result))
        noted.sort(key=_by_index)
    return count - len(noted), noted


def _one_by_one(
    values: Sequence[bytes], source_of: SourceOf, extract: Extract, indexes: Sequence[int]
) -> tuple[int, Noted]:
    noted: Noted = []
    for index in indexes:
        result = extract(values[index], source_of(index))
        if result.outcome != "no_error" or result.findings:
            noted.append((index, result))
    return len(indexes) - len(noted), noted


def _screen(
    values: Sequence[bytes],
    block: bytes,
    source_of: SourceOf,
    screen: Screen,
    json_lines: bool,
) -> Noted:
    """`extract_many` for ASCII records without NUL bytes, none over the size limit."""
    count = len(values)
    if not json_lines and block.count(b"\n") != count - 1:
        # Some record spans lines. No needle holds a newline or a space, so blanking a
        # record's newlines changes none of its matches and keeps one line per record.
        block = b"\n".join([value.replace(b"\n", b" ") for value in values])
    chosen, kinds = screen.needles.kinds(block, values)
    vendor_only, code_member = screen.vendor_only, screen.code_member
    noted: Noted = []
    for index, seen in zip(chosen, kinds, strict=True):
        source = source_of(index)
        try:
            result = (code_member if seen == CODE_MEMBER else vendor_only)(
                values[index], None, source
            )
        except Exception as exc:  # a parser bug must cost one record, never the batch
            result = parser_error(exc, source)
        if result.outcome != "no_error" or result.findings:
            noted.append((index, result))
    if json_lines:
        return noted  # whole `{...}` records: none is cut off
    # The records no needle matched are "no_error", unless cut off part-way (truncated JSON).
    suspects = _may_be_cut_off(values)
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


def parser_error(exc: Exception, source: Origin) -> Result:
    """The result of a record the parser failed on (a bug): logged, and the record is
    dead-lettered by the processor; the stream goes on."""
    log.error("parser failed on a record from %s", source, exc_info=exc)
    return Result("undecodable", reason=f"parser error: {type(exc).__name__}")


def _may_be_cut_off(values: Sequence[bytes]) -> list[int]:
    """Indexes of the records that start like JSON (or with blanks) and do not end like it;
    the others cannot be truncated JSON. Computed in C over the whole batch: one byte per
    record for its first and for its last byte, each mapped to 1 or 0, ANDed as integers."""
    count = len(values)
    firsts = b"".join(map(_first_byte, values))
    lasts = b"".join(map(_last_byte, values))
    if len(firsts) != count:  # an empty record has no first byte: slower, record by record
        return list(
            compress(
                itertools.count(),
                map(
                    gt,
                    map(bytes.startswith, values, repeat(_MAY_OPEN)),
                    map(bytes.endswith, values, repeat(_CLOSERS)),
                ),
            )
        )
    both = int.from_bytes(firsts.translate(_MAY_OPEN_BYTE), "big") & int.from_bytes(
        lasts.translate(_OPEN_END_BYTE), "big"
    )
    if not both:
        return []
    marks = both.to_bytes(count, "big")
    found: list[int] = []
    index = marks.find(1)
    while index >= 0:
        found.append(index)
        index = marks.find(1, index + 1)
    return found
