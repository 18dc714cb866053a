"""One OpenTelemetry span per vendor error, exported over OTLP (standard OTEL_* variables).

Spans are made and exported in a child process. Creating a span with the SDK and encoding it
for OTLP costs a few hundred microseconds of Python, and in the poll loop's process every one
of them (and every stall of the collector) would slow the consumer down; during a vendor
outage, when errors are most of the records, that is when the processor is needed most. The
poll loop only hands over what it found (`Found`: the finding and where its record was read)
over a bounded queue; the child describes each span (attributes, redaction) and exports it.
When the child cannot keep up, findings are dropped, records never wait.

A span joins the trace of the log record that reported the error when the record carries W3C
ids, so the error shows up inside the request that hit it. The remote parent is marked sampled:
the default ParentBased sampler drops children of unsampled parents, and a record saying "not
sampled" usually only means nobody set the flag.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import time
from collections.abc import Mapping
from typing import Any, NamedTuple

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.environment_variables import (
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
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
from vendor_errors.parsers import Finding
from vendor_errors.processor import __version__
from vendor_errors.processor.child import Child, Inbox, Stopped
from vendor_errors.processor.privacy import Redactor
from vendor_errors.processor.protocols import Found, Work

log = logging.getLogger(__name__)

# Batches of descriptions waiting for the child; beyond this they are dropped.
QUEUE_BATCHES = 256
# Spans per OTLP export request, and how long a span waits for its batch to fill; the
# standard OTEL_BSP_MAX_EXPORT_BATCH_SIZE and OTEL_BSP_SCHEDULE_DELAY (ms) override them.
EXPORT_BATCH = 512
EXPORT_DELAY_SECONDS = 1.0


def _export_settings(environ: Mapping[str, str]) -> tuple[int, float]:
    """Batch size and delay; a malformed value is ignored, as the SDK ignores it."""
    batch, delay = EXPORT_BATCH, EXPORT_DELAY_SECONDS
    with contextlib.suppress(KeyError, ValueError):
        batch = max(1, int(environ[OTEL_BSP_MAX_EXPORT_BATCH_SIZE]))
    with contextlib.suppress(KeyError, ValueError):
        delay = max(0.0, float(environ[OTEL_BSP_SCHEDULE_DELAY]) / 1000)
    return batch, delay


# The exporting child's nice(2) increment: it yields the CPU to the poll loop.
EXPORTER_NICENESS = 10


class SpanDescription(NamedTuple):
    """Everything a span needs, cheap to build and to pickle."""

    name: str
    attributes: dict[str, Any]
    time_unix_nano: int
    trace_id: str | None
    span_id: str | None
    trace_flags: int | None
    message: str | None


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
    event = finding.event
    if event["category"] == "status":
        return None
    vendor, code = event["vendor"], event["code"]
    attributes: dict[str, Any] = {
        "vendor_error.vendor": vendor,
        "vendor_error.code": code,
        "vendor_error.channel": event["channel"] or "",
        "vendor_error.category": event["category"],
        "vendor_error.severity": event["severity"],
        "vendor_error.transient": event["transient"],
        "vendor_error.known": event["known"],
        "error.type": code,
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
    if finding.url:  # credentials and signatures were removed by the parser (parsers/urls.py)
        attributes["url.full"] = redactor.text(finding.url)
    if finding.http_method:
        attributes["http.request.method"] = finding.http_method
    if event["correlation_id"]:
        attributes["vendor_error.correlation_id"] = event["correlation_id"]
    if key:
        attributes["messaging.kafka.message.key"] = key.decode("utf-8", "replace")
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
    handed to the exporter `batch_size` at a time, or on flush.
    """

    def __init__(
        self,
        resource: Resource,
        exporter: SpanExporter | None = None,
        batch_size: int = EXPORT_BATCH,
    ) -> None:
        if exporter is None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter()
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

    def send(self, descriptions: list[SpanDescription]) -> None:
        pending = self._pending
        for d in descriptions:
            span = self._span(d)
            if span is not None:
                pending.append(span)
        if len(pending) >= self._batch_size:
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
        if not spans:
            return True
        try:
            result = self._exporter.export(spans)
        except Exception as exc:  # an exporter bug must not take the spans process down
            log.warning("span export failed", extra={"spans": len(spans), "error": repr(exc)})
            return False
        if result is not SpanExportResult.SUCCESS:
            log.warning("span export failed", extra={"spans": len(spans)})
            return False
        return True

    def flush(self, timeout_seconds: float) -> bool:
        exported = self.export()
        return self._exporter.force_flush(int(timeout_seconds * 1000)) and exported

    def close(self, timeout_seconds: float = 5.0) -> None:
        self.flush(timeout_seconds)
        self._exporter.shutdown()


