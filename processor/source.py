"""The Kafka source: a consumer group over the configured topics, batches, commit-after-ack.

Offsets are committed by hand, never automatically, and only up to batches whose outputs the
broker acknowledged (the loop in app.py calls `mark_done`). Commits are non-blocking and sent
at most every half second while the loop works, and once more, blocking, at shutdown.

Rebalances happen inside `poll()`; kafka-python 3 runs the listener on its IO thread, where a
blocking `commit()` raises. The listener therefore sends a non-blocking commit of what is done
for the revoked partitions (it goes out ahead of the re-join) and records what moved; the poll
loop forgets offsets of partitions that went elsewhere. Work in flight for them is re-read by
their new owner: at least once, never lost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata
from vendor_errors.processor.config import KafkaSettings

log = logging.getLogger(__name__)

# A commit whose answer never came (a lost coordinator) stops blocking new ones after this.
COMMIT_GIVE_UP_SECONDS = 30.0
# While the cluster is unreachable: the pause between polls, and between two warnings.
UNREACHABLE_BACKOFF_MS = 500
UNREACHABLE_LOG_SECONDS = 30.0

Batch = Mapping[TopicPartition, Sequence[ConsumerRecord]]
Offsets = dict[TopicPartition, OffsetAndMetadata]


class _Offsets:
    """Done and committed offsets per partition, shared with the rebalance listener."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        # Next offset to read per partition, for batches whose outputs were acknowledged.
        self.done: dict[TopicPartition, int] = {}
        # What the broker confirmed as committed.
        self.committed: dict[TopicPartition, int] = {}

    def uncommitted(self, partitions: Iterable[TopicPartition] | None = None) -> Offsets:
        with self.lock:
            done = (
                self.done
                if partitions is None
                else {tp: self.done[tp] for tp in partitions if tp in self.done}
            )
            return {
                tp: OffsetAndMetadata(offset, "", -1)
                for tp, offset in done.items()
                if self.committed.get(tp, -1) < offset
            }

    def confirm(self, offsets: Offsets) -> None:
        with self.lock:
            for tp, meta in offsets.items():
                if self.committed.get(tp, -1) < meta.offset:
                    self.committed[tp] = meta.offset

    def forget(self, partitions: Iterable[TopicPartition]) -> int:
        dropped = 0
        with self.lock:
            for tp in partitions:
                if self.done.pop(tp, None) != self.committed.pop(tp, None):
                    dropped += 1
        return dropped


class RebalanceListener(ConsumerRebalanceListener):
    """Runs on kafka-python's IO thread, inside poll(): records what moved, never blocks.

    Before partitions go, what is done for them is committed with a non-blocking commit, queued
    on the same connection ahead of the group re-join; a blocking commit() would raise here.
    """

    def __init__(self, source: Source) -> None:
        self._source = source
        self._lock = threading.Lock()
        self._revoked: set[TopicPartition] = set()
        self.assigned: frozenset[TopicPartition] = frozenset()

    def on_partitions_revoked(self, revoked: Any) -> None:
        with self._lock:
            self._revoked.update(revoked)
            self.assigned = frozenset()
        self._source.commit_async(revoked)

    def on_partitions_assigned(self, assigned: Any) -> None:
        with self._lock:
            self.assigned = frozenset(assigned)

    def on_partitions_lost(self, lost: Any) -> None:
        # Evicted from the group: a commit would be refused; the new owners re-read.
        with self._lock:
            self._revoked.update(lost)
            self.assigned = frozenset()

    def take_revoked(self) -> set[TopicPartition]:
        with self._lock:
            revoked, self._revoked = self._revoked, set()
        return revoked


