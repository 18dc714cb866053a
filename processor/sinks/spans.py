"""One OpenTelemetry span per vendor error: what a span says, and how it is made.

`vendor-errors run` makes and exports them in a child process (span_shipper.py: creating a
span with the SDK and encoding it costs a few hundred microseconds of Python, which in the poll
loop's process would slow the consumer down when errors are most of the records). Which
exporter, where to, with what resource: the standard OTEL_* variables (telemetry.py).

A span joins the trace of the log record that reported the error when the record carries W3C
ids, so the error shows up inside the request that hit it. The remote parent is marked sampled:
the default ParentBased sampler drops children of unsampled parents, and a record saying "not
sampled" usually only means nobody set the flag.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.environment_variables import (
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
    OTEL_BSP_MAX_QUEUE_SIZE,
    OTEL_BSP_SCHEDULE_DELAY,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import (
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
)
from vendor_errors.processor import __version__
from vendor_errors.processor.privacy import KAFKA_KEY_ATTRIBUTE, Redactor
from vendor_errors.processor.protocols import Found, Work

if TYPE_CHECKING:  # the span child reads plain tuples (Handed), and needs none of the parsers
    from vendor_errors.parsers import Finding

log = logging.getLogger(__name__)

# Spans per OTLP export request, how long a span waits for its batch to fill, and how many
# spans may wait for the exporter (beyond, they are shed); the standard
# OTEL_BSP_MAX_EXPORT_BATCH_SIZE, OTEL_BSP_SCHEDULE_DELAY (ms) and OTEL_BSP_MAX_QUEUE_SIZE
# override them.
EXPORT_BATCH = 512
EXPORT_DELAY_SECONDS = 1.0
QUEUE_SPANS = 8192


class ExportSettings(NamedTuple):
    batch_size: int
    delay_seconds: float
    queue_spans: int


def _export_settings(environ: Mapping[str, str]) -> ExportSettings:
    """Batch size, delay and queue bound; a malformed value is ignored, as the SDK ignores it."""
    batch, delay, queued = EXPORT_BATCH, EXPORT_DELAY_SECONDS, QUEUE_SPANS
    with contextlib.suppress(KeyError, ValueError):
        batch = max(1, int(environ[OTEL_BSP_MAX_EXPORT_BATCH_SIZE]))
    with contextlib.suppress(KeyError, ValueError):
        delay = max(0.0, float(environ[OTEL_BSP_SCHEDULE_DELAY]) / 1000)
    with contextlib.suppress(KeyError, ValueError):
        queued = max(1, int(environ[OTEL_BSP_MAX_QUEUE_SIZE]))
    return ExportSettings(batch, delay, queued)


class SpanDescription(NamedTuple):
    """Everything a span needs, cheap to build and to pickle."""

    name: str
    attributes: dict[str, Any]
    time_unix_nano: int
    trace_id: str | None
    span_id: str | None
    trace_flags: int | None
    message: str | None


class Handed(NamedTuple):
    """A finding and where its record was read, in builtins only: what the poll loop hands to
    the span child (unpickling a parsers Finding there would import all of the parsers)."""

    event: Mapping[str, Any]
    url: str | None
    server_address: str | None
    http_method: str | None
    time_unix_nano: int | None
    trace_flags: int | None
    topic: str
    partition: int
    offset: int
    key: bytes | None
    record_timestamp_ms: int | None


def hand_over(found: Found) -> Handed:
    f = found.finding
    return Handed(
        f.event,  # type: ignore[arg-type]
        f.url,
        f.server_address,
        f.http_method,
        f.time_unix_nano,
        f.trace_flags,
        found.topic,
        found.partition,
        found.offset,
        found.key,
        found.record_timestamp_ms,
    )


def describe(
    finding: Finding,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    record_timestamp_ms: int | None,
    group_id: str,
    redactor: Redactor,
) -> SpanDescription | None:
    """The span of one finding; None for lifecycle statuses (include_status), not errors."""
    found = Found(finding, topic, partition, offset, key, record_timestamp_ms)
    return describe_handed(hand_over(found), group_id, redactor)


def describe_handed(handed: Handed, group_id: str, redactor: Redactor) -> SpanDescription | None:
    """`describe`, for what the poll loop handed over.

    The finding was redacted before (privacy/stage.py); what the span adds goes through the
    policy here: the Kafka key as a keyed hash, never the key; a code the catalog does not know,
    and every string attribute, as a backstop.
    """
    event, topic, partition, offset = handed.event, handed.topic, handed.partition, handed.offset
    finding, key, record_timestamp_ms = handed, handed.key, handed.record_timestamp_ms
    if event["category"] == "status":
        return None
    vendor = event["vendor"]
    code = redactor.code(event["code"], event["known"] is True)
    attributes: dict[str, Any] = {
        "vendor_error.vendor": vendor,
        "vendor_error.code": code,
        "vendor_error.channel": event["channel"] or "",
        "vendor_error.category": event["category"],
        "vendor_error.severity": event["severity"],
        "vendor_error.transient": event["transient"],
        "vendor_error.known": event["known"],
        "error.type": code,
        # The vendor is the remote service that failed (semantic conventions: peer.service).
        "peer.service": vendor,
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.consumer.group.name": group_id,
        "messaging.destination.name": topic,
        "messaging.destination.partition.id": str(partition),
        "messaging.kafka.offset": offset,
    }
    if event["http_status"] is not None:
        attributes["http.response.status_code"] = event["http_status"]
    if finding.server_address:
        attributes["server.address"] = finding.server_address
    if finding.url:
        attributes["url.full"] = redactor.url(finding.url)
    if finding.http_method:
        attributes["http.request.method"] = finding.http_method
    # The application that logged the error, and its namespace, when known (the parsers read
    # them from the record; a topic or header mapping may fill the service: services.py).
    service = event.get("service")
    if service:
        attributes["vendor_error.service"] = service
    namespace = event.get("namespace")
    if namespace:
        attributes["vendor_error.namespace"] = namespace
    if event["correlation_id"]:
        attributes["vendor_error.correlation_id"] = event["correlation_id"]
    attributes = redactor.attributes(attributes)
    if key:
        attributes[KAFKA_KEY_ATTRIBUTE] = redactor.key(key)
    when = finding.time_unix_nano
    if when is None:  # timed by the log line, else by the Kafka record, else now
        when = record_timestamp_ms * 1_000_000 if record_timestamp_ms else time.time_ns()
    return SpanDescription(
        f"vendor_error {vendor}",
        attributes,
        when,
        event["trace_id"],
        event["span_id"],
        finding.trace_flags,
        redactor.text(event["message"]),
    )


def parent_context(trace_id: Any, span_id: Any, trace_flags: int | None) -> Context | None:
    """The record's trace as a sampled remote parent, or None when it carries no valid ids."""
    if not trace_id or not span_id:
        return None
    try:
        trace_number, span_number = int(trace_id, 16), int(span_id, 16)
    except (TypeError, ValueError):
        return None
    if not (0 < trace_number < 1 << 128 and 0 < span_number < 1 << 64):
        return None
    flags = TraceFlags((trace_flags or 0) | TraceFlags.SAMPLED)
    remote = SpanContext(trace_number, span_number, is_remote=True, trace_flags=flags)
    return trace.set_span_in_context(NonRecordingSpan(remote))


