"""Helper processes of the processor: the span exporter and the producer.

Both take pure-Python work off the poll loop's GIL. One helper runs both the same way: started
with spawn (no fork of a process with threads), fed through a queue, answering on a second
one, stopped within a bound and killed if stuck. In the child, `_enter` sets up what every
helper needs (signals, logs, priority, dying with the parent) and `Inbox` is its only way to
the parent.

No child outlives the processor, however it ends:
- asked to stop (`Child.stop`), a child gets a share of the shutdown bound and is killed past it;
  the request reaches it even when its queue is full or it is busy (a flag beside the queue);
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
import ctypes
import logging
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vendor_errors.processor.privacy import Redactor

log = logging.getLogger(__name__)

# How often a child looks whether its parent still lives.
PARENT_CHECK_SECONDS = 1.0
# While the parent waits for an answer, it looks whether the child still lives this often.
ANSWER_SLICE_SECONDS = 0.1
# A child sent SIGTERM exits by itself this long after (set to the shutdown bound: configure()).
TERM_GRACE_SECONDS = 20.0
# linux/prctl.h
_PR_SET_PDEATHSIG = 1
# The privacy policy of the children's logs (set from the settings: configure()); None: the
# default policy.
LOG_REDACTOR: Redactor | None = None


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

    def __init__(self, requests: Queue[Any], answers: Queue[Any], stop: Event, within: Any) -> None:
        self._requests = requests
        self._answers = answers
        self._stop = stop
        self._within = within

    def get(self, timeout: float) -> Any:
        """The next request, or None after `timeout`; Stopped once the parent asked to stop
        (requests still queued then are left for `rest`)."""
        if self._stop.is_set():
            raise Stopped(self._within.value)
        try:
            item = self._requests.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            return None
        if type(item) is _End:
            raise Stopped(self._within.value)
        return item

    def stopping(self) -> bool:
        """Whether the parent asked to stop (for a child busy with something else)."""
        return self._stop.is_set()

    def rest(self, deadline: float) -> Iterator[Any]:
        """After Stopped: the requests the parent sent before it asked to stop, until the
        deadline (time.monotonic)."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            try:
                item = self._requests.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                return  # the end marker did not fit in a full queue: nothing more is coming
            except (ValueError, OSError, EOFError):
                return
            if type(item) is _End:
                return
            yield item

    def answer(self, item: Any) -> None:
        self._answers.put(item)


