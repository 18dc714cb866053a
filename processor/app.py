"""The processor: poll a batch, extract, hand to the sinks, and commit once acknowledged.

Order for every batch, which is what makes it at-least-once:
  1. each record is parsed; undecodable ones go to the dead-letter topic, findings to the
     enriched topic (one producer; the batch's sends are tracked on a Ticket);
  2. the loop polls on while the broker acknowledges (a few batches in flight, in order);
  3. once every record produced for the oldest batch is acknowledged, its metrics are counted,
     its spans emitted and its offsets become committable; if a delivery failed, that batch and
     every later one are re-read from their first offsets (nothing counted, nothing committed);
  4. committable offsets are committed at most every COMMIT_INTERVAL_SECONDS, and at shutdown.
A crash re-reads at most the uncommitted records on restart: never lost, sometimes repeated.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from kafka import TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError
from opentelemetry.sdk.metrics.export import MetricReader
from opentelemetry.sdk.trace.export import SpanExporter
from vendor_errors.parsers import Finding, Result
from vendor_errors.processor.config import Settings
from vendor_errors.processor.health import HealthServer, Heartbeat
from vendor_errors.processor.kafka_options import connection_options
from vendor_errors.processor.privacy import Redactor
from vendor_errors.processor.reload import CatalogWatcher
from vendor_errors.processor.sinks.dead_letter import DeadLetterSink
from vendor_errors.processor.sinks.enriched_topic import EnrichedTopicSink
from vendor_errors.processor.sinks.metrics import ErrorKey, Metrics, service_resource
from vendor_errors.processor.sinks.outbox import DeliveryError, Ticket
from vendor_errors.processor.sinks.producer_process import ProducerProcess
from vendor_errors.processor.sinks.spans import Found, LocalSpans, SpanShipper, SpanWriter
from vendor_errors.processor.source import Batch, Source
from vendor_errors.processor.transform import ExtractorFactory, Transform, default_extractor

log = logging.getLogger(__name__)

POLL_TIMEOUT_MS = 500
# While batches are in flight the loop polls briefly, to notice acknowledgements soon.
BUSY_POLL_TIMEOUT_MS = 50
MAX_BATCHES_IN_FLIGHT = 32
COMMIT_INTERVAL_SECONDS = 0.5
# Delivered batches are counted (metrics), their spans shipped and their offsets made
# committable together, at most this often.
PUBLISH_INTERVAL_SECONDS = 0.2
COMMIT_TIMEOUT_MS = 5_000
LAG_TIMEOUT_MS = 2_000
# Outputs not acknowledged by then count as failed; the producer's own delivery timeout is 60 s.
DELIVERY_WAIT_SECONDS = 70.0
RETRY_BACKOFF_SECONDS = 1.0
# /healthz fails when the loop has not reported for this long (it reports while waiting, too).
STALL_SECONDS = 60.0


@dataclass(slots=True)
class _BatchWork:
    """What a batch produced, published only once its outputs are acknowledged."""

    outcomes: dict[str, Counter[str]] = field(default_factory=dict)
    errors: Counter[ErrorKey] = field(default_factory=Counter)
    spans: list[Found] = field(default_factory=list)


@dataclass(slots=True)
class _InFlight:
    """A processed batch whose outputs may not be acknowledged yet."""

    ticket: Ticket | None
    first: dict[TopicPartition, int]  # where to re-read from if delivery fails
    next: dict[TopicPartition, int]  # what to commit once delivered
    work: _BatchWork
    started: float


class _Delivered:
    """Batches whose outputs were acknowledged, merged until they are published."""

    def __init__(self, interval_seconds: float) -> None:
        self.interval = interval_seconds
        self._work = _BatchWork()
        self._next: dict[TopicPartition, int] = {}
        self._durations: list[tuple[str, float]] = []
        self._count = 0
        self._since = 0.0

    def add(self, batch: _InFlight) -> None:
        if not self._count:
            self._since = time.monotonic()
        self._count += 1
        work = self._work
        for topic, outcomes in batch.work.outcomes.items():
            merged = work.outcomes.get(topic)
            if merged is None:
                work.outcomes[topic] = outcomes
            else:
                merged.update(outcomes)
        work.errors.update(batch.work.errors)
        work.spans.extend(batch.work.spans)
        self._next.update(batch.next)  # batches are delivered in poll order: later is further
        elapsed = time.perf_counter() - batch.started
        self._durations.extend((topic, elapsed) for topic in batch.work.outcomes)

    def due(self) -> bool:
        return bool(self._count) and time.monotonic() - self._since >= self.interval

    def take(self) -> tuple[_BatchWork, dict[TopicPartition, int], list[tuple[str, float]]] | None:
        if not self._count:
            return None
        taken = (self._work, self._next, self._durations)
        self._work, self._next, self._durations, self._count = _BatchWork(), {}, [], 0
        return taken


class Processor:
    def __init__(
        self,
        settings: Settings,
        *,
        extractor_factory: ExtractorFactory = default_extractor,
        span_exporter: SpanExporter | None = None,
        metric_readers: Iterable[MetricReader] = (),
    ) -> None:
        self.settings = settings
        self._stop = threading.Event()
        self._stop_deadline: float | None = None
        self.catalogs = CatalogWatcher(
            settings.catalog.overlay, settings.catalog.reload_interval_seconds
        )
        self.transform = Transform(extractor_factory(self.catalogs.current, settings))
        self.redactor = Redactor(settings.privacy.redact)
        resource = service_resource()
        self.metrics = Metrics(
            self.catalogs.current,
            max_unknown_codes_per_vendor=settings.metrics.max_unknown_codes_per_vendor,
            otlp=settings.metrics.otlp,
            resource=resource,
            extra_readers=metric_readers,
        )
        self.spans: SpanShipper | LocalSpans | None = None
        if settings.tracing.enabled:
            # An exporter given here (tests, embedding) is used in this process; otherwise
            # spans are made and exported by a child process (see sinks/spans.py).
            group_id, redact = settings.kafka.group_id, settings.privacy.redact
            self.spans = (
                LocalSpans(SpanWriter(resource, span_exporter), group_id, self.redactor)
                if span_exporter is not None
                else SpanShipper(settings.log.level, group_id, redact)
            )
        self.heartbeat = Heartbeat(STALL_SECONDS)
        self.health = HealthServer(
            settings.metrics.host,
            settings.metrics.port,
            self.metrics.registry,
            self.heartbeat,
            ready=lambda: bool(self.source.assigned),
        )
        options = connection_options(settings.kafka)
        output = settings.output
        # The producer runs in a child process (sinks/producer_process.py): its pure-Python
        # sends and acknowledgements would otherwise share the GIL with the poll loop.
        self.outbox = (
            ProducerProcess(
                {**options, "client_id": f"{settings.kafka.client_id}-producer"},
                settings.parsing.max_record_bytes,
                settings.log.level,
            )
            if output.enriched_topic or output.dead_letter_topic
            else None
        )
        self.enriched = (
            EnrichedTopicSink(self.outbox, output.enriched_topic, self.redactor)
            if self.outbox and output.enriched_topic
            else None
        )
        self.dead_letter = (
            DeadLetterSink(self.outbox, output.dead_letter_topic)
            if self.outbox and output.dead_letter_topic
            else None
        )
        self.source = Source.connect(settings.kafka, options)
        self._next_lag = 0.0
        self._in_flight: deque[_InFlight] = deque()
        self._delivered = _Delivered(PUBLISH_INTERVAL_SECONDS)

    # -- control (any thread; signal handlers) --------------------------------------------------

    def stop(self) -> None:
        """Stop polling; the current batch finishes, outputs flush, offsets commit, then exit."""
        if self._stop_deadline is None:
            self._stop_deadline = time.monotonic() + self.settings.shutdown.timeout_seconds
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    # -- the loop ---------------------------------------------------------------------------------

    def run(self) -> None:
        self.health.start()
        log.info(
            "processor started",
            extra={
                "topics": self.settings.kafka.topics,
                "group_id": self.settings.kafka.group_id,
                "metrics_port": self.health.port,
                "catalog_entries": len(self.catalogs.current),
            },
        )
        if not _crc32c_accelerated():
            log.warning(
                "kafka-python's C CRC32C accelerator is missing (pip install crc32c): checking "
                "record CRCs in Python takes most of the consume time"
            )
        try:
            while not self._stop.is_set():
                self.heartbeat.beat()
                self._housekeeping()
                self._reap()
                self.source.maybe_commit(COMMIT_INTERVAL_SECONDS)
                if len(self._in_flight) >= MAX_BATCHES_IN_FLIGHT:
                    self._wait_oldest()
                    continue
                busy = bool(self._in_flight)
                batch = self.source.poll(BUSY_POLL_TIMEOUT_MS if busy else POLL_TIMEOUT_MS)
                if batch:
                    self._dispatch(batch)
        finally:
            self._shutdown()

    def _dispatch(self, batch: Batch) -> None:
        started = time.perf_counter()
        ticket = Ticket() if self.outbox is not None else None
        first = {tp: records[0].offset for tp, records in batch.items() if records}
        try:
            work = self._process(batch, ticket)
            if ticket is not None:
                self.outbox.submit(ticket)  # type: ignore[union-attr]
        except DeliveryError as exc:  # a send was refused outright (no metadata, too large)
            self._in_flight.append(_InFlight(None, first, {}, _BatchWork(), started))
            self._rewind(exc)
            return
        last = {tp: records[-1].offset + 1 for tp, records in batch.items() if records}
        self._in_flight.append(_InFlight(ticket, first, last, work, started))

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
            self._delivered.add(head)
        if self._delivered.due():
            self._publish()

    def _publish(self) -> None:
        """Count what delivered batches did, ship their spans, and let their offsets commit.

        Done for many batches at once (each metric update is a lot of Python in the SDK), and
        always before their offsets may be committed: what is committed has been counted."""
        delivered = self._delivered.take()
        if delivered is None:
            return
        work, next_offsets, durations = delivered
        for topic, outcomes in work.outcomes.items():
            self.metrics.add_records(topic, outcomes)
        self.metrics.add_errors(work.errors)
        if self.spans is not None:
            self.spans.send(work.spans)
        for topic, seconds in durations:
            self.metrics.record_duration(topic, seconds)
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
        earliest: dict[TopicPartition, int] = {}
        records = 0
        for batch in self._in_flight:
            for tp, offset in batch.first.items():
                earliest[tp] = min(offset, earliest.get(tp, offset))
            records += sum(outcomes.total() for outcomes in batch.work.outcomes.values())
        self._in_flight.clear()
        log.error(
            "outputs not acknowledged; reading the batches again",
            extra={"error": str(error), "records": records, "partitions": len(earliest)},
        )
        self.source.seek(earliest)
        self._stop.wait(RETRY_BACKOFF_SECONDS)

    def _process(self, batch: Batch, ticket: Ticket | None) -> _BatchWork:
        work = _BatchWork()
        parse_many = self.transform.parse_many
        for tp, records in batch.items():
            outcomes = work.outcomes.setdefault(tp.topic, Counter())
            quiet, noted = parse_many(records, tp.topic, tp.partition)
            if quiet:
                outcomes["no_error"] += quiet
            for index, result in noted:
                record = records[index]
                outcome = result.outcome
                if outcome == "undecodable":
                    outcome = self._dead_letter(record, result, tp, ticket)
                elif result.findings:
                    self._route(result.findings, record, tp, ticket, work)
                outcomes[outcome] += 1
        return work

    def _dead_letter(
        self, record: ConsumerRecord, result: Result, tp: TopicPartition, ticket: Ticket | None
    ) -> str:
        if self.dead_letter is None:
            return "undecodable"
        origin = (tp.topic, tp.partition, record.offset)
        reason = result.reason or "undecodable"
        self.dead_letter.send(ticket, record.value, record.key, record.headers, reason, origin)
        return "dead_lettered"

    def _route(
        self,
        findings: list[Finding],
        record: ConsumerRecord,
        tp: TopicPartition,
        ticket: Ticket | None,
        work: _BatchWork,
    ) -> None:
        offset = record.offset
        for finding in findings:
            work.errors[self.metrics.error_key(finding.event)] += 1
            if self.enriched is not None:
                self.enriched.send(ticket, finding.event)
            if self.spans is not None:  # described (and redacted) where they are exported
                found = Found(finding, tp.topic, tp.partition, offset, record.key, record.timestamp)
                work.spans.append(found)

    def _still_waiting(self) -> bool:
        """Called while outputs are in flight: report alive; give up past the stop deadline."""
        self.heartbeat.beat()
        return self._stop_deadline is None or time.monotonic() < self._stop_deadline - 1.0

    def _housekeeping(self) -> None:
        loaded = self.catalogs.poll()
        if loaded is not None:
            self.transform.use_catalog(loaded)
            self.metrics.catalog = loaded
        now = time.monotonic()
        if now >= self._next_lag and self.source.assigned:
            self._next_lag = now + self.settings.metrics.lag_interval_seconds
            try:
                self.metrics.lag = self.source.lag(LAG_TIMEOUT_MS)
            except KafkaError as exc:
                log.warning("consumer lag not measured", extra={"error": repr(exc)})

    # -- shutdown --------------------------------------------------------------------------------

    def _remaining_ms(self) -> int:
        if self._stop_deadline is None:  # the loop died on its own (an exception)
            self._stop_deadline = time.monotonic() + self.settings.shutdown.timeout_seconds
        return max(0, int((self._stop_deadline - time.monotonic() - 0.5) * 1000))

    def _shutdown(self) -> None:
        log.info("processor stopping", extra={"batches_in_flight": len(self._in_flight)})
        deadline = time.monotonic() + self._remaining_ms() / 1000
        while self._in_flight and time.monotonic() < deadline:
            self._wait_oldest(deadline)
        if self._in_flight:  # not acknowledged in time: not committed, read again after restart
            log.warning("batches left unacknowledged", extra={"batches": len(self._in_flight)})
            self._in_flight.clear()
        self._publish()
        committed = self.source.commit(min(COMMIT_TIMEOUT_MS, self._remaining_ms()))
        # Each step is bounded by what is left of shutdown.timeout_seconds, and one failing
        # step (a collector that is down) must not keep the others from running.
        _quietly("consumer close", lambda: self.source.close(min(5_000, self._remaining_ms())))
        if self.spans is not None:
            spans = self.spans
            _quietly("span export", lambda: spans.close(self._remaining_ms() / 2000))
        if self.outbox is not None:
            outbox = self.outbox
            _quietly("producer close", lambda: outbox.close(self._remaining_ms() / 2000))
        _quietly("metrics shutdown", lambda: self.metrics.shutdown(self._remaining_ms() / 2000))
        _quietly("http server stop", self.health.stop)
        log.info("processor stopped", extra={"committed": committed})


def _crc32c_accelerated() -> bool:
    from kafka.record import util

    return getattr(util, "crc32c_c", None) is not None


def _quietly(step: str, action: Callable[[], object]) -> None:
    try:
        action()
    except Exception as exc:
        log.warning("shutdown step failed", extra={"step": step, "error": repr(exc)})
