"""`vendor-errors run` as a process: killed, stopped, and with the broker taken away under it.

Each test feeds records while the processor works, then checks the at-least-once promise: every
vendor error of the input is in the enriched topic, and committed offsets reach the topic's end.
"""

from __future__ import annotations

import random
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kafka import KafkaProducer

from tests.processor.kafka_tools import (
    Offsets,
    ProcessorProcess,
    any_port,
    environment,
    in_process,
    read_all,
    wait_until,
)
from tests.processor.otlp_receiver import OtlpReceiver
from tests.processor.samples import mixed
from tests.support.kafka_broker import KafkaBroker

pytestmark = pytest.mark.kafka


class Feeder:
    """Produces `records` in small slices on a thread, so the processor works while we act."""

    def __init__(self, bootstrap: str, topic: str, total: int, seconds: float) -> None:
        self.records = mixed(total=total, error_every=3)
        self.expected: dict[tuple[int, int], tuple[str, str]] = {}
        self._bootstrap, self._topic, self._seconds = bootstrap, topic, seconds
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.error: BaseException | None = None

    def _run(self) -> None:
        # One producer for the whole feed: it rides out a broker outage by buffering and
        # retrying, where a new one would fail to bootstrap while the broker is away.
        producer = KafkaProducer(bootstrap_servers=self._bootstrap, acks="all", linger_ms=5)
        try:
            slices = 20
            size = -(-len(self.records) // slices)
            for start in range(0, len(self.records), size):
                chunk = self.records[start : start + size]
                futures = [producer.send(self._topic, value) for value, _ in chunk]
                producer.flush(timeout=120)
                for future, (_, carried) in zip(futures, chunk, strict=True):
                    meta = future.get(timeout=1)
                    if carried is not None:
                        self.expected[(meta.partition, meta.offset)] = carried
                time.sleep(self._seconds / slices)
        except BaseException as exc:
            self.error = exc
        finally:
            producer.close()

    def start(self) -> Feeder:
        self._thread.start()
        return self

    def join(self, timeout_s: float = 120) -> None:
        self._thread.join(timeout_s)
        assert not self._thread.is_alive(), "the producer did not finish"
        if self.error is not None:
            raise self.error


@pytest.fixture
def topics(new_topic: Callable[..., str]) -> dict[str, str]:
    return {"input": new_topic("logs"), "enriched": new_topic("enriched")}


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[list[ProcessorProcess]]:
    started: list[ProcessorProcess] = []
    yield started
    for process in started:
        process.stop()


def assert_nothing_lost(bootstrap: str, topics: dict[str, str], feeder: Feeder) -> int:
    """Every vendor error of the input is in the enriched topic; returns how many repeats."""
    events = [record.json() for record in read_all(bootstrap, topics["enriched"])]
    seen = {
        (e["source"]["partition"], e["source"]["offset"]): (e["vendor"], e["code"]) for e in events
    }
    missing = {pos: carried for pos, carried in feeder.expected.items() if pos not in seen}
    assert not missing, f"{len(missing)} vendor errors never reached the enriched topic"
    assert {seen[pos] for pos in feeder.expected} == set(feeder.expected.values())
    return len(events) - len(seen)


def test_sigkill_at_random_points_loses_nothing(
    kafka_bootstrap: str,
    topics: dict[str, str],
    processes: list[ProcessorProcess],
    tmp_path: Path,
    kafka_client: str,
) -> None:
    group = f"sigkill-{kafka_client}"
    env = environment(
        kafka_bootstrap,
        topics["input"],
        group,
        any_port(),
        kafka_client,
        OUTPUT__ENRICHED_TOPIC=topics["enriched"],
        KAFKA__MAX_POLL_RECORDS="50",  # many small batches: kills land between and inside them
    )
    feeder = Feeder(kafka_bootstrap, topics["input"], total=3000, seconds=12).start()
    rng = random.Random(4)
    for kill in range(3):
        process = ProcessorProcess(env, tmp_path / f"run-{kill}.log").start()
        processes.append(process)
        process.wait_ready()
        time.sleep(rng.uniform(0.3, 2.0))
        process.kill()
    final = ProcessorProcess(env, tmp_path / "final.log").start()
    processes.append(final)
    feeder.join()
    with Offsets(kafka_bootstrap) as offsets:
        wait_until(
            lambda: offsets.caught_up(group, topics["input"]), 90, "committed offsets at the end"
        )
    repeats = assert_nothing_lost(kafka_bootstrap, topics, feeder)
    assert len(feeder.expected) == 1000
    print(f"{repeats} vendor errors were delivered twice (at-least-once after SIGKILL)")


def test_broker_stopped_and_started_mid_run(
    restartable_kafka_broker: KafkaBroker,
    topics: dict[str, str],
    processes: list[ProcessorProcess],
    tmp_path: Path,
    kafka_client: str,
) -> None:
    bootstrap = restartable_kafka_broker.bootstrap
    group = f"broker-restart-{kafka_client}"
    env = environment(
        bootstrap,
        topics["input"],
        group,
        any_port(),
        kafka_client,
        OUTPUT__ENRICHED_TOPIC=topics["enriched"],
    )
    process = ProcessorProcess(env, tmp_path / "processor.log").start()
    processes.append(process)
    process.wait_ready()
    feeder = Feeder(bootstrap, topics["input"], total=1500, seconds=4).start()
    time.sleep(2)  # mid-feed, mid-processing
    restartable_kafka_broker.stop()
    time.sleep(3)
    assert process.proc is not None and process.proc.poll() is None, process.logs()
    restartable_kafka_broker.start()
    feeder.join()
    with Offsets(bootstrap) as offsets:
        wait_until(lambda: offsets.caught_up(group, topics["input"]), 90, "recovery")
    assert process.proc.poll() is None, "the processor must ride out the outage"
    assert_nothing_lost(bootstrap, topics, feeder)
    process.signal(signal.SIGTERM)
    assert process.wait(30) == 0, process.logs()


def test_sigterm_finishes_flushes_commits_and_exits_within_the_bound(
    kafka_bootstrap: str,
    topics: dict[str, str],
    processes: list[ProcessorProcess],
    tmp_path: Path,
    kafka_client: str,
) -> None:
    receiver = OtlpReceiver()
    group = f"sigterm-{kafka_client}"
    bound = 10.0
    env = environment(
        kafka_bootstrap,
        topics["input"],
        group,
        any_port(),
        kafka_client,
        OUTPUT__ENRICHED_TOPIC=topics["enriched"],
        SHUTDOWN__TIMEOUT_SECONDS=str(bound),
        TRACING__ENABLED="true",
        OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
    )
    env["OTEL_EXPORTER_OTLP_ENDPOINT"] = env.pop("VENDOR_ERRORS_OTEL_EXPORTER_OTLP_ENDPOINT")
    env["OTEL_BSP_SCHEDULE_DELAY"] = "60000"  # spans reach the collector only by the final flush
    process = ProcessorProcess(env, tmp_path / "processor.log").start()
    processes.append(process)
    try:
        process.wait_ready()
        feeder = Feeder(kafka_bootstrap, topics["input"], total=900, seconds=2).start()
        feeder.join()
        time.sleep(0.5)
        started = time.monotonic()
        process.signal(signal.SIGTERM)
        code = process.wait(bound + 5)
        took = time.monotonic() - started
        log = process.logs()
        assert code == 0, log
        assert took < bound, f"took {took:.1f}s"
        assert re.search(r'"message":"processor stopped","committed":true', log), log

        with Offsets(kafka_bootstrap) as offsets:
            committed = offsets.committed(group, topics["input"])
            ends = offsets.end(topics["input"])
        # Whatever was committed had its outputs delivered first.
        events = [r.json() for r in read_all(kafka_bootstrap, topics["enriched"])]
        delivered = {(e["source"]["partition"], e["source"]["offset"]) for e in events}
        below = [pos for pos in feeder.expected if pos[1] < committed.get(pos[0], 0)]
        assert below and all(pos in delivered for pos in below)
        assert committed == ends, "the whole input was done before the signal"
        # Spans were flushed to the collector before exit.
        names = {span["attributes"]["vendor_error.vendor"] for span in receiver.spans}
        assert len(receiver.spans) == len(feeder.expected) == 300
        assert names == {"8x8", "webex", "salesforce", "dynamics365", "pipedrive"}
        assert receiver.spans[0]["resource"]["service.name"] == "vendor-errors"
    finally:
        receiver.close()


def test_rebalances_as_replicas_come_and_go_lose_nothing(
    kafka_bootstrap: str, topics: dict[str, str], kafka_client: str
) -> None:
    group = f"rebalance-{kafka_client}"
    settings = {"OUTPUT__ENRICHED_TOPIC": topics["enriched"], "KAFKA__MAX_POLL_RECORDS": "50"}
    first_env = environment(
        kafka_bootstrap, topics["input"], group, any_port(), kafka_client, **settings
    )
    second_env = environment(
        kafka_bootstrap, topics["input"], group, any_port(), kafka_client, **settings
    )
    feeder = Feeder(kafka_bootstrap, topics["input"], total=1500, seconds=5).start()
    with in_process(first_env) as first:
        first.wait_ready()
        time.sleep(1)
        with in_process(second_env) as second:
            # The second replica joins: partitions are split between the two.
            wait_until(lambda: bool(second.processor.source.assigned), 30, "a share for #2")
            assert len(first.processor.source.assigned | second.processor.source.assigned) == 3
            time.sleep(1)
            first.stop()  # SIGTERM-like stop: its partitions move to the second replica
            wait_until(lambda: len(second.processor.source.assigned) == 3, 30, "all for #2")
            feeder.join()
            with Offsets(kafka_bootstrap) as offsets:
                wait_until(lambda: offsets.caught_up(group, topics["input"]), 60, "the end")
    assert_nothing_lost(kafka_bootstrap, topics, feeder)