def _die_with_parent(parent_pid: int) -> None:
    """Make sure this child ends when its parent does, even by SIGKILL."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            # The kernel sends SIGKILL when the thread that started this process ends: in the
            # processor, the main thread (the poll loop), which lives as long as the process.
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)

    def watch() -> None:
        while True:
            if os.getppid() != parent_pid:  # orphaned (also before prctl took effect)
                os._exit(0)  # nothing this child holds was committed: it is read again
            time.sleep(PARENT_CHECK_SECONDS)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _on_sigterm(signum: int, frame: Any) -> None:
    # The parent, stopping too, may still need this child for its final flush; never longer
    # than its bound.
    timer = threading.Timer(TERM_GRACE_SECONDS, os._exit, args=(0,))
    timer.daemon = True
    timer.start()
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _enter(
    main: Callable[..., None],
    requests: Queue[Any],
    answers: Queue[Any],
    stop: Event,
    within: Any,
    parent_pid: int,
    term_grace_seconds: float,
    log_level: str,
    redactor: Redactor | None,
    niceness: int,
    args: tuple[Any, ...],
) -> None:
    from vendor_errors.processor import logs

    _die_with_parent(parent_pid)
    configure(term_grace_seconds, redactor)
    # A Ctrl-C on the terminal reaches the whole process group: the parent decides when to
    # stop, and must not lose its children before its final flush.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_sigterm)
    logs.configure(log_level, redactor=redactor)
    if niceness:
        with contextlib.suppress(OSError):
            os.nice(niceness)
    try:
        main(Inbox(requests, answers, stop, within), *args)
    except Exception:
        # Logged, so redacted: multiprocessing would print the traceback to stderr itself.
        log.exception("%s process failed", multiprocessing.current_process().name)
        sys.exit(1)
    finally:
        if stop.is_set():  # the parent reads no more answers: do not wait to hand them over
            answers.cancel_join_thread()


# Children started and not yet stopped, for the memory gauge (a Child dropped unstopped stays
# here: its process runs on).
_living: set[Child] = set()


class Child:
    """The parent's side of one helper process.

    `main(inbox, *args)` runs in the child (a module-level function: spawn pickles it by name).
    At most `capacity` requests wait for it (0: no limit, the caller bounds them); `offer`
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
        context = multiprocessing.get_context("spawn")
        self.name = name
        self._requests: Queue[Any] = context.Queue(maxsize=capacity)
        self._answers: Queue[Any] = context.Queue()
        self._stop = context.Event()
        self._within = context.Value("d", 0.0, lock=False)
        self._process: BaseProcess = context.Process(
            target=_enter,
            args=(
                main,
                self._requests,
                self._answers,
                self._stop,
                self._within,
                os.getpid(),
                TERM_GRACE_SECONDS,
                log_level,
                redactor if redactor is not None else LOG_REDACTOR,
                niceness,
                args,
            ),
            name=name,
            daemon=True,
        )
        self._process.start()
        _living.add(self)

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def is_alive(self) -> bool:
        return self._process.is_alive()

    def join(self, timeout_seconds: float) -> None:
        self._process.join(timeout_seconds)

    def offer(self, item: Any) -> bool:
        """Queue a request for the child; False when the queue is full (or closed)."""
        try:
            self._requests.put_nowait(item)
        except (queue.Full, ValueError, OSError):
            return False
        return True

    def answer(self, timeout_seconds: float) -> Any:
        """The child's next answer; queue.Empty when none came in time, or the child is gone."""
        deadline = time.monotonic() + timeout_seconds
        try:
            while True:
                remaining = max(0.0, deadline - time.monotonic())
                try:
                    return self._answers.get(timeout=min(ANSWER_SLICE_SECONDS, remaining))
                except queue.Empty:
                    if not self._process.is_alive():  # what it answered before exiting is there
                        return self._answers.get_nowait()
                    if remaining <= 0:
                        raise
        except (ValueError, OSError, EOFError):  # closed
            raise queue.Empty from None

    def answers(self) -> list[Any]:
        """Every answer already there, without waiting."""
        received = []
        try:
            while not self._answers.empty():
                received.append(self._answers.get_nowait())
        except (queue.Empty, ValueError, OSError, EOFError):
            pass
        return received

    def stop(self, timeout_seconds: float) -> bool:
        """Ask the child to finish and exit; past `timeout_seconds`, kill it. True when it
        exited by itself."""
        deadline = time.monotonic() + max(timeout_seconds, 0.1)
        if self._process.is_alive():
            # The child gets the time that is left after this hand-over, less a margin.
            self._within.value = max(timeout_seconds - 0.5, 0.0)
            self._stop.set()
            with contextlib.suppress(queue.Full, ValueError, OSError):
                self._requests.put_nowait(_End())  # wakes a waiting child; marks the end
            self._process.join(max(0.0, deadline - time.monotonic()))
        finished = not self._process.is_alive()
        if not finished:
            log.warning("%s process did not finish in time; killing it", self.name)
            self.kill()
        self._close_channels()
        return finished

    def kill(self) -> None:
        """SIGKILL, at once (the child lets SIGTERM wait for the parent: see _on_sigterm)."""
        with contextlib.suppress(OSError, ValueError, AttributeError):
            self._process.kill()
            self._process.join(1.0)
        _living.discard(self)

    def _close_channels(self) -> None:
        _living.discard(self)
        for channel in (self._requests, self._answers):
            channel.close()
            channel.cancel_join_thread()  # never wait on a queue the child no longer reads


def living() -> list[tuple[str, int]]:
    """(name, pid) of every child started and not stopped yet."""
    return [(child.name, child.pid) for child in list(_living) if child.pid is not None]


def kill_all() -> None:
    """Kill every helper process still running: the processor is exiting without them."""
    for child in list(_living):
        with contextlib.suppress(Exception):
            child.kill()
            child._close_channels()
    # Also those whose Child was never finished (a start-up abandoned half-way).
    for process in multiprocessing.active_children():
        with contextlib.suppress(OSError, ValueError, AttributeError):
            process.kill()
            process.join(1.0)


# Runs before multiprocessing's own exit handler (registered earlier, run later), which would
# otherwise wait, without a bound, for children a failed start-up left running.
atexit.register(kill_all)
