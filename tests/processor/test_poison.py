"""Poison records go to the dead-letter topic and the partition keeps flowing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.processor.kafka_tools import (
    Offsets,
    any_port,
    environment,
    in_process,
    produce,
    read_all,
    wait_until,
)
from tests.processor.samples import error_record

pytestmark = pytest.mark.kafka

HUGE = b'{"level":"info","blob":"' + b"A" * (2 << 20) + b'"}'  # 2 MiB: over max_record_bytes
POISON = {
    "junk": b"\xde\xad\xbe\xef\x00\x00\xff" * 100,
    "huge": HUGE,
    "truncated": b'{"level":"error","logger":"notify.sms","response":{"code":13',
}
# Why each is not decodable (the first two are parsers.extract's words, the last the processor's).
REASONS = {
    "junk": {b"invalid utf-8", b"binary data"},
    "huge": {b"record too large"},
    "truncated": {b"truncated json"},
}


def test_poison_records_are_dead_lettered_and_the_partition_flows(
    kafka_bootstrap: str, new_topic: Callable[..., str], kafka_client: str
) -> None:
    # One partition, so every good record after a poison one proves the partition kept moving.
    # The input accepts 3 MiB records; the dead-letter topic only its broker default (1 MiB), so
    # the huge record must be truncated to be kept at all.
    topic = new_topic("poison", 1, **{"max.message.bytes": str(3 << 20)})
    enriched, dlq = new_topic("enriched", 1), new_topic("dlq", 1)
    values: list[bytes] = []
    good: list[int] = []
    for n, name in enumerate(POISON):
        good.append(len(values))
        values.append(error_record(n)[0])
        values.append(POISON[name])
    good.append(len(values))
    values.append(error_record(3)[0])
    positions = produce(kafka_bootstrap, topic, values, max_request_size=4 << 20)

    group = f"poison-{kafka_client}"
    env = environment(
        kafka_bootstrap,
        topic,
        group,
        any_port(),
        kafka_client,
        OUTPUT__ENRICHED_TOPIC=enriched,
        OUTPUT__DEAD_LETTER_TOPIC=dlq,
    )
    with Offsets(kafka_bootstrap) as offsets, in_process(env):
        wait_until(lambda: offsets.caught_up(group, topic), 60, "the partition to be consumed")

    events = [record.json() for record in read_all(kafka_bootstrap, enriched)]
    assert sorted(e["source"]["offset"] for e in events) == [positions[i][1] for i in good]

    dead = {dict(r.headers)["vendor-errors.offset"]: r for r in read_all(kafka_bootstrap, dlq)}
    assert len(dead) == len(POISON)
    for n, name in enumerate(POISON):
        offset = positions[2 * n + 1][1]
        record = dead[str(offset).encode()]
        headers = dict(record.headers)
        assert headers["vendor-errors.reason"] in REASONS[name]
        assert headers["vendor-errors.topic"] == topic.encode()
        assert headers["vendor-errors.partition"] == b"0"
        if name == "huge":
            assert headers["vendor-errors.truncated"] == str(len(HUGE)).encode()
            assert HUGE.startswith(record.value) and 0 < len(record.value) < len(HUGE)
        else:
            assert record.value == POISON[name]
            assert "vendor-errors.truncated" not in headers