def describe_all(found: list[Found], group_id: str, redactor: Redactor) -> list[SpanDescription]:
    described = (describe(*item, group_id, redactor) for item in found)
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
            self._writer.send(describe_all(work.findings, self._group_id, self._redactor))

    def flush(self, timeout_seconds: float) -> bool:
        return self._writer.flush(timeout_seconds)

    def close(self, timeout_seconds: float) -> None:
        self._writer.close(timeout_seconds)


class _Flush(NamedTuple):
    number: int
    timeout_seconds: float


class SpanShipper:
    """The span sink of `vendor-errors run`: hands findings to the exporting child (child.py),
    never blocks on it; when the child is behind, findings are dropped, records never wait."""

    at_dispatch = False

    def __init__(self, log_level: str, group_id: str, redact: bool) -> None:
        self._child = Child(
            "span-exporter",
            _child_main,
            (group_id, redact),
            capacity=QUEUE_BATCHES,
            log_level=log_level,
            niceness=EXPORTER_NICENESS,
        )
        self.dropped = 0
        self._warned_at = 0.0
        self._flushes = 0

    def write(self, work: Work) -> None:
        found = work.findings
        if found and not self._child.offer(found):
            self.dropped += len(found)
            if time.monotonic() - self._warned_at > 60:
                self._warned_at = time.monotonic()
                log.warning(
                    "span exporter behind; spans dropped", extra={"dropped_total": self.dropped}
                )

    def flush(self, timeout_seconds: float) -> bool:
        """Wait until the child exported what it was given so far (or the time is up)."""
        deadline = time.monotonic() + timeout_seconds
        self._flushes += 1
        if not self._child.offer(_Flush(self._flushes, timeout_seconds)):
            return False
        while True:
            try:
                number, flushed = self._child.answer(deadline - time.monotonic())
            except queue.Empty:
                return False
            if number == self._flushes:  # answers to flushes given up on are skipped
                return bool(flushed)

    def close(self, timeout_seconds: float) -> None:
        """Let the child export what it has and exit, within `timeout_seconds`."""
        self._child.stop(timeout_seconds)


def _child_main(inbox: Inbox, group_id: str, redact: bool) -> None:
    from vendor_errors.processor.sinks.metrics import service_resource

    # Spans are best effort, records are not: when CPU is short (a small node, a broker on the
    # same host) the exporter gives way to the poll loop (nice); behind, it drops (SpanShipper).
    batch_size, delay = _export_settings(os.environ)
    writer = SpanWriter(service_resource(), batch_size=batch_size)
    redactor = Redactor(redact)
    oldest = 0.0  # when the oldest pending span was described
    close_within = 5.0
    try:
        while True:
            wait = delay if not writer.pending else oldest - time.monotonic()
            try:
                item = inbox.get(wait)
            except Stopped as stop:
                close_within = stop.within_seconds
                break
            if item is None:
                if writer.pending:
                    writer.export()
            elif type(item) is _Flush:
                inbox.answer((item.number, writer.flush(item.timeout_seconds)))
            else:
                if not writer.pending:
                    oldest = time.monotonic() + delay
                writer.send(describe_all(item, group_id, redactor))
    finally:
        writer.close(close_within)