class Source:
    def __init__(self, consumer: KafkaConsumer, topics: Sequence[str]) -> None:
        self.consumer = consumer
        self.offsets = _Offsets()
        self.listener = RebalanceListener(self)
        self._commit_in_flight = False
        self._last_commit = 0.0
        self._last_unreachable_log = 0.0
        consumer.subscribe(topics=list(topics), listener=self.listener)

    @classmethod
    def connect(cls, kafka: KafkaSettings, options: dict[str, Any]) -> Source:
        consumer = KafkaConsumer(
            **options,
            group_id=kafka.group_id,
            group_instance_id=kafka.group_instance_id,
            client_id=kafka.client_id,
            enable_auto_commit=False,
            auto_offset_reset=kafka.auto_offset_reset,
            max_poll_records=kafka.max_poll_records,
            session_timeout_ms=kafka.session_timeout_ms,
            heartbeat_interval_ms=min(3000, kafka.session_timeout_ms // 3),
            # Bytes in, bytes out: decoding is the parsers' job, and must not raise here.
            key_deserializer=None,
            value_deserializer=None,
        )
        return cls(consumer, kafka.topics)

    @property
    def assigned(self) -> frozenset[TopicPartition]:
        return self.listener.assigned

    def poll(self, timeout_ms: int) -> Batch:
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
            dropped = self.offsets.forget(tp for tp in revoked if tp not in kept)
            log.info(
                "partitions rebalanced",
                extra={
                    "assigned": sorted(f"{tp.topic}/{tp.partition}" for tp in kept),
                    "uncommitted_partitions_dropped": dropped,
                },
            )
        return batch

    def mark_done(self, next_offsets: Mapping[TopicPartition, int]) -> None:
        """A batch's outputs are acknowledged: its offsets may be committed."""
        assigned = self.listener.assigned
        with self.offsets.lock:
            done = self.offsets.done
            for tp, offset in next_offsets.items():
                if tp in assigned and done.get(tp, -1) < offset:
                    done[tp] = offset

    def seek(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Read from these offsets again (outputs of the records there were not acknowledged)."""
        assigned = self.consumer.assignment()
        for tp, offset in offsets.items():
            if tp in assigned:
                self.consumer.seek(tp, offset)

    @property
    def has_uncommitted(self) -> bool:
        return bool(self.offsets.uncommitted())

    def commit_async(self, partitions: Iterable[TopicPartition] | None = None) -> None:
        """Send a commit of what is done without waiting (safe on kafka-python's IO thread)."""
        offsets = self.offsets.uncommitted(partitions)
        if not offsets:
            return
        self._commit_in_flight = True
        self._last_commit = time.monotonic()
        try:
            self.consumer.commit_async(offsets, callback=self._on_commit)
        except KafkaError as exc:
            self._commit_in_flight = False
            log.warning("commit not sent; will retry", extra={"error": repr(exc)})

    def _on_commit(self, offsets: Offsets, response: object) -> None:
        self._commit_in_flight = False
        if isinstance(response, BaseException):
            # Later commits carry the same offsets again; nothing is lost by a failed one.
            log.warning("commit failed; will retry", extra={"error": repr(response)})
        else:
            self.offsets.confirm(offsets)

    def maybe_commit(self, interval_seconds: float) -> None:
        """Commit what is done, at most every `interval_seconds`, one commit in flight at most."""
        since = time.monotonic() - self._last_commit
        if since < interval_seconds or (self._commit_in_flight and since < COMMIT_GIVE_UP_SECONDS):
            return
        self.commit_async()

    def commit(self, timeout_ms: int) -> bool:
        """Commit what is done and wait for the broker (shutdown). False if it did not happen."""
        offsets = self.offsets.uncommitted()
        if not offsets:
            return True
        try:
            self.consumer.commit(offsets, timeout_ms=timeout_ms)
        except CommitFailedError as exc:
            log.warning("commit refused after a rebalance", extra={"error": str(exc)})
            return False
        except KafkaError as exc:
            log.warning("commit failed", extra={"error": repr(exc)})
            return False
        self.offsets.confirm(offsets)
        return True

    def lag(self, timeout_ms: int) -> dict[tuple[str, int], int]:
        """Records between our position and each assigned partition's end (one broker call)."""
        partitions = list(self.consumer.assignment())
        if not partitions:
            return {}
        ends = self.consumer.end_offsets(partitions, timeout_ms=timeout_ms)
        lag: dict[tuple[str, int], int] = {}
        for tp in partitions:
            end = ends.get(tp)
            position = self.consumer.position(tp, timeout_ms=timeout_ms)
            if end is not None and position is not None:
                lag[(tp.topic, tp.partition)] = max(0, end - position)
        return lag

    def close(self, timeout_ms: int) -> None:
        try:
            self.consumer.close(autocommit=False, timeout_ms=max(timeout_ms, 0))
        except KafkaError as exc:
            log.warning("consumer did not close cleanly", extra={"error": repr(exc)})
