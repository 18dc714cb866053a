"""An outbox in a child process: sends and acknowledgements off the poll loop.

kafka-python's producer is pure Python: a send costs the poll loop ~50 us, and the producer's
own thread takes the GIL from the loop for every request and acknowledgement. Here the loop
hands each batch's outputs over in one message (`submit`); a child process (child.py) produces
them with an outbox of its own, made there by `connect(*args)`, and answers per ticket once
every record is acknowledged or one failed for good.

The at-least-once rules of app.py do not change: a batch is counted and its offsets committed
only after its ticket is acknowledged; a failed ticket, or a child that died, fails `check` with
DeliveryError and the loop reads its batches again. A new child is started for the next ticket.
If the processor is killed, the child notices and exits; what it had not produced was never
committed.
"""

from __future__ import annotations

import logging
import pickle
import queue
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from vendor_errors.processor.child import Child, Inbox, Stopped
from vendor_errors.processor.protocols import ClientError, DeliveryError, Outbox, Output

log = logging.getLogger(__name__)

# How long the processor waits for the child's outbox by default (a producer needs the cluster
# at start; build.py gives kafka.connect_timeout_seconds and a margin).
START_SECONDS = 120.0
# Tickets waiting for the child; the loop has at most 32 batches in flight, and a bounded
# number of bytes (app.py: kafka.max_in_flight_bytes), so the child's backlog is bounded too.
CAPACITY = 64
# While tickets are open, the child looks at their acknowledgements this often.
CHILD_TICK_SECONDS = 0.005
# How long one wait slice blocks before the loop checks for shutdown and reports it is alive.
SLICE_SECONDS = 0.5

Connect = Callable[..., Outbox[Any]]


class OutboxProcess:
    """Outbox[int] for the poll loop; `connect(*args)` makes the real outbox in the child (a
    module-level function, e.g. kafka_python.outbox.connect)."""

    def __init__(
        self,
        connect: Connect,
        args: tuple[Any, ...],
        log_level: str,
        start_seconds: float = START_SECONDS,
    ) -> None:
        self._connect = connect
        self._args = args
        self._log_level = log_level
        self._start_seconds = start_seconds
        self._child: Child | None = None
        self._next_number = 0
        self._last_done = 0  # the last ticket checked done (a done ticket stays done)
        # Answers received, by ticket number: None (delivered) or why the ticket failed.
        self._answers: dict[int, str | None] = {}
        self._start()

    def _start(self) -> None:
        child = Child(
            "producer",
            _child_main,
            (self._connect, self._args),
            capacity=CAPACITY,
            log_level=self._log_level,
        )
        self._child, self._answers = child, {}
        try:
            kind, detail = child.answer(self._start_seconds)
        except queue.Empty:
            kind, detail = "failed", "the producer process did not start"
        if kind != "ready":
            child.stop(1.0)
            # The cluster unreachable, or a configuration the producer refuses: the start-up
            # fails with what the child's client raised.
            if isinstance(detail, Exception):
                raise detail
            raise ClientError(f"cannot create the Kafka producer: {detail}")

    # -- the poll loop's side -------------------------------------------------------------

    def submit(self, outputs: list[Output]) -> int:
        self._next_number += 1
        number = self._next_number
        if not outputs:  # nothing was produced for this batch
            self._answers[number] = None
            return number
        try:
            if self._child is None or not self._child.is_alive():
                self._restart()
            assert self._child is not None
            if not self._child.offer((number, outputs)):
                self._answers[number] = "the producer process is not taking records"
        except (ClientError, OSError, ValueError) as exc:
            self._answers[number] = f"producer process unavailable: {exc!r}"
        return number

    def check(self, ticket: int) -> bool:
        if ticket <= self._last_done:
            return True
        answers = self._answers
        if ticket not in answers:
            self._receive()
            if ticket not in answers:
                if self._child is None or not self._child.is_alive():
                    raise DeliveryError("the producer process exited")
                return False
        error = answers.pop(ticket)
        # Tickets are checked in the order they were submitted: answers to older ones belong to
        # batches that were given up (read again), and are dropped.
        for older in [number for number in answers if number < ticket]:
            del answers[older]
        if error is not None:
            raise DeliveryError(error)
        self._last_done = ticket
        return True

    def wait(self, ticket: int, deadline: float, still_waiting: Callable[[], bool]) -> None:
        while not self.check(ticket):
            if self._child is not None:
                try:
                    number, error = self._child.answer(SLICE_SECONDS)
                except queue.Empty:
                    pass
                else:
                    self._answers[number] = error
                    continue
            if not still_waiting() or time.monotonic() > deadline:
                raise DeliveryError("outputs not acknowledged in time")

    def close(self, timeout_seconds: float) -> None:
        """Let the child finish what it has (bounded) and exit."""
        if self._child is not None:
            self._child.stop(timeout_seconds)

    # -- internals ------------------------------------------------------------------------

    def _receive(self) -> None:
        if self._child is not None:
            for number, error in self._child.answers():
                self._answers[number] = error

    def _restart(self) -> None:
        log.warning("producer process exited; starting a new one")
        if self._child is not None:
            self._child.stop(1.0)
        self._start()


# -- the child's side ---------------------------------------------------------------------


def _child_main(inbox: Inbox, connect: Connect, args: tuple[Any, ...]) -> None:
    try:
        outbox = connect(*args)
    except Exception as exc:  # the parent raises it
        inbox.answer(("failed", exc if _travels(exc) else repr(exc)))
        return
    inbox.answer(("ready", None))
    open_tickets: deque[tuple[int, Any]] = deque()
    close_within = 5.0
    try:
        while True:
            try:
                item = inbox.get(CHILD_TICK_SECONDS if open_tickets else 1.0)
            except Stopped as stop:
                close_within = stop.within_seconds
                break
            if item is not None:
                number, outputs = item
                try:
                    open_tickets.append((number, outbox.submit(outputs)))
                except DeliveryError as exc:
                    inbox.answer((number, str(exc)))
            if open_tickets:
                open_tickets = _answer(outbox, open_tickets, inbox)
    finally:
        outbox.close(close_within)


def _travels(exc: Exception) -> bool:
    """Whether the exception survives the trip to the parent (pickled, then unpickled)."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return False
    return True


def _answer(
    outbox: Outbox[Any], open_tickets: deque[tuple[int, Any]], inbox: Inbox
) -> deque[tuple[int, Any]]:
    """Answer every ticket that is done; keep the others."""
    still: deque[tuple[int, Any]] = deque()
    for number, ticket in open_tickets:
        try:
            done = outbox.check(ticket)
        except DeliveryError as exc:
            inbox.answer((number, str(exc)))
            continue
        if done:
            inbox.answer((number, None))
        else:
            still.append((number, ticket))
    return still
