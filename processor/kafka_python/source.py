"""The kafka-python source: a consumer group over the configured topics, commit-after-ack.

Offsets are committed by hand, never automatically, and only up to batches whose outputs the
broker acknowledged (the loop in app.py calls `mark_done`; offsets.Ledger keeps the books).
Commits are non-blocking, sent from `poll` at most every half second, and once more, blocking,
at shutdown.

Rebalances happen inside `poll()`; kafka-python 3 runs the listener on its IO thread, where a
blocking `commit()` raises. The listener therefore sends a non-blocking commit of what is done
for the revoked partitions (it goes out ahead of the re-join) and records what moved; `poll`
forgets offsets of partitions that went elsewhere. Work in flight for them is re-read by their
new owner: at least once, never lost.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Collection, Iterable, Mapping, Sequence

from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import CommitFailedError, KafkaError, KafkaTimeoutError
from kafka.structs import OffsetAndMetadata
from vendor_errors.processor.kafka_python.options import connection_options
from vendor_errors.processor.offsets import Ledger
from vendor_errors.processor.protocols import ClientError, Partition, Record
from vendor_errors.processor.settings import KafkaSettings

log = logging.getLogger(__name__)

# Done offsets are committed (non-blocking) at most this often.
COMMIT_INTERVAL_SECONDS = 0.5
# A commit whose answer never came (a lost coordinator) stops blocking new ones after this.
COMMIT_GIVE_UP_SECONDS = 30.0
# While the cluster is unreachable: the pause between polls, and between two warnings.
UNREACHABLE_BACKOFF_MS = 500
UNREACHABLE_LOG_SECONDS = 30.0


class Records:
    """One poll's records (Polled over kafka-python's records of one or more partitions)."""

    __slots__ = ("_records", "counts", "ranges", "values")

    def __init__(self, batch: Mapping[TopicPartition, list[ConsumerRecord]]) -> None:
        records: list[ConsumerRecord] = []
        ranges: dict[Partition, tuple[int, int]] = {}
        counts: dict[str, int] = {}
        for tp, part in batch.items():
            if part:
                records += part
                ranges[(tp.topic, tp.partition)] = (part[0].offset, part[-1].offset + 1)
                counts[tp.topic] = counts.get(tp.topic, 0) + len(part)
        self._records = records
        # A tombstone (no value) carries no log line: an empty record is "no_error" too.
        values = [record.value for record in records]
        if None in values:
            values = [b"" if value is None else value for value in values]
        self.values: list[bytes] = values
        self.ranges = ranges
        self.counts = counts

    def origin(self, index: int) -> tuple[str, int, int]:
        r = self._records[index]
        return r.topic, r.partition, r.offset

    def record(self, index: int) -> Record:
        r = self._records[index]
        return Record(r.value or b"", r.key, r.headers or [], r.timestamp)


class RebalanceListener(ConsumerRebalanceListener):
    """Runs on kafka-python's IO thread, inside poll(): records what moved, never blocks.

    Before partitions go, what is done for them is committed with a non-blocking commit, queued
    on the same connection ahead of the group re-join; a blocking commit() would raise here.
    """

    def __init__(self, source: KafkaPythonSource) -> None:
        self._source = source
        self._lock = threading.Lock()
        self._revoked: set[Partition] = set()
        self.assigned: frozenset[Partition] = frozenset()

    def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        with self._lock:
            self._revoked.update(revoked)
            self.assigned = frozenset()
        self._source.commit_async(revoked)

    def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        with self._lock:
            self.assigned = frozenset(assigned)

    def on_partitions_lost(self, lost: Iterable[TopicPartition]) -> None:
        # Evicted from the group: a commit would be refused; the new owners re-read.
        with self._lock:
            self._revoked.update(lost)
            self.assigned = frozenset()

    def take_revoked(self) -> set[Partition]:
        with self._lock:
            revoked, self._revoked = self._revoked, set()
        return revoked


def _commit_offsets(offsets: Mapping[Partition, int]) -> dict[TopicPartition, OffsetAndMetadata]:
    return {
        TopicPartition(*tp): OffsetAndMetadata(offset, "", -1) for tp, offset in offsets.items()
    }


class KafkaPythonSource:
    """Source over a kafka-python KafkaConsumer (subscribed here)."""

    def __init__(self, consumer: KafkaConsumer, topics: Sequence[str]) -> None:
        self.consumer = consumer
        self.ledger = Ledger()
        self.listener = RebalanceListener(self)
        self._commit_in_flight = False
        self._last_commit = 0.0
        self._last_unreachable_log = 0.0
        pattern = subscription_pattern(topics)
        if pattern is None:
            consumer.subscribe(topics=list(topics), listener=self.listener)
        else:
            consumer.subscribe(pattern=pattern, listener=self.listener)

    @classmethod
    def connect(cls, kafka: KafkaSettings, timeout_seconds: float) -> KafkaPythonSource:
        """Raises ClientError when no broker answered within `timeout_seconds`."""
        if not _crc32c_accelerated():
            log.warning(
                "kafka-python's C CRC32C accelerator is missing (pip install crc32c): checking "
                "record CRCs in Python takes most of the consume time"
            )
        try:
            consumer = KafkaConsumer(
                **connection_options(kafka),
                group_id=kafka.group_id,
                group_instance_id=kafka.group_instance_id,
                client_id=kafka.client_id,
                enable_auto_commit=False,
                auto_offset_reset=kafka.auto_offset_reset,
                max_poll_records=kafka.max_poll_records,
                fetch_max_bytes=kafka.fetch_buffer_bytes,
                bootstrap_timeout_ms=max(1, int(timeout_seconds * 1000)),
                session_timeout_ms=kafka.session_timeout_ms,
                heartbeat_interval_ms=min(3000, kafka.session_timeout_ms // 3),
                # Bytes in, bytes out: decoding is the parsers' job, and must not raise here.
                key_deserializer=None,
                value_deserializer=None,
            )
        except KafkaTimeoutError as exc:  # no broker answered in time
            raise ClientError.unreachable(
                kafka.bootstrap_servers, kafka.security_protocol, timeout_seconds, exc
            ) from exc
        except KafkaError as exc:
            raise ClientError(f"cannot create the Kafka consumer: {exc!r}") from exc
        return cls(consumer, kafka.topics)

    @property
    def assigned(self) -> Collection[Partition]:
        return self.listener.assigned

    def poll(self, timeout_ms: int) -> Records | None:
        self._maybe_commit()
        try:
            batch = self.consumer.poll(timeout_ms=timeout_ms)
        except KafkaError as exc:
            if not exc.retriable:
                raise
            # kafka-python 3 can raise from poll() while the cluster is unreachable (a metadata
            # refresh that fails to connect); the consumer reconnects by itself on later polls.
            now = time.monotonic()
            if now - self._last_unreachable_log > UNREACHABLE_LOG_SECONDS:
                self._last_unreachable_log = now
                log.warning("kafka unreachable; polling again", extra={"error": repr(exc)})
            time.sleep(min(timeout_ms, UNREACHABLE_BACKOFF_MS) / 1000)
            batch = {}
        revoked = self.listener.take_revoked()
        if revoked:
            kept = self.listener.assigned
            # Partitions now elsewhere: their new owners re-read from the last commit.
            dropped = self.ledger.forget(tp for tp in revoked if tp not in kept)
            log.info(
                "partitions rebalanced",
                extra={
                    "assigned": sorted(f"{topic}/{partition}" for topic, partition in kept),
                    "uncommitted_partitions_dropped": dropped,
                },
            )
        return Records(batch) if batch else None

    def mark_done(self, next_offsets: Mapping[Partition, int]) -> None:
        self.ledger.mark_done(next_offsets, self.listener.assigned)

    def seek(self, offsets: Mapping[Partition, int]) -> None:
        assigned = self.consumer.assignment()
        for tp, offset in offsets.items():
            if tp in assigned:
                self.consumer.seek(TopicPartition(*tp), offset)

    def commit_async(self, partitions: Iterable[Partition] | None = None) -> None:
        """Send a commit of what is done without waiting (safe on kafka-python's IO thread)."""
        offsets = self.ledger.uncommitted(partitions)
        if not offsets:
            return
        self._commit_in_flight = True
        self._last_commit = time.monotonic()
        try:
            self.consumer.commit_async(
                _commit_offsets(offsets),
                callback=lambda _, response: self._on_commit(offsets, response),
            )
        except KafkaError as exc:
            self._commit_in_flight = False
            log.warning("commit not sent; will retry", extra={"error": repr(exc)})

    def _on_commit(self, offsets: Mapping[Partition, int], response: object) -> None:
        self._commit_in_flight = False
        if isinstance(response, BaseException):
            # Later commits carry the same offsets again; nothing is lost by a failed one.
            log.warning("commit failed; will retry", extra={"error": repr(response)})
        else:
            self.ledger.confirm(offsets)

    def _maybe_commit(self) -> None:
        """Commit what is done, at most every COMMIT_INTERVAL_SECONDS, one commit in flight."""
        since = time.monotonic() - self._last_commit
        if since < COMMIT_INTERVAL_SECONDS or (
            self._commit_in_flight and since < COMMIT_GIVE_UP_SECONDS
        ):
            return
        self.commit_async()

    def commit(self, timeout_ms: int) -> bool:
        offsets = self.ledger.uncommitted()
        if not offsets:
            return True
        try:
            self.consumer.commit(_commit_offsets(offsets), timeout_ms=timeout_ms)
        except CommitFailedError as exc:
            log.warning("commit refused after a rebalance", extra={"error": str(exc)})
            return False
        except KafkaError as exc:
            log.warning("commit failed", extra={"error": repr(exc)})
            return False
        self.ledger.confirm(offsets)
        return True

    def lag(self, timeout_ms: int) -> dict[Partition, int] | None:
        partitions = list(self.consumer.assignment())
        if not partitions:
            return {}
        try:
            ends = self.consumer.end_offsets(partitions, timeout_ms=timeout_ms)
            lag: dict[Partition, int] = {}
            for tp in partitions:
                end = ends.get(tp)
                position = self.consumer.position(tp, timeout_ms=timeout_ms)
                if end is not None and position is not None:
                    lag[(tp.topic, tp.partition)] = max(0, end - position)
        except KafkaError as exc:
            log.warning("consumer lag not measured", extra={"error": repr(exc)})
            return None
        return lag

    def close(self, timeout_ms: int) -> None:
        try:
            self.consumer.close(autocommit=False, timeout_ms=max(timeout_ms, 0))
        except KafkaError as exc:
            log.warning("consumer did not close cleanly", extra={"error": repr(exc)})


def _crc32c_accelerated() -> bool:
    from kafka.record import util

    return getattr(util, "crc32c_c", None) is not None


def subscription_pattern(topics: Sequence[str]) -> str | None:
    """One regular expression for `topics` when some are patterns (kafka-python subscribes to
    names or to one pattern, not both), else None. Names match whole; patterns as written, from
    the start of the topic name, as librdkafka matches them (`$` to match whole names)."""
    if not any(topic.startswith("^") for topic in topics):
        return None
    parts = [
        f"(?:{topic})" if topic.startswith("^") else f"(?:^{re.escape(topic)}$)" for topic in topics
    ]
    return "|".join(parts)
