"""The Kafka fixture itself: a real broker that carries records and keeps them across a restart."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient

from tests.support.kafka_broker import KafkaBroker


def _produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    # Generous retries: after a restart the partitions' leaders come back a little after the
    # listener (seconds on a loaded machine); each send must be acknowledged, not only flushed.
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, acks="all", retries=30, retry_backoff_ms=500
    )
    try:
        sent = [producer.send(topic, value) for value in values]
        for future in sent:
            future.get(timeout=60)
    finally:
        producer.close()


def _consume(bootstrap: str, topic: str, expected: int) -> list[bytes]:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"fixture-test-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=60_000,
    )
    seen: list[bytes] = []
    try:
        for record in consumer:
            seen.append(record.value)
            if len(seen) >= expected:
                break
    finally:
        consumer.close()
    return seen


def test_new_topic_has_the_requested_partitions(
    kafka_bootstrap: str, new_topic: Callable[..., str]
) -> None:
    topic = new_topic("parts", partitions=4)
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        (described,) = admin.describe_topics([topic])
    finally:
        admin.close()
    assert described["name"] == topic
    assert len(described["partitions"]) == 4
    assert topic != new_topic("parts", partitions=4), "names must be unique per call"


def test_produce_and_consume_round_trip(
    kafka_bootstrap: str, new_topic: Callable[..., str]
) -> None:
    topic = new_topic("roundtrip", partitions=3)
    values = [f"record-{i}".encode() for i in range(20)]
    _produce(kafka_bootstrap, topic, values)
    assert sorted(_consume(kafka_bootstrap, topic, len(values))) == sorted(values)


def test_records_survive_a_broker_restart(
    restartable_kafka_broker: KafkaBroker, new_topic: Callable[..., str]
) -> None:
    broker = restartable_kafka_broker
    topic = new_topic("restart", partitions=2)
    bootstrap_before = broker.bootstrap
    _produce(broker.bootstrap, topic, [b"before-1", b"before-2"])

    broker.stop()
    assert not broker.is_running
    broker.start()

    assert broker.bootstrap == bootstrap_before, "a restart must keep the address"
    _produce(broker.bootstrap, topic, [b"after-1"])
    assert sorted(_consume(broker.bootstrap, topic, 3)) == [b"after-1", b"before-1", b"before-2"]
