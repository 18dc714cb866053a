#!/usr/bin/env python3
"""A local demo stack: a real Kafka broker, the example logs fed into it, and `vendor-errors run`.

    python examples/local_stack.py            # Kafka + feed examples/*.log + processor
    python examples/local_stack.py --replay 30   # feed the logs again every 30 s
    python examples/local_stack.py --no-processor  # only Kafka and the feed

Needs Java 17+ and, on the first run only, Maven (the broker jars are fetched from Maven Central
and cached). With KAFKA_BOOTSTRAP_SERVERS set, that broker is used instead. Ctrl-C stops the
processor (it finishes its batch and commits), then the broker, and removes the broker's data.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.kafka_broker import (  # noqa: E402 - needs the repo root on sys.path
    ExternalKafka,
    KafkaBroker,
    KafkaBrokerError,
    broker_from_env,
    create_topic,
)

PROCESSOR_STOP_TIMEOUT_S = 30.0
# Kafka's default limit for one record (message.max.bytes, about 1 MB): a larger log record is
# not fed (and said so); scan would count it as too large.
MAX_RECORD_BYTES = 1_000_000


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Run Kafka + the example logs + `vendor-errors run` on this machine."
    )
    parser.add_argument("--topic", default="app-logs", help="input topic (default: app-logs)")
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--enriched-topic", default="vendor-errors-enriched")
    parser.add_argument("--dead-letter-topic", default="vendor-errors-dlq")
    parser.add_argument(
        "--kafka-port", type=int, default=9092, help="broker port (default 9092; any if taken)"
    )
    parser.add_argument("--metrics-port", type=int, default=9464)
    parser.add_argument(
        "--logs",
        nargs="*",
        type=Path,
        default=None,
        help="log files to feed, one Kafka record per log record (default: examples/*.log)",
    )
    parser.add_argument(
        "--replay", type=float, default=0.0, metavar="SECONDS", help="feed the logs again every N s"
    )
    parser.add_argument(
        "--no-processor", action="store_true", help="start Kafka and feed the logs only"
    )
    return parser.parse_args(argv)


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def start_broker(port: int) -> KafkaBroker | ExternalKafka:
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return broker_from_env()
    if not _port_free(port):
        print(f"port {port} is taken; Kafka gets a free one", file=sys.stderr)
        port = 0
    broker = KafkaBroker(port=port or None)
    broker.start()
    return broker


def ensure_topics(bootstrap: str, args: argparse.Namespace) -> None:
    from kafka.errors import TopicAlreadyExistsError

    for topic in (args.topic, args.enriched_topic, args.dead_letter_topic):
        with contextlib.suppress(TopicAlreadyExistsError):
            create_topic(bootstrap, topic, partitions=args.partitions)


def log_files(args: argparse.Namespace) -> list[Path]:
    if args.logs is not None:
        return list(args.logs)
    return sorted((REPO / "examples").glob("*.log"))


def feed(bootstrap: str, topic: str, files: list[Path]) -> int:
    """Produce each log record of ``files`` as one Kafka record, keyed by the file's name.

    A record is what a log shipper sends and what `vendor-errors scan` reads as one: a line,
    or a multi-line record grouped as scan groups it (a stack trace, a pretty-printed body).
    Feeding lines instead would send the fragments of those (`{`, `]`) as records of their
    own, which `run` rightly dead-letters.
    """
    from kafka import KafkaProducer
    from vendor_errors.parsers import iter_records

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20)
    sent = 0
    try:
        for path in files:
            key = path.name.encode()
            with path.open("rb") as stream:
                for line, record in iter_records(stream, MAX_RECORD_BYTES):
                    if len(record) > MAX_RECORD_BYTES:
                        print(f"{path}:{line}: a record over 1 MB, not fed", file=sys.stderr)
                        continue
                    producer.send(topic, key=key, value=record)
                    sent += 1
        producer.flush(timeout=60)
    finally:
        producer.close()
    return sent


def write_config(directory: Path, bootstrap: str, args: argparse.Namespace) -> Path:
    # JSON is valid YAML: no YAML writer needed here.
    config = {
        "kafka": {
            "bootstrap_servers": bootstrap.split(","),
            "topics": [args.topic],
            "group_id": "vendor-errors-local",
            "auto_offset_reset": "earliest",
        },
        "output": {
            "enriched_topic": args.enriched_topic,
            "dead_letter_topic": args.dead_letter_topic,
        },
        "metrics": {"host": "127.0.0.1", "port": args.metrics_port, "lag_interval_seconds": 5},
        # Spans only where a collector was named; otherwise the exporter would just log errors.
        "tracing": {"enabled": bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"))},
    }
    path = directory / "vendor-errors.yaml"
    path.write_text(json.dumps(config, indent=2) + "\n")
    return path


def start_processor(config: Path) -> subprocess.Popen[bytes]:
    exe = shutil.which("vendor-errors")
    command = [exe] if exe else [sys.executable, "-m", "vendor_errors.processor.cli"]
    return subprocess.Popen(
        [*command, "run", "--config", str(config)],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        # Its own session: Ctrl-C reaches only this script, which then stops things in order.
        start_new_session=True,
    )


def stop_processor(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=PROCESSOR_STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def metrics_summary(url: str) -> str | None:
    """The records/errors lines of /metrics, or None while the endpoint is not up."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            text = response.read().decode()
    except (urllib.error.URLError, OSError):
        return None
    wanted = ("vendor_errors_records_total{", "vendor_errors_total{")
    return "\n".join(line for line in text.splitlines() if line.startswith(wanted))


