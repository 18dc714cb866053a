"""Outputs the broker refuses: nothing is committed or counted until they are delivered."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient

from tests.processor.kafka_tools import (
    Offsets,
    any_port,
    environment,
    http_get,
    in_process,
    metric_samples,
    produce,
    read_all,
    wait_until,
)
from tests.processor.samples import mixed

pytestmark = pytest.mark.kafka


def test_refused_outputs_are_retried_and_counted_once(
    kafka_bootstrap: str, new_topic: Callable[..., str], kafka_client: str
) -> None:
    topic = new_topic("logs", 1)
    # Every enriched event is larger than this topic accepts, until the test raises the limit.
    enriched = new_topic("enriched", 1, **{"max.message.bytes": "200"})
    records = mixed(total=60, error_every=2)
    positions = produce(kafka_bootstrap, topic, [value for value, _ in records])
    expected = {positions[n] for n, (_, carried) in enumerate(records) if carried}

    group = f"refused-{kafka_client}"
    env = environment(
        kafka_bootstrap, topic, group, any_port(), kafka_client, OUTPUT__ENRICHED_TOPIC=enriched
    )
    with Offsets(kafka_bootstrap) as offsets, in_process(env) as running:
        running.wait_ready()
        time.sleep(3)  # a few delivery failures and re-reads
        assert offsets.committed(group, topic) == {}, "nothing may be committed"
        assert metric_samples(running.port, "vendor_errors_total") == []
        assert metric_samples(running.port, "vendor_errors_records_total") == []
        assert http_get(running.port, "/healthz")[0] == 200  # retrying is not being stuck

        admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
        try:
            admin.alter_configs(
                [
                    ConfigResource(
                        ConfigResourceType.TOPIC, enriched, {"max.message.bytes": "1048588"}
                    )
                ]
            )
        finally:
            admin.close()
        wait_until(lambda: offsets.caught_up(group, topic), 60, "delivery after the fix")
        counted = sum(value for _, value in metric_samples(running.port, "vendor_errors_total"))
        outcomes = {
            labels["outcome"]: value
            for labels, value in metric_samples(running.port, "vendor_errors_records_total")
        }

    assert counted == len(expected) == 30  # re-read batches were not counted again
    assert outcomes == {"error_found": 30, "no_error": 30}
    events = [r.json() for r in read_all(kafka_bootstrap, enriched)]
    assert {(e["source"]["partition"], e["source"]["offset"]) for e in events} == expected
