"""Vendor-error spans: attributes, parent trace, timing, status, privacy."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from vendor_errors.parsers import Finding
from vendor_errors.processor.privacy import Redactor
from vendor_errors.processor.protocols import Work
from vendor_errors.processor.sinks.span_shipper import SpanShipper
from vendor_errors.processor.sinks.spans import (
    ExportSettings,
    Found,
    SpanWriter,
    describe,
    parent_context,
)

from tests.processor.otlp_receiver import OtlpReceiver

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN_ID = "00f067aa0ba902b7"


class Captured:
    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.writer = SpanWriter(Resource.create({"service.name": "t"}), self.exporter)

    def emit(self, finding: Finding, topic: str, partition: int, offset: int, key=None, ts=None):
        described = describe(finding, topic, partition, offset, key, ts, "vendor-errors", REDACT)
        if described is not None:
            self.writer.send([described])

    def spans(self):
        self.writer.flush(5)
        return self.exporter.get_finished_spans()


REDACT = Redactor(True)


@pytest.fixture
def captured() -> Iterator[Captured]:
    captured = Captured()
    yield captured
    captured.writer.close()


def finding(**event_fields: object) -> Finding:
    event = {
        "vendor": "webex",
        "code": "7302",
        "channel": "whatsapp",
        "http_status": 400,
        "message": "Recipient +14155550123 is not on WhatsApp",
        "category": "recipient",
        "severity": "error",
        "transient": False,
        "known": True,
        "timestamp": "2025-01-02T03:04:05Z",
        "trace_id": TRACE_ID,
        "span_id": SPAN_ID,
        "correlation_id": "req-1",
        "service": "checkout",
        "namespace": "shop",
        "source": {"topic": "app-logs", "partition": 2, "offset": 41},
    }
    event.update(event_fields)
    return Finding(
        event,
        # As parsers/urls.py leaves it: no credentials or signatures, the recipient still there.
        url="https://api.webexconnect.io/v1/messages?to=%2B14155550123",
        server_address="api.webexconnect.io",
        http_method="POST",
        time_unix_nano=1_735_787_045_000_000_000,
        trace_flags=0,
    )


def test_one_span_with_the_contract_attributes(captured) -> None:
    captured.emit(finding(), "app-logs", 2, 41, b"order-7")
    (span,) = captured.spans()
    attrs = dict(span.attributes or {})
    assert attrs["vendor_error.vendor"] == "webex"
    assert attrs["vendor_error.code"] == "7302"
    assert attrs["vendor_error.channel"] == "whatsapp"
    assert attrs["vendor_error.category"] == "recipient"
    assert attrs["vendor_error.severity"] == "error"
    assert attrs["vendor_error.transient"] is False
    assert attrs["vendor_error.known"] is True
    assert attrs["error.type"] == "7302"
    assert attrs["vendor_error.service"] == "checkout"
    assert attrs["vendor_error.namespace"] == "shop"
    assert attrs["peer.service"] == "webex"  # the vendor is the peer that failed
    assert attrs["http.response.status_code"] == 400
    assert attrs["http.request.method"] == "POST"
    assert attrs["server.address"] == "api.webexconnect.io"
    assert attrs["url.full"] == "https://api.webexconnect.io/v1/messages?to=[phone]"
    assert attrs["messaging.system"] == "kafka"
    assert attrs["messaging.destination.name"] == "app-logs"
    assert attrs["messaging.destination.partition.id"] == "2"
    assert attrs["messaging.kafka.offset"] == 41
    # A keyed hash of the key, never the key (docs/privacy.md).
    assert attrs["messaging.kafka.message.key"] == REDACT.key(b"order-7") != "order-7"
    assert attrs["messaging.consumer.group.name"] == "vendor-errors"
    assert span.kind is SpanKind.INTERNAL
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "Recipient [phone] is not on WhatsApp"


def test_no_service_attributes_when_the_record_names_none(captured) -> None:
    captured.emit(finding(service=None, namespace=None), "app-logs", 2, 41)
    (span,) = captured.spans()
    attrs = dict(span.attributes or {})
    assert "vendor_error.service" not in attrs and "vendor_error.namespace" not in attrs
    assert attrs["peer.service"] == "webex"


def test_child_of_the_records_trace_even_when_unsampled(captured) -> None:
    captured.emit(finding(), "app-logs", 2, 41, None)
    (span,) = captured.spans()
    assert f"{span.context.trace_id:032x}" == TRACE_ID
    assert span.parent is not None and f"{span.parent.span_id:016x}" == SPAN_ID
    assert span.parent.is_remote


def test_timed_from_the_record(captured) -> None:
    captured.emit(finding(), "app-logs", 0, 1)
    no_time = finding()
    no_time.time_unix_nano = None
    captured.emit(no_time, "app-logs", 0, 2, None, ts=1_700_000_000_123)
    first, second = captured.spans()
    assert first.start_time == 1_735_787_045_000_000_000
    assert second.start_time == 1_700_000_000_123_000_000


def test_no_parent_without_valid_ids(captured) -> None:
    captured.emit(finding(trace_id=None, span_id=None), "t", 0, 1)
    captured.emit(finding(trace_id="not-hex", span_id=SPAN_ID), "t", 0, 2)
    captured.emit(finding(trace_id="0" * 32, span_id=SPAN_ID), "t", 0, 3)
    spans = captured.spans()
    assert len(spans) == 3
    assert all(span.parent is None for span in spans)
    assert parent_context(TRACE_ID, None, None) is None


def test_lifecycle_statuses_are_not_error_spans(captured) -> None:
    captured.emit(finding(category="status", code="Delivered"), "t", 0, 1)
    assert captured.spans() == ()


def test_a_child_process_exports_them_over_otlp(monkeypatch: pytest.MonkeyPatch) -> None:
    receiver = OtlpReceiver()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
    monkeypatch.setenv("OTEL_SERVICE_NAME", "shipper-test")
    try:
        shipper = SpanShipper("WARNING", "g", Redactor(), ("otlp_proto_http",))
        found = [Found(finding(), "app-logs", 0, n, None, None) for n in range(25)]
        # A lifecycle status is no error span: the child drops it.
        found.append(Found(finding(category="status"), "app-logs", 0, 25, None, None))
        shipper.write(Work(findings=found))
        shipper.close(20)
        assert len(receiver.spans) == 25
        span = receiver.spans[0]
        assert span["name"] == "vendor_error webex"
        assert span["trace_id"] == TRACE_ID and span["parent_span_id"] == SPAN_ID
        assert span["attributes"]["vendor_error.code"] == "7302"
        assert span["attributes"]["messaging.consumer.group.name"] == "g"
        assert span["attributes"]["vendor_error.service"] == "checkout"
        assert span["attributes"]["vendor_error.namespace"] == "shop"
        assert span["attributes"]["peer.service"] == "webex"
        # Redacted in the child, as in the poll loop before.
        assert span["status_message"] == "Recipient [phone] is not on WhatsApp"
        assert span["status_code"] == 2  # STATUS_CODE_ERROR
        assert span["resource"]["service.name"] == "shipper-test"
    finally:
        receiver.close()


def test_export_batch_and_delay_follow_the_standard_variables() -> None:
    from vendor_errors.processor.sinks.spans import (
        EXPORT_BATCH,
        EXPORT_DELAY_SECONDS,
        QUEUE_SPANS,
        _export_settings,
    )

    assert _export_settings({}) == (EXPORT_BATCH, EXPORT_DELAY_SECONDS, QUEUE_SPANS)
    assert _export_settings(
        {
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "64",
            "OTEL_BSP_SCHEDULE_DELAY": "60000",
            "OTEL_BSP_MAX_QUEUE_SIZE": "100",
        }
    ) == ExportSettings(64, 60.0, 100)
    assert _export_settings({"OTEL_BSP_SCHEDULE_DELAY": "soon"}) == (
        EXPORT_BATCH,
        EXPORT_DELAY_SECONDS,
        QUEUE_SPANS,
    )


def test_a_full_batch_is_exported_without_a_flush() -> None:
    exporter = InMemorySpanExporter()
    writer = SpanWriter(Resource.create({"service.name": "t"}), exporter, batch_size=2)
    described = describe(finding(), "app-logs", 2, 41, None, None, "vendor-errors", REDACT)
    assert described is not None
    writer.send([described])
    assert exporter.get_finished_spans() == ()
    writer.send([described])
    assert len(exporter.get_finished_spans()) == 2
    assert writer.pending == 0
    writer.close()
