"""End-to-end throughput of `vendor-errors run` through a real Kafka broker, beside the raw
consume rates of the same topic by the two client libraries measured in the same run, and the
RSS and CPU of the whole process tree.

    python bench/bench_processor.py [--records 2000000] [--error-every 50] [--partitions 3]
                                    [--rounds 3] [--clients librdkafka,kafka-python]
                                    [--breakdown]

The broker is the tests' (tests/support/kafka_broker.py: a local Apache Kafka, or the one in
KAFKA_BOOTSTRAP_SERVERS). The input mixes ordinary log lines with vendor errors (one in
--error-every) and a little junk (dead-lettered). The processor runs as a deployment runs it
(a child process, enriched topic and dead-letter topic on, spans exported over OTLP/HTTP to a
local sink), once per `--clients` entry (kafka.client).

Baselines, each a plain group member reading the topic from the start, timed from its first
batch to the last record: a raw kafka-python consumer (500 records a poll, its default), and a
raw confluent-kafka consumer (consume() of 2000, fetching configured as the processor's
consumer is). The raw kafka-python loop waits on its fetches (it is busy for well under half of
its time here), so its rate swings with the broker beside it, 60k-134k records/s between runs
of one day: the bench alternates rounds (`--rounds`, default 3). The baselines are measured
before the first round and after each; a round's ratio divides the processor's rate by the
mean of the baselines just before and just after it, and the figure reported is the median of
the rounds' ratios (each printed too).

The processor's "done" is its committed offsets (which move only once outputs are acknowledged
and counted), watched from this process so the watching costs the processor nothing; its rate
is the slope between the first commits past 10% and past 90% of the input, so neither start-up
nor the delay of the last commit counts as throughput; its CPU is that of its process tree over
the same span. /metrics is scraped once at the end. RSS is that of the processor and all its
children (span exporter, producer with kafka-python), at the end and at peak.
"""

from __future__ import annotations

import argparse
import itertools
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
from statistics import median

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from confluent_kafka import Consumer, Producer  # noqa: E402
from kafka import KafkaConsumer  # noqa: E402
from kafka.admin import KafkaAdminClient  # noqa: E402
from kafka.errors import KafkaError  # noqa: E402
from vendor_errors.processor.librdkafka.source import fetch_config  # noqa: E402
from vendor_errors.processor.settings import KafkaSettings  # noqa: E402

from tests.processor.samples import mixed  # noqa: E402
from tests.support.kafka_broker import broker_from_env, create_topic, free_port  # noqa: E402

JUNK = b"\x00\x01\x02\xff" * 64


def produce(bootstrap: str, topic: str, total: int, error_every: int) -> int:
    producer = Producer(
        {"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 20, "batch.size": 1 << 20}
    )
    errors = 0
    for n, (value, expected) in enumerate(mixed(total, error_every)):
        if n % 2000 == 1999:
            value, expected = JUNK, None
        errors += expected is not None
        while True:
            try:
                producer.produce(topic, value)
                break
            except BufferError:
                producer.poll(0.1)
    if producer.flush(120):
        raise SystemExit("the input was not all acknowledged")
    return errors


def raw_rate(
    bootstrap: str, topic: str, total: int, max_poll_records: int = 500
) -> tuple[float, float]:
    """Records/s, and per CPU-second of this process, of a plain kafka-python consumer group
    reading the topic from the start (500 records a poll: kafka-python's default)."""
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
            for records in consumer.poll(timeout_ms=1000).values():
                if not first_at:  # the rate counts the records after the first batch
                    first_at, first_batch = time.perf_counter(), len(records)
                    first_cpu = time.process_time()
                seen += len(records)
        counted = seen - first_batch
        return counted / (time.perf_counter() - first_at), counted / (
            time.process_time() - first_cpu
        )
    finally:
        consumer.close()


def raw_confluent_rate(
    bootstrap: str, topic: str, total: int, parse: bool = False, max_poll_records: int = 2000
) -> tuple[float, float]:
    """Records/s, and per CPU-second of this process, of a plain confluent-kafka (librdkafka)
    consumer group reading the topic from the start, consume() of `max_poll_records` at a time;
    with `parse`, each batch's values also go through the parser."""
    extractor = None
    if parse:
        from vendor_errors import catalog
        from vendor_errors.parsers import Extractor

        extractor = Extractor(catalog.load())
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"bench-raw-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            # Fetching as the processor's consumer does (librdkafka/source.py): with the
            # default fetch.queue.backoff.ms (1 s) a fast consumer waits on its own queue.
            **fetch_config(KafkaSettings()),
        }
    )
    consumer.subscribe([topic])
    seen = 0
    first_at, first_batch = 0.0, 0
    try:
        while seen < total:
            messages = consumer.consume(max_poll_records, 1.0)
            if not messages:
                continue
            if not first_at:  # the rate counts the records after the first batch
                first_at, first_batch = time.perf_counter(), len(messages)
                first_cpu = time.process_time()
            seen += len(messages)
            if extractor is not None:
                extractor.extract_many(
                    [m.value() for m in messages],
                    lambda i, m=messages: {
                        "topic": m[i].topic(),
                        "partition": m[i].partition(),
                        "offset": m[i].offset(),
                    },
                )
        counted = seen - first_batch
        return counted / (time.perf_counter() - first_at), counted / (
            time.process_time() - first_cpu
        )
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