class SpanWriter:
    """Turns descriptions into finished spans and exports them in batches.

    Each span is a point in time, finished as it is made, so the SDK's tracer, live span and
    BatchSpanProcessor (locks, and a queue that drops spans silently when full) buy nothing
    here and cost most of the time: a ReadableSpan is built directly, with the sampler and id
    generator a TracerProvider would use (OTEL_TRACES_SAMPLER and friends are honoured), and
    handed to the exporter `batch_size` at a time, or on flush (`send`, in this process), or
    taken by whoever exports them elsewhere (`add`, `take`: the span child's export thread).
    """

    def __init__(
        self,
        resource: Resource,
        exporter: SpanExporter,
        batch_size: int = EXPORT_BATCH,
    ) -> None:
        self._exporter = exporter
        provider = TracerProvider(resource=resource)  # only for what it reads from OTEL_*
        self._sampler = provider.sampler
        self._ids = provider.id_generator
        self._resource = resource
        self._scope = InstrumentationScope("vendor-errors", __version__)
        self._batch_size = batch_size
        self._pending: list[ReadableSpan] = []

    @property
    def pending(self) -> int:
        return len(self._pending)

    @property
    def batch_size(self) -> int:
        return self._batch_size

    @property
    def exporter(self) -> SpanExporter:
        return self._exporter

    def add(self, descriptions: list[SpanDescription]) -> None:
        """Make the spans (those the sampler keeps) and keep them pending."""
        pending = self._pending
        for d in descriptions:
            span = self._span(d)
            if span is not None:
                pending.append(span)

    def take(self) -> list[ReadableSpan]:
        """At most one batch of the pending spans, oldest first, for export elsewhere."""
        taken = self._pending[: self._batch_size]
        del self._pending[: self._batch_size]
        return taken

    def send(self, descriptions: list[SpanDescription]) -> None:
        self.add(descriptions)
        if len(self._pending) >= self._batch_size:
            self.export()

    def _span(self, d: SpanDescription) -> ReadableSpan | None:
        context = parent_context(d.trace_id, d.span_id, d.trace_flags)
        parent = trace.get_current_span(context).get_span_context() if context else None
        trace_id = parent.trace_id if parent is not None else self._ids.generate_trace_id()
        sampled = self._sampler.should_sample(
            context, trace_id, d.name, SpanKind.INTERNAL, d.attributes
        )
        if not sampled.decision.is_sampled():
            return None
        attributes = d.attributes
        if sampled.attributes:
            attributes = {**attributes, **sampled.attributes}
        own = SpanContext(
            trace_id,
            self._ids.generate_span_id(),
            is_remote=False,
            trace_flags=TraceFlags(TraceFlags.SAMPLED),
            trace_state=sampled.trace_state,
        )
        return ReadableSpan(
            d.name,
            context=own,
            parent=parent,
            resource=self._resource,
            attributes=attributes,
            kind=SpanKind.INTERNAL,
            status=Status(StatusCode.ERROR, d.message or None),
            # A point in time: the moment the application logged the failed call.
            start_time=d.time_unix_nano,
            end_time=d.time_unix_nano,
            instrumentation_scope=self._scope,
        )

    def export(self) -> bool:
        """Export what is pending; False when the exporter failed (the spans are dropped)."""
        spans, self._pending = self._pending, []
        exported = export_spans(self._exporter, spans)
        if not exported:
            log.warning("span export failed", extra={"spans": len(spans)})
        return exported

    def flush(self, timeout_seconds: float) -> bool:
        exported = self.export()
        return self._exporter.force_flush(int(timeout_seconds * 1000)) and exported

    def close(self, timeout_seconds: float = 5.0) -> None:
        self.flush(timeout_seconds)
        self._exporter.shutdown()


