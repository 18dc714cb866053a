"""examples/local_stack.py: it feeds log records (not lines), its config passes `run --check`,
and on examples/ the demo's `run` finds exactly the events `scan` finds (a real broker)."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from kafka import KafkaConsumer

from tests.cli import scan
from tests.support.kafka_broker import free_port

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((REPO / "examples").glob("*.log"))


def _local_stack() -> ModuleType:
    spec = importlib.util.spec_from_file_location("local_stack", REPO / "examples/local_stack.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _consume(bootstrap: str, topic: str, idle_ms: int = 15_000) -> list[tuple[bytes, bytes]]:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"read-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        consumer_timeout_ms=idle_ms,
    )
    try:
        return [(record.key, record.value) for record in consumer]
    finally:
        consumer.close()


@pytest.mark.kafka
def test_feed_sends_each_log_record_keyed_by_file(
    tmp_path: Path, kafka_bootstrap: str, new_topic: Callable[..., str]
) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(
        b"first line\n\n"
        b"2024-05-01 12:00:00 ERROR 8x8 returned HTTP 404:\n"
        b"{\n"
        b'  "code": 1300,\n'
        b'  "message": "Not found"\n'
        b"}\n"
        b'{"status": 429}\r\n   \n'
        b"last line without newline"
    )
    topic = new_topic("feed", partitions=1)

    sent = _local_stack().feed(kafka_bootstrap, topic, [log])

    records = _consume(kafka_bootstrap, topic)
    assert sent == 4
    assert records == [
        (b"app.log", b"first line"),
        (
            b"app.log",
            b'2024-05-01 12:00:00 ERROR 8x8 returned HTTP 404:\n{\n  "code": 1300,\n'
            b'  "message": "Not found"\n}',
        ),
        (b"app.log", b'{"status": 429}'),
        (b"app.log", b"last line without newline"),
    ]


def test_generated_config_is_accepted_by_run_check(tmp_path: Path) -> None:
    stack = _local_stack()
    args = stack.parse_args(["--topic", "demo-logs", "--metrics-port", "19999"])
    config = stack.write_config(tmp_path, "127.0.0.1:19092", args)

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "vendor_errors.processor.cli",
            "run",
            "--check",
            "--config",
            str(config),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "demo-logs" in result.stdout
    assert "19999" in result.stdout


def _comparable(events: list[dict[str, Any]], started: datetime) -> list[str]:
    """The events as a sorted multiset, without `source` (a file line for scan, an offset for
    run); an event of a record with no time of its own carries the processing time, which
    differs between the two: it is compared as such."""
    recent = (started - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    normal = []
    for event in events:
        event = {key: value for key, value in event.items() if key != "source"}
        if event["timestamp"] >= recent:
            event["timestamp"] = "<processing time>"
        normal.append(json.dumps(event, sort_keys=True))
    return sorted(normal)


@pytest.mark.kafka
def test_the_demo_run_finds_what_scan_finds(
    tmp_path: Path, kafka_bootstrap: str, new_topic: Callable[..., str]
) -> None:
    """`python examples/local_stack.py` against the test broker: every event `scan` finds on
    examples/ comes out of `run` on the enriched topic, nothing more, nothing dead-lettered."""
    started = datetime.now(UTC)
    scanned = scan("--format", "jsonl", *map(str, EXAMPLES))
    assert scanned.returncode == 0, scanned.stderr
    expected = [json.loads(line) for line in scanned.stdout.splitlines()]
    assert len(expected) > 100

    suffix = uuid.uuid4().hex[:8]
    topics = {name: f"demo-{name}-{suffix}" for name in ("logs", "enriched", "dlq")}
    port = free_port()
    output = (tmp_path / "demo.out").open("wb")
    command = [sys.executable, str(REPO / "examples" / "local_stack.py")]
    for option, value in (
        ("--topic", topics["logs"]),
        ("--enriched-topic", topics["enriched"]),
        ("--dead-letter-topic", topics["dlq"]),
        ("--metrics-port", str(port)),
    ):
        command += [option, value]
    demo = subprocess.Popen(
        command,
        cwd=REPO,
        env=os.environ | {"KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap},
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    try:
        found: list[dict[str, Any]] = []
        consumer = KafkaConsumer(
            topics["enriched"],
            bootstrap_servers=kafka_bootstrap,
            group_id=f"demo-check-{suffix}",
            auto_offset_reset="earliest",
            consumer_timeout_ms=1_000,
        )
        try:
            deadline = time.monotonic() + 180
            while len(found) < len(expected) and time.monotonic() < deadline:
                assert demo.poll() is None, (tmp_path / "demo.out").read_text()[-4000:]
                found += [json.loads(record.value) for record in consumer]
            # Anything beyond scan's events would come within a few more seconds.
            settle = time.monotonic() + 5
            while time.monotonic() < settle:
                found += [json.loads(record.value) for record in consumer]
        finally:
            consumer.close()
        dead_letters = _consume(kafka_bootstrap, topics["dlq"], idle_ms=3_000)
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            demo.wait(timeout=60)
        finally:
            if demo.poll() is None:
                demo.kill()
            output.close()
    log = (tmp_path / "demo.out").read_text()
    assert demo.returncode == 0, log[-4000:]
    records = scanned_records()
    assert f"fed {records} records from {len(EXAMPLES)} files" in log, log[-2000:]
    assert dead_letters == []
    assert len(found) == len(expected)
    assert _comparable(found, started) == _comparable(expected, started)


def scanned_records() -> int:
    """How many records scan reads in examples/ (its table's first figure)."""
    table = scan("--format", "table", *map(str, EXAMPLES)).stdout.decode()
    return int(table.split(" records in ", 1)[0].replace(",", ""))
