"""A vendor outage (an error in every record) with a collector that accepts connections and never
answers: the whole processor (its helpers included) stays within its memory bound, sheds spans
(counted), loses no enriched event, and still stops within its bound. For both clients: the
chart's default (librdkafka) and kafka-python with its producer process.

The figures of docs/operations.md (Sizing) come from bench/bench_memory.py, which runs this case
beside steady state and a working collector."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.processor.kafka_tools import (
    Offsets,
    ProcessorProcess,
    any_port,
    end_offsets,
    environment,
    metric_samples,
    produce,
    wait_until,
)
from tests.processor.memory import MIB, PeakRss, tree
from tests.processor.otlp_receiver import HungCollector
from tests.processor.samples import error_record

pytestmark = pytest.mark.kafka

BACKLOG = 100_000
# The chart's memory limit: the target for the whole pod through an outage with a hung collector.
POD_BOUND_MIB = 256
# The helper processes of each client: nothing else (no multiprocessing resource tracker).
HELPERS = {"librdkafka": {"span-exporter"}, "kafka-python": {"producer", "span-exporter"}}


def test_all_errors_backlog_into_a_hung_collector_stays_bounded(
    kafka_bootstrap: str, new_topic: Callable[..., str], tmp_path: Path, kafka_client: str
) -> None:
    topic, enriched, bound = new_topic("logs"), new_topic("enriched"), 15.0
    group = f"outage-{kafka_client}"
    values = [error_record(i)[0] for i in range(5_000)]
    for _ in range(BACKLOG // len(values)):
        produce(kafka_bootstrap, topic, values)
    collector = HungCollector()
    port = any_port()
    env = environment(
        kafka_bootstrap,
        topic,
        group,
        port,
        kafka_client,
        OUTPUT__ENRICHED_TOPIC=enriched,
        TRACING__ENABLED="true",
        SHUTDOWN__TIMEOUT_SECONDS=str(bound),
    )
    env["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.endpoint
    process = ProcessorProcess(env, tmp_path / "run.log").start()
    try:
        process.wait_ready()
        assert process.proc is not None
        with PeakRss(process.proc.pid) as rss, Offsets(kafka_bootstrap) as offsets:
            wait_until(lambda: offsets.caught_up(group, topic), 300, "the backlog", 0.5)
            shed = metric_samples(port, "vendor_errors_spans_shed_total")
            children = metric_samples(port, "vendor_errors_child_resident_memory_bytes")
            processes = tree(process.proc.pid)
        print(
            f"{kafka_client}: {BACKLOG} errors into a hung collector: whole processor peak "
            f"{rss.peak_tree / MIB:.0f} MiB (the poll loop's process {rss.peak_root / MIB:.0f} "
            f"MiB); children {[(labels['child'], round(v / MIB)) for labels, v in children]} "
            f"MiB; spans shed {shed}"
        )
        assert rss.peak_tree <= POD_BOUND_MIB * MIB, process.logs()
        assert collector.accepted >= 1  # the exporter was stuck there
        # Spans were shed, counted, and said (once a minute at most).
        assert shed and shed[0][1] > BACKLOG / 2
        assert {labels["child"] for labels, _ in children} == HELPERS[kafka_client]
        assert len(processes) == 1 + len(HELPERS[kafka_client]), processes
        assert process.logs().count("spans shed (records are not affected)") == 1
        # ... and no enriched event was lost for it.
        assert sum(end_offsets(kafka_bootstrap, enriched).values()) >= BACKLOG
        started = time.monotonic()
        process.signal(signal.SIGTERM)
        assert process.wait(bound + 10) == 0, process.logs()
        assert time.monotonic() - started < bound
    finally:
        process.stop()
        collector.close()