def print_banner(bootstrap: str, args: argparse.Namespace, config: Path | None) -> None:
    metrics = f"http://127.0.0.1:{args.metrics_port}"
    print(
        f"""
local stack is up
  Kafka bootstrap   {bootstrap}
  input topic       {args.topic}  (feed more: python examples/local_stack.py --help)
  enriched topic    {args.enriched_topic}
  dead-letter topic {args.dead_letter_topic}""",
        flush=True,
    )
    if config is not None:
        print(
            f"""  processor config  {config}
  metrics           {metrics}/metrics   (health: {metrics}/healthz, {metrics}/readyz)
  watch errors      curl -s {metrics}/metrics | grep '^vendor_errors_total'""",
            flush=True,
        )
    print("Ctrl-C stops everything.\n", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    files = log_files(args)
    missing = [path for path in files if not path.is_file()]
    if missing:
        print(f"no such log file: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="vendor-errors-local-"))
    broker: KafkaBroker | ExternalKafka | None = None
    processor: subprocess.Popen[bytes] | None = None
    try:
        broker = start_broker(args.kafka_port)
        ensure_topics(broker.bootstrap, args)
        config = None
        if not args.no_processor:
            config = write_config(workdir, broker.bootstrap, args)
            processor = start_processor(config)
        print_banner(broker.bootstrap, args, config)
        next_feed = time.monotonic()
        reported = False
        while True:
            if processor is not None and processor.poll() is not None:
                print(f"vendor-errors run exited with status {processor.returncode}", flush=True)
                return processor.returncode or 1
            if next_feed is not None and time.monotonic() >= next_feed:
                if files:
                    sent = feed(broker.bootstrap, args.topic, files)
                    print(f"fed {sent} records from {len(files)} files to {args.topic}", flush=True)
                else:
                    print("no examples/*.log files yet: nothing fed", flush=True)
                next_feed = time.monotonic() + args.replay if args.replay > 0 else None
            if processor is not None and not reported:
                summary = metrics_summary(f"http://127.0.0.1:{args.metrics_port}/metrics")
                if summary:
                    print(f"first figures from /metrics:\n{summary}\n", flush=True)
                    reported = True
            time.sleep(1.0)
    except KeyboardInterrupt:
        print("\nstopping ...", flush=True)
        return 0
    except KafkaBrokerError as exc:
        print(f"Kafka did not start: {exc}", file=sys.stderr)
        return 1
    finally:
        if processor is not None:
            stop_processor(processor)
        if broker is not None:
            broker.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
