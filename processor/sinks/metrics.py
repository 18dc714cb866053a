"""Metrics through the OpenTelemetry SDK, scraped as Prometheus text (and optionally pushed:
OTEL_METRICS_EXPORTER, metrics.otlp).

Names and labels are the project's (docs/operations.md, Metrics). The SDK's Prometheus exporter
appends `_total` to counters and `_seconds` to histograms with unit "s", so the instruments are
named without those suffixes. Label values are bounded here: the SDK's own cardinality limit
would fold overflow into an `otel_metric_overflow` series that no dashboard understands. Label
values from records and settings (`code` when not in the catalog, `service`, `topic`) go through
the privacy policy before they are bounded: a recipient a parser took for a code is one `[phone]`
series, not one per recipient.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping

from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import Counter as CounterInstrument
from opentelemetry.sdk.metrics import MeterProvider, ObservableGauge
from opentelemetry.sdk.metrics.export import MetricReader
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from prometheus_client import CollectorRegistry, ProcessCollector
from vendor_errors.catalog.loader import Catalog
from vendor_errors.catalog.model import CHANNELS, VENDORS
from vendor_errors.parsers import Event
from vendor_errors.processor import __version__, child
from vendor_errors.processor.privacy import Redactor
from vendor_errors.processor.protocols import Work
from vendor_errors.processor.telemetry import (
    SpanCounts,
    metric_readers,
    sdk_disabled,
    service_resource,
)

__all__ = ["OTHER", "LabelGuard", "Metrics", "service_resource"]

OTHER = "_OTHER"
OUTCOMES = ("error_found", "no_error", "undecodable", "dead_lettered")
# Seconds to process one polled batch of one topic (parse, produce, wait for acks).
DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# The SDK's per-instrument safety net, far above what the label guard lets through.
_SDK_LIMIT = 100_000

ErrorKey = tuple[str, str, str, str, str, str, str, str]
_ERROR_LABELS = (
    "vendor",
    "code",
    "channel",
    "category",
    "severity",
    "transient",
    "known",
    "service",
)
DEFAULT_MAX_SERVICES = 200


class LabelGuard:
    """Keeps `code`, `channel` and `service` label values bounded, and free of personal data,
    whatever the logs contain."""

    def __init__(
        self,
        max_unknown_codes_per_vendor: int,
        max_services: int = DEFAULT_MAX_SERVICES,
        redactor: Redactor | None = None,
    ) -> None:
        self.max_unknown = max_unknown_codes_per_vendor
        self.max_services = max_services
        self.redactor = redactor if redactor is not None else Redactor()
        self._admitted: dict[str, set[str]] = {}
        self._services: set[str] = set()

    def code(self, vendor: str, code: str, known: bool) -> str:
        if known:
            return code
        code = self.redactor.code(code, False)  # before admission: one slot for all [phone]s
        admitted = self._admitted.setdefault(vendor, set())
        if code in admitted:
            return code
        if len(admitted) < self.max_unknown:
            admitted.add(code)
            return code
        return OTHER

    @staticmethod
    def channel(channel: str | None) -> str:
        if channel is None:
            return ""
        return channel if channel in CHANNELS else OTHER

    @staticmethod
    def vendor(vendor: str) -> str:
        return vendor if vendor in VENDORS else OTHER

    def service(self, service: str | None) -> str:
        """The first `max_services` services seen keep their name, later ones are `_OTHER`;
        `""` when the record names none."""
        if not service:
            return ""
        service = self.redactor.label(service)
        services = self._services
        if service in services:
            return service
        if len(services) < self.max_services:
            services.add(service)
            return service
        return OTHER

    def topic(self, topic: str) -> str:
        """A `topic` label value (the settings bound how many there are)."""
        return self.redactor.label(topic)

    def error_labels(self, event: Event) -> ErrorKey:
        """The label values of vendor_errors_total for one event (`_ERROR_LABELS` order)."""
        vendor = self.vendor(event["vendor"])
        known = event["known"]
        return (
            vendor,
            self.code(vendor, event["code"], known),
            self.channel(event["channel"]),
            event["category"],
            event["severity"],
            _flag(event["transient"]),
            _flag(known),
            self.service(service_of(event)),
        )


def service_of(event: Event) -> str | None:
    """The event's service (a field the contract added; older producers of events lack it)."""
    service = event.get("service")
    return service if isinstance(service, str) else None


