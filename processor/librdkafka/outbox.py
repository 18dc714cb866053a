"""The librdkafka outbox: one confluent-kafka Producer behind the enriched and dead-letter topics.

Each batch's outputs are produced together (`submit`) and followed on the ticket returned: the
poll loop keeps working while tickets are in flight and only treats a batch as done (metrics,
spans, offset commit) once `check()` says the broker acknowledged all of its records. A failed
delivery raises DeliveryError and the loop re-reads the batch: input offsets never move past
records whose outputs were not acknowledged.

It runs in the poll loop's process: `produce()` is a C call of a few microseconds and
librdkafka sends and receives on its own threads, without the GIL; delivery reports run here,
served by `check()` (a Python call per output, and outputs are the few records that hold an
error). kafka-python needed a producer child process (outbox_process.py) to stay out of the
loop's way; this one does not (docs/operations.md, Sizing).

The producer's queue is bounded by bytes (`queue.buffering.max.kbytes`, from
kafka.max_in_flight_bytes): when it is full, `submit` serves acknowledgements until there is
room, holding up the loop (backpressure), and never drops an output.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, cast

from confluent_kafka import KafkaError, KafkaException, Message, Producer
from vendor_errors.processor.kafka_logs import Repeats
from vendor_errors.processor.librdkafka.options import ErrorEvents, connection_config, start
from vendor_errors.processor.protocols import DeliveryError, Headers, Output, Shrink
from vendor_errors.processor.settings import KafkaSettings

log = logging.getLogger(__name__)

# The loop does not wait for acknowledgements batch by batch, so lingering costs no throughput;
# it turns many small produce requests into few.
LINGER_MS = 50
BATCH_BYTES = 256 * 1024
# Sends the broker has not acknowledged by then fail (the batch is read again).
DELIVERY_TIMEOUT_MS = 60_000
# Shrinking a refused record stops here; a broker refusing even this is misconfigured.
MIN_SHRUNK_BYTES = 1024
# How long one wait slice blocks before the loop checks for shutdown and reports it is alive.
SLICE_SECONDS = 0.5
# How long `submit` waits for room in a full producer queue before the batch counts as failed.
FULL_QUEUE_SECONDS = 30.0
_TOO_LARGE = KafkaError.MSG_SIZE_TOO_LARGE


class Ticket:
    """One batch's outputs: how many are not acknowledged yet, and what went wrong."""

    __slots__ = ("error", "pending", "refused")

    def __init__(self) -> None:
        self.pending = 0
        self.error: str | None = None
        # Records the broker refused as too large, to be sent again shrunk.
        self.refused: list[_Shrinkable] = []

    def delivered(self, error: KafkaError | None, message: Message) -> None:
        """librdkafka's delivery report for an output that cannot be shrunk."""
        self.pending -= 1
        if error is not None and self.error is None:
            self.error = f"{message.topic()}: delivery failed: {error.str()}"


class _Shrinkable:
    """The delivery report of an output that can be shrunk (a dead letter): it keeps the record,
    since a report does not carry its headers."""

    __slots__ = ("headers", "key", "shrink", "ticket", "topic", "value")

    def __init__(
        self,
        ticket: Ticket,
        topic: str,
        value: bytes,
        key: bytes | None,
        headers: Headers | None,
        shrink: Shrink,
    ) -> None:
        self.ticket, self.topic, self.value = ticket, topic, value
        self.key, self.headers, self.shrink = key, headers or [], shrink

    def __call__(self, error: KafkaError | None, message: Message) -> None:
        ticket = self.ticket
        ticket.pending -= 1
        if error is None:
            return
        if error.code() == _TOO_LARGE:
            ticket.refused.append(self)
        elif ticket.error is None:
            ticket.error = f"{self.topic}: delivery failed: {error.str()}"


