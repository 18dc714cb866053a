"""Runs of one-line JSON records in a block with other lines come as batches, and the records
are exactly those of feeding every line to the grouper (parsers.decoding.records)."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vendor_errors.parsers.decoding import records
from vendor_errors.parsers.decoding.records import Batch, iter_batches

# Lines of every kind the grouper tells apart.
LINES = [
    b'{"ts":"2024-05-01T12:00:00.000Z","level":"info","msg":"ok"}',
    b'{"level":"error","body":{"code":1300}}',
    b'{"ts":"2024-05-01T12:00:00.000Z","msg":"cut by the shipper","text":"abc',  # open body
    b'{"a":1}\r',
    b"{",
    b"}",
    b'  "code": 1300,',
    b"\tat com.acme.Client.send(Client.java:42)",
    b"Caused by: java.io.IOException: reset",
    b"java.lang.IllegalStateException: bad",
    b"java.lang.IllegalStateException\r",
    b"2024-05-01 12:00:00 ERROR 8x8 returned HTTP 422:",
    b"2024-05-01 12:00:01 INFO plain line",
    b"level=error msg=x code=1300",
    b"",
    b"   ",
    b"plain words",
    b'{"x":"' + b"y" * 40 + b'"}',  # over the limit used below
]


def _reference(stream: io.BytesIO, limit: int) -> Iterator[tuple[int, bytes] | Batch]:
    """iter_batches before mixed blocks were batched: whole blocks of `{...}` lines as
    batches, every other line fed to the grouper."""
    grouper = records._Grouper(limit)
    number = 0
    for block, lines in records._blocks(stream, limit):
        # The check as first written: every newline between `}` and `{`.
        uniform = (
            block[:1] == b"{"
            and block[-1:] == b"}"
            and block.count(b"}\n{") == len(lines) - 1
            and b"\r" not in block
        )
        if grouper.idle and uniform:
            done = grouper.flush()
            if done is not None:
                yield done
            yield Batch(number + 1, lines, block)
            number += len(lines)
            continue
        for line in lines:
            number += 1
            done = grouper.feed(number, line)
            if done is not None:
                yield done
    done = grouper.flush()
    if done is not None:
        yield done


def _flat(items: Iterator[tuple[int, bytes] | Batch]) -> tuple[list[tuple[int, bytes]], int]:
    """Every record as (first line, bytes), and how many came in batches."""
    out: list[tuple[int, bytes]] = []
    batched = 0
    for item in items:
        if isinstance(item, Batch):
            assert item.block == b"\n".join(item.lines)
            out.extend(enumerate(item.lines, item.first_line))
            batched += len(item.lines)
        else:
            out.append(item)
    return out, batched


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(LINES), st.just(LINES[0]), st.just(LINES[1])), max_size=120),
    st.sampled_from([64, 256, 1 << 20]),
    st.sampled_from([1, 2, 3]),
    st.sampled_from([48, 1 << 20]),
)
def test_mixed_blocks_give_the_records_of_the_grouper(
    lines: list[bytes], chunk: int, run: int, limit: int
) -> None:
    data = b"\n".join(lines) + b"\n"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(records, "CHUNK_BYTES", chunk)
        patch.setattr(records, "MIN_RUN", run)
        got, _ = _flat(iter_batches(io.BytesIO(data), limit))
        expected, _ = _flat(_reference(io.BytesIO(data), limit))
    assert got == expected


def test_a_cut_line_does_not_stop_the_block_from_coming_in_batches() -> None:
    good = [b'{"n":%d,"msg":"ok"}' % n for n in range(200)]
    lines = [*good[:100], b'{"n":"cut', b"\tat x.Y(Y.java:1)", *good[100:]]
    data = b"\n".join(lines) + b"\n"
    got, batched = _flat(iter_batches(io.BytesIO(data)))
    expected, _ = _flat(_reference(io.BytesIO(data), 1 << 20))
    assert got == expected
    assert batched >= 190
    assert (101, b'{"n":"cut\n\tat x.Y(Y.java:1)') in got


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([line for line in LINES if line.strip() and b"\r" not in line])),
    st.sampled_from([1, 2]),
)
def test_mixed_blocks_without_blank_lines_or_carriage_returns(lines: list[bytes], run: int) -> None:
    """The lines' first and last bytes are read for all lines at once here."""
    data = b"\n".join(lines) + b"\n"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(records, "MIN_RUN", run)
        got, _ = _flat(iter_batches(io.BytesIO(data)))
        expected, _ = _flat(_reference(io.BytesIO(data), 1 << 20))
    assert got == expected
