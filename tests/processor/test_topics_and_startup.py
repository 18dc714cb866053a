"""Against a real broker, for both clients: topics subscribed by pattern, a start with no broker
(one clear error, a bounded exit, not ready meanwhile), and a topic that refuses every output
(a few log lines, not a flood)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from tests.processor.kafka_tools import (
    Offsets,
    ProcessorProcess,
    any_port,
    environment,
    http_get,
    in_process,
    produce,
    read_all,
    wait_until,
)
from tests.processor.samples import error_record
from tests.support import unique_id
from tests.support.kafka_broker import create_topic

pytestmark = pytest.mark.kafka


def test_topics_matching_a_pattern_are_consumed_with_the_named_ones(
    kafka_bootstrap: str, new_topic: Callable[..., str], kafka_client: str
) -> None:
    prefix = f"rx{unique_id()}"
    matched = [f"{prefix}-app-1", f"{prefix}-web-22"]
    named = f"{prefix}-audit"
    unmatched = [f"{prefix}-db-1", f"{prefix}-app-x", f"old-{prefix}-app-1"]
    for topic in [*matched, named, *unmatched]:
        create_topic(kafka_bootstrap, topic, partitions=2)
        produce(kafka_bootstrap, topic, [error_record(n)[0] for n in range(5)])
    enriched = new_topic("enriched")
    group = f"patterns-{kafka_client}"
    env = environment(
        kafka_bootstrap,
        f"^{prefix}-(app|web)-[0-9]+$,{named}",
        group,
        any_port(),
        kafka_client,
        OUTPUT__ENRICHED_TOPIC=enriched,
    )
    consumed = [*matched, named]
    with Offsets(kafka_bootstrap) as offsets, in_process(env):
        wait_until(
            lambda: all(offsets.caught_up(group, topic) for topic in consumed),
            60,
            "the matched and named topics to be consumed",
        )
        assert all(offsets.committed(group, topic) == {} for topic in unmatched)
    events = [record.json() for record in read_all(kafka_bootstrap, enriched)]
    assert {event["source"]["topic"] for event in events} == set(consumed)
    assert len(events) == 5 * len(consumed)


def _lines(process: ProcessorProcess) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in process.logs().splitlines() if line.startswith("{")]


def test_no_broker_at_start_is_one_clear_error_and_a_bounded_exit(
    tmp_path: Path, kafka_client: str
) -> None:
    bound = 4.0
    unreachable = f"127.0.0.1:{any_port()}"
    env = environment(
        unreachable,
        "app-logs",
        "nowhere",
        any_port(),
        kafka_client,
        OUTPUT__ENRICHED_TOPIC="enriched",
        KAFKA__CONNECT_TIMEOUT_SECONDS=str(bound),
    )
    process = ProcessorProcess(env, tmp_path / "processor.log").start()
    started = time.monotonic()
    try:
        # While it tries the cluster: alive, not ready.
        wait_until(lambda: http_get(process.port, "/healthz")[0] == 200, 20, "/healthz")
        assert http_get(process.port, "/readyz")[0] == 503
        code = process.wait(bound + 20)
    finally:
        process.stop()
    took = time.monotonic() - started
    assert code == 1, process.logs()
    # The bound, plus a second for the consumer after the producer, plus starting Python.
    assert took < bound + 10, f"exited after {took:.1f}s"
    lines = _lines(process)
    errors = [line for line in lines if line["level"] == "error"]
    assert len(errors) == 1 and errors[0]["message"] == "cannot reach Kafka", lines
    assert unreachable in str(errors[0]["error"])
    assert "kafka.bootstrap_servers" in str(errors[0]["error"])
    assert f"within {bound:g}s" in str(errors[0]["error"])
    # The clients' own narration, summarised: a line or two, not one per reconnect.
    chatter = [line for line in lines if str(line["logger"]).startswith("kafka")]
    assert len(chatter) <= 4, chatter


def test_a_topic_refusing_every_output_logs_a_few_lines_not_a_flood(
    kafka_bootstrap: str, new_topic: Callable[..., str], tmp_path: Path, kafka_client: str
) -> None:
    topic = new_topic("logs", 1)
    enriched = new_topic("enriched", 1, **{"max.message.bytes": "200"})  # every event too large
    produce(kafka_bootstrap, topic, [error_record(n)[0] for n in range(3000)])
    env = environment(
        kafka_bootstrap,
        topic,
        f"refusing-{kafka_client}",
        any_port(),
        kafka_client,
        OUTPUT__ENRICHED_TOPIC=enriched,
    )
    process = ProcessorProcess(env, tmp_path / "processor.log").start()
    try:
        process.wait_ready()
        time.sleep(8)  # batches produced, refused, read again, over and over
        assert process.proc is not None and process.proc.poll() is None
    finally:
        process.stop()
    lines = _lines(process)
    rewinds = [line for line in lines if line["message"].startswith("outputs not acknowledged")]
    assert 1 <= len(rewinds) <= 2, rewinds  # the first, and once a minute after
    chatter = [line for line in lines if str(line["logger"]).startswith("kafka")]
    assert len(chatter) <= 10, chatter
    assert len(lines) <= 25, lines
