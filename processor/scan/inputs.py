"""scan's inputs: files (gzip or not) and stdin, and the progress line while reading them."""

from __future__ import annotations

import gzip
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO, TextIO, cast


class Progress:
    """A one-line counter on stderr, redrawn at most twice a second."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started = self.shown = time.monotonic()
        self.drawn = False
        self.counted = 0

    def update(self, records: int, size: int) -> None:
        if records - self.counted < 4096:
            return
        self.counted = records
        now = time.monotonic()
        if now - self.shown < 0.5:
            return
        self.shown = now
        rate = records / max(now - self.started, 1e-9)
        read = f", {size / 1e6:,.1f} MB" if size else ""
        self.stream.write(f"\rscanning: {records:,} records{read}, {rate:,.0f} records/s ")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()


@contextmanager
def open_input(path: str) -> Iterator[BinaryIO]:
    if path == "-":
        stdin = sys.stdin.buffer
        yield cast(BinaryIO, _Terminal(stdin.fileno())) if stdin.isatty() else stdin
        return
    with open(path, "rb") as raw:
        if is_gzip(raw):
            with gzip.open(raw, "rb") as unzipped:
                yield unzipped  # type: ignore[misc]
        else:
            yield raw


class _Terminal:
    """A terminal's input, read as typed: one Ctrl-D ends it. (A buffered read of 1 MiB would
    take a Ctrl-D as the end of one read only, and wait for another.)"""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.ended = False

    def read(self, size: int = -1) -> bytes:
        if self.ended:
            return b""
        data = os.read(self.fd, size if size > 0 else 1 << 16)
        self.ended = not data
        return data

    def seekable(self) -> bool:
        return False


def is_gzip(raw: BinaryIO) -> bool:
    return bool(raw.peek(2)[:2] == b"\x1f\x8b")  # type: ignore[attr-defined]  # gzip magic


def position(stream: BinaryIO) -> int:
    try:
        return stream.tell() if stream.seekable() else 0
    except OSError:
        return 0
