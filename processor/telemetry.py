"""What the standard OpenTelemetry variables turn on: spans (which exporter), metrics pushed.

The variables are the interface (the OpenTelemetry specification's "SDK configuration"), and
the SDK reads them: exporter names go through the SDK's own resolution
(opentelemetry.sdk._configuration, the code `opentelemetry-instrument` runs) to the exporters'
entry points; the exporters read their endpoint, headers, certificate, timeout and compression
themselves (OTEL_EXPORTER_OTLP_[TRACES_|METRICS_]*), and Resource.create reads
OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.

What this module adds to the SDK's defaults, and why:
- spans are exported only when asked for: OTEL_TRACES_EXPORTER set, or an OTLP endpoint. The
  SDK would default to OTLP to localhost, and log a failed export every few seconds on every
  installation without a collector;
- the OTLP protocol defaults to http/protobuf (the specification's default, the chart's, and
  this processor's until now) where the Python SDK alone defaults to grpc;
- OTEL_SDK_DISABLED turns off what goes out over OTLP (spans, pushed metrics); /metrics stays,
  it is the processor's own interface (dashboards and alerts read it).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from opentelemetry.environment_variables import OTEL_METRICS_EXPORTER, OTEL_TRACES_EXPORTER
from opentelemetry.sdk.environment_variables import (
    OTEL_EXPORTER_OTLP_CERTIFICATE,
    OTEL_EXPORTER_OTLP_ENDPOINT,
    OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE,
    OTEL_EXPORTER_OTLP_METRICS_PROTOCOL,
    OTEL_EXPORTER_OTLP_PROTOCOL,
    OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL,
    OTEL_SDK_DISABLED,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.util._importlib_metadata import entry_points
from vendor_errors.processor import __version__

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics.export import MetricReader

Signal = Literal["traces", "metrics"]
_NAMES_VARIABLE = {"traces": OTEL_TRACES_EXPORTER, "metrics": OTEL_METRICS_EXPORTER}
_PROTOCOL_VARIABLES = {
    "traces": (OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, OTEL_EXPORTER_OTLP_PROTOCOL),
    "metrics": (OTEL_EXPORTER_OTLP_METRICS_PROTOCOL, OTEL_EXPORTER_OTLP_PROTOCOL),
}
DEFAULT_PROTOCOL_EXPORTER = "otlp_proto_http"
# The SDK's name for "OTLP, whichever protocol is configured" (sdk._configuration._EXPORTER_OTLP).
_OTLP = "otlp"
# The metrics exporter entry point that starts its own HTTP server: /metrics is served already.
_PROMETHEUS = "prometheus"


class TelemetryError(ValueError):
    """An OTEL_* variable names an exporter or protocol that is not available."""


@dataclass(slots=True)
class SpanCounts:
    """What became of the spans: shed at the hand-off, exported, or lost in export.
    Written by the span sink, read by the metrics at scrape time."""

    shed: int = 0
    exported: int = 0
    failed: int = 0


def service_resource() -> Resource:
    """The resource of spans and metrics; OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES win."""
    configured = "OTEL_SERVICE_NAME" in os.environ or "service.name=" in os.environ.get(
        "OTEL_RESOURCE_ATTRIBUTES", ""
    )
    attributes: dict[str, str] = {"service.version": __version__}
    if not configured:
        attributes["service.name"] = "vendor-errors"
    return Resource.create(attributes)


def sdk_disabled() -> bool:
    return os.environ.get(OTEL_SDK_DISABLED, "").strip().lower() == "true"


def _protocol_set(signal: Signal) -> bool:
    return any(os.environ.get(name, "").strip() for name in _PROTOCOL_VARIABLES[signal])


def _entry_point(name: str, signal: Signal) -> str:
    from opentelemetry.sdk import _configuration as sdk_configuration

    if name == sdk_configuration._EXPORTER_OTLP and not _protocol_set(signal):
        return DEFAULT_PROTOCOL_EXPORTER
    try:
        return str(sdk_configuration._get_exporter_entry_point(name, signal))
    except RuntimeError as exc:  # an unsupported protocol
        variables = " or ".join(_PROTOCOL_VARIABLES[signal])
        raise TelemetryError(f"{variables}: {exc} (grpc or http/protobuf)") from None


def _names(signal: Signal) -> list[str]:
    """The exporters OTEL_<SIGNAL>_EXPORTER asks for, resolved to entry-point names and
    checked to be installed."""
    raw = os.environ.get(_NAMES_VARIABLE[signal], "")
    names = [name.strip() for name in raw.split(",") if name.strip()]
    if "none" in (name.lower() for name in names):
        return []
    resolved = list(dict.fromkeys(_entry_point(name, signal) for name in names))
    # Looked up, not loaded: the span exporter is loaded in the span child only (the gRPC one
    # alone weighs 16 MiB).
    group = f"opentelemetry_{signal}_exporter"
    for name in resolved:
        if not tuple(entry_points(group=group, name=name)):
            known = ", ".join(sorted({point.name for point in entry_points(group=group)}))
            raise TelemetryError(
                f"{_NAMES_VARIABLE[signal]}: no exporter {name!r} is installed (installed: "
                f"{known}; otlp and none are always accepted)"
            )
    return resolved


@dataclass(frozen=True)
class Tracing:
    """Where spans go: entry-point names of the span exporters, or why nowhere."""

    exporters: tuple[str, ...]
    off_because: str | None = None


def tracing(enabled: bool) -> Tracing:
    """Which span exporters run, from `tracing.enabled` and the OTEL_* variables."""
    if not enabled:
        return Tracing((), "tracing.enabled is false")
    if sdk_disabled():
        return Tracing((), f"{OTEL_SDK_DISABLED} is true")
    if not os.environ.get(OTEL_TRACES_EXPORTER, "").strip():
        if not (
            os.environ.get(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, "").strip()
            or os.environ.get(OTEL_EXPORTER_OTLP_ENDPOINT, "").strip()
        ):
            return Tracing(
                (),
                f"no collector configured (set {OTEL_EXPORTER_OTLP_ENDPOINT}, "
                f"{OTEL_EXPORTER_OTLP_TRACES_ENDPOINT} or {OTEL_TRACES_EXPORTER})",
            )
        return Tracing((_entry_point(_OTLP, "traces"),))
    names = _names("traces")
    if not names:
        return Tracing((), f"{OTEL_TRACES_EXPORTER} is none")
    return Tracing(tuple(names))


def metric_exporters(otlp_setting: bool) -> tuple[str, ...]:
    """The push exporters beside /metrics: OTEL_METRICS_EXPORTER's (its `prometheus` is
    /metrics itself), or OTLP when `metrics.otlp` is on."""
    if sdk_disabled():
        return ()
    names = [name for name in _names("metrics") if name != _PROMETHEUS]
    if otlp_setting and not any(name.startswith("otlp") for name in names):
        names.append(_entry_point(_OTLP, "metrics"))
    return tuple(names)


def _certificate_wins(variable: str) -> None:
    """requests lets REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE override the CA file an exporter
    was given (its session's `verify`): with OTEL_EXPORTER_OTLP_*CERTIFICATE set, the
    OpenTelemetry variable is the one that counts."""
    if os.environ.get(variable) or os.environ.get(OTEL_EXPORTER_OTLP_CERTIFICATE):
        for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            os.environ.pop(name, None)


def span_exporter(names: Sequence[str]) -> SpanExporter:
    """The exporter for these entry-point names (`tracing` resolved them), made as the SDK
    makes it: the class its entry point names, which reads its own OTEL_EXPORTER_OTLP_*
    settings. Called in the span child, whose environment is its own; loaded from the entry
    point itself, not through sdk._configuration, which would bring the metrics and logs SDKs
    into that process for nothing (~2 MiB)."""
    _certificate_wins(OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE)
    exporters: list[SpanExporter] = []
    for name in dict.fromkeys(names):
        point = next(iter(entry_points(group="opentelemetry_traces_exporter", name=name)), None)
        made = point.load()() if point is not None else None
        if not isinstance(made, SpanExporter):
            raise TelemetryError(f"{name!r} is not an installed span exporter")
        exporters.append(made)
    return exporters[0] if len(exporters) == 1 else _Fanout(exporters)


def metric_readers(names: Sequence[str]) -> list[MetricReader]:
    from opentelemetry.sdk import _configuration as sdk_configuration
    from opentelemetry.sdk.metrics.export import (
        MetricExporter,
        MetricReader,
        PeriodicExportingMetricReader,
    )

    if names:
        _certificate_wins(OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE)
    _, classes, _ = sdk_configuration._import_exporters([], list(names), [])
    readers: list[MetricReader] = []
    for cls in classes.values():
        made = cls()
        if isinstance(made, MetricExporter):
            # OTEL_METRIC_EXPORT_INTERVAL and _TIMEOUT are read by the reader.
            readers.append(PeriodicExportingMetricReader(made))
        elif isinstance(made, MetricReader):
            readers.append(made)
    return readers


class _Fanout(SpanExporter):
    """Several exporters (OTEL_TRACES_EXPORTER=otlp,console): each gets every batch."""

    def __init__(self, exporters: list[SpanExporter]) -> None:
        self._exporters = exporters

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        results = [exporter.export(spans) for exporter in self._exporters]
        if all(result is SpanExportResult.SUCCESS for result in results):
            return SpanExportResult.SUCCESS
        return SpanExportResult.FAILURE

    def shutdown(self) -> None:
        for exporter in self._exporters:
            exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return all(exporter.force_flush(timeout_millis) for exporter in self._exporters)
