"""Shared fixtures. Kafka is a real broker, started once per session or KAFKA_BOOTSTRAP_SERVERS."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from tests.support import unique_id
from tests.support.kafka_broker import ExternalKafka, KafkaBroker, broker_from_env, create_topic


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[KafkaBroker | ExternalKafka]:
    broker = broker_from_env()
    try:
        yield broker
    finally:
        broker.close()


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_broker: KafkaBroker | ExternalKafka) -> str:
    return kafka_broker.bootstrap


@pytest.fixture
def restartable_kafka_broker(kafka_broker: KafkaBroker | ExternalKafka) -> Iterator[KafkaBroker]:
    """The session broker, for tests that stop/start it; running again after the test."""
    if not isinstance(kafka_broker, KafkaBroker):
        pytest.skip(kafka_broker.restart_unsupported_reason)
    yield kafka_broker
    # A failed restart test must not leave every later test without a broker.
    kafka_broker.start()


@pytest.fixture
def new_topic(request: pytest.FixtureRequest, kafka_bootstrap: str) -> Callable[..., str]:
    """``new_topic("app-logs", partitions=3)`` -> a new, ready topic ``app-logs-<test>-<id>``."""
    test_part = re.sub(r"[^A-Za-z0-9._-]+", "-", request.node.name)[:80].strip("-")

    def make(name: str = "topic", partitions: int = 3, **configs: str) -> str:
        unique = f"{name}-{test_part}-{unique_id()}"
        return create_topic(kafka_bootstrap, unique, partitions=partitions, **configs)

    return make
