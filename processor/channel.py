"""One direction of a helper process's channel (child.py): pickled messages over an OS pipe.

Why not multiprocessing's Queue: its lock and its semaphore are named semaphores, which start
multiprocessing's resource tracker (a Python interpreter of ~12 MiB beside every processor), and
its spawn start imports the parent's `__main__` (the command line, ~20 MiB) into each child.
A pipe needs neither: nothing named to clean up, and the kernel closes it with the process.

A frame is a 4-byte big-endian header and a pickle. A header with its top bit set carries no
pickle: it says the receiver took that many requests ("taken"), which the sender counts against
the channel's capacity, as a Queue's semaphore would be released by `get`.

Writes go through a thread (`Sender`), so that whoever sends never blocks on a peer that does
not read (as a Queue's feeder thread); reads (`Receiver`) never block past their timeout, a
partial frame waits in the receiver's buffer for the rest.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import struct
import threading
import time
from collections import deque
from typing import Any

_HEADER = struct.Struct(">I")
_TAKEN = 1 << 31
_READ_BYTES = 1 << 16


class Taken:
    """What `Receiver.next` returns for a "taken" frame: the peer took `count` requests."""

    __slots__ = ("count",)

    def __init__(self, count: int) -> None:
        self.count = count


def readable(fds: list[int], timeout_seconds: float) -> list[int]:
    """Which of `fds` have something to read (or are closed at the other end), waiting up to
    the timeout for one (poll(2): any file number, unlike select)."""
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN)
    return [fd for fd, _ in poller.poll(max(0, int(timeout_seconds * 1000 + 0.999)))]


def dumps(item: Any) -> bytes:
    return pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)


class Sender:
    """Frames written to `fd` by a thread of their own, in order; `put` never blocks.

    Once the peer is gone (the pipe broken) everything is dropped, and `broken` says so."""

    def __init__(self, fd: int, name: str) -> None:
        self.fd = fd
        self.broken = False
        self._frames: deque[bytes] = deque()
        self._busy = False
        self._closed = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def put(self, payload: bytes) -> bool:
        """Queue a pickled message; False when the peer is gone (or the sender closed)."""
        return self._put(_HEADER.pack(len(payload)) + payload)

    def put_taken(self, count: int) -> bool:
        return self._put(_HEADER.pack(_TAKEN | count))

    def _put(self, frame: bytes) -> bool:
        with self._changed:
            if self.broken or self._closed:
                return False
            self._frames.append(frame)
            self._changed.notify_all()
        return True

    def flush(self, timeout_seconds: float) -> bool:
        """Wait until every frame was written (True), the peer is gone, or the time is up."""
        deadline = time.monotonic() + timeout_seconds
        with self._changed:
            while (self._frames or self._busy) and not self.broken:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
        return not self.broken

    def close(self) -> None:
        """Stop writing, without waiting for what is queued; the pipe is closed by the thread
        (at once when idle, or once its write fails)."""
        with self._changed:
            self._closed = True
            self._frames.clear()
            self._changed.notify_all()

    def _run(self) -> None:
        frames, changed = self._frames, self._changed
        try:
            while True:
                with changed:
                    while not frames and not self._closed:
                        changed.wait()
                    if self._closed:
                        return
                    # Small frames (answers, "taken") go out in one write.
                    frame = frames.popleft()
                    while frames and len(frame) < _READ_BYTES and len(frames[0]) < _READ_BYTES:
                        frame += frames.popleft()
                    self._busy = True
                view = memoryview(frame)
                while view:
                    view = view[os.write(self.fd, view) :]
                with changed:
                    self._busy = False
                    changed.notify_all()
        except OSError:  # the peer is gone (EPIPE), or the pipe was closed
            with changed:
                self.broken = True
                frames.clear()
                self._busy = False
                changed.notify_all()
        finally:
            with contextlib.suppress(OSError):
                os.close(self.fd)


class Receiver:
    """Frames read from `fd`: `next` returns a message, a Taken, or None."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.ended = False  # the peer closed its end: everything it sent is in the buffer
        self._buffer = bytearray()

    def next(self, timeout_seconds: float) -> Any:
        """The next message (unpickled) or Taken; None when none came within the timeout.
        EOFError once the peer is gone and everything it sent was read."""
        deadline = time.monotonic() + timeout_seconds
        while True:
            frame = self._frame()
            if frame is not None:
                return frame
            if self.ended:
                raise EOFError
            remaining = deadline - time.monotonic()
            if not self.fill(max(remaining, 0.0)) and remaining <= 0:
                return None

    def fill(self, timeout_seconds: float) -> bool:
        """Read what the pipe holds, waiting up to the timeout for something; True if read."""
        if self.ended or not readable([self.fd], timeout_seconds):
            return False
        try:
            data = os.read(self.fd, _READ_BYTES)
        except OSError:
            data = b""
        if not data:
            self.ended = True
            return False
        self._buffer += data
        return True

    def _frame(self) -> Any:
        buffer = self._buffer
        if len(buffer) < _HEADER.size:
            return None
        (header,) = _HEADER.unpack_from(buffer)
        if header & _TAKEN:
            del buffer[: _HEADER.size]
            return Taken(header & ~_TAKEN)
        end = _HEADER.size + header
        if len(buffer) < end:
            return None
        payload = bytes(buffer[_HEADER.size : end])
        del buffer[:end]
        return pickle.loads(payload)

    def close(self) -> None:
        if not self.ended:  # (once: the number may be another file's after)
            self.ended = True
            with contextlib.suppress(OSError):
                os.close(self.fd)
