"""Lines of a log file grouped into records: one per log event, however many lines it spans.

A record starts at a line that does not continue the previous one. A line continues the
record when it is indented (stack frames, pretty-printed JSON), starts with a closing `}` or
`]`, with `Caused by:`, `Traceback`, `During handling`, `... N more`, or is an exception line
(`java.lang.IllegalStateException: ...`, `ValueError: ...`), or opens a JSON body right after
a line ending in `:` ("8x8 returned HTTP 422:" then `{`); and every line continues it while a
JSON body opened on an earlier line (a line ending in `{` or `[`) is still open - unless the
line can only start a record (a timestamp, a logfmt key, a whole JSON object): then the body
was truncated and the new line starts the next record.

Memory is bounded: a record stops growing at `max_record_bytes` (the rest of its lines are
dropped, the record is passed on over-long so the extractor reports it as too large), and a
single line longer than that is cut, its remainder skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from operator import itemgetter
from typing import BinaryIO

# Read at once, and a batch for the extractor: ~900 records of 300 bytes. Larger blocks were no
# faster (bench_scan) and cost resident memory: 1 MiB blocks, with their lines and results,
# ~10 MiB more at peak.
CHUNK_BYTES = 256 << 10
MAX_RECORD_LINES = 5_000
MIN_RUN = 32  # one-line JSON records in a row worth a batch of their own in a mixed block

_CONTINUATION_PREFIXES = (
    b"Caused by:",
    b"Traceback (most recent call last)",
    b"During handling of the above exception",
    b"The above exception was the direct cause",
    b"... ",
    b"}",
    b"]",
    b")",
    b"(",
    b'"}',  # the end of Laravel's JSON context, after its stack trace
    b"[stacktrace]",  # Laravel, before PHP's `#0 ...` frames
    b"[previous exception]",
    b"For more information check:",  # httpx's HTTPStatusError, on its second line
    b"Line |",  # PowerShell's error view
)
# `java.lang.IllegalStateException: ...`, `requests.exceptions.HTTPError: 503 ...`,
# `ValueError: ...`, `feign.FeignException$TooManyRequests: ...`, `Faraday::TimeoutError: ...`
# - a class name ending in Error/Exception/Fault/Timeout (a nested class after `$`), then `:`
# or the line's end; or any class of a package named `exceptions`/`errors`
# (`requests.exceptions.ReadTimeout: ...`); or a PHP stack frame (`#0 /app/...`).
# Possessive repeats keep a long dotted line from backtracking; only its head is looked at.
_EXCEPTION_LINE = re.compile(
    rb"(?:[A-Za-z_$][\w$]*+(?:\.|::|\\))*+[A-Za-z_$][\w$]*"
    rb"(?:Error|Exception|Fault|Timeout)(?:\$[\w$]++)*(?::|$)"
    rb"|(?:[A-Za-z_$][\w$]*+\.)*+(?:exceptions|errors)\.[A-Za-z_$][\w$]*+:"
    rb"|\#\d{1,4} [/\\{A-Za-z]"
)
_EXCEPTION_HEAD = 512


# Lines that can only start a record, even inside a body left open by a truncated record: a
# date or time, a syslog priority, a logfmt key, or a whole one-line JSON object.
_RECORD_START = re.compile(
    rb"\d{4}[-/]\d{2}[-/]\d{2}[T ]|\d{2}:\d{2}:\d{2}|<\d{1,3}>|[A-Za-z_][\w.]*="
    rb"|\[\d{4}-\d{2}-\d{2}[T ]|\[\d{2}-[A-Z][a-z]{2}-\d{4} "  # Monolog, PHP's error_log
    rb"|[DIWEFAU], \[\d{4}-"  # Ruby's Logger
    rb"|(?:trce|dbug|info|warn|fail|crit): "  # .NET's console logger
    rb"|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d{2}:"  # BSD syslog
)


# java.util.logging's SimpleFormatter writes two lines: `May 02, 2024 8:15:11 AM com.acme.C send`
# then `SEVERE: message`; the second continues the first.
_JUL_HEAD = re.compile(rb"[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2} [AP]M ")
_JUL_LEVEL = re.compile(rb"(?:SEVERE|WARNING|INFO|CONFIG|FINE|FINER|FINEST): ")


def _starts_record(line: bytes) -> bool:
    if line[:2] == b'{"' or line[:3] == b'[{"':
        return line.rstrip()[-1:] in (b"}", b"]")
    return _RECORD_START.match(line) is not None


def _as_fed(line: bytes, limit: int) -> bytes:
    """A line as the grouper reads it: without its CR, cut one byte over `limit` (the
    extractor then calls the record too large)."""
    if line[-1:] == b"\r":
        line = line[:-1]
    if len(line) > limit:
        line = line[: limit + 1]
    return line


@dataclass(slots=True)
class Batch:
    """Consecutive one-line JSON records (`{...}` each), as read: the scanner's fast path."""

    first_line: int  # 1-based number of lines[0]
    lines: list[bytes]
    block: bytes  # b"\n".join(lines), for searching all of them at once