def steady_rate(moves: list[tuple[float, int, float]], total: int) -> tuple[float, float]:
    """Records/s, and records per CPU-second of the process tree, between the first
    observations past 10% and past 90% of `total`."""
    low = next(m for m in moves if m[1] >= total * 0.1)
    high = next(m for m in moves if m[1] >= total * 0.9)
    if high[0] <= low[0]:  # too few commits to tell (a tiny run): the whole span
        low, high = moves[0], moves[-1]
    records = high[1] - low[1]
    return records / max(high[0] - low[0], 1e-9), records / max(high[2] - low[2], 1e-9)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of the process and its descendants so far."""
    total = 0
    for process in _tree(pid):
        fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _tree(pid: int) -> list[int]:
    """The process and all its descendants."""
    found, pending = [], [pid]
    while pending:
        process = pending.pop()
        found.append(process)
        for task in Path(f"/proc/{process}/task").iterdir():
            pending += map(int, (task / "children").read_text().split())
    return found


def rss_kib(pid: int) -> tuple[int, int]:
    """RSS and peak RSS of the process and its descendants (producer, span exporter), in KiB."""
    rss = peak = 0
    for process in _tree(pid):
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
    client: str = "librdkafka",
) -> tuple[float, float, int, int, int]:
    """`vendor-errors run` on the topic with `client`; with `outputs` False: metrics only (no
    enriched or dead-letter topic, no spans), to show what the outputs cost."""
    sink = ThreadingHTTPServer(("127.0.0.1", 0), _OtlpSink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    port = free_port()
    suffix = uuid.uuid4().hex[:8]
    group = f"bench-processor-{suffix}"
    env = {
        **os.environ,
        "VENDOR_ERRORS_KAFKA__CLIENT": client,
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
    log = (workdir / f"processor-{client}.log").open("wb")
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
        moves: list[tuple[float, int, float]] = []
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"processor exited ({proc.returncode}); see {log.name}")
            done = committed(admin, group, topic)
            if done and (not moves or done > moves[-1][1]):
                moves.append((time.perf_counter(), done, cpu_seconds(proc.pid)))
            if done >= total:
                rss, peak = rss_kib(proc.pid)
                rate, per_cpu = steady_rate(moves, total)
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
        return rate, per_cpu, rss, peak, stop_ms
    finally:
        if proc.poll() is None:
            proc.kill()
        admin.close()
        sink.shutdown()
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=2_000_000)
    parser.add_argument("--error-every", type=int, default=50)
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="alternating rounds (raw consumers, then each processor); the baselines are also "
        "measured once more after the last, and each round's ratio uses the baselines measured "
        "just before and just after it (default: 3)",
    )
    parser.add_argument(
        "--clients",
        default="librdkafka",
        help="kafka.client values to run the processor with, comma-separated "
        "(librdkafka, kafka-python; default: librdkafka)",
    )
    parser.add_argument(
        "--max-poll-records",
        type=int,
        help="records per poll for the processor (default: its kafka.max_poll_records)",
    )
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="also run each processor with metrics only (no output topics, no spans), and the "
        "raw consumers with the parser (the ceiling of a processor that parses in-process)",
    )
    args = parser.parse_args()
    clients = [client.strip() for client in args.clients.split(",") if client.strip()]

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
        total = args.records
        batch = args.max_poll_records
        # Rounds alternate the baselines and the processors, so that a slow spell of this
        # shared machine (or of the broker beside them) weighs on both sides of a ratio.
        baselines = [
            (raw_rate(bootstrap, topic, total), raw_confluent_rate(bootstrap, topic, total))
        ]
        runs: dict[str, list[tuple[float, float, int, int, int]]] = {c: [] for c in clients}
        bare: dict[str, float] = {}
        with tempfile.TemporaryDirectory() as workdir:
            for round_ in range(args.rounds):
                for client in clients:
                    runs[client].append(
                        processor_rate(
                            bootstrap,
                            topic,
                            total,
                            Path(workdir),
                            max_poll_records=batch,
                            client=client,
                        )
                    )
                    if args.breakdown and round_ == 0:
                        bare[client] = processor_rate(
                            bootstrap, topic, total, Path(workdir), False, batch, client
                        )[0]
                baselines.append(
                    (raw_rate(bootstrap, topic, total), raw_confluent_rate(bootstrap, topic, total))
                )
        # Each round's baselines: the mean of those measured just before and just after it.
        paired = [
            tuple((a[0] + b[0]) / 2 for a, b in zip(before_, after_, strict=True))
            for before_, after_ in itertools.pairwise(baselines)
        ]
        paired_cpu = [
            tuple((a[1] + b[1]) / 2 for a, b in zip(before_, after_, strict=True))
            for before_, after_ in itertools.pairwise(baselines)
        ]
        raw_python = median([p[0] for p in paired])
        raw_rdkafka = median([p[1] for p in paired])
        python_cpu = median([p[0] for p in paired_cpu])
        rdkafka_cpu = median([p[1] for p in paired_cpu])
        print(
            f"raw kafka-python consumer   : {raw_python:10,.0f} records/s median "
            f"(each: {', '.join(f'{b[0][0]:,.0f}' for b in baselines)}; 500 records a poll), "
            f"{python_cpu:,.0f} per CPU-second"
        )
        print(
            f"raw confluent-kafka consumer: {raw_rdkafka:10,.0f} records/s median "
            f"(each: {', '.join(f'{b[1][0]:,.0f}' for b in baselines)}; consume() of 2000), "
            f"{rdkafka_cpu:,.0f} per CPU-second"
        )
        if args.breakdown:
            parsed, parsed_cpu = raw_confluent_rate(bootstrap, topic, total, parse=True)
            print(
                f"raw confluent + parser      : {parsed:10,.0f} records/s (no outputs), "
                f"{parsed_cpu:,.0f} per CPU-second"
            )
        for client, results in runs.items():
            rates = [r[0] for r in results]
            python_ratios = [r[0] / p[0] for r, p in zip(results, paired, strict=True)]
            rdkafka_ratios = [r[0] / p[1] for r, p in zip(results, paired, strict=True)]
            per_cpu = median([r[1] for r in results])
            rss = max(r[2] for r in results)
            peak = max(r[3] for r in results)
            stop_ms = max(r[4] for r in results)
            print(
                f"vendor-errors run, {client:12}: {median(rates):10,.0f} records/s end to end, "
                f"median (each: {', '.join(f'{r:,.0f}' for r in rates)})"
            )
            print(
                f"  records per CPU-second    : {per_cpu:10,.0f} (the whole process tree; "
                f"{per_cpu / python_cpu:.2f}x raw kafka-python's, "
                f"{per_cpu / rdkafka_cpu:.2f}x raw confluent-kafka's)"
            )
            if client in bare:
                print(f"  metrics only (no outputs) : {bare[client]:10,.0f} records/s")
            print(
                f"  / raw kafka-python        : {median(python_ratios):10.2f}  median of the "
                f"rounds' ratios ({', '.join(f'{r:.2f}' for r in python_ratios)}; librdkafka: >= 4)"
            )
            print(
                f"  / raw confluent-kafka     : {median(rdkafka_ratios):10.2f}  median "
                f"({', '.join(f'{r:.2f}' for r in rdkafka_ratios)}; aim >= 0.5)"
            )
            print(
                f"  RSS, whole process tree   : {rss / 1024:10.1f} MiB at the end, highest of the "
                f"rounds (peak {peak / 1024:.1f} MiB; target <= 150)"
            )
            print(f"  SIGTERM to exit           : {stop_ms:10d} ms, longest")
    finally:
        broker.close()


if __name__ == "__main__":
    main()
