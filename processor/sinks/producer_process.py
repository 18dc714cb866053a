"""The outbox's producer in a child process: sends and acknowledgements off the poll loop.

kafka-python's producer is pure Python: a send costs the poll loop ~50 us, and the producer's
own thread takes the GIL from the loop for every request and acknowledgement. Here the loop
only collects a batch's output records on its Ticket and hands them over in one message once
the batch is processed (`submit`); a child process produces them with an `Outbox` of its own
and answers, per ticket, once every record is acknowledged or one failed for good.

The at-least-once rules of processor/app.py do not change: a batch is counted and its offsets
committed only after its ticket is acknowledged; a failed ticket, or a child that died, fails
`check` with DeliveryError and the loop reads its batches again. A new child is started for
the next ticket. If the processor is killed, the child sees its pipe close and exits; what it
had not produced was never committed.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
import time
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from vendor_errors.processor.sinks.outbox import (
    SLICE_SECONDS,
    DeliveryError,
    Headers,
    Outbox,
    Shrink,
    Ticket,
)

log = logging.getLogger(__name__)

# How long the processor waits for the child's producer (which needs the cluster at start).
START_SECONDS = 120.0
# While tickets are open, the child looks at their acknowledgements this often.
CHILD_TICK_SECONDS = 0.005


class ProducerProcess:
    """`Outbox` for the poll loop, with the producing done by a child process."""

    def __init__(self, options: dict[str, Any], max_record_bytes: int, log_level: str) -> None:
        self._args = (options, max_record_bytes, log_level)
        self._context = multiprocessing.get_context("spawn")  # no fork of a threaded process
        self._child: Any = None
        self._conn: Connection | None = None
        self._next_number = 0
        # Answers received, by ticket number: None (delivered) or why the ticket failed.
        self._answers: dict[int, str | None] = {}
        self._start()

    def _start(self) -> None:
        ours, theirs = self._context.Pipe()
        child = self._context.Process(
            target=_child_main, args=(theirs, *self._args), name="producer", daemon=True
        )
        child.start()
        theirs.close()
        self._child, self._conn, self._answers = child, ours, {}
        if not ours.poll(START_SECONDS):
            self._stop(1.0)
            raise DeliveryError("the producer process did not start")
        try:
            kind, detail = ours.recv()
        except EOFError:
            kind, detail = "failed", "it exited"
        if kind != "ready":
            self._stop(1.0)
            # The cluster unreachable (a KafkaError, as in this process), or a configuration
            # the producer refuses: the start-up fails with it.
            if isinstance(detail, Exception):
                raise detail
            raise ValueError(f"cannot create the Kafka producer: {detail}")

    # -- the poll loop's side -------------------------------------------------------------

    def send(
        self,
        ticket: Ticket,
        topic: str,
        value: bytes,
        key: bytes | None = None,
        headers: Headers | None = None,
        shrink: Shrink | None = None,
    ) -> None:
        ticket.records.append((topic, value, key, headers or [], shrink))

    def submit(self, ticket: Ticket) -> None:
        """Hand the ticket's records to the child (once the batch is processed)."""
        if not ticket.records:
            return
        self._next_number += 1
        ticket.number = self._next_number
        records, ticket.records = ticket.records, []
        try:
            if self._child is None or not self._child.is_alive():
                self._restart()
            self._conn.send(("produce", ticket.number, records))  # type: ignore[union-attr]
        except (OSError, ValueError, DeliveryError) as exc:
            self._answers[ticket.number] = f"producer process unavailable: {exc!r}"

    def check(self, ticket: Ticket) -> bool:
        """True once every record of the ticket is acknowledged; raises DeliveryError on failure."""
        number = ticket.number
        if number is None:
            return True  # nothing was produced for this batch
        answers = self._answers
        if number not in answers:
            self._receive()
            if number not in answers:
                if not self._child.is_alive():
                    raise DeliveryError("the producer process exited")
                return False
        error = answers.pop(number)
        # Tickets are checked in the order they were submitted: answers to older ones belong to
        # batches that were given up (read again), and are dropped.
        for older in [n for n in answers if n < number]:
            del answers[older]
        ticket.number = None
        if error is not None:
            raise DeliveryError(error)
        return True

    def wait(self, ticket: Ticket, deadline: float, on_slice: Callable[[], bool]) -> None:
        """Block until `check(ticket)`; `on_slice` runs between half-second slices and returns
        False to give up (shutdown past its deadline)."""
        while not self.check(ticket):
            with contextlib.suppress(OSError, EOFError):
                if self._conn is not None and self._conn.poll(SLICE_SECONDS):
                    continue
            if not on_slice() or time.monotonic() > deadline:
                raise DeliveryError("outputs not acknowledged in time")

    def close(self, timeout_seconds: float) -> None:
        """Let the child finish what it has (bounded) and exit."""
        deadline = time.monotonic() + max(timeout_seconds, 0.1)
        with contextlib.suppress(OSError, ValueError):
            self._conn.send(("close", max(timeout_seconds - 0.5, 0.0), None))  # type: ignore[union-attr]
        self._stop(max(0.0, deadline - time.monotonic()))

    # -- internals ------------------------------------------------------------------------

    def _receive(self) -> None:
        conn = self._conn
        try:
            while conn is not None and conn.poll():
                number, error = conn.recv()
                self._answers[number] = error
        except (EOFError, OSError):
            pass  # the child is gone; check() sees it

    def _restart(self) -> None:
        log.warning("producer process exited; starting a new one")
        self._stop(1.0)
        self._start()

    def _stop(self, timeout_seconds: float) -> None:
        child = self._child
        if child is not None:
            child.join(timeout_seconds)
            if child.is_alive():
                log.warning("producer process did not stop in time; terminating it")
                child.terminate()
                child.join(1.0)
        if self._conn is not None:
            self._conn.close()


