"""The processor: poll a batch, extract, hand to the sinks, and commit once acknowledged.

Order for every batch, which is what makes it at-least-once:
  1. each record is parsed; the sinks written at dispatch turn what was found into outputs
     (undecodable records to the dead-letter topic, findings to the enriched topic), handed to
     the outbox together: one ticket per batch;
  2. the loop polls on while the broker acknowledges (a few batches in flight, in order, and
     a bounded number of bytes: past either bound it stops polling until the oldest batch is
     acknowledged, so memory stays bounded and nothing is ever dropped for room);
  3. once the oldest batch's ticket is acknowledged, the batch is delivered. Delivered batches
     are merged and, at most every PUBLISH_INTERVAL_SECONDS, written to the other sinks
     (metrics, spans) and only then marked done at the source: what is committed has been
     counted. If a delivery failed, that batch and every later one are re-read from their
     first offsets (nothing counted, nothing committed);
  4. the source commits done offsets at its own pace, and once more, blocking, at shutdown.
A crash re-reads at most the uncommitted records on restart: never lost, sometimes repeated.

The Processor is given its source, outbox and sinks (protocols.py); build.py makes the real
ones from the settings, the unit tests put in-memory fakes there.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from vendor_errors.processor.health import HealthServer, Heartbeat
from vendor_errors.processor.kafka_logs import REPEAT_LOG_SECONDS, Repeats
from vendor_errors.processor.protocols import (
    DeliveryError,
    Found,
    Outbox,
    Partition,
    Polled,
    Sink,
    Source,
    Undecodable,
    Work,
)
from vendor_errors.processor.transform import Transform

log = logging.getLogger(__name__)

POLL_TIMEOUT_MS = 500
# While batches are in flight the loop polls briefly, to notice acknowledgements soon.
BUSY_POLL_TIMEOUT_MS = 50
MAX_BATCHES_IN_FLIGHT = 32
# What a batch in flight holds, by estimate: its outputs' bytes, and this per vendor error found
# (the parsed event, kept for metrics and spans until the batch is delivered; measured ~1.7 KiB).
FINDING_BYTES = 2048
# Delivered batches are counted (metrics), their spans shipped and their offsets made
# committable together, at most this often.
PUBLISH_INTERVAL_SECONDS = 0.2
COMMIT_TIMEOUT_MS = 5_000
# Outputs not acknowledged by then count as failed; the producer's own delivery timeout is 60 s.
DELIVERY_WAIT_SECONDS = 70.0
RETRY_BACKOFF_SECONDS = 1.0
# /healthz fails when the loop has not reported for this long (it reports while waiting, too).
STALL_SECONDS = 60.0


@dataclass(slots=True)
class _InFlight:
    """A dispatched batch whose outputs may not be acknowledged yet."""

    ticket: Any  # the outbox's; None when the batch produced nothing
    first: dict[Partition, int]  # where to re-read from if delivery fails
    next: dict[Partition, int]  # what to commit once delivered
    work: Work
    started: float
    size: int = 0  # bytes held for it (outputs, findings), by estimate


class _Delivered:
    """Batches whose outputs were acknowledged, merged until they are published."""

    def __init__(self, interval_seconds: float, max_bytes: int) -> None:
        self.interval = interval_seconds
        self.max_bytes = max_bytes
        self._work = Work()
        self._next: dict[Partition, int] = {}
        self._count = 0
        self._size = 0
        self._since = 0.0

    def add(self, batch: _InFlight) -> None:
        if not self._count:
            self._since = time.monotonic()
        self._count += 1
        self._size += batch.size
        merged = self._work
        for topic, outcomes in batch.work.outcomes.items():
            counted = merged.outcomes.get(topic)
            if counted is None:
                merged.outcomes[topic] = outcomes
            else:
                counted.update(outcomes)
        merged.findings.extend(batch.work.findings)
        self._next.update(batch.next)  # batches are delivered in poll order: later is further
        elapsed = time.perf_counter() - batch.started
        merged.durations.extend((topic, elapsed) for topic in batch.work.outcomes)

    def due(self) -> bool:
        """Time to publish: the oldest waited its interval, or they hold too much (a backlog
        of errors: findings are kept until published)."""
        return bool(self._count) and (
            self._size >= self.max_bytes or time.monotonic() - self._since >= self.interval
        )

    def take(self) -> tuple[Work, dict[Partition, int]] | None:
        if not self._count:
            return None
        taken = (self._work, self._next)
        self._work, self._next, self._count, self._size = Work(), {}, 0, 0
        return taken


class Processor:
    def __init__(
        self,
        source: Source,
        transform: Transform,
        *,
        outbox: Outbox[Any] | None = None,
        sinks: Sequence[Sink] = (),
        chores: Callable[[], None] | None = None,
        heartbeat: Heartbeat | None = None,
        health: HealthServer | None = None,
        shutdown_timeout_seconds: float = 20.0,
        max_in_flight_bytes: int = 32 << 20,
        about: Mapping[str, object] | None = None,
    ) -> None:
        """`chores` runs between batches (catalog reloads, the lag gauge); `health` is served
        while the loop runs; `about` goes into the start-up log line. Batches in flight hold at
        most about `max_in_flight_bytes` (their outputs and findings): past it, the loop stops
        polling until the oldest is acknowledged (backpressure, never a drop)."""
        self.source = source
        self.transform = transform
        self.outbox = outbox
        self.sinks = tuple(sinks)
        self._at_dispatch = tuple(sink for sink in self.sinks if sink.at_dispatch)
        self._after_delivery = tuple(sink for sink in self.sinks if not sink.at_dispatch)
        if self._at_dispatch and outbox is None:
            raise ValueError("sinks written at dispatch need an outbox")
        self._chores = chores
        self.heartbeat = heartbeat or Heartbeat(STALL_SECONDS)
        self.health = health
        self.shutdown_timeout_seconds = shutdown_timeout_seconds
        self._about = dict(about or {})
        self._stop = threading.Event()
        self._stop_deadline: float | None = None
        self.max_in_flight_bytes = max_in_flight_bytes
        self._in_flight: deque[_InFlight] = deque()
        self._in_flight_bytes = 0
        self._delivered = _Delivered(PUBLISH_INTERVAL_SECONDS, max(1, max_in_flight_bytes // 4))
        self._rewinds = Repeats(log, REPEAT_LOG_SECONDS)

    # -- control (any thread; signal handlers) --------------------------------------------------

    def stop(self) -> None:
        """Stop polling; the current batch finishes, outputs flush, offsets commit, then exit."""
        if self._stop_deadline is None:
            self._stop_deadline = time.monotonic() + self.shutdown_timeout_seconds
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def flush(self, timeout_seconds: float) -> bool:
        """Every sink hands on what it was written (spans exported...); False if one did not."""
        deadline = time.monotonic() + timeout_seconds
        return all([sink.flush(max(0.0, deadline - time.monotonic())) for sink in self.sinks])

    # -- the loop ---------------------------------------------------------------------------------

    def run(self) -> None:
        if self.health is not None:
            self.health.start()
            self._about["metrics_port"] = self.health.port
        log.info("processor started", extra=self._about)
        try:
            while not self._stop.is_set():
                self.heartbeat.beat()
                if self._chores is not None:
                    self._chores()
                self._reap()
                if self._full():
                    self._wait_oldest()
                    continue
                busy = bool(self._in_flight)
                polled = self.source.poll(BUSY_POLL_TIMEOUT_MS if busy else POLL_TIMEOUT_MS)
                if polled is not None:
                    self._dispatch(polled)
        finally:
            self._shutdown()

    def _full(self) -> bool:
        """Backpressure: no more polling until the oldest batch in flight is done."""
        in_flight = self._in_flight
        return bool(in_flight) and (
            len(in_flight) >= MAX_BATCHES_IN_FLIGHT
            or self._in_flight_bytes >= self.max_in_flight_bytes
        )

    def _dispatch(self, polled: Polled) -> None:
        started = time.perf_counter()
        work = Work()
        ranges = polled.ranges
        first = {tp: offsets[0] for tp, offsets in ranges.items()}
        last = {tp: offsets[1] for tp, offsets in ranges.items()}
        self._extract(polled, work)
        ticket = None
        try:
            for sink in self._at_dispatch:
                sink.write(work)
            if work.outputs:
                assert self.outbox is not None  # checked in __init__
                ticket = self.outbox.submit(work.outputs)
        except DeliveryError as exc:  # a send was refused outright (no metadata, too large)
            self._in_flight.append(_InFlight(None, first, {}, Work(), started))
            self._rewind(exc)
            return
        size = FINDING_BYTES * len(work.findings)
        if work.outputs:
            size += sum([len(output.value) for output in work.outputs])
        work.outputs, work.undecodable = [], []  # handed over: not kept while in flight
        self._in_flight.append(_InFlight(ticket, first, last, work, started, size))
        self._in_flight_bytes += size

    def _extract(self, polled: Polled, work: Work) -> None:
        """Parse a poll's records and sort what they gave by topic: outcomes, findings, and the
        undecodable records (dead letters). Only the records that hold something cost Python
        work here; the others are counted from the batch's size."""
        counts = polled.counts
        quiet, noted = self.transform.parse_many(polled)
        outcomes = work.outcomes
        for topic in counts:
            outcomes[topic] = Counter()
        if len(counts) == 1:
            for topic in counts:
                if quiet:
                    outcomes[topic]["no_error"] = quiet
        else:  # plain records per topic: its records less the noted ones
            plain = Counter(counts)
            for index, _ in noted:
                plain[polled.origin(index)[0]] -= 1
            for topic, count in plain.items():
                if count:
                    outcomes[topic]["no_error"] = count
        for index, result in noted:
            topic, partition, offset = polled.origin(index)
            outcomes[topic][result.outcome] += 1
            if result.outcome == "undecodable":
                reason = result.reason or "undecodable"
                record = polled.record(index)
                work.undecodable.append(Undecodable(record, reason, topic, partition, offset))
            elif result.findings:
                record = polled.record(index)
                key, timestamp = record.key, record.timestamp_ms
                work.findings.extend(
                    Found(finding, topic, partition, offset, key, timestamp)
                    for finding in result.findings
                )

    def _reap(self) -> None:
        """Finish the oldest batches whose outputs are all acknowledged, in poll order."""
        in_flight, outbox = self._in_flight, self.outbox
        while in_flight:
            head = in_flight[0]
            if head.ticket is not None and outbox is not None:
                try:
                    if not outbox.check(head.ticket):
                        break
                except DeliveryError as exc:
                    self._rewind(exc)
                    break
            in_flight.popleft()
            self._in_flight_bytes -= head.size
            self._delivered.add(head)
        if self._delivered.due():
            self._publish()

    def _publish(self) -> None:
        """Write delivered batches to the sinks that come after delivery, then let their offsets
        commit: what is committed has been counted.

        Done for many batches at once (each metric update is a lot of Python in the SDK)."""
        delivered = self._delivered.take()
        if delivered is None:
            return
        work, next_offsets = delivered
        for sink in self._after_delivery:
            sink.write(work)
        self.source.mark_done(next_offsets)

    def _wait_oldest(self, deadline: float | None = None) -> None:
        head = self._in_flight[0]
        if head.ticket is not None and self.outbox is not None:
            try:
                self.outbox.wait(
                    head.ticket,
                    deadline or time.monotonic() + DELIVERY_WAIT_SECONDS,
                    self._still_waiting,
                )
            except DeliveryError as exc:
                self._rewind(exc)
                return
        self._reap()

    def _rewind(self, error: DeliveryError) -> None:
        """Forget every batch in flight and read them again from their first offsets."""
        earliest: dict[Partition, int] = {}
        records = 0
        for batch in self._in_flight:
            for tp, offset in batch.first.items():
                earliest[tp] = min(offset, earliest.get(tp, offset))
            records += batch.work.records
        self._in_flight.clear()
        self._in_flight_bytes = 0
        # Once a minute at most while it lasts (a topic refusing records fails every batch).
        self._rewinds.log(
            logging.ERROR,
            "outputs not acknowledged; reading the batches again",
            key=type(error).__name__,
            extra={"error": str(error), "records": records, "partitions": len(earliest)},
        )
        self.source.seek(earliest)
        self._stop.wait(RETRY_BACKOFF_SECONDS)

    def _still_waiting(self) -> bool:
        """Called while outputs are in flight: report alive; give up past the stop deadline."""
        self.heartbeat.beat()
        return self._stop_deadline is None or time.monotonic() < self._stop_deadline - 1.0

    # -- shutdown --------------------------------------------------------------------------------

    def _remaining_ms(self) -> int:
        if self._stop_deadline is None:  # the loop died on its own (an exception)
            self._stop_deadline = time.monotonic() + self.shutdown_timeout_seconds
        return max(0, int((self._stop_deadline - time.monotonic() - 0.5) * 1000))

    def _shutdown(self) -> None:
        log.info("processor stopping", extra={"batches_in_flight": len(self._in_flight)})
        deadline = time.monotonic() + self._remaining_ms() / 1000
        while self._in_flight and time.monotonic() < deadline:
            self._wait_oldest(deadline)
        if self._in_flight:  # not acknowledged in time: not committed, read again after restart
            log.warning("batches left unacknowledged", extra={"batches": len(self._in_flight)})
            self._in_flight.clear()
            self._in_flight_bytes = 0
        self._publish()
        committed = self.source.commit(min(COMMIT_TIMEOUT_MS, self._remaining_ms()))
        # Each step is bounded by what is left of the shutdown timeout, and one failing step
        # (a collector that is down) must not keep the others from running.
        _quietly("consumer close", partial(self.source.close, min(5_000, self._remaining_ms())))
        # The others get half of what is left each, so that later ones get their turn too.
        for sink in self.sinks:
            name = f"{type(sink).__name__} close"
            _quietly(name, partial(sink.close, self._remaining_ms() / 2000))
        if self.outbox is not None:
            _quietly("producer close", partial(self.outbox.close, self._remaining_ms() / 2000))
        if self.health is not None:
            _quietly("http server stop", self.health.stop)
        log.info("processor stopped", extra={"committed": committed})


def _quietly(step: str, action: Callable[[], object]) -> None:
    try:
        action()
    except Exception as exc:
        log.warning("shutdown step failed", extra={"step": step, "error": repr(exc)})
