"""End to end through a real broker: sample logs in; /metrics, spans and the enriched topic out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.processor.kafka_tools import (
    Offsets,
    any_port,
    environment,
    in_process,
    metric_samples,
    produce,
    read_all,
    wait_until,
)
from tests.processor.samples import TRACE_ID, mixed

pytestmark = pytest.mark.kafka

JUNK = [b"\x00\x01\x02\x03\xff\xfe" * 40, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)]


def test_sample_logs_come_out_as_exactly_the_expected_errors(
    kafka_bootstrap: str, new_topic: Callable[..., str], kafka_client: str
) -> None:
    topic, enriched, dlq = new_topic("logs"), new_topic("enriched"), new_topic("dlq", 1)
    records = mixed(total=600, error_every=6)
    positions = produce(kafka_bootstrap, topic, [value for value, _ in records] + JUNK)
    expected = {
        positions[n]: carried for n, (_, carried) in enumerate(records) if carried is not None
    }
    assert len(expected) == 100

    group = f"e2e-{kafka_client}"
    spans = InMemorySpanExporter()
    env = environment(
        kafka_bootstrap,
        topic,
        group,
        any_port(),
        kafka_client,
        OUTPUT__ENRICHED_TOPIC=enriched,
        OUTPUT__DEAD_LETTER_TOPIC=dlq,
        TRACING__ENABLED="true",
    )
    with Offsets(kafka_bootstrap) as offsets, in_process(env, span_exporter=spans) as running:
        client_module = kafka_client.replace("-", "_")  # kafka_python, librdkafka
        assert f".{client_module}." in type(running.processor.source).__module__
        wait_until(lambda: offsets.caught_up(group, topic), 60, "the processor to catch up")
        # Lag is measured every second; the last measurement must show the end reached.
        wait_until(
            lambda: (
                {v for _, v in metric_samples(running.port, "vendor_errors_consumer_lag")} == {0.0}
            ),
            30,  # a loaded machine can delay the once-a-second measurement by several seconds
            "zero lag",
        )
        port = running.port
        errors = metric_samples(port, "vendor_errors_total")
        outcomes = metric_samples(port, "vendor_errors_records_total")
        lag = metric_samples(port, "vendor_errors_consumer_lag")
        info = metric_samples(port, "vendor_errors_catalog_info")
        running.processor.flush(10)

    # The enriched topic: one event per vendor error, traceable to its input record.
    events = [(record.key, record.json()) for record in read_all(kafka_bootstrap, enriched)]
    found = {(e["source"]["partition"], e["source"]["offset"]): e for _, e in events}
    assert len(events) == len(found) == 100
    assert {pos: (e["vendor"], e["code"]) for pos, e in found.items()} == expected
    for key, event in events:
        assert key == f"{event['vendor']}:{event['code']}".encode()
        assert event["source"]["topic"] == topic
        assert "+1415555" not in event["message"] and "@example.com" not in event["message"]
    by_vendor = {e["vendor"]: e for _, e in events}
    assert by_vendor["8x8"]["message"] == "Invalid destination [phone]"
    assert by_vendor["8x8"]["trace_id"] == TRACE_ID
    assert by_vendor["8x8"]["correlation_id"].startswith("a3f1c2d4-")
    assert by_vendor["dynamics365"]["http_status"] == 404
    assert by_vendor["webex"]["known"] is True

    # Metrics, as scraped over HTTP.
    per_code: Counter[tuple[str, str]] = Counter()
    for labels, value in errors:
        per_code[(labels["vendor"], labels["code"])] += int(value)
    assert per_code == Counter(expected.values())
    assert {labels["outcome"]: value for labels, value in outcomes} == {
        "error_found": 100,
        "no_error": 500,
        "dead_lettered": 2,
    }
    assert {labels["partition"] for labels, _ in lag} == {"0", "1", "2"}
    assert any(labels["code"] == "1300" and labels["vendor"] == "8x8" for labels, _ in info)

    # Spans: one per error, inside the record's trace when it carried one.
    finished = spans.get_finished_spans()
    assert len(finished) == 100
    assert Counter(
        (s.attributes["vendor_error.vendor"], s.attributes["vendor_error.code"]) for s in finished
    ) == Counter(expected.values())
    eight = [s for s in finished if s.attributes["vendor_error.vendor"] == "8x8"]
    assert all(f"{s.context.trace_id:032x}" == TRACE_ID for s in eight)
    assert all("token" not in s.attributes["url.full"] for s in eight)
    assert all(s.attributes["messaging.destination.name"] == topic for s in finished)

    # Undecodable records, as they were, in the dead-letter topic.
    dead = read_all(kafka_bootstrap, dlq)
    assert sorted(r.value for r in dead) == sorted(JUNK)
    assert all(dict(r.headers)["vendor-errors.topic"] == topic.encode() for r in dead)
