"""Helper processes of the processor: the span exporter and the producer.

Both take pure-Python work off the poll loop's GIL. One helper runs both the same way: a new
interpreter (no fork of a process with threads) fed through a pipe, answering on a second one,
stopped within a bound and killed if stuck. In the child, child_start.py sets up what every
helper needs (signals, logs, priority, dying with the parent) and `Inbox` is its only way to
the parent. The pipes are channel.py's, not multiprocessing's: no resource-tracker process
beside the processor, and a child imports only what its work needs, not the command line
(together ~30 MiB less, measured: docs/operations.md, Sizing).

No child outlives the processor, however it ends:
- asked to stop (`Child.stop`), a child gets a share of the shutdown bound and is killed past it;
  the request reaches it even when its requests pipe is full or it is busy (a pipe of its own);
- the processor killed (SIGKILL, OOM): the kernel kills each child at once (Linux
  PR_SET_PDEATHSIG), and each child also watches its parent's pid every second (elsewhere, or
  if the signal was missed);
- the processor exiting without stopping a child (an error at start, the shutdown watchdog):
  `kill_all` (at exit, and before a forced exit) kills what is left;
- SIGTERM sent to a child (a process-group signal, an init system): it keeps serving its
  parent, which is stopping too, and exits by itself at most `TERM_GRACE_SECONDS` later.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import pickle
import queue
import struct
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from vendor_errors.processor.channel import Receiver, Sender, Taken, dumps, readable

if TYPE_CHECKING:
    import subprocess

    from vendor_errors.processor.privacy import Redactor

log = logging.getLogger(__name__)

# How often a child looks whether its parent still lives.
PARENT_CHECK_SECONDS = 1.0
# While the parent waits for an answer, it looks whether the child still lives this often.
ANSWER_SLICE_SECONDS = 0.1
# A child sent SIGTERM exits by itself this long after (set to the shutdown bound: configure()).
TERM_GRACE_SECONDS = 20.0
# A child's answers still being written when it returns get this long (unless asked to stop).
ANSWER_FLUSH_SECONDS = 10.0
# The privacy policy of the children's logs (set from the settings: configure()); None: the
# default policy.
LOG_REDACTOR: Redactor | None = None
# The stop request: the seconds the child has left, as a double.
_STOP = struct.Struct("d")
_LAUNCH = "from vendor_errors.processor.child_start import launched; launched()"


class _End:
    """The last request the parent sends: everything before it was handed over."""


class Stopped(Exception):
    """The parent asked the child to finish (within `within_seconds`), or is gone (0)."""

    def __init__(self, within_seconds: float) -> None:
        super().__init__(within_seconds)
        self.within_seconds = within_seconds


def configure(term_grace_seconds: float, log_redactor: Redactor | None = None) -> None:
    """How long a child sent SIGTERM may still serve its parent (the shutdown bound), and the
    privacy policy its logs go through (the parent's, so the same settings hold in every
    process)."""
    global TERM_GRACE_SECONDS, LOG_REDACTOR
    TERM_GRACE_SECONDS = term_grace_seconds
    if log_redactor is not None:
        LOG_REDACTOR = log_redactor


class Inbox:
    """The child's side: what the parent sends, and the way to answer it."""

    def __init__(self, requests: Receiver, answers: Sender, stop_fd: int) -> None:
        self._requests = requests
        self._answers = answers
        self._stop_fd = stop_fd
        self._within: float | None = None  # set once the parent asked to stop

    def get(self, timeout: float) -> Any:
        """The next request, or None after `timeout`; Stopped once the parent asked to stop
        (requests still queued then are left for `rest`)."""
        if self.stopping():
            raise Stopped(self._within_seconds())
        deadline = time.monotonic() + max(timeout, 0.0)
        requests = self._requests
        while True:
            try:
                item = requests.next(0)
            except EOFError:  # the parent is gone
                raise Stopped(0.0) from None
            if item is not None:
                return self._taken(item)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready = readable([requests.fd, self._stop_fd], remaining)
            if self._stop_fd in ready:
                raise Stopped(self._within_seconds())
            if ready:
                requests.fill(0)

    def _taken(self, item: Any) -> Any:
        if type(item) is _End:
            raise Stopped(self._within_seconds())
        self._answers.put_taken(1)
        return item

    def stopping(self) -> bool:
        """Whether the parent asked to stop (for a child busy with something else)."""
        if self._within is None and readable([self._stop_fd], 0):
            self._within_seconds()
        return self._within is not None

    def _within_seconds(self) -> float:
        if self._within is None:
            data = b""
            with contextlib.suppress(OSError):
                data = os.read(self._stop_fd, _STOP.size)
            # Nothing to read: the parent is gone (its end closed): no time left.
            self._within = _STOP.unpack(data)[0] if len(data) == _STOP.size else 0.0
        return self._within

    def rest(self, deadline: float) -> Iterator[Any]:
        """After Stopped: the requests the parent sent before it asked to stop, until the
        deadline (time.monotonic)."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            try:
                item = self._requests.next(min(remaining, 0.5))
            except (EOFError, pickle.UnpicklingError):
                return
            if item is None or type(item) is _End:
                return  # nothing more is coming
            yield self._taken(item)

    def answer(self, item: Any) -> None:
        self._answers.put(dumps(item))


# Children started and not yet stopped, for the memory gauge and kill_all (a Child dropped
# unstopped stays here: its process runs on).
_living: set[Child] = set()


class Child:
    """The parent's side of one helper process.

    `main(inbox, *args)` runs in the child (a module-level function: it is pickled by name).
    At most `capacity` requests wait for it, counted by their `weight` (0: no limit); `offer`
    never blocks the caller. The child's logs go through `redactor` (default: the one given to
    `configure`, else the default policy).
    """

    def __init__(
        self,
        name: str,
        main: Callable[..., None],
        args: tuple[Any, ...],
        *,
        capacity: int,
        log_level: str,
        niceness: int = 0,
        redactor: Redactor | None = None,
    ) -> None:
        import subprocess

        self.name = name
        self.capacity = capacity
        start = dumps(
            (
                name,
                main,
                TERM_GRACE_SECONDS,
                log_level,
                redactor if redactor is not None else LOG_REDACTOR,
                niceness,
                args,
            )
        )  # before anything is started: what does not pickle fails here, in the caller
        requests_read, requests_write = os.pipe()
        answers_read, answers_write = os.pipe()
        stop_read, stop_write = os.pipe()
        theirs = (requests_read, answers_write, stop_read)
        try:
            self._process: subprocess.Popen[bytes] = subprocess.Popen(
                [
                    sys.executable,
                    *subprocess._args_from_interpreter_flags(),  # type: ignore[attr-defined]
                    "-c",
                    _LAUNCH,
                    str(os.getpid()),
                    *map(str, theirs),
                    name,
                ],
                pass_fds=theirs,
                stdin=subprocess.DEVNULL,
            )
        except BaseException:
            for fd in (*theirs, requests_write, answers_read, stop_write):
                os.close(fd)
            raise
        finally:
            for fd in theirs:
                with contextlib.suppress(OSError):
                    os.close(fd)
        _living.add(self)
        self._requests = Sender(requests_write, f"{name}-requests")
        self._answers = Receiver(answers_read)
        self._stop_fd: int | None = stop_write
        self._received: deque[Any] = deque()
        self._weights: deque[int] = deque()  # of the requests not taken yet, oldest first
        self._queued = 0
        self._requests.put(dumps(sys.path))
        self._requests.put(start)

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def is_alive(self) -> bool:
        return self._process.poll() is None

    def join(self, timeout_seconds: float) -> None:
        with contextlib.suppress(Exception):
            self._process.wait(max(timeout_seconds, 0.0))

    @property
    def queued(self) -> int:
        """The weight of the requests offered and not taken by the child yet."""
        with contextlib.suppress(EOFError):
            self._drain()
        return self._queued

    def offer(self, item: Any, weight: int = 1) -> bool:
        """Queue a request for the child; False when that would pass the capacity (or the
        child is gone)."""
        if self.capacity and weight and self.queued + weight > self.capacity:
            return False
        if not self._requests.put(dumps(item)):
            return False
        self._weights.append(weight)
        self._queued += weight
        return True

    def _drain(self) -> None:
        """Read every frame the child sent so far: answers kept, "taken" counted. EOFError
        once the child is gone and everything it sent was read."""
        while True:
            try:
                item = self._answers.next(0)
            except pickle.UnpicklingError:  # a child killed in the middle of a write
                raise EOFError from None
            if item is None:
                return
            self._take(item)

    def _take(self, item: Any) -> None:
        if type(item) is Taken:
            for _ in range(min(item.count, len(self._weights))):
                self._queued -= self._weights.popleft()
        else:
            self._received.append(item)

    def answer(self, timeout_seconds: float) -> Any:
        """The child's next answer; queue.Empty when none came in time, or the child is gone."""
        deadline = time.monotonic() + timeout_seconds
        try:
            self._drain()
            while not self._received:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise queue.Empty
                item = self._answers.next(min(ANSWER_SLICE_SECONDS, remaining))
                if item is not None:
                    self._take(item)
                elif not self.is_alive():
                    self._drain()  # what it answered before exiting
                    if not self._received:
                        raise queue.Empty
        except (EOFError, pickle.UnpicklingError):
            if not self._received:
                raise queue.Empty from None
        return self._received.popleft()

    def answers(self) -> list[Any]:
        """Every answer already there, without waiting."""
        with contextlib.suppress(EOFError):
            self._drain()
        received = list(self._received)
        self._received.clear()
        return received

    def stop(self, timeout_seconds: float) -> bool:
        """Ask the child to finish and exit; past `timeout_seconds`, kill it. True when it
        exited by itself."""
        deadline = time.monotonic() + max(timeout_seconds, 0.1)
        if self.is_alive() and self._stop_fd is not None:
            # The child gets the time that is left after this hand-over, less a margin. The
            # request has a pipe of its own: it gets through however full the requests are.
            with contextlib.suppress(OSError):
                os.write(self._stop_fd, _STOP.pack(max(timeout_seconds - 0.5, 0.0)))
            self._requests.put(dumps(_End()))  # marks the end of the requests
            self.join(max(0.0, deadline - time.monotonic()))
        finished = not self.is_alive()
        if not finished:
            log.warning("%s process did not finish in time; killing it", self.name)
            self.kill()
        self._close_channels()
        return finished

    def kill(self) -> None:
        """SIGKILL, at once (the child lets SIGTERM wait for the parent: see _on_sigterm)."""
        with contextlib.suppress(OSError, ValueError, AttributeError):
            self._process.kill()
        self.join(1.0)
        _living.discard(self)

    def _close_channels(self) -> None:
        _living.discard(self)
        self._requests.close()  # never waits on a pipe the child no longer reads
        self._answers.close()
        if self._stop_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._stop_fd)
            self._stop_fd = None


def living() -> list[tuple[str, int]]:
    """(name, pid) of every child started and not stopped yet."""
    return [(child.name, child.pid) for child in list(_living) if child.pid is not None]


def kill_all() -> None:
    """Kill every helper process still running: the processor is exiting without them."""
    for child in list(_living):
        with contextlib.suppress(Exception):
            child.kill()
            child._close_channels()


atexit.register(kill_all)
