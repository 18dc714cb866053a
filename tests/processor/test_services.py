"""service.by_topic and service.from_header name the application of records that name none,
before any sink sees the event: the enriched topic, the spans and the metrics agree."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from kafka import KafkaProducer
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from vendor_errors.parsers import Finding, Result
from vendor_errors.processor.protocols import Headers, Record
from vendor_errors.processor.services import ServiceMap, ServiceTransform

from tests.processor.fakes import FakeExtractor, FakePolled, event
from tests.processor.kafka_tools import (
    Offsets,
    any_port,
    environment,
    in_process,
    metric_samples,
    read_all,
    wait_until,
)
from tests.processor.samples import error_record


class Records(FakePolled):
    """One poll of one topic's partition 0, with each record's headers."""

    def __init__(self, topic: str, values: list[bytes], headers: list[Headers]) -> None:
        super().__init__([(topic, 0, 0, values)])
        self.headers = headers

    def record(self, index: int) -> Record:
        return Record(self.values[index], None, self.headers[index], None)


class OwnService(FakeExtractor):
    """Like FakeExtractor; `err:<code>@<service>` names its service in the record."""

    def extract(self, raw: bytes | str, source: dict[str, Any]) -> Result:
        value = raw if isinstance(raw, bytes) else raw.encode()
        code, _, service = value.partition(b"@")
        result = super().extract(code, source)
        if service:
            for finding in result.findings:
                finding.event = {**finding.event, "service": service.decode()}
        return result


def services_of(transform: ServiceTransform, records: Records) -> list[str | None]:
    _, noted = transform.parse_many(records)
    return [f.event["service"] for _, result in noted for f in result.findings]


def test_the_record_then_the_header_then_the_topic() -> None:
    services = ServiceMap({"app-logs": "checkout", "^pay-": "payments"}, "X-Service")
    transform = ServiceTransform(OwnService(), services)
    records = Records(
        "app-logs",
        [b"err:1", b"err:2", b"err:3@own", b"err:4", b"ok"],
        [[], [("x-service", b" billing ")], [("x-service", b"billing")], [("other", b"x")], []],
    )
    assert services_of(transform, records) == ["checkout", "billing", "own", "checkout"]
    assert services_of(transform, Records("pay-eu", [b"err:1"], [[]])) == ["payments"]
    assert services_of(transform, Records("web-logs", [b"err:1"], [[]])) == [None]


def test_the_event_is_copied_not_changed_in_place() -> None:
    shared = event("1", "t", 0, 0)

    class Shared(FakeExtractor):
        def extract(self, raw: bytes | str, source: dict[str, Any]) -> Result:
            return Result("error_found", [Finding(shared)])

    transform = ServiceTransform(Shared(), ServiceMap({"t": "svc"}, None))
    assert shared["service"] is None
    assert services_of(transform, Records("t", [b"a"], [[]])) == ["svc"]
    assert shared["service"] is None  # the extractor's event is left as it was


def test_inactive_without_a_mapping() -> None:
    assert not ServiceMap({}, None).active
    assert ServiceMap({}, "x-service").active


@pytest.mark.kafka
def test_mapped_services_reach_the_enriched_topic_spans_and_metrics(
    kafka_bootstrap: str, new_topic: Callable[..., str]
) -> None:
    mapped, by_header, enriched = new_topic("checkout-logs"), new_topic("shared"), new_topic("out")
    # 8x8 and Pipedrive records that name no service of their own (samples.py).
    values = [error_record(i)[0] for i in (0, 4, 5, 9)]
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    try:
        for value in values:
            producer.send(mapped, value)
            producer.send(by_header, value, headers=[("X-Service", b"billing")])
        producer.flush(30)
    finally:
        producer.close()

    group, spans = "services", InMemorySpanExporter()
    env = environment(
        kafka_bootstrap,
        f"{mapped},{by_header}",
        group,
        any_port(),
        OUTPUT__ENRICHED_TOPIC=enriched,
        SERVICE__BY_TOPIC=f"^{mapped[:13]}=checkout",
        SERVICE__FROM_HEADER="x-service",
        TRACING__ENABLED="true",
    )
    with Offsets(kafka_bootstrap) as offsets, in_process(env, span_exporter=spans) as running:
        for topic in (mapped, by_header):
            wait_until(lambda t=topic: offsets.caught_up(group, t), 60, "the end")  # type: ignore[misc]
        running.processor.flush(10)
        errors = metric_samples(running.port, "vendor_errors_total")

    events = [record.json() for record in read_all(kafka_bootstrap, enriched)]
    by_topic = {(e["source"]["topic"], e["service"]) for e in events}
    assert by_topic == {(mapped, "checkout"), (by_header, "billing")}
    assert len(events) == 8
    span_services = [s.attributes["vendor_error.service"] for s in spans.get_finished_spans()]
    assert sorted(span_services) == ["billing"] * 4 + ["checkout"] * 4
    counted: dict[str, float] = {}
    for labels, value in errors:
        counted[labels["service"]] = counted.get(labels["service"], 0) + value
    assert counted == {"checkout": 4, "billing": 4}