def _opens(line: bytes) -> int:
    """How many JSON brackets the line leaves open (approximate: brackets in strings count);
    PHP's print_r and var_export open and close theirs with a parenthesis at a line's end
    (`Array` then `(` ... `)`, `array (` ... `)`)."""
    opened = line.count(b"{") + line.count(b"[") - line.count(b"}") - line.count(b"]")
    tail = line.rstrip()
    if tail[-1:] == b"(":
        opened += 1
    elif tail.lstrip()[:1] == b")":
        opened -= 1
    return opened


def _blocks(stream: BinaryIO, limit: int) -> Iterator[tuple[bytes, list[bytes]]]:
    """Blocks of whole lines, with their lines; a line over `limit` bytes is cut to limit + 1."""
    pending = b""
    skipping = False  # inside an over-long line whose cut head was already passed on
    while True:
        chunk = stream.read(CHUNK_BYTES)
        if not chunk:
            break
        if skipping:
            newline = chunk.find(b"\n")
            if newline < 0:
                continue
            chunk = chunk[newline + 1 :]
            skipping = False
        cut = chunk.rfind(b"\n")
        if cut < 0:
            pending += chunk
        else:
            # One copy into the block (a view of the chunk joined), not two: each copy of a
            # fresh MiB costs its page faults too.
            block = b"".join((pending, memoryview(chunk)[:cut])) if pending else chunk[:cut]
            pending = chunk[cut + 1 :]
            yield block, block.split(b"\n")
        if len(pending) > limit:
            head = pending[: limit + 1]  # one byte over: the extractor calls it too large
            yield head, [head]
            pending = b""
            skipping = True
    if pending and not skipping:
        yield pending, [pending]


def _ends(lines: list[bytes]) -> tuple[bytes, bytes]:
    """The first and the last byte of each line, each joined (an empty line has neither): a
    few times cheaper than counting `}\n{` in the block, and read once per block."""
    return b"".join(map(_first_byte, lines)), b"".join(map(_last_byte, lines))


def _one_json_object_per_line(
    block: bytes, lines: list[bytes], firsts: bytes, lasts: bytes
) -> bool:
    """Every line of the block starts with `{` and ends with `}` (no blank lines, no CR);
    `firsts` and `lasts` are the lines' `_ends`."""
    return (
        len(firsts) == len(lines)
        and not firsts.strip(b"{")
        and not lasts.strip(b"}")
        and b"\r" not in block
    )


_first_byte, _last_byte = itemgetter(slice(0, 1)), itemgetter(slice(-1, None))


class _Grouper:
    """The line-by-line grouping of the module's docstring."""

    __slots__ = ("depth", "first_line", "limit", "parts", "size")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[bytes] = []
        self.size = 0
        self.first_line = 0
        self.depth = 0  # JSON brackets opened by the record and not yet closed

    @property
    def idle(self) -> bool:
        """A following `{...}` line cannot continue the pending record."""
        parts = self.parts
        return not parts or (self.depth == 0 and parts[-1][-1:] != b":")

    def flush(self) -> tuple[int, bytes] | None:
        parts = self.parts
        if not parts:
            return None
        self.parts = []
        return self.first_line, parts[0] if len(parts) == 1 else b"\n".join(parts)

    def feed(self, number: int, line: bytes) -> tuple[int, bytes] | None:
        """Take the next line; return the record it completes, if it starts a new one."""
        line = _as_fed(line, self.limit)
        parts = self.parts
        done = None
        if parts:
            depth = self.depth
            if depth > 0 and (_starts_record(line) or len(parts) >= MAX_RECORD_LINES):
                depth = 0  # the open body was truncated: this line is the next record
            if (
                depth > 0
                or _continues(line)
                or (parts[-1][-1:] == b":" and line[:1] in b"{[")
                or (_JUL_LEVEL.match(line) is not None and _JUL_HEAD.match(parts[-1]) is not None)
            ):
                if self.size <= self.limit and len(parts) < MAX_RECORD_LINES:
                    parts.append(line)
                    self.size += len(line) + 1
                if depth > 0 or line[-1:] in (b"{", b"[", b"(") or line[:1] in (b"{", b"[", b"("):
                    depth = max(0, depth + _opens(line))
                self.depth = depth
                return None
            done = self.flush()
        if not line.strip():
            self.depth = 0
            return done  # blank lines separate records and are none themselves
        self.parts = [line]
        self.size = len(line)
        self.first_line = number
        last = line[-1:]
        depth = 0 if last == b"}" and line[:1] == b"{" else max(0, _opens(line))
        if depth and last not in (b"{", b"[", b"(", b",", b":") and line[:1] not in (b"{", b"["):
            depth = 0  # brackets inside a text line's message, not an open body
        self.depth = depth
        return done


