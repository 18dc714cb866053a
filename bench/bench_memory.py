"""Memory of `vendor-errors run`: the whole pod (the processor's process tree), per process, in
three cases: steady state, an all-errors backlog with a working collector, and the same backlog
with a collector that accepts connections and never answers (a vendor outage while the trace
pipeline is stuck).

    python bench/bench_memory.py [--client librdkafka] [--cases steady,working,hung,full]
                                 [--backlog 100000] [--seconds 60] [--rate 2000]
                                 [--full-records 2000000] [--runs 1]

- steady: the processor reads a topic fed at --rate records/s (one vendor error in 50, the rest
  ordinary log lines) for --seconds, spans exported over OTLP/HTTP to a working receiver;
- working: --backlog records, every one a vendor error, waiting when the processor starts; spans
  to the working receiver; until the group's committed offsets reach the end;
- hung: the same backlog, spans to a collector that accepts and never answers;
- full: --full-records records waiting, one vendor error in 50 (bench_processor.py's input):
  the processor at full speed, spans to the working receiver.

Outputs as a deployment has them: the enriched topic and the dead-letter topic. The broker is the
tests' (tests/support/kafka_broker.py, or KAFKA_BOOTSTRAP_SERVERS). Every process of the tree is
sampled every 0.1 s (/proc/<pid>/statm): the figures are the peak of the sum over the tree (what
a container's memory limit sees, less the page cache) and each process's own peak, named after
its /proc comm (the helpers name themselves: span-exporter, producer) or its role.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from confluent_kafka import Producer  # noqa: E402

from tests.processor.kafka_tools import (  # noqa: E402
    Offsets,
    environment,
    http_get,
    metric_samples,
)
from tests.processor.memory import MIB, resident, tree  # noqa: E402
from tests.processor.otlp_receiver import HungCollector, OtlpReceiver  # noqa: E402
from tests.processor.samples import error_record, mixed  # noqa: E402
from tests.support.kafka_broker import broker_from_env, create_topic, free_port  # noqa: E402

CASES = ("steady", "working", "hung", "full")


def role(pid: int, root: int) -> str:
    """What a process of the tree is: the processor, a named helper, or multiprocessing's."""
    if pid == root:
        return "processor"
    try:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "gone"
    if not comm.startswith("python"):
        return comm
    if "resource_tracker" in cmdline:
        return "resource-tracker"
    if "forkserver" in cmdline:
        return "forkserver"
    return "starting"  # a helper between its start and naming itself (vfork shows the parent)


class Sampler:
    """Samples the tree's resident memory every `interval` seconds on a thread."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_tree = 0
        self.last: dict[str, int] = {}
        self.peaks: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            now: dict[str, int] = {}
            for pid in tree(self.pid):
                name = role(pid, self.pid)
                now[name] = now.get(name, 0) + resident(pid)
            self.last = now
            self.peak_tree = max(self.peak_tree, sum(now.values()))
            for name, value in now.items():
                self.peaks[name] = max(self.peaks.get(name, 0), value)
            time.sleep(self.interval)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def produce_all(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 20})
    for value in values:
        while True:
            try:
                producer.produce(topic, value)
                break
            except BufferError:
                producer.poll(0.1)
    if producer.flush(120):
        raise SystemExit("the input was not all acknowledged")


def produce_at(bootstrap: str, topic: str, rate: int, seconds: float) -> int:
    """Feed the topic at `rate` records/s (one vendor error in 50) for `seconds`."""
    records = [value for value, _ in mixed(rate, 50)]
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 20})
    started = time.monotonic()
    sent = 0
    tick = 0.1
    per_tick = max(1, int(rate * tick))
    while time.monotonic() - started < seconds:
        for _ in range(per_tick):
            producer.produce(topic, records[sent % len(records)])
            sent += 1
        producer.poll(0)
        time.sleep(max(0.0, started + sent / rate - time.monotonic()))
    producer.flush(60)
    return sent


def run_case(case: str, client: str, bootstrap: str, args: argparse.Namespace, logs: Path) -> str:
    suffix = uuid.uuid4().hex[:8]
    topic = create_topic(bootstrap, f"mem-in-{suffix}")
    enriched = create_topic(bootstrap, f"mem-out-{suffix}")
    dead = create_topic(bootstrap, f"mem-dlq-{suffix}")
    group = f"mem-{case}-{suffix}"
    if case in ("working", "hung"):
        values = [error_record(i)[0] for i in range(5_000)]
        produce_all(bootstrap, topic, (values * (args.backlog // len(values) + 1))[: args.backlog])
    elif case == "full":
        produce_all(bootstrap, topic, [value for value, _ in mixed(args.full_records, 50)])
    collector: OtlpReceiver | HungCollector = HungCollector() if case == "hung" else OtlpReceiver()
    port = free_port()
    env = environment(
        bootstrap,
        topic,
        group,
        port,
        client,
        OUTPUT__ENRICHED_TOPIC=enriched,
        OUTPUT__DEAD_LETTER_TOPIC=dead,
        TRACING__ENABLED="true",
        LOG__LEVEL="WARNING",
    )
    env["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.endpoint
    log_path = logs / f"{client}-{case}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "vendor_errors.processor.cli", "run"],
            cwd=REPO,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    started = time.monotonic()
    try:
        with Sampler(proc.pid) as rss, Offsets(bootstrap) as offsets:
            while http_get(port, "/readyz")[0] != 200:
                if proc.poll() is not None or time.monotonic() - started > 90:
                    raise SystemExit(f"processor not ready; see {log_path}")
                time.sleep(0.2)
            if case == "steady":
                produce_at(bootstrap, topic, args.rate, args.seconds)
            deadline = time.monotonic() + 600
            while not offsets.caught_up(group, topic):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"processor did not catch up; see {log_path}")
                time.sleep(0.5)
            took = time.monotonic() - started
            shed = sum(v for _, v in metric_samples(port, "vendor_errors_spans_shed_total"))
            exported = sum(v for _, v in metric_samples(port, "vendor_errors_spans_exported_total"))
        proc.terminate()
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        collector.close()
    parts = ", ".join(
        f"{name} {peak / MIB:.0f}" for name, peak in sorted(rss.peaks.items()) if name != "gone"
    )
    return (
        f"{client:12} {case:8} whole tree peak {rss.peak_tree / MIB:4.0f} MiB "
        f"(end {sum(rss.last.values()) / MIB:.0f}); per process peak: {parts} MiB; "
        f"{took:.0f} s; spans exported {exported:.0f}, shed {shed:.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--client", default="librdkafka", help="librdkafka or kafka-python")
    parser.add_argument("--cases", default="steady,working,hung", help=",".join(CASES))
    parser.add_argument("--backlog", type=int, default=100_000, help="all-errors records")
    parser.add_argument("--seconds", type=float, default=60.0, help="steady state's length")
    parser.add_argument("--rate", type=int, default=2000, help="steady state's records/s")
    parser.add_argument("--full-records", type=int, default=2_000_000, help="the full case's")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    cases = [case.strip() for case in args.cases.split(",") if case.strip()]
    unknown = set(cases) - set(CASES)
    if unknown:
        raise SystemExit(f"unknown cases {sorted(unknown)}; known: {', '.join(CASES)}")
    broker = broker_from_env()
    try:
        with tempfile.TemporaryDirectory() as logs:
            for _ in range(args.runs):
                for case in cases:
                    print(run_case(case, args.client, broker.bootstrap, args, Path(logs)))
    finally:
        broker.close()


if __name__ == "__main__":
    main()
