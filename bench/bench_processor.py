"""End-to-end throughput of `vendor-errors run` through a real Kafka broker, beside the raw
kafka-python consume rate of the same topic measured in the same run, and the processor's RSS.

    python bench/bench_processor.py [--records 400000] [--error-every 50] [--partitions 3]

The broker is the tests' (tests/support/kafka_broker.py: a local Apache Kafka, or the one in
KAFKA_BOOTSTRAP_SERVERS). The input mixes ordinary log lines with vendor errors (one in
--error-every) and a little junk (dead-lettered). The processor runs as a deployment runs it
(a child process, enriched topic and dead-letter topic on, spans exported over OTLP/HTTP to a
local sink). Rates are steady-state. The raw consumer's: from its first batch to the last
record. The processor's "done" is its committed offsets (which move only once outputs are
acknowledged and counted), watched from this process so the watching costs the processor
nothing; its rate is the slope between the first commits past 10% and past 90% of the input,
so neither start-up nor the delay of the last commit counts as throughput. /metrics is scraped
once at the end. The raw rate is measured before and after the processor run; their mean is
the baseline.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kafka import KafkaConsumer, KafkaProducer  # noqa: E402
from kafka.admin import KafkaAdminClient  # noqa: E402
from kafka.errors import KafkaError  # noqa: E402

from tests.processor.samples import mixed  # noqa: E402
from tests.support.kafka_broker import broker_from_env, create_topic, free_port  # noqa: E402

JUNK = b"\x00\x01\x02\xff" * 64


def produce(bootstrap: str, topic: str, total: int, error_every: int) -> int:
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=20, batch_size=512 * 1024
    )
    errors = 0
    for n, (value, expected) in enumerate(mixed(total, error_every)):
        if n % 2000 == 1999:
            value, expected = JUNK, None
        errors += expected is not None
        producer.send(topic, value)
    producer.flush(timeout=120)
    producer.close()
    return errors


def raw_rate(
    bootstrap: str, topic: str, total: int, parse: bool = False, max_poll_records: int = 500
) -> float:
    # 500: kafka-python's default.
    """Records/s of a plain kafka-python consumer group reading the topic from the start;
    with `parse`, each value also goes through the parser (the ceiling of any processor that
    parses in the consuming process)."""
    extractor = None
    if parse:
        from vendor_errors import catalog
        from vendor_errors.parsers import Extractor

        extractor = Extractor(catalog.load())
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"bench-raw-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=max_poll_records,
    )
    seen = 0
    first_at, first_batch = 0.0, 0
    try:
        while seen < total:
            for tp, records in consumer.poll(timeout_ms=1000).items():
                if not first_at:  # the rate counts the records after the first batch
                    first_at, first_batch = time.perf_counter(), len(records)
                seen += len(records)
                if extractor is not None:  # as the processor does: a batch at a time
                    extractor.extract_many(
                        [r.value for r in records],
                        lambda i, tp=tp, records=records: {
                            "topic": tp.topic,
                            "partition": tp.partition,
                            "offset": records[i].offset,
                        },
                    )
        return (seen - first_batch) / (time.perf_counter() - first_at)
    finally:
        consumer.close()


class _OtlpSink(BaseHTTPRequestHandler):
    """Accepts OTLP/HTTP exports and drops them (the cost under test is the processor's)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


_RECORDS = re.compile(rb"^vendor_errors_records_total\{[^}]*\} ([0-9.e+]+)$", re.M)


def records_counted(port: int) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        return sum(float(value) for value in _RECORDS.findall(response.read()))


def committed(admin: KafkaAdminClient, group: str, topic: str) -> int:
    try:
        offsets = admin.list_group_offsets(group).get(group, {})
    except KafkaError:  # no coordinator yet
        return 0
    return sum(meta.offset for tp, meta in offsets.items() if tp.topic == topic)


def steady_rate(moves: list[tuple[float, int]], total: int) -> float:
    """Records/s between the first observations past 10% and past 90% of `total`."""
    low = next(m for m in moves if m[1] >= total * 0.1)
    high = next(m for m in moves if m[1] >= total * 0.9)
    if high[0] <= low[0]:  # too few commits to tell (a tiny run): the whole span
        low, high = moves[0], moves[-1]
    return (high[1] - low[1]) / max(high[0] - low[0], 1e-9)


def rss_kib(pid: int) -> tuple[int, int]:
    """RSS and peak RSS of the process and its children (the span exporter), in KiB."""
    rss = peak = 0
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for process in [pid, *map(int, children)]:
        status = Path(f"/proc/{process}/status").read_text().splitlines()
        fields = dict(line.split(":", 1) for line in status)
        rss += int(fields["VmRSS"].split()[0])
        peak += int(fields["VmHWM"].split()[0])
    return rss, peak


def processor_rate(
    bootstrap: str,
    topic: str,
    total: int,
    workdir: Path,
    outputs: bool = True,
    max_poll_records: int | None = None,
) -> tuple[float, int, int, int]:
    """`vendor-errors run` on the topic; with `outputs` False: metrics only (no enriched or
    dead-letter topic, no spans), to show what the outputs cost."""
    sink = ThreadingHTTPServer(("127.0.0.1", 0), _OtlpSink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    port = free_port()
    suffix = uuid.uuid4().hex[:8]
    group = f"bench-processor-{suffix}"
    env = {
        **os.environ,
        "VENDOR_ERRORS_KAFKA__BOOTSTRAP_SERVERS": bootstrap,
        "VENDOR_ERRORS_KAFKA__TOPICS": topic,
        "VENDOR_ERRORS_KAFKA__GROUP_ID": group,
        "VENDOR_ERRORS_OUTPUT__ENRICHED_TOPIC": create_topic(bootstrap, f"bench-out-{suffix}"),
        "VENDOR_ERRORS_OUTPUT__DEAD_LETTER_TOPIC": create_topic(bootstrap, f"bench-dlq-{suffix}"),
        "VENDOR_ERRORS_METRICS__HOST": "127.0.0.1",
        "VENDOR_ERRORS_METRICS__PORT": str(port),
        "VENDOR_ERRORS_LOG__LEVEL": "WARNING",
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{sink.server_address[1]}",
    }
    if max_poll_records is not None:  # else the processor's default
        env["VENDOR_ERRORS_KAFKA__MAX_POLL_RECORDS"] = str(max_poll_records)
    if not outputs:
        env["VENDOR_ERRORS_OUTPUT__ENRICHED_TOPIC"] = ""
        env["VENDOR_ERRORS_OUTPUT__DEAD_LETTER_TOPIC"] = ""
        env["VENDOR_ERRORS_TRACING__ENABLED"] = "false"
    log = (workdir / "processor.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "vendor_errors.processor.cli", "run"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        # (time, committed) each time the committed offsets moved. Commits land every half
        # second or so; the rate is the slope between the first commits past 10% and past 90%
        # of the input, so neither start-up nor the last commit's delay counts as throughput.
        moves: list[tuple[float, int]] = []
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"processor exited ({proc.returncode}); see {log.name}")
            done = committed(admin, group, topic)
            if done and (not moves or done > moves[-1][1]):
                moves.append((time.perf_counter(), done))
            if done >= total:
                rss, peak = rss_kib(proc.pid)
                rate = steady_rate(moves, total)
                break
            time.sleep(0.05)
        else:
            raise SystemExit("processor did not finish within 600 s")
        counted = records_counted(port)
        if counted != total:
            raise SystemExit(f"processor counted {counted} records, expected {total}")
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        code = proc.wait(60)
        stop_ms = int((time.monotonic() - started) * 1000)
        if code != 0:
            raise SystemExit(f"processor exited {code} on SIGTERM; see {log.name}")
        return rate, rss, peak, stop_ms
    finally:
        if proc.poll() is None:
            proc.kill()
        admin.close()
        sink.shutdown()
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=400_000)
    parser.add_argument("--error-every", type=int, default=50)
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument(
        "--max-poll-records",
        type=int,
        help="records per poll for the raw consumers and the processor alike (default: each "
        "its own default: kafka-python's 500, the processor's kafka.max_poll_records)",
    )
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="also run the processor with metrics only (no output topics, no spans)",
    )
    args = parser.parse_args()

    broker = broker_from_env()
    try:
        bootstrap = broker.bootstrap
        topic = create_topic(
            bootstrap, f"bench-in-{uuid.uuid4().hex[:8]}", partitions=args.partitions
        )
        started = time.perf_counter()
        errors = produce(bootstrap, topic, args.records, args.error_every)
        print(
            f"produced {args.records} records ({errors} vendor errors, "
            f"{args.records // 2000} junk) to {args.partitions} partitions "
            f"in {time.perf_counter() - started:.1f}s"
        )
        batch = args.max_poll_records
        raw_batch = batch or 500
        raw_before = raw_rate(bootstrap, topic, args.records, max_poll_records=raw_batch)
        with tempfile.TemporaryDirectory() as workdir:
            rate, rss, peak, stop_ms = processor_rate(
                bootstrap, topic, args.records, Path(workdir), max_poll_records=batch
            )
        raw_after = raw_rate(bootstrap, topic, args.records, max_poll_records=raw_batch)
        parsed = raw_rate(bootstrap, topic, args.records, parse=True, max_poll_records=raw_batch)
        bare = None
        if args.breakdown:
            with tempfile.TemporaryDirectory() as workdir:
                bare = processor_rate(
                    bootstrap, topic, args.records, Path(workdir), False, max_poll_records=batch
                )[0]
        raw = (raw_before + raw_after) / 2
        print(
            f"raw kafka-python consumer : {raw:10,.0f} records/s "
            f"(before {raw_before:,.0f}, after {raw_after:,.0f}; {raw_batch} records a poll)"
        )
        print(f"raw consumer + parser     : {parsed:10,.0f} records/s (no outputs: the ceiling)")
        if bare is not None:
            print(f"vendor-errors run, bare   : {bare:10,.0f} records/s (metrics only)")
        polled = batch or "default"
        print(
            f"vendor-errors run         : {rate:10,.0f} records/s end to end "
            f"(max_poll_records: {polled})"
        )
        print(f"ratio processor / raw     : {rate / raw:10.2f}  (target >= 0.80)")
        print(
            f"processor RSS             : {rss / 1024:10.1f} MiB (peak {peak / 1024:.1f} MiB, "
            "with the span exporter process)"
        )
        print(f"SIGTERM to exit           : {stop_ms:10d} ms")
    finally:
        broker.close()


if __name__ == "__main__":
    main()
