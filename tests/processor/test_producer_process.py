"""The producer child process (processor/outbox_process.py), against the real broker:
tickets answered once acknowledged, a dead child failing its tickets and replaced, and a
producer configuration Kafka refuses failing the start-up."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

import pytest
from vendor_errors.processor.kafka_python.outbox import connect
from vendor_errors.processor.outbox_process import OutboxProcess
from vendor_errors.processor.protocols import DeliveryError, Output

from tests.processor.kafka_tools import read_all

pytestmark = pytest.mark.kafka


def _wait(producer: OutboxProcess, ticket: int) -> None:
    producer.wait(ticket, time.monotonic() + 30, lambda: True)


def ProducerProcess(options: dict, max_record_bytes: int, log_level: str) -> OutboxProcess:
    return OutboxProcess(connect, (options, max_record_bytes), log_level)


def test_tickets_are_answered_once_their_records_are_acknowledged(
    kafka_bootstrap: str, new_topic: Callable[..., str]
) -> None:
    topic = new_topic("out", 1)
    producer = ProducerProcess({"bootstrap_servers": kafka_bootstrap}, 1 << 20, "WARNING")
    try:
        empty = producer.submit([])
        assert producer.check(empty)  # nothing produced for the batch: done at once
        tickets = []
        for batch in range(3):
            outputs = [Output(topic, f"{batch}-{n}".encode(), key=b"k") for n in range(5)]
            tickets.append(producer.submit(outputs))
        for ticket in tickets:
            _wait(producer, ticket)
            assert producer.check(ticket)
    finally:
        producer.close(10)
    values = [record.value for record in read_all(kafka_bootstrap, topic)]
    assert values == [f"{batch}-{n}".encode() for batch in range(3) for n in range(5)]


def test_a_dead_child_fails_its_tickets_and_is_replaced(
    kafka_bootstrap: str, new_topic: Callable[..., str]
) -> None:
    topic = new_topic("out", 1)
    producer = ProducerProcess({"bootstrap_servers": kafka_bootstrap}, 1 << 20, "WARNING")
    try:
        first = producer._child
        os.kill(first.pid, signal.SIGKILL)
        first.join(10)
        lost = producer.submit([Output(topic, b"lost?")])  # starts a new child: it goes there
        _wait(producer, lost)
        assert producer._child is not first and producer._child.is_alive()

        os.kill(producer._child.pid, signal.SIGKILL)
        producer._child.join(10)
        pending = 10_000  # submitted to the child that died, never answered
        with pytest.raises(DeliveryError, match="exited"):
            producer.check(pending)
        again = producer.submit([Output(topic, b"again")])
        _wait(producer, again)
    finally:
        producer.close(10)
    assert [record.value for record in read_all(kafka_bootstrap, topic)] == [b"lost?", b"again"]


def test_the_producers_start_up_error_is_raised_here() -> None:
    # Raised by the child's producer before it looks for the cluster (an unreachable cluster
    # raises KafkaTimeoutError the same way, after kafka-python's 30 s bootstrap timeout).
    with pytest.raises(ValueError, match="Unrecognized configs"):
        ProducerProcess({"bootstrap_servers": "127.0.0.1:9", "no_such": 1}, 1 << 20, "WARNING")
