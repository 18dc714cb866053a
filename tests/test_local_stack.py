"""examples/local_stack.py: one record per log line fed; its config passes `run --check`."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from kafka import KafkaConsumer

REPO = Path(__file__).resolve().parent.parent


def _local_stack() -> ModuleType:
    spec = importlib.util.spec_from_file_location("local_stack", REPO / "examples/local_stack.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_feed_sends_each_non_empty_line_keyed_by_file(
    tmp_path: Path, kafka_bootstrap: str, new_topic: Callable[..., str]
) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(b'first line\n\n{"status": 429}\r\n   \nlast line without newline')
    topic = new_topic("feed", partitions=1)

    sent = _local_stack().feed(kafka_bootstrap, topic, [log])

    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=f"feed-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        consumer_timeout_ms=15_000,
    )
    try:
        records = [(r.key, r.value) for _, r in zip(range(sent), consumer, strict=False)]
    finally:
        consumer.close()
    assert sent == 3
    assert records == [
        (b"app.log", b"first line"),
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