def _child_main(
    conn: Connection, options: dict[str, Any], max_record_bytes: int, level: str
) -> None:
    from vendor_errors.processor import logs

    # The parent decides when to stop; a Ctrl-C reaches the whole process group.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logs.configure(level)
    try:
        outbox = Outbox.connect(options, max_record_bytes)
    except Exception as exc:  # the parent raises it
        try:
            conn.send(("failed", exc))
        except Exception:  # not picklable
            conn.send(("failed", repr(exc)))
        return
    conn.send(("ready", None))
    open_tickets: deque[tuple[int, Ticket]] = deque()
    close_within = 5.0
    try:
        while True:
            try:
                if conn.poll(CHILD_TICK_SECONDS if open_tickets else 1.0):
                    kind, number, records = conn.recv()
                    if kind == "close":
                        close_within = number
                        break
                    open_tickets.append((number, _produce(outbox, records, conn, number)))
            except EOFError:  # the processor is gone: nothing of this will be committed
                close_within = 0.0
                break
            open_tickets = _answer(outbox, open_tickets, conn)
    finally:
        outbox.close(close_within)


def _produce(outbox: Outbox, records: list[Any], conn: Connection, number: int) -> Ticket:
    ticket = Ticket()
    try:
        for topic, value, key, headers, shrink in records:
            outbox.send(ticket, topic, value, key, headers, shrink)
    except DeliveryError as exc:
        conn.send((number, str(exc)))
        ticket.number = -1  # answered
    return ticket


def _answer(
    outbox: Outbox, open_tickets: deque[tuple[int, Ticket]], conn: Connection
) -> deque[tuple[int, Ticket]]:
    """Answer every ticket that is done; keep the others."""
    still: deque[tuple[int, Ticket]] = deque()
    for number, ticket in open_tickets:
        if ticket.number == -1:
            continue
        try:
            done = outbox.check(ticket)
        except DeliveryError as exc:
            conn.send((number, str(exc)))
            continue
        if done:
            conn.send((number, None))
        else:
            still.append((number, ticket))
    return still
