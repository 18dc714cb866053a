"""Helpers for the processor's integration tests: produce, read back, offsets, run a processor."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaError
from vendor_errors.processor.app import Processor
from vendor_errors.processor.build import build_processor
from vendor_errors.processor.config import load_settings
from vendor_errors.processor.settings import Settings
from vendor_errors.processor.transform import ExtractorFactory, default_extractor

from tests.support.kafka_broker import free_port

REPO = Path(__file__).resolve().parents[2]


def produce(
    bootstrap: str,
    topic: str,
    values: Iterable[bytes],
    partition: int | None = None,
    max_request_size: int = 1 << 20,
) -> list[tuple[int, int]]:
    """Send `values` in order; return each one's (partition, offset)."""
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=5, max_request_size=max_request_size
    )
    try:
        futures = [producer.send(topic, value, partition=partition) for value in values]
        producer.flush(timeout=60)
        return [(meta.partition, meta.offset) for meta in (f.get(timeout=30) for f in futures)]
    finally:
        producer.close()


@dataclass(frozen=True)
class Record:
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]

    def json(self) -> Any:
        return orjson.loads(self.value)


def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return {tp.partition: offset for tp, offset in consumer.end_offsets(partitions).items()}
    finally:
        consumer.close()


def read_all(bootstrap: str, topic: str, timeout_s: float = 30.0) -> list[Record]:
    """Every record now in `topic` (up to its current end offsets), in partition order."""
    ends = end_offsets(bootstrap, topic)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    records: list[Record] = []
    try:
        partitions = [TopicPartition(topic, p) for p in ends]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        remaining = {p for p, end in ends.items() if end > 0}
        deadline = time.monotonic() + timeout_s
        while remaining and time.monotonic() < deadline:
            for tp, batch in consumer.poll(timeout_ms=500).items():
                for r in batch:
                    if r.offset < ends[tp.partition]:
                        records.append(Record(tp.partition, r.offset, r.key, r.value, r.headers))
                    if r.offset >= ends[tp.partition] - 1:
                        remaining.discard(tp.partition)
        assert not remaining, f"{topic}: could not read partitions {remaining} to their end"
    finally:
        consumer.close()
    return sorted(records, key=lambda r: (r.partition, r.offset))


class Offsets:
    """End offsets of topics and committed offsets of groups, over long-lived clients."""

    def __init__(self, bootstrap: str) -> None:
        self.admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
        self.consumer = KafkaConsumer(bootstrap_servers=bootstrap, request_timeout_ms=10_000)

    def end(self, topic: str) -> dict[int, int]:
        partitions = [TopicPartition(topic, p) for p in self.consumer.partitions_for_topic(topic)]
        return {tp.partition: o for tp, o in self.consumer.end_offsets(partitions).items()}

    def committed(self, group: str, topic: str) -> dict[int, int]:
        offsets = self.admin.list_group_offsets(group).get(group, {})
        return {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == topic}

    def caught_up(self, group: str, topic: str) -> bool:
        try:
            done = self.committed(group, topic)
            ends = self.end(topic)
        except KafkaError:  # a fresh broker has no group coordinator yet; ask again
            return False
        return all(done.get(p, 0) >= end for p, end in ends.items())

    def close(self) -> None:
        self.admin.close()
        self.consumer.close()

    def __enter__(self) -> Offsets:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def wait_until(
    condition: Callable[[], bool], timeout_s: float, what: str, interval_s: float = 0.2
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")


def http_get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""


def environment(
    bootstrap: str,
    topic: str,
    group: str,
    port: int,
    client: str = "kafka-python",
    **settings: str,
) -> dict[str, str]:
    """VENDOR_ERRORS_* variables for a test processor (`client`: kafka.client); `settings` as
    section__name=value."""
    env = {
        "VENDOR_ERRORS_KAFKA__CLIENT": client,
        "VENDOR_ERRORS_KAFKA__BOOTSTRAP_SERVERS": bootstrap,
        "VENDOR_ERRORS_KAFKA__TOPICS": topic,
        "VENDOR_ERRORS_KAFKA__GROUP_ID": group,
        # The broker's minimum: a killed processor's partitions move on after 6 s, not 45 s.
        "VENDOR_ERRORS_KAFKA__SESSION_TIMEOUT_MS": "6000",
        "VENDOR_ERRORS_METRICS__HOST": "127.0.0.1",
        "VENDOR_ERRORS_METRICS__PORT": str(port),
        "VENDOR_ERRORS_METRICS__LAG_INTERVAL_SECONDS": "1",
        "VENDOR_ERRORS_TRACING__ENABLED": "false",
    }
    env.update({f"VENDOR_ERRORS_{key.upper()}": value for key, value in settings.items()})
    return env


class ProcessorProcess:
    """`vendor-errors run` as a child process, as a deployment runs it."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = {**os.environ, **env}
        self.port = int(env["VENDOR_ERRORS_METRICS__PORT"])
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ProcessorProcess:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "vendor_errors.processor.cli", "run"],
                cwd=REPO,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        def ready() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"processor exited ({self.proc.returncode}):\n{self.logs()}")
            return http_get(self.port, "/readyz")[0] == 200

        wait_until(ready, timeout_s, "the processor to be assigned partitions")

    def signal(self, signum: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(signum)

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        assert self.proc is not None
        self.proc.wait(10)

    def wait(self, timeout_s: float) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout_s)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]


class InProcess:
    """A Processor on a thread of the test, for tests that look inside (spans, settings)."""

    def __init__(self, processor: Processor) -> None:
        self.processor = processor
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="processor", daemon=True)

    def _run(self) -> None:
        try:
            self.processor.run()
        except BaseException as exc:  # surfaced by stop()
            self.error = exc

    @property
    def port(self) -> int:
        return self.processor.health.port

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        wait_until(lambda: http_get(self.port, "/readyz")[0] == 200, timeout_s, "assignment")

    def stop(self, timeout_s: float = 30.0) -> None:
        self.processor.stop()
        self.thread.join(timeout_s)
        assert not self.thread.is_alive(), "the processor did not stop"
        if self.error is not None:
            raise self.error


@contextlib.contextmanager
def in_process(
    env: dict[str, str],
    extractor_factory: ExtractorFactory = default_extractor,
    **kwargs: Any,
) -> Iterator[InProcess]:
    settings: Settings = load_settings(environ=env)
    running = InProcess(build_processor(settings, extractor_factory=extractor_factory, **kwargs))
    running.thread.start()
    try:
        yield running
    finally:
        running.stop()


def metric_samples(port: int, name: str) -> list[tuple[dict[str, str], float]]:
    from prometheus_client.parser import text_string_to_metric_families

    status, body = http_get(port, "/metrics")
    assert status == 200, f"/metrics answered {status}"
    return [
        (dict(sample.labels), sample.value)
        for family in text_string_to_metric_families(body)
        for sample in family.samples
        if sample.name == name
    ]


def any_port() -> int:
    return free_port()
