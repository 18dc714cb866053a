"""The Kafka clients' pieces that need no broker: a librdkafka poll as one batch, the topic
pattern kafka-python subscribes to, a full producer queue, and the clients' logs summarised."""

from __future__ import annotations

import logging
import re
import time

import pytest
from confluent_kafka import Message, Producer
from vendor_errors.processor import kafka_logs
from vendor_errors.processor.config import ConfigError, load_settings
from vendor_errors.processor.kafka_logs import Repeats, Summary
from vendor_errors.processor.kafka_python.source import subscription_pattern
from vendor_errors.processor.librdkafka import outbox as librdkafka_outbox
from vendor_errors.processor.librdkafka.outbox import LibrdkafkaOutbox
from vendor_errors.processor.librdkafka.source import Messages
from vendor_errors.processor.protocols import DeliveryError, Output

from tests.support.kafka_broker import free_port


def message(topic: str, partition: int, offset: int, value: bytes | None = b"{}") -> Message:
    return Message(
        topic=topic,
        partition=partition,
        offset=offset,
        key=b"k",
        value=value,
        headers=[("h", b"1")],
        timestamp=(1, 1_700_000_000_000),
    )


def test_a_consume_is_one_batch_with_each_partitions_offsets() -> None:
    # librdkafka hands over runs per partition; a partition may come back later in the batch.
    runs = [("a", 0, 10, 3), ("a", 1, 0, 2), ("b", 0, 7, 1), ("a", 0, 13, 2)]
    messages = [
        message(topic, partition, first + n, f"{topic}{partition}-{first + n}".encode())
        for topic, partition, first, count in runs
        for n in range(count)
    ]
    messages[4] = message("a", 1, 1, None)  # a tombstone
    polled = Messages(messages, topic=None)
    assert polled.values[:3] == [b"a0-10", b"a0-11", b"a0-12"] and polled.values[4] == b""
    assert polled.ranges == {("a", 0): (10, 15), ("a", 1): (0, 2), ("b", 0): (7, 8)}
    assert polled.counts == {"a": 7, "b": 1}
    assert polled.origin(5) == ("b", 0, 7)
    record = polled.record(0)
    assert (record.key, record.headers, record.timestamp_ms) == (
        b"k",
        [("h", b"1")],
        1_700_000_000_000,
    )
    # One topic known from the assignment: the same, without asking each message its topic.
    single = Messages([m for m in messages if m.topic() == "a"], topic="a")
    assert single.ranges == {("a", 0): (10, 15), ("a", 1): (0, 2)} and single.counts == {"a": 7}


def test_names_and_patterns_become_one_pattern_for_kafka_python() -> None:
    assert subscription_pattern(["app-logs", "web-logs"]) is None  # names: subscribed as such
    pattern = re.compile(subscription_pattern(["^logs-(app|web)-[0-9]+$", "audit.log"]) or "")
    matched = ["logs-app-1", "logs-web-22", "audit.log"]
    unmatched = ["logs-db-1", "audit-log", "audit.log2", "x-logs-app-1", "logs-app-"]
    assert [t for t in matched + unmatched if pattern.match(t)] == matched


@pytest.mark.parametrize(
    ("topics", "problem"),
    [
        (r"^logs-\d+", "write classes out"),
        ("^logs-(?:a|b)", "write classes out"),
        ("^logs-[", "not a regular expression"),
    ],
)
def test_topic_patterns_must_mean_the_same_to_both_clients(topics: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(problem)):
        load_settings(environ={"VENDOR_ERRORS_KAFKA__TOPICS": topics})


def test_an_output_topic_matched_by_a_pattern_is_a_loop() -> None:
    environ = {
        "VENDOR_ERRORS_KAFKA__TOPICS": "^vendor-.*",
        "VENDOR_ERRORS_OUTPUT__ENRICHED_TOPIC": "vendor-errors-enriched",
    }
    with pytest.raises(ConfigError, match=r"output.enriched_topic: .* \(a loop\)"):
        load_settings(environ=environ)


def test_a_full_producer_queue_holds_the_batch_back_and_never_drops_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No broker: nothing is ever acknowledged, so the queue (1 KiB) fills and stays full.
    monkeypatch.setattr(librdkafka_outbox, "FULL_QUEUE_SECONDS", 0.5)
    producer = Producer(
        {"bootstrap.servers": f"127.0.0.1:{free_port()}", "queue.buffering.max.kbytes": 1}
    )
    outbox = LibrdkafkaOutbox(producer)
    started = time.monotonic()
    with pytest.raises(DeliveryError, match="queue stayed full"):
        outbox.submit([Output("out", b"x" * 600) for _ in range(4)])
    assert 0.5 <= time.monotonic() - started < 5  # waited for room, then gave the batch up
    producer.purge()


def _record(text: str, *args: object, name: str = "kafka.net.manager") -> logging.LogRecord:
    return logging.LogRecord(name, logging.WARNING, __file__, 1, text, args, None)


def test_repeats_of_a_kind_are_held_back_and_counted() -> None:
    repeats = Repeats(logging.getLogger("test"), window_seconds=0.2)
    kind = kafka_logs.kind_of("Connection to node 1 failed after 120ms")
    assert kind == kafka_logs.kind_of("Connection to node 3 failed after 9ms")
    assert repeats.allow(kind) == 0
    assert [repeats.allow(kind) for _ in range(500)] == [None] * 500
    assert repeats.allow("another kind") == 0  # a change of state: logged at once
    time.sleep(0.25)
    assert repeats.allow(kind) == 500  # the next line says how many were held back


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_the_clients_logs_are_summarised() -> None:
    kafka, root = logging.getLogger("kafka"), logging.getLogger()
    # On the root logger, where the summary hands on what it lets through (pytest's own capture
    # handlers sit on any logger that does not propagate, and would see every line).
    collect = _Collect()
    root.addHandler(collect)
    kafka_logs.install("INFO", debug=False)
    try:
        for node in range(700):  # kafka-python: one format string, many arguments
            logging.getLogger("kafka.producer.sender").warning(
                "Got error produce response on %s: %s", f"out-{node % 3}", "MessageSizeTooLarge"
            )
        librdkafka = logging.getLogger(kafka_logs.LIBRDKAFKA_LOGGER)
        for attempt in range(50):  # librdkafka: facility and text
            librdkafka.error(
                "%s [%s] %s", "FAIL", "rdkafka#producer-1", f"Connect failed ({attempt}ms)"
            )
        librdkafka.error("%s [%s] %s", "AUTH", "rdkafka#producer-1", "SASL failed")
        with kafka_logs.connecting():  # held back while the clients first connect
            librdkafka.error("%s [%s] %s", "FAIL", "rdkafka#producer-1", "Connection refused")
        lines = [r.getMessage() for r in collect.records if r.name.startswith("kafka")]
        assert len(lines) == 3, lines
        assert sum("SASL failed" in line for line in lines) == 1
        assert any(isinstance(h, Summary) for h in kafka.handlers) and not kafka.propagate
        kafka_logs.install("INFO", debug=True)  # everything, for a support case
        assert kafka.level == logging.DEBUG and kafka.propagate
        assert not any(isinstance(h, Summary) for h in kafka.handlers)
    finally:
        root.removeHandler(collect)
        for handler in [h for h in kafka.handlers if isinstance(h, Summary)]:
            kafka.removeHandler(handler)
        kafka.propagate = True
        kafka.setLevel(logging.NOTSET)