def export_spans(exporter: SpanExporter, spans: list[ReadableSpan]) -> bool:
    """One export call; False when the exporter failed (the spans are then dropped)."""
    if not spans:
        return True
    try:
        return exporter.export(spans) is SpanExportResult.SUCCESS
    except Exception as exc:  # an exporter bug must not take the spans process down
        log.warning("span exporter raised", extra={"spans": len(spans), "error": repr(exc)})
        return False


def describe_all(handed: list[Handed], group_id: str, redactor: Redactor) -> list[SpanDescription]:
    described = (describe_handed(item, group_id, redactor) for item in handed)
    return [description for description in described if description is not None]


class LocalSpans:
    """The span sink, spans made and exported in this process (an exporter given by tests or
    an embedder)."""

    at_dispatch = False

    def __init__(self, writer: SpanWriter, group_id: str, redactor: Redactor) -> None:
        self._writer = writer
        self._group_id = group_id
        self._redactor = redactor

    def write(self, work: Work) -> None:
        if work.findings:
            handed = [hand_over(found) for found in work.findings]
            self._writer.send(describe_all(handed, self._group_id, self._redactor))

    def flush(self, timeout_seconds: float) -> bool:
        return self._writer.flush(timeout_seconds)

    def close(self, timeout_seconds: float) -> None:
        self._writer.close(timeout_seconds)
