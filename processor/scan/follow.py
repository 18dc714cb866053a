"""`scan --follow`: read files as they grow, like `tail -F`.

Each file is read from its start, then polled. New data is scanned once its file has been
quiet for a moment (`settle_seconds`; a busy file at least every `max_wait_seconds`), up to its
last complete line, so a record written in one go is grouped whole. The path is watched, not
the open file: when it is renamed away or replaced (log rotation), the old file is read to its
end and the new one from its start; when it shrinks (`copytruncate`), it is read again from its
start; a path that is missing is waited for. Each of these is noted on stderr, as tail does.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable
from typing import BinaryIO, cast

# scan(stream, name, lines before the stream's first line): read records from the stream.
ScanPass = Callable[[BinaryIO, str, int], None]
Note = Callable[[str], None]

TAIL_PROBE = 1 << 16


class _Window:
    """Bytes [start, end) of an open file, read as a stream; counts the lines it served."""

    def __init__(self, file: BinaryIO, start: int, end: int) -> None:
        file.seek(start)
        self.file = file
        self.left = end - start
        self.newlines = 0
        self.last = b""

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        data = self.file.read(self.left if size < 0 else min(size, self.left))
        self.left -= len(data)
        if not data:
            self.left = 0
        else:
            self.newlines += data.count(b"\n")
            self.last = data[-1:]
        return data

    @property
    def lines(self) -> int:
        """Lines served: a last line without its newline counts too."""
        return self.newlines + (1 if self.last not in (b"", b"\n") else 0)


class Followed:
    """One followed path, and the file that is open under it."""

    def __init__(self, path: str, scan: ScanPass, note: Note) -> None:
        self.path = path
        self.scan = scan
        self.note = note
        self.file: BinaryIO | None = None
        self.ident: tuple[int, int] | None = None
        self.position = 0
        self.lines = 0  # lines of the file scanned so far
        self.size = 0  # its size when last polled
        self.changed_at = 0.0  # when that size was first seen
        self.waiting_since: float | None = None  # the oldest data not scanned yet
        self.problem: str | None = None  # what was last noted about the path

    def _open(self) -> bool:
        try:
            file = open(self.path, "rb")  # noqa: SIM115 - held open across polls
        except OSError as exc:
            problem = exc.strerror or str(exc)
            if problem != self.problem:
                self.note(f"{self.path}: {problem}; waiting for it")
                self.problem = problem
            return False
        if self.problem is not None:
            self.note(f"{self.path}: has appeared; following it")
            self.problem = None
        stat = os.fstat(file.fileno())
        self.file, self.ident = file, (stat.st_dev, stat.st_ino)
        self.position = self.lines = self.size = 0
        self.waiting_since = None
        return True

    def _scan_to(self, end: int) -> None:
        assert self.file is not None
        if end <= self.position:
            return
        window = _Window(self.file, self.position, end)
        self.scan(cast(BinaryIO, window), self.path, self.lines)
        self.position = end
        self.lines += window.lines

    def _last_line_end(self, size: int) -> int:
        """Just past the last newline before `size` (the position when there is none)."""
        assert self.file is not None
        probe_end = size
        while probe_end > self.position:
            probe_start = max(self.position, probe_end - TAIL_PROBE)
            self.file.seek(probe_start)
            newline = self.file.read(probe_end - probe_start).rfind(b"\n")
            if newline >= 0:
                return probe_start + newline + 1
            probe_end = probe_start
        return self.position

    def _close(self, note: str | None) -> None:
        """Read the open file to its very end (nothing more comes to it), then let it go."""
        assert self.file is not None
        self._scan_to(os.fstat(self.file.fileno()).st_size)
        self.file.close()
        self.file = self.ident = None
        if note is not None:
            self.note(f"{self.path}: {note}")

    def poll(self, now: float, settle: float, max_wait: float, at_once: bool = False) -> None:
        if self.file is None and not self._open():
            return
        try:
            stat = os.stat(self.path)
        except OSError:
            self._close("moved or removed; waiting for a new file")
            self.problem = os.strerror(errno.ENOENT)  # what opening it says until it is back
            return
        if (stat.st_dev, stat.st_ino) != self.ident:
            self._close(None)
            self.note(f"{self.path}: replaced (rotated); following the new file")
            self._open()
            at_once = False
        assert self.file is not None
        size = os.fstat(self.file.fileno()).st_size
        if size < self.position:
            self.note(f"{self.path}: truncated; reading it from the start")
            self.position = self.lines = 0
        if size != self.size:
            self.size, self.changed_at = size, now
        if size <= self.position:
            self.waiting_since = None
            return
        if self.waiting_since is None:
            self.waiting_since = now
        quiet = now - self.changed_at >= settle
        if not (at_once or quiet or now - self.waiting_since >= max_wait):
            return
        end = self._last_line_end(size)
        if end == self.position and (at_once or now - self.changed_at >= max_wait):
            end = size  # a last line that stays without its newline: take it as it is
        self._scan_to(end)
        self.waiting_since = now if end < size else None

    def finish(self) -> None:
        """The scan stops: read what the file holds, a last line without newline included."""
        if self.file is not None:
            self._close(None)


def follow(
    paths: list[str],
    scan: ScanPass,
    note: Note,
    stopped: Callable[[float], bool],
    poll_seconds: float = 0.25,
    settle_seconds: float = 0.3,
    max_wait_seconds: float = 2.0,
) -> None:
    """Scan `paths` as they grow until `stopped(timeout)` (which waits up to `timeout`
    seconds for the stop) says so; then scan what they hold and return."""
    followed = [Followed(path, scan, note) for path in paths]
    for item in followed:  # what is there already, at once
        item.poll(time.monotonic(), settle_seconds, max_wait_seconds, at_once=True)
    try:
        while not stopped(poll_seconds):
            now = time.monotonic()
            for item in followed:
                item.poll(now, settle_seconds, max_wait_seconds)
    except BaseException:
        for item in followed:
            if item.file is not None:
                item.file.close()
        raise
    for item in followed:
        item.finish()
