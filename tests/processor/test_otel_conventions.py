"""The standard OpenTelemetry variables drive spans and pushed metrics, through the SDK's own
readers: which exporter (OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL), where
(endpoint, headers, certificate, timeout), as whom (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES).
Spans go through the real path (the span child and the SDK's exporters) to real receivers:
OTLP/gRPC (grpcio serving opentelemetry-proto's TraceService) and OTLP/HTTP."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from vendor_errors.processor.privacy import Redactor
from vendor_errors.processor.protocols import Found, Work
from vendor_errors.processor.sinks.span_shipper import SpanShipper
from vendor_errors.processor.telemetry import TelemetryError, metric_exporters, tracing

from tests.processor.otlp_receiver import GrpcOtlpReceiver, HungCollector, OtlpReceiver
from tests.processor.test_security import make_certificates
from tests.processor.test_spans import finding

OTEL_VARIABLES = (
    "OTEL_SDK_DISABLED",
    "OTEL_TRACES_EXPORTER",
    "OTEL_METRICS_EXPORTER",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_CERTIFICATE",
    "OTEL_EXPORTER_OTLP_TIMEOUT",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
)
RECEIVERS = {"grpc": GrpcOtlpReceiver, "http/protobuf": OtlpReceiver}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in OTEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)


# -- which exporter -----------------------------------------------------------------------------


def test_spans_are_off_until_a_collector_or_exporter_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    off = tracing(True)
    assert off.exporters == () and "OTEL_EXPORTER_OTLP_ENDPOINT" in str(off.off_because)
    assert tracing(False).off_because == "tracing.enabled is false"
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    assert tracing(True).exporters == ("otlp_proto_http",)  # the specification's default
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert tracing(True).exporters == ()
    assert "OTEL_SDK_DISABLED" in str(tracing(True).off_because)
    monkeypatch.setenv("OTEL_SDK_DISABLED", "false")
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    assert tracing(True).exporters == ()
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT")
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    assert tracing(True).exporters == ("console",)  # no endpoint needed


def test_protocols_choose_the_exporter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector:4317")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    assert tracing(True).exporters == ("otlp_proto_grpc",)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf")  # signal wins
    assert tracing(True).exporters == ("otlp_proto_http",)
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp,console")
    assert tracing(True).exporters == ("otlp_proto_http", "console")


def test_unsupported_values_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
    with pytest.raises(TelemetryError, match=r"OTEL_EXPORTER_OTLP_PROTOCOL.*http/json"):
        tracing(True)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_PROTOCOL")
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "zipkin")
    with pytest.raises(TelemetryError, match=r"OTEL_TRACES_EXPORTER.*zipkin"):
        tracing(True)


def test_metrics_push_beside_the_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    assert metric_exporters(False) == ()
    assert metric_exporters(True) == ("otlp_proto_http",)  # metrics.otlp
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "prometheus")  # that is /metrics itself
    assert metric_exporters(False) == ()
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "otlp")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "grpc")
    assert metric_exporters(False) == ("otlp_proto_grpc",)
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert metric_exporters(True) == ()


def test_run_check_reports_the_choice(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from vendor_errors.processor.cli import main

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    assert main(["run", "--check"]) == 0
    assert "spans: otlp_proto_grpc" in capsys.readouterr().err
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "thrift")
    assert main(["run", "--check"]) == 2
    assert "OTEL_EXPORTER_OTLP_PROTOCOL" in capsys.readouterr().err


# -- to real receivers, through the span child ------------------------------------------------


def ship(count: int, flush_seconds: float = 20.0) -> tuple[SpanShipper, bool]:
    chosen = tracing(True)
    assert chosen.exporters, chosen.off_because
    shipper = SpanShipper("WARNING", "g", Redactor(), chosen.exporters)
    found = [Found(finding(), "app-logs", 0, n, b"k", None) for n in range(count)]
    shipper.write(Work(findings=found))
    return shipper, shipper.flush(flush_seconds)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("otlp-tls")
    made = make_certificates(directory)
    return {"ca": made["ca"], "cert": directory / "server.pem", "key": directory / "server.key"}


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_both_protocols_reach_a_real_receiver(
    protocol: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver = RECEIVERS[protocol]()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer t0ken,x-tenant=acme")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "errors-eu")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=test,team=sre")
    try:
        shipper, flushed = ship(30)
        try:
            assert flushed
            assert shipper.counts.exported == 30 and shipper.counts.failed == 0
        finally:
            shipper.close(10)
        assert len(receiver.spans) == 30
        span = receiver.spans[0]
        assert span["name"] == "vendor_error webex"
        assert span["attributes"]["peer.service"] == "webex"
        assert span["attributes"]["vendor_error.service"] == "checkout"
        assert span["resource"]["service.name"] == "errors-eu"
        assert span["resource"]["deployment.environment"] == "test"
        assert span["resource"]["team"] == "sre"
        headers = receiver.headers[0]
        assert headers["authorization"] == "Bearer t0ken" and headers["x-tenant"] == "acme"
    finally:
        receiver.close()


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_tls_with_the_configured_certificate(
    protocol: str, certificates: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver = RECEIVERS[protocol](tls=(certificates["cert"], certificates["key"]))
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)  # https://
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", str(certificates["ca"]))
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "5")
    try:
        shipper, flushed = ship(5)
        shipper.close(10)
        assert flushed and len(receiver.spans) == 5
    finally:
        receiver.close()


def test_the_traces_endpoint_is_used_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    receiver = OtlpReceiver()
    # The signal's own endpoint is the full URL (the general one gets /v1/traces appended).
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", f"{receiver.endpoint}/otlp/spans")
    try:
        shipper, flushed = ship(3)
        shipper.close(10)
        assert flushed and len(receiver.spans) == 3
        assert receiver.headers[0][":path"] == "/otlp/spans"
    finally:
        receiver.close()


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_the_timeout_bounds_an_export_to_a_hung_collector(
    protocol: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    collector = HungCollector()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "1")
    try:
        started = time.monotonic()
        shipper, flushed = ship(10, flush_seconds=15)
        took = time.monotonic() - started
        try:
            assert not flushed
            assert took < 8, f"the export took {took:.1f}s with a 1 s timeout"
            assert shipper.counts.failed == 10 and shipper.counts.exported == 0
        finally:
            shipper.close(5)
    finally:
        collector.close()


def test_console_exporter(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    shipper, flushed = ship(2)
    shipper.close(10)
    assert flushed
    assert capfd.readouterr().out.count('"name": "vendor_error webex"') == 2


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_metrics_pushed_over_otlp_beside_the_endpoint(
    protocol: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from collections import Counter

    from vendor_errors import catalog
    from vendor_errors.processor.sinks.metrics import Metrics

    receiver = RECEIVERS[protocol]()
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "otlp")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
    metrics = Metrics(catalog.load(), max_unknown_codes_per_vendor=5, push=metric_exporters(False))
    try:
        metrics.add_records("app-logs", Counter({"no_error": 3}))
        assert metrics.flush(10)
    finally:
        metrics.close()
        receiver.close()
    assert {"vendor_errors_records", "vendor_errors_spans_shed"} <= receiver.metric_names


def test_the_exporters_repeated_warnings_are_summarised(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import json
    import logging

    from vendor_errors.processor import logs

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))  # restored after the test
    monkeypatch.setattr(root, "level", root.level)
    stream = io.StringIO()
    logs.configure("INFO", stream)
    clock = [1000.0]
    monkeypatch.setattr(logs.time, "monotonic", lambda: clock[0])
    exporter = logging.getLogger("opentelemetry.exporter.otlp.proto.http.trace_exporter")
    ours = logging.getLogger("vendor_errors.processor.sinks.span_shipper")
    for _ in range(5):
        exporter.error("Failed to export %s batch", "spans")
        ours.warning("span export failed; spans dropped")
    clock[0] += 61
    exporter.error("Failed to export %s batch", "spans")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    from_exporter = [line for line in lines if line["logger"].startswith("opentelemetry")]
    assert len(from_exporter) == 2 and from_exporter[1]["repeated"] == 4
    assert sum(line["logger"].startswith("vendor_errors") for line in lines) == 5  # ours: as is
