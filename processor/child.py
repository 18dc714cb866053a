"""Helper processes of the processor: the span exporter and the producer.

Both take pure-Python work off the poll loop's GIL. One helper runs both the same way: started
with spawn (no fork of a process with threads), fed through a bounded queue, answering on a
second one, stopped within a bound and terminated if stuck. In the child, `_enter` sets up what
every helper needs (signals, logs, priority) and `Inbox` is its only way to the parent: a stop
request and the parent's death both end up as `Stopped` there.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import signal
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from typing import Any, NamedTuple

log = logging.getLogger(__name__)

# After an empty wait this long, the child looks whether the parent still lives.
PARENT_CHECK_SECONDS = 1.0
# While the parent waits for an answer, it looks whether the child still lives this often.
ANSWER_SLICE_SECONDS = 0.1


class _Stop(NamedTuple):
    within_seconds: float


class Stopped(Exception):
    """The parent asked the child to finish (within `within_seconds`), or is gone (0)."""

    def __init__(self, within_seconds: float) -> None:
        super().__init__(within_seconds)
        self.within_seconds = within_seconds


class Inbox:
    """The child's side: what the parent sends, and the way to answer it."""

    def __init__(self, requests: Queue[Any], answers: Queue[Any]) -> None:
        self._requests = requests
        self._answers = answers
        self._parent = multiprocessing.parent_process()
        self._parent_checked = time.monotonic()

    def get(self, timeout: float) -> Any:
        """The next request, or None after `timeout`; Stopped when asked to stop or orphaned."""
        try:
            item = self._requests.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            now = time.monotonic()
            if now - self._parent_checked >= PARENT_CHECK_SECONDS:
                self._parent_checked = now
                if self._parent is not None and not self._parent.is_alive():
                    # The processor was killed: nothing of what is left here will be committed.
                    raise Stopped(0.0) from None
            return None
        if type(item) is _Stop:
            raise Stopped(item.within_seconds)
        return item

    def answer(self, item: Any) -> None:
        self._answers.put(item)


def _enter(
    main: Callable[..., None],
    requests: Queue[Any],
    answers: Queue[Any],
    log_level: str,
    niceness: int,
    args: tuple[Any, ...],
) -> None:
    from vendor_errors.processor import logs

    # The parent decides when to stop (it sends a stop request); a Ctrl-C on the terminal
    # reaches the whole process group and must not end a child before the parent's final flush.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logs.configure(log_level)
    if niceness:
        with contextlib.suppress(OSError):
            os.nice(niceness)
    main(Inbox(requests, answers), *args)


class Child:
    """The parent's side of one helper process.

    `main(inbox, *args)` runs in the child (a module-level function: spawn pickles it by name).
    At most `capacity` requests wait for it; `offer` never blocks the caller.
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
    ) -> None:
        context = multiprocessing.get_context("spawn")
        self.name = name
        self._requests: Queue[Any] = context.Queue(maxsize=capacity)
        self._answers: Queue[Any] = context.Queue()
        self._process: BaseProcess = context.Process(
            target=_enter,
            args=(main, self._requests, self._answers, log_level, niceness, args),
            name=name,
            daemon=True,
        )
        self._process.start()

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
        """Ask the child to finish what it has and exit; past `timeout_seconds`, terminate it.
        True when it exited by itself."""
        deadline = time.monotonic() + max(timeout_seconds, 0.1)
        if self._process.is_alive():
            with contextlib.suppress(queue.Full, ValueError, OSError):
                # The child gets the time that is left after this hand-over, less a margin.
                stop = _Stop(max(timeout_seconds - 0.5, 0.0))
                self._requests.put(stop, timeout=max(0.0, deadline - time.monotonic()))
            self._process.join(max(0.0, deadline - time.monotonic()))
        finished = not self._process.is_alive()
        if not finished:
            log.warning("%s process did not finish in time; killing it", self.name)
            self._process.kill()  # SIGKILL: the child ignores SIGTERM (see _enter)
            self._process.join(1.0)
        for channel in (self._requests, self._answers):
            channel.close()
            channel.cancel_join_thread()  # never wait on a queue the child no longer reads
        return finished
