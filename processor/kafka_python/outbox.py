"""The kafka-python outbox: one KafkaProducer behind the enriched and dead-letter topics.

Each batch's outputs are sent together (`submit`) and followed on the ticket returned: the poll
loop keeps working while tickets are in flight and only treats a batch as done (metrics, spans,
offset commit) once `check()` says the broker acknowledged all of its records. A failed delivery
raises DeliveryError and the loop re-reads the batch: input offsets never move past records
whose outputs were not acknowledged.

In `vendor-errors run` this outbox works inside the producer child (outbox_process.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError, KafkaTimeoutError, MessageSizeTooLargeError
from kafka.partitioner.default import DefaultPartitioner, murmur2
from vendor_errors.processor import kafka_logs
from vendor_errors.processor.protocols import ClientError, DeliveryError, Headers, Output, Shrink

log = logging.getLogger(__name__)

# The loop does not wait for acknowledgements batch by batch, so lingering costs no throughput;
# it turns many small produce requests (each a lot of Python in kafka-python) into few.
LINGER_MS = 50
# Shrinking a refused record stops here; a broker refusing even this is misconfigured.
MIN_SHRUNK_BYTES = 1024
# How long one wait slice blocks before the loop checks for shutdown and reports it is alive.
SLICE_SECONDS = 0.5


@dataclass(slots=True)
class _Sent:
    future: Any
    topic: str
    key: bytes | None
    value: bytes
    headers: Headers
    shrink: Shrink | None


@dataclass(slots=True)
class Sends:
    """The ticket: the records produced for one batch."""

    sent: list[_Sent] = field(default_factory=list)
    # Index of the first send not yet seen acknowledged (futures complete roughly in order).
    checked: int = 0


class KeyHashingPartitioner(DefaultPartitioner):
    """Kafka's default partitioning (murmur2 of the key, as the Java client), each key's hash
    computed once: enriched records are keyed `vendor:code`, a few hundred distinct keys, and
    murmur2 in pure Python is a fifth of the cost of a send."""

    MAX_KEYS = 10_000

    def __init__(self) -> None:
        self._hashes: dict[bytes, int] = {}

    def partition(
        self,
        topic: str,
        key: Any,
        serialized_key: bytes | None,
        value: Any,
        serialized_value: Any,
        cluster: Any,
    ) -> int:
        if serialized_key is None:
            return super().partition(topic, key, serialized_key, value, serialized_value, cluster)
        hashed = self._hashes.get(serialized_key)
        if hashed is None:
            if len(self._hashes) >= self.MAX_KEYS:  # bounded whatever the keys
                self._hashes.clear()
            hashed = self._hashes[serialized_key] = murmur2(serialized_key) & 0x7FFFFFFF
        partitions = sorted(cluster.partitions_for_topic(topic))
        return partitions[hashed % len(partitions)]


class KafkaPythonOutbox:
    """Outbox[Sends] over a kafka-python KafkaProducer."""

    def __init__(self, producer: KafkaProducer) -> None:
        self._producer = producer

    def submit(self, outputs: list[Output]) -> Sends:
        ticket = Sends()
        for output in outputs:
            self._send(ticket, *output)
        return ticket

    def _send(
        self,
        ticket: Sends,
        topic: str,
        value: bytes,
        key: bytes | None,
        headers: Headers | None,
        shrink: Shrink | None,
    ) -> None:
        headers = headers or []
        try:
            future = self._producer.send(topic, value=value, key=key, headers=headers)
        except MessageSizeTooLargeError as exc:  # larger than max_request_size: never sent
            if shrink is None:
                raise DeliveryError(f"{topic}: record too large to produce: {exc}") from exc
            value, headers = shrink(value, headers)
            future = self._producer.send(topic, value=value, key=key, headers=headers)
        except KafkaTimeoutError as exc:  # no metadata for the topic within max_block_ms
            raise DeliveryError(f"{topic}: cannot send: {exc}") from exc
        ticket.sent.append(_Sent(future, topic, key, value, headers, shrink))

    def check(self, ticket: Sends) -> bool:
        sent = ticket.sent
        while ticket.checked < len(sent):
            item = sent[ticket.checked]
            future = item.future
            if not future.is_done:
                return False
            error = future.exception
            if error is not None:
                if isinstance(error, MessageSizeTooLargeError) and item.shrink is not None:
                    # The broker's max.message.bytes is below the record: keep a truncated copy
                    # rather than stall the partition on a record that can never be written.
                    log.warning(
                        "broker refused a record as too large; sending it truncated",
                        extra={"topic": item.topic, "bytes": len(item.value)},
                    )
                    value, headers = item.shrink(item.value, item.headers)
                    again = item.shrink if len(value) > MIN_SHRUNK_BYTES else None
                    self._send(ticket, item.topic, value, item.key, headers, again)
                else:
                    raise DeliveryError(f"{item.topic}: delivery failed: {error!r}")
            ticket.checked += 1
        return True

    def wait(self, ticket: Sends, deadline: float, still_waiting: Callable[[], bool]) -> None:
        while not self.check(ticket):
            try:
                self._producer.flush(timeout=SLICE_SECONDS)
            except KafkaTimeoutError:
                if not still_waiting() or time.monotonic() > deadline:
                    raise DeliveryError("outputs not acknowledged in time") from None

    def close(self, timeout_seconds: float) -> None:
        try:
            self._producer.close(timeout=max(timeout_seconds, 0.0))
        except KafkaError as exc:
            log.warning("producer did not close cleanly", extra={"error": repr(exc)})


def connect(
    options: dict[str, Any],
    max_record_bytes: int,
    timeout_seconds: float = 30.0,
    kafka_debug: bool = False,
) -> KafkaPythonOutbox:
    """The outbox for `options` (kafka_python.options); raises ClientError when the producer
    cannot start (it needs the cluster to learn its API version) within `timeout_seconds`.
    Summarises kafka-python's logs in this process (kafka_logs), unless `kafka_debug`."""
    kafka_logs.install(logging.getLevelName(logging.getLogger().level), kafka_debug)
    try:
        with kafka_logs.connecting():
            producer = _producer(options, max_record_bytes, timeout_seconds)
    except KafkaTimeoutError as exc:  # no broker answered in time
        servers = options["bootstrap_servers"]
        protocol = options.get("security_protocol", "PLAINTEXT")
        raise ClientError.unreachable(servers, protocol, timeout_seconds, exc) from exc
    except KafkaError as exc:
        raise ClientError(f"cannot create the Kafka producer: {exc!r}") from exc
    return KafkaPythonOutbox(producer)


def _producer(
    options: dict[str, Any], max_record_bytes: int, timeout_seconds: float
) -> KafkaProducer:
    return KafkaProducer(
        **options,
        acks="all",
        # kafka-python 3 turns any non-retriable error of an idempotent producer (one record
        # over the broker's max.message.bytes) into a fatal state that fails every later
        # send. Without idempotence such a record fails alone and can be shrunk; a retried
        # send may be written twice, which at-least-once delivery allows anyway.
        enable_idempotence=False,
        linger_ms=LINGER_MS,
        batch_size=256 * 1024,
        partitioner=KeyHashingPartitioner(),
        # A dead-lettered record is the original bytes plus headers; the broker still has the
        # last word (max.message.bytes), and refusals are shrunk and retried (see check()).
        max_request_size=max(1 << 20, 2 * max_record_bytes + (64 << 10)),
        max_block_ms=10_000,
        delivery_timeout_ms=60_000,
        bootstrap_timeout_ms=max(1, int(timeout_seconds * 1000)),
    )
