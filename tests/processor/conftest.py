"""The Kafka clients the real-broker suite runs for (kafka.client): a test that takes the
`kafka_client` fixture runs once per client, the same test for both. Such a test names its
consumer group after the client too, so that the two runs never share a group."""

from __future__ import annotations

import pytest

CLIENTS = ("kafka-python", "librdkafka")


@pytest.fixture(params=CLIENTS)
def kafka_client(request: pytest.FixtureRequest) -> str:
    return str(request.param)
