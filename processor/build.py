"""The real processor, made from the settings: the Kafka client's source and outbox, the sinks,
the catalog and the health server. app.Processor itself is given them (protocols.py).

The one place that knows which Kafka client runs (`kafka.client`: kafka_python/ or librdkafka/,
one module per role in each) and which sinks a configuration turns on.

Start-up order: the health server first (so /healthz answers and /readyz says "not ready"
while the cluster is tried), then the producer and the consumer, which both give up with one
clear error once `kafka.connect_timeout_seconds` have passed in all.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

from opentelemetry.sdk.metrics.export import MetricReader
from opentelemetry.sdk.trace.export import SpanExporter
from vendor_errors.processor import kafka_logs
from vendor_errors.processor.app import STALL_SECONDS, Processor
from vendor_errors.processor.health import HealthServer, Heartbeat
from vendor_errors.processor.outbox_process import OutboxProcess
from vendor_errors.processor.privacy import Redactor
from vendor_errors.processor.privacy.stage import RedactedTransform
from vendor_errors.processor.protocols import Outbox, Sink, Source
from vendor_errors.processor.reload import CatalogWatcher
from vendor_errors.processor.services import ServiceMap, ServiceTransform
from vendor_errors.processor.settings import Settings
from vendor_errors.processor.sinks.dead_letter import DeadLetterSink
from vendor_errors.processor.sinks.enriched_topic import EnrichedTopicSink
from vendor_errors.processor.sinks.metrics import Metrics
from vendor_errors.processor.sinks.span_shipper import SpanShipper
from vendor_errors.processor.sinks.spans import LocalSpans, SpanWriter
from vendor_errors.processor.telemetry import metric_exporters, service_resource, tracing
from vendor_errors.processor.transform import ExtractorFactory, Transform, default_extractor

log = logging.getLogger(__name__)

LAG_TIMEOUT_MS = 2_000
# The producer child's start-up beyond the connection itself (a new interpreter, imports).
START_MARGIN_SECONDS = 15.0


def build_processor(
    settings: Settings,
    *,
    extractor_factory: ExtractorFactory = default_extractor,
    span_exporter: SpanExporter | None = None,
    metric_readers: Iterable[MetricReader] = (),
    redactor: Redactor | None = None,
) -> Processor:
    """`redactor`: the privacy policy (run.py's, which its logs use too); else built from the
    settings. Raises CatalogError, GrokError (the settings' overlay or patterns), TelemetryError (an
    OTEL_* variable), OSError (the metrics port: PortInUse) and ClientError (Kafka refused to
    start); what was started by then is stopped."""
    kafka_logs.install(settings.log.level, settings.log.kafka_debug)
    catalogs = CatalogWatcher(settings.catalog.overlay, settings.catalog.reload_interval_seconds)
    extractor = extractor_factory(catalogs.current, settings)
    services = ServiceMap(settings.service.by_topic, settings.service.from_header)
    transform = ServiceTransform(extractor, services) if services.active else Transform(extractor)
    if redactor is None:
        redactor = Redactor.from_settings(settings.privacy)
    transform = RedactedTransform(transform, redactor)  # before any sink sees a finding
    output = settings.output
    started: list[Sink | Outbox[Any] | HealthServer] = []  # stopped again if a later step fails
    try:
        metrics = Metrics(
            catalogs.current,
            max_unknown_codes_per_vendor=settings.metrics.max_unknown_codes_per_vendor,
            max_services=settings.metrics.max_services,
            push=metric_exporters(settings.metrics.otlp),
            resource=service_resource(),
            extra_readers=metric_readers,
            undecodable_outcome="dead_lettered" if output.dead_letter_topic else "undecodable",
            redactor=redactor,
        )
        started.append(metrics)
        sinks: list[Sink] = []
        if output.enriched_topic:
            sinks.append(EnrichedTopicSink(output.enriched_topic))
        if output.dead_letter_topic:
            sinks.append(DeadLetterSink(output.dead_letter_topic, redactor))
        spans = _spans(settings, redactor, span_exporter)
        if spans is not None:
            started.append(spans)
            sinks.append(spans)
            if isinstance(spans, SpanShipper):
                metrics.spans = spans.counts
        sinks.append(metrics)  # last: /metrics shows everything up to the end of a shutdown

        heartbeat = Heartbeat(STALL_SECONDS)
        source: Source | None = None
        health = HealthServer(
            settings.metrics.host,
            settings.metrics.port,
            metrics.registry,
            heartbeat,
            ready=lambda: source is not None and bool(source.assigned),
        )
        started.append(health)
        health.start()
        connect_by = time.monotonic() + settings.kafka.connect_timeout_seconds
        outbox = None
        with kafka_logs.connecting():
            if output.enriched_topic or output.dead_letter_topic:
                outbox = _outbox(settings, settings.kafka.connect_timeout_seconds)
                started.append(outbox)
            source = _source(settings, max(1.0, connect_by - time.monotonic()))
    except BaseException:
        for part in reversed(started):
            _stop(part)
        raise
    return Processor(
        source,
        transform,
        outbox=outbox,
        sinks=sinks,
        chores=Chores(settings, catalogs, transform, metrics, source),
        heartbeat=heartbeat,
        health=health,
        shutdown_timeout_seconds=settings.shutdown.timeout_seconds,
        max_in_flight_bytes=settings.kafka.max_in_flight_bytes,
        about={
            "topics": settings.kafka.topics,
            "group_id": settings.kafka.group_id,
            "kafka_client": settings.kafka.client,
            "catalog_entries": len(catalogs.current),
        },
    )


def _source(settings: Settings, timeout_seconds: float) -> Source:
    kafka = settings.kafka
    if kafka.client == "librdkafka":
        from vendor_errors.processor.librdkafka.source import LibrdkafkaSource

        return LibrdkafkaSource.connect(kafka, timeout_seconds, settings.log.kafka_debug)
    from vendor_errors.processor.kafka_python.source import KafkaPythonSource

    return KafkaPythonSource.connect(kafka, timeout_seconds)


def _outbox(settings: Settings, timeout_seconds: float) -> Outbox[Any]:
    kafka = settings.kafka
    max_record_bytes, debug = settings.parsing.max_record_bytes, settings.log.kafka_debug
    if kafka.client == "librdkafka":
        from vendor_errors.processor.librdkafka import outbox as librdkafka_outbox

        # In this process: librdkafka's sends cost the loop a few microseconds and its network
        # work runs on its own threads, off the GIL (docs/operations.md, Sizing).
        return librdkafka_outbox.connect(kafka, max_record_bytes, timeout_seconds, debug)

    from vendor_errors.processor.kafka_python import outbox
    from vendor_errors.processor.kafka_python.options import connection_options

    options = {**connection_options(kafka), "client_id": f"{kafka.client_id}-producer"}
    # In a child process: kafka-python's pure-Python sends and acknowledgements would otherwise
    # share the GIL with the poll loop.
    return OutboxProcess(
        outbox.connect,
        (options, max_record_bytes, timeout_seconds, debug),
        settings.log.level,
        start_seconds=timeout_seconds + START_MARGIN_SECONDS,
    )


def _spans(
    settings: Settings, redactor: Redactor, exporter: SpanExporter | None
) -> LocalSpans | SpanShipper | None:
    """An exporter given here (tests, embedding) is used in this process; otherwise spans are
    made and exported by a child process (sinks/span_shipper.py), when the OTEL_* variables
    name a collector or an exporter (telemetry.py)."""
    group_id = settings.kafka.group_id
    if exporter is not None and settings.tracing.enabled:
        return LocalSpans(SpanWriter(service_resource(), exporter), group_id, redactor)
    chosen = tracing(settings.tracing.enabled)
    if not chosen.exporters:
        log.info("spans are off", extra={"reason": chosen.off_because})
        return None
    log.info("spans on", extra={"exporters": list(chosen.exporters)})
    return SpanShipper(settings.log.level, group_id, redactor, chosen.exporters)


def _stop(part: Sink | Outbox[Any] | HealthServer) -> None:
    try:
        if isinstance(part, HealthServer):
            part.stop()
        else:
            part.close(1.0)
    except Exception:  # already failing: the first error is the one to report
        pass


class Chores:
    """Between batches: catalog overlay reloads, and the consumer-lag gauge."""

    def __init__(
        self,
        settings: Settings,
        catalogs: CatalogWatcher,
        transform: Transform,
        metrics: Metrics,
        source: Source,
    ) -> None:
        self._catalogs = catalogs
        self._transform = transform
        self._metrics = metrics
        self._source = source
        self._lag_interval = settings.metrics.lag_interval_seconds
        self._next_lag = 0.0

    def __call__(self) -> None:
        loaded = self._catalogs.poll()
        if loaded is not None:
            self._transform.use_catalog(loaded)
            self._metrics.catalog = loaded
        now = time.monotonic()
        if now >= self._next_lag and self._source.assigned:
            self._next_lag = now + self._lag_interval
            lag = self._source.lag(LAG_TIMEOUT_MS)
            if lag is not None:
                self._metrics.lag = lag