class LibrdkafkaOutbox:
    """Outbox[Ticket] over a confluent-kafka Producer."""

    def __init__(self, producer: Producer, errors: ErrorEvents | None = None) -> None:
        self._producer = producer
        self._errors = errors
        self._refusals = Repeats(log)

    def submit(self, outputs: list[Output]) -> Ticket:
        ticket = Ticket()
        produce = self._produce
        for topic, value, key, headers, shrink in outputs:
            produce(ticket, topic, value, key, headers, shrink)
        self._producer.poll(0)
        return ticket

    def _produce(
        self,
        ticket: Ticket,
        topic: str,
        value: bytes,
        key: bytes | None,
        headers: Headers | None,
        shrink: Shrink | None,
    ) -> None:
        producer = self._producer
        report: Callable[[KafkaError | None, Message], None] = (
            ticket.delivered
            if shrink is None
            else _Shrinkable(ticket, topic, value, key, headers, shrink)
        )
        full_since: float | None = None
        while True:
            try:
                producer.produce(topic, value, key, headers=cast(Any, headers), on_delivery=report)
            except BufferError:
                # The queue is full (by bytes): serve acknowledgements until there is room.
                now = time.monotonic()
                full_since = full_since or now
                if now - full_since > FULL_QUEUE_SECONDS:
                    raise DeliveryError(f"{topic}: the producer's queue stayed full") from None
                producer.poll(0.05)
                continue
            except KafkaException as exc:
                error = exc.args[0]
                if error.code() == _TOO_LARGE and shrink is not None:
                    # Over the producer's own limit: never sent as it is.
                    value, headers = shrink(value, headers or [])
                    report = _Shrinkable(ticket, topic, value, key, headers, shrink)
                    continue
                raise DeliveryError(f"{topic}: cannot produce: {error.str()}") from exc
            ticket.pending += 1
            return

    def check(self, ticket: Ticket) -> bool:
        self._producer.poll(0)
        if ticket.error is not None:
            raise DeliveryError(ticket.error)
        if ticket.refused:
            refused, ticket.refused = ticket.refused, []
            for item in refused:
                # The broker's max.message.bytes is below the record: keep a truncated copy
                # rather than stall the partition on a record that can never be written.
                self._refusals.log(
                    logging.WARNING,
                    "broker refused a record as too large; sending it truncated",
                    key=item.topic,
                    extra={"topic": item.topic, "bytes": len(item.value)},
                )
                value, headers = item.shrink(item.value, item.headers)
                again = item.shrink if len(value) > MIN_SHRUNK_BYTES else None
                self._produce(ticket, item.topic, value, item.key, headers, again)
            return False
        return ticket.pending == 0

    def wait(self, ticket: Ticket, deadline: float, still_waiting: Callable[[], bool]) -> None:
        slice_end = time.monotonic() + SLICE_SECONDS
        while not self.check(ticket):
            self._producer.poll(SLICE_SECONDS / 5)
            now = time.monotonic()
            if now > deadline:
                raise DeliveryError("outputs not acknowledged in time")
            if now >= slice_end:
                slice_end = now + SLICE_SECONDS
                if not still_waiting():
                    raise DeliveryError("outputs not acknowledged in time")

    def close(self, timeout_seconds: float) -> None:
        left = self._producer.flush(max(timeout_seconds, 0.0))
        if left:
            log.warning("producer closed with records not acknowledged", extra={"records": left})


def connect(
    kafka: KafkaSettings,
    max_record_bytes: int,
    timeout_seconds: float,
    debug: bool = False,
) -> LibrdkafkaOutbox:
    """The outbox for the settings; raises ClientError when no broker answered within
    `timeout_seconds`, or the configuration is refused."""
    errors = ErrorEvents("producer")
    config: dict[str, Any] = {
        **connection_config(kafka, debug, errors),
        "client.id": f"{kafka.client_id}-producer",
        "acks": "all",
        # As with kafka-python: without idempotence a record over the broker's
        # max.message.bytes fails alone and can be shrunk; a retried send may be written twice,
        # which at-least-once delivery allows anyway.
        "enable.idempotence": False,
        "linger.ms": LINGER_MS,
        "batch.size": BATCH_BYTES,
        # Keys land where the Java client and kafka-python put them (murmur2).
        "partitioner": "murmur2_random",
        # A dead-lettered record is the original bytes plus headers; the broker still has the
        # last word (max.message.bytes), and refusals are shrunk and retried (see check()).
        "message.max.bytes": max(1 << 20, 2 * max_record_bytes + (64 << 10)),
        "message.timeout.ms": DELIVERY_TIMEOUT_MS,
        # Bounded by bytes: twice what the loop lets be in flight, so only a batch larger than
        # the bound itself ever waits for room.
        "queue.buffering.max.kbytes": 2 * kafka.max_in_flight_bytes // 1024,
    }
    producer = start(Producer, config, kafka, timeout_seconds, errors)
    return LibrdkafkaOutbox(producer, errors)