def iter_batches(
    stream: BinaryIO, max_record_bytes: int = 1 << 20
) -> Iterator[tuple[int, bytes] | Batch]:
    """Records of `stream` as (first line, bytes); runs of one-line JSON records as a Batch."""
    grouper = _Grouper(max_record_bytes)
    number = 0
    for block, lines in _blocks(stream, max_record_bytes):
        firsts, lasts = _ends(lines)
        if grouper.idle and _one_json_object_per_line(block, lines, firsts, lasts):
            done = grouper.flush()
            if done is not None:
                yield done
            yield Batch(number + 1, lines, block)
            number += len(lines)
            continue
        if firsts.count(b"{") >= MIN_RUN:
            odd = _odd_lines(block, lines, max_record_bytes, firsts, lasts)
            if len(lines) - len(odd) >= MIN_RUN:
                yield from _mixed(block, lines, number, grouper, odd)
                number += len(lines)
                continue
        feed = grouper.feed
        for line in lines:
            number += 1
            done = feed(number, line)
            if done is not None:
                yield done
    done = grouper.flush()
    if done is not None:
        yield done


def _mixed(
    block: bytes, lines: list[bytes], number: int, grouper: _Grouper, odd: list[int]
) -> Iterator[tuple[int, bytes] | Batch]:
    """The records of a block of JSON lines among others (a line cut by a shipper, a stack
    trace): exactly what feeding every line to `grouper` gives, with the runs of one-line
    JSON records that nothing can join as batches.

    A `{...}` line fed to an idle grouper starts a record and leaves it idle, and the next
    `{...}` line cannot continue it (`_continues` is false for `{`): so in a run of such lines
    met while the grouper is idle, each is a record of its own, but for the last, which the
    line after the run may continue (an indented line, `Caused by:`) or, at the block's end,
    the next block's first line. Short runs are fed: a batch costs more than a few lines.
    `odd`: the block's `_odd_lines`."""
    limit = grouper.limit
    count = len(lines)
    feed = grouper.feed
    index = 0
    for stop in (*odd, count):
        while index < stop:  # lines[index:stop] are `{...}` lines
            if grouper.idle:
                end = stop
                if end == count or _continues(_as_fed(lines[end], limit)):
                    end -= 1  # may be continued: the grouper's to decide
                if end - index >= MIN_RUN:
                    done = grouper.flush()
                    if done is not None:
                        yield done
                    run = lines[index:end]
                    yield Batch(number + index + 1, run, b"\n".join(run))
                    index = end
                    continue
            done = feed(number + index + 1, lines[index])
            if done is not None:
                yield done
            index += 1
        if stop < count:
            done = feed(number + stop + 1, lines[stop])
            if done is not None:
                yield done
            index = stop + 1


def _odd_lines(
    block: bytes, lines: list[bytes], limit: int, firsts: bytes, lasts: bytes
) -> list[int]:
    """Indexes of the lines that are not one whole `{...}` line as the grouper reads it (no
    CR, within the limit: `feed` cuts a longer one, and its cut head is no `{...}`).
    `firsts` and `lasts` are the lines' `_ends`."""
    count = len(lines)
    if (
        len(firsts) != count  # an empty line
        or b"\r" in block
        or (len(block) > limit and max(map(len, lines)) > limit)
    ):
        return [
            n
            for n, line in enumerate(lines)
            if line[:1] != b"{" or line[-1:] != b"}" or len(line) > limit or b"\r" in line
        ]
    # One byte per line, 1 where it does not open (close) like `{...}`, ORed as integers.
    odd = int.from_bytes(firsts.translate(_NOT_OPENING), "big") | int.from_bytes(
        lasts.translate(_NOT_CLOSING), "big"
    )
    marks = odd.to_bytes(count, "big")
    found: list[int] = []
    at = marks.find(1)
    while at >= 0:
        found.append(at)
        at = marks.find(1, at + 1)
    return found


_NOT_OPENING = bytes(byte != ord("{") for byte in range(256))
_NOT_CLOSING = bytes(byte != ord("}") for byte in range(256))


def iter_records(stream: BinaryIO, max_record_bytes: int = 1 << 20) -> Iterator[tuple[int, bytes]]:
    """Every record of `stream` as (1-based number of its first line, bytes)."""
    limit = max_record_bytes + 1  # a line over the limit is cut to one byte over: too large
    for item in iter_batches(stream, max_record_bytes):
        if isinstance(item, Batch):
            for number, line in enumerate(item.lines, item.first_line):
                yield number, line[:limit]
        else:
            yield item


def _continues(line: bytes) -> bool:
    first = line[:1]
    if first == b" " or first == b"\t":
        return bool(line.strip())
    if not first:
        return False
    if line.startswith(_CONTINUATION_PREFIXES):
        return True
    return first.isalpha() and _EXCEPTION_LINE.match(line, 0, _EXCEPTION_HEAD) is not None
