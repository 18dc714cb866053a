"""The librdkafka source: a consumer group over the configured topics, commit-after-ack.

Offsets are committed by hand with explicit offsets (never auto-commit, never the offset
store), and only up to batches whose outputs the broker acknowledged (the loop in app.py calls
`mark_done`; offsets.Ledger keeps the books). Commits are non-blocking, sent from `poll` at most
every half second, and once more, waited for, at shutdown.

librdkafka runs the rebalance callbacks inside `consume()`, on the poll loop's own thread (not
on an IO thread as kafka-python does), so before partitions go, what is done for them is
committed and waited for right there. Work in flight for them is re-read by their new owner: at
least once, never lost.

A poll is one `consume()` of up to `kafka.max_poll_records` messages. Their values are collected
in one pass in C (`map(Message.value, ...)`), and so are their partitions, to find each
partition's first and last offsets: no Python call per record for records the parsers pass over.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Collection, Mapping, Sequence
from typing import Any, cast

from confluent_kafka import OFFSET_INVALID, Consumer, KafkaError, KafkaException, Message
from confluent_kafka import TopicPartition as KafkaPartition
from vendor_errors.processor.kafka_logs import Repeats
from vendor_errors.processor.librdkafka.options import ErrorEvents, connection_config, start
from vendor_errors.processor.offsets import Ledger
from vendor_errors.processor.protocols import Headers, Partition, Record
from vendor_errors.processor.settings import KafkaSettings

log = logging.getLogger(__name__)

# Done offsets are committed (non-blocking) at most this often.
COMMIT_INTERVAL_SECONDS = 0.5
# A commit whose answer never came (a lost coordinator) stops blocking new ones after this.
COMMIT_GIVE_UP_SECONDS = 30.0
# Up to this many bytes of a fetch response per request (librdkafka's default is 50 MiB).
FETCH_MAX_BYTES = 8 << 20
FETCH_QUEUE_BACKOFF_MS = 20

_value, _partition, _topic = Message.value, Message.partition, Message.topic


def fetch_config(kafka: KafkaSettings) -> dict[str, Any]:
    """How the consumer fetches ahead of the loop (bench/bench_processor.py's raw consumer
    fetches the same way)."""
    return {
        # Bounded by bytes (kafka.fetch_buffer_bytes): the queue and the fetch response on its
        # way into it take half each (the queue alone at the full bound held ~5 MiB more at
        # peak through a backlog, for no measurable rate).
        "queued.max.messages.kbytes": max(1024, kafka.fetch_buffer_bytes // 2048),
        "fetch.max.bytes": min(FETCH_MAX_BYTES, max(1 << 20, kafka.fetch_buffer_bytes // 2)),
        # A full queue postpones the next fetch by this much (librdkafka's default, 1 s,
        # starves a loop that empties a small queue in milliseconds).
        "fetch.queue.backoff.ms": FETCH_QUEUE_BACKOFF_MS,
    }


class Messages:
    """One consume()'s messages (Polled over librdkafka's, of one or more partitions)."""

    __slots__ = ("_messages", "counts", "ranges", "values")

    def __init__(self, messages: list[Message], topic: str | None) -> None:
        """`topic`: the one topic every message comes from, when that is known (it saves
        asking each message)."""
        self._messages = messages
        values = list(map(_value, messages))
        # A tombstone (no value) carries no log line: an empty record is "no_error" too.
        if None in values:
            values = [b"" if value is None else value for value in values]
        self.values = cast(list[bytes], values)
        # Each partition's messages are in offset order (in runs, interleaved with other
        # partitions'): its first and last message give its offsets. Found with C-level list
        # operations per partition, not a Python step per message.
        keys: list[Any] = (
            list(map(_partition, messages))
            if topic is not None
            else list(zip(map(_topic, messages), map(_partition, messages), strict=True))
        )
        ranges: dict[Partition, tuple[int, int]] = {}
        counts: dict[str, int] = {}
        last = len(keys) - 1
        if topic is not None and keys[0] == keys[-1] and keys.count(keys[0]) == len(keys):
            ranges[(topic, keys[0])] = self._range(0, last)  # the usual case: one partition
            counts[topic] = len(keys)
        else:
            backwards = keys[::-1]
            for key in sorted(set(keys)):
                first, final = keys.index(key), last - backwards.index(key)
                where = (topic, key) if topic is not None else key
                ranges[where] = self._range(first, final)
                counts[where[0]] = counts.get(where[0], 0) + keys.count(key)
        self.ranges = ranges
        self.counts = counts

    def _range(self, first: int, last: int) -> tuple[int, int]:
        messages = self._messages
        return cast(int, messages[first].offset()), cast(int, messages[last].offset()) + 1

    def origin(self, index: int) -> tuple[str, int, int]:
        message = self._messages[index]  # a record, not an error event: all three are set
        return cast(tuple[str, int, int], (message.topic(), message.partition(), message.offset()))

    def record(self, index: int) -> Record:
        message = self._messages[index]
        kind, timestamp = message.timestamp()
        headers = cast(Headers, message.headers() or [])  # as a list of (name, value) here
        return Record(
            message.value() or b"",
            message.key(),
            list(headers),
            timestamp if kind else None,  # 0: TIMESTAMP_NOT_AVAILABLE
        )


def _partitions(offsets: Mapping[Partition, int]) -> list[KafkaPartition]:
    return [
        KafkaPartition(topic, partition, offset) for (topic, partition), offset in offsets.items()
    ]


class LibrdkafkaSource:
    """Source over a confluent-kafka Consumer (subscribed here)."""

    def __init__(
        self,
        consumer: Consumer,
        topics: Sequence[str],
        max_records: int,
        errors: ErrorEvents,
        from_earliest: bool = True,
    ) -> None:
        self.consumer = consumer
        self.ledger = Ledger()
        self.max_records = max_records
        self.errors = errors
        self._assigned: frozenset[Partition] = frozenset()
        self._topic: str | None = None  # the one topic of the assignment, if one
        self._commit_in_flight = False
        self._last_commit = 0.0
        self._message_errors = Repeats(log)
        self._from_earliest = from_earliest
        consumer.subscribe(
            list(topics),
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_lost,
        )

    @classmethod
    def connect(
        cls, kafka: KafkaSettings, timeout_seconds: float, debug: bool = False
    ) -> LibrdkafkaSource:
        """Raises ClientError when no broker answered within `timeout_seconds`."""
        errors = ErrorEvents("consumer")
        config = {
            **connection_config(kafka, debug, errors),
            "client.id": kafka.client_id,
            "group.id": kafka.group_id,
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "auto.offset.reset": kafka.auto_offset_reset,
            "session.timeout.ms": kafka.session_timeout_ms,
            "heartbeat.interval.ms": min(3000, kafka.session_timeout_ms // 3),
            **fetch_config(kafka),
            "on_commit": None,  # set below: it needs the source
        }
        if kafka.group_instance_id:
            config["group.instance.id"] = kafka.group_instance_id
        source: LibrdkafkaSource | None = None

        def on_commit(error: KafkaError | None, partitions: list[KafkaPartition]) -> None:
            if source is not None:
                source._on_commit(error, partitions)

        config["on_commit"] = on_commit
        consumer = start(Consumer, config, kafka, timeout_seconds, errors)
        from_earliest = kafka.auto_offset_reset == "earliest"
        source = cls(consumer, kafka.topics, kafka.max_poll_records, errors, from_earliest)
        return source

    # -- rebalances: inside consume(), on this thread ----------------------------------------

    def _on_assign(self, consumer: Consumer, partitions: list[KafkaPartition]) -> None:
        assigned = frozenset((tp.topic, tp.partition) for tp in partitions)
        topics = {topic for topic, _ in assigned}
        self._topic = next(iter(topics)) if len(topics) == 1 else None
        self._assigned = assigned
        log.info(
            "partitions assigned",
            extra={"assigned": sorted(f"{topic}/{partition}" for topic, partition in assigned)},
        )

    def _on_revoke(self, consumer: Consumer, partitions: list[KafkaPartition]) -> None:
        revoked = [(tp.topic, tp.partition) for tp in partitions]
        # What is done for them is committed now, and waited for: the new owner starts there.
        offsets = self.ledger.uncommitted(revoked)
        if offsets:
            try:
                consumer.commit(offsets=_partitions(offsets), asynchronous=False)
                self.ledger.confirm(offsets)
            except KafkaException as exc:
                log.warning("commit before a rebalance failed", extra={"error": str(exc)})
        self._revoked(revoked)

    def _on_lost(self, consumer: Consumer, partitions: list[KafkaPartition]) -> None:
        # Evicted from the group: a commit would be refused; the new owners re-read.
        self._revoked([(tp.topic, tp.partition) for tp in partitions])

    def _revoked(self, revoked: list[Partition]) -> None:
        self._assigned = self._assigned.difference(revoked)
        dropped = self.ledger.forget(revoked)
        log.info(
            "partitions revoked",
            extra={"revoked": len(revoked), "uncommitted_partitions_dropped": dropped},
        )

    # -- the Source protocol ------------------------------------------------------------------

    @property
    def assigned(self) -> Collection[Partition]:
        return self._assigned

    def poll(self, timeout_ms: int) -> Messages | None:
        self._maybe_commit()
        consumer = self.consumer
        # consume(n, timeout) waits for all n; one first (as soon as there is one), then what
        # else is already there, without waiting.
        messages = consumer.consume(1, timeout_ms / 1000)
        if not messages:
            self._raise_if_fatal()
            return None
        if self.max_records > 1:
            messages += consumer.consume(self.max_records - 1, 0)
        if any(map(Message.error, messages)):
            messages = self._without_errors(messages)
            if not messages:
                return None
        return Messages(messages, self._topic)

    def _without_errors(self, messages: list[Message]) -> list[Message]:
        """Error events delivered as messages (an unknown topic, ...): logged, never records."""
        kept = []
        for message in messages:
            error = message.error()
            if error is None:
                kept.append(message)
                continue
            if error.fatal():
                raise KafkaException(error)
            self._message_errors.log(
                logging.WARNING,
                "kafka consumer: " + error.name(),
                key=f"{error.name()}:{message.topic()}",
                extra={"error": error.str(), "topic": message.topic()},
            )
        return kept

    def _raise_if_fatal(self) -> None:
        if self.errors.fatal is not None:
            raise KafkaException(self.errors.fatal)

    def mark_done(self, next_offsets: Mapping[Partition, int]) -> None:
        self.ledger.mark_done(next_offsets, self._assigned)

    def seek(self, offsets: Mapping[Partition, int]) -> None:
        # A seek that fails would let later batches commit past the ones to re-read: it raises
        # (the processor stops and its restart reads from the last commit) rather than lose.
        for (topic, partition), offset in offsets.items():
            if (topic, partition) in self._assigned:
                self.consumer.seek(KafkaPartition(topic, partition, offset))

    def _maybe_commit(self) -> None:
        """Commit what is done, at most every COMMIT_INTERVAL_SECONDS, one commit in flight."""
        since = time.monotonic() - self._last_commit
        if since < COMMIT_INTERVAL_SECONDS or (
            self._commit_in_flight and since < COMMIT_GIVE_UP_SECONDS
        ):
            return
        offsets = self.ledger.uncommitted()
        if not offsets:
            return
        self._last_commit = time.monotonic()
        try:
            self.consumer.commit(offsets=_partitions(offsets), asynchronous=True)
            self._commit_in_flight = True
        except KafkaException as exc:
            log.warning("commit not sent; will retry", extra={"error": str(exc)})

    def _on_commit(self, error: KafkaError | None, partitions: list[KafkaPartition]) -> None:
        """librdkafka's answer to a commit (served by consume or poll, on this thread)."""
        self._commit_in_flight = False
        confirmed = {
            (tp.topic, tp.partition): tp.offset
            for tp in partitions
            if tp.error is None and tp.offset >= 0
        }
        if error is not None or len(confirmed) < len(partitions):
            # Later commits carry the same offsets again; nothing is lost by a failed one.
            log.warning("commit failed; will retry", extra={"error": str(error)})
        self.ledger.confirm(confirmed)

    def commit(self, timeout_ms: int) -> bool:
        """At shutdown: commit what is done and wait for the answer, at most `timeout_ms`.
        Fetching is paused first, so waiting for the answer reads no more records."""
        offsets = self.ledger.uncommitted()
        if not offsets:
            return True
        deadline = time.monotonic() + timeout_ms / 1000
        consumer = self.consumer
        try:
            consumer.pause(_partitions({tp: OFFSET_INVALID for tp in self._assigned}))
            while time.monotonic() < deadline:
                if not self._commit_in_flight:  # (again, if the last one failed)
                    consumer.commit(offsets=_partitions(offsets), asynchronous=True)
                    self._commit_in_flight = True
                consumer.poll(min(0.1, max(0.0, deadline - time.monotonic())))
                if not self.ledger.uncommitted(offsets):
                    return True
        except KafkaException as exc:
            log.warning("commit failed", extra={"error": str(exc)})
        return not self.ledger.uncommitted(offsets)

    def lag(self, timeout_ms: int) -> dict[Partition, int] | None:
        """Per assigned partition: its end less the consumer's position; where nothing was
        read yet, less the committed offset, else where `auto_offset_reset` starts."""
        assigned = sorted(self._assigned)
        if not assigned:
            return {}
        timeout = timeout_ms / 1000
        consumer = self.consumer
        try:
            positions = consumer.position(_partitions({tp: OFFSET_INVALID for tp in assigned}))
            known = {(tp.topic, tp.partition): tp.offset for tp in positions if tp.offset >= 0}
            unknown = [tp for tp in positions if tp.offset < 0]
            if unknown:  # nothing read from them yet
                for tp in consumer.committed(unknown, timeout=timeout):
                    if tp.offset >= 0:
                        known[(tp.topic, tp.partition)] = tp.offset
            lag: dict[Partition, int] = {}
            for topic, partition in assigned:
                tp = KafkaPartition(topic, partition)
                # The ends as the last fetch response gave them (no broker call: the loop
                # waits for this); asked of the broker only when nothing was fetched yet.
                start, end = consumer.get_watermark_offsets(tp, cached=True)
                position = known.get((topic, partition))
                if end < 0 or (position is None and start < 0):
                    start, end = consumer.get_watermark_offsets(tp, timeout=timeout, cached=False)
                if position is None:
                    position = start if self._from_earliest else end
                lag[(topic, partition)] = max(0, end - position)
        except KafkaException as exc:
            log.warning("consumer lag not measured", extra={"error": str(exc)})
            return None
        return lag

    def close(self, timeout_ms: int) -> None:
        """Leave the group (partitions move at once). librdkafka's close() has no timeout and
        can wait long for a broker that is gone: it runs on a helper thread, waited for at most
        `timeout_ms`."""
        closer = threading.Thread(target=self._close, name="kafka-consumer-close", daemon=True)
        closer.start()
        closer.join(max(timeout_ms, 0) / 1000)
        if closer.is_alive():
            log.warning("consumer did not close in time")

    def _close(self) -> None:
        try:
            self.consumer.close()
        except (KafkaException, RuntimeError) as exc:
            log.warning("consumer did not close cleanly", extra={"error": str(exc)})