def _flag(value: object) -> str:
    return "true" if value else "false"


_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _resident_bytes(pid: int) -> int | None:
    """A process's resident set, as process_resident_memory_bytes reads it (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_BYTES
    except (OSError, ValueError, IndexError):
        return None


class Metrics:
    """The processor's instruments; `registry` is what /metrics serves.

    A sink written once batches are delivered (their outputs acknowledged), before their
    offsets may be committed: what is committed has been counted, and a batch read again after
    a failed delivery is counted once. Undecodable records are counted as `undecodable_outcome`
    ("dead_lettered" when the dead-letter topic takes them).
    """

    at_dispatch = False

    def __init__(
        self,
        catalog: Catalog,
        *,
        max_unknown_codes_per_vendor: int,
        max_services: int = DEFAULT_MAX_SERVICES,
        otlp: bool = False,
        push: Iterable[str] = (),
        resource: Resource | None = None,
        extra_readers: Iterable[MetricReader] = (),
        undecodable_outcome: str = "undecodable",
        redactor: Redactor | None = None,
    ) -> None:
        """`push`: metrics exporters (entry-point names, telemetry.metric_exporters) beside
        /metrics; `otlp` is the older switch for OTLP over HTTP; `redactor`: the privacy policy
        of label values (default: the default policy)."""
        self.catalog = catalog
        self.undecodable_outcome = undecodable_outcome
        self.guard = LabelGuard(max_unknown_codes_per_vendor, max_services, redactor)
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)  # process_resident_memory_bytes and friends
        readers: list[MetricReader] = [
            PrometheusMetricReader(
                registry=self.registry,
                scope_info_enabled=False,
                cardinality_limits={CounterInstrument: _SDK_LIMIT, ObservableGauge: _SDK_LIMIT},
            ),
        ]
        push = tuple(push)
        if otlp and not push and not sdk_disabled():
            push = ("otlp_proto_http",)
        # Flushed by `flush`; the Prometheus reader is not: a collection outside a scrape would
        # be served again, as duplicate series, by the next scrape.
        self._pushed = [*extra_readers, *metric_readers(push)]
        readers.extend(self._pushed)
        self.provider = MeterProvider(
            resource=resource or service_resource(),
            metric_readers=readers,
            views=[
                View(
                    instrument_name="vendor_errors_process_duration",
                    aggregation=ExplicitBucketHistogramAggregation(DURATION_BUCKETS),
                )
            ],
        )
        # OTEL_SDK_DISABLED turns off what goes out over OTLP; /metrics is the processor's own
        # interface (dashboards, alerts), and a disabled provider would serve it empty.
        self.provider._disabled = False
        meter = self.provider.get_meter("vendor-errors", __version__)
        self._errors = meter.create_counter(
            "vendor_errors", description="Vendor errors found in the consumed log records."
        )
        self._records = meter.create_counter(
            "vendor_errors_records", description="Log records consumed, by outcome."
        )
        self._duration = meter.create_histogram(
            "vendor_errors_process_duration",
            unit="s",
            description="Time to process one polled batch of a topic, from poll to acknowledged "
            "outputs.",
        )
        # (topic, partition) -> records behind the end of the partition; replaced, not mutated.
        self.lag: Mapping[tuple[str, int], int] = {}
        meter.create_observable_gauge(
            "vendor_errors_consumer_lag",
            callbacks=[self._observe_lag],
            description="Records between the consumer's position and the partition's end.",
        )
        meter.create_observable_gauge(
            "vendor_errors_catalog_info",
            callbacks=[self._observe_catalog],
            description="One series per catalog entry (value 1): what a code means.",
        )
        # The span sink's counts (span_shipper.py); zeros while spans are off.
        self.spans = SpanCounts()
        for name, field, description in (
            (
                "vendor_errors_spans_shed",
                "shed",
                "Spans dropped because the hand-off to the "
                "exporter was full (a slow or hung collector); records are never dropped.",
            ),
            ("vendor_errors_spans_exported", "exported", "Spans the collector accepted."),
            (
                "vendor_errors_spans_export_failed",
                "failed",
                "Spans the collector refused, did "
                "not answer for in time, or that were given up at shutdown.",
            ),
        ):
            meter.create_observable_counter(
                name, callbacks=[self._observe_span_count(field)], description=description
            )
        meter.create_observable_gauge(
            "vendor_errors_child_resident_memory_bytes",
            callbacks=[self._observe_children],
            unit="By",
            description="Resident memory of the processor's child processes (the producer, the "
            "span exporter); add process_resident_memory_bytes for the whole processor.",
        )

    # -- recording (the poll loop's thread) ------------------------------------------------------

    def write(self, work: Work) -> None:
        undecodable = self.undecodable_outcome
        for topic, outcomes in work.outcomes.items():
            if undecodable != "undecodable" and "undecodable" in outcomes:
                outcomes = Counter(outcomes)
                outcomes[undecodable] += outcomes.pop("undecodable")
            self.add_records(topic, outcomes)
        if work.findings:
            key = self.error_key
            self.add_errors(Counter(key(found.finding.event) for found in work.findings))
        for topic, seconds in work.durations:
            self.record_duration(topic, seconds)

    def error_key(self, event: Event) -> ErrorKey:
        return self.guard.error_labels(event)

    def add_errors(self, tally: Counter[ErrorKey]) -> None:
        add = self._errors.add
        for key, count in tally.items():
            add(count, dict(zip(_ERROR_LABELS, key, strict=True)))

    def add_records(self, topic: str, outcomes: Counter[str]) -> None:
        topic = self.guard.topic(topic)
        for outcome, count in outcomes.items():
            self._records.add(count, {"topic": topic, "outcome": outcome})

    def record_duration(self, topic: str, seconds: float) -> None:
        self._duration.record(seconds, {"topic": self.guard.topic(topic)})

    # -- observed at collection time (the scraping thread) ---------------------------------------

    def _observe_lag(self, options: CallbackOptions) -> Iterable[Observation]:
        topic_label = self.guard.topic
        return [
            Observation(lag, {"topic": topic_label(topic), "partition": str(partition)})
            for (topic, partition), lag in self.lag.items()
        ]

    def _observe_span_count(self, field: str) -> Callable[[CallbackOptions], Iterable[Observation]]:
        def observe(options: CallbackOptions) -> Iterable[Observation]:
            return [Observation(getattr(self.spans, field))]

        return observe

    def _observe_children(self, options: CallbackOptions) -> Iterable[Observation]:
        return [
            Observation(rss, {"child": name})
            for name, pid in child.living()
            if (rss := _resident_bytes(pid)) is not None
        ]

    def _observe_catalog(self, options: CallbackOptions) -> Iterable[Observation]:
        return [
            Observation(
                1,
                {
                    "vendor": entry.vendor,
                    "code": entry.code,
                    "channel": entry.channel or "",
                    "category": entry.category,
                    "severity": entry.severity,
                    "transient": _flag(entry.transient),
                    "message": entry.message,
                    # The dashboards' top-codes table and the alert descriptions say what to do.
                    "remediation": entry.remediation,
                },
            )
            for entry in self.catalog
        ]

    def flush(self, timeout_seconds: float) -> bool:
        """Push what is counted (OTLP and other push readers); /metrics is always current."""
        deadline = time.monotonic() + timeout_seconds
        flushed = True
        for reader in self._pushed:
            remaining_ms = max(0.0, deadline - time.monotonic()) * 1000
            try:
                flushed = reader.force_flush(timeout_millis=remaining_ms) and flushed
            except Exception:  # a collector that is down: the next push tries again
                flushed = False
        return flushed

    def close(self, timeout_seconds: float = 5.0) -> None:
        self.provider.shutdown(timeout_millis=timeout_seconds * 1000)
