"""Metrics through the OpenTelemetry SDK, scraped as Prometheus text (and optionally OTLP-pushed).

Names and labels are the contract's (../shared/CONTRACT.md). The SDK's Prometheus exporter
appends `_total` to counters and `_seconds` to histograms with unit "s", so the instruments are
named without those suffixes. Label values are bounded here: the SDK's own cardinality limit
would fold overflow into an `otel_metric_overflow` series that no dashboard understands.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping

from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import Counter as CounterInstrument
from opentelemetry.sdk.metrics import MeterProvider, ObservableGauge
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from prometheus_client import CollectorRegistry, ProcessCollector
from vendor_errors.catalog.loader import Catalog
from vendor_errors.catalog.model import CHANNELS, VENDORS
from vendor_errors.parsers import Event
from vendor_errors.processor import __version__
from vendor_errors.processor.protocols import Work

OTHER = "_OTHER"
OUTCOMES = ("error_found", "no_error", "undecodable", "dead_lettered")
# Seconds to process one polled batch of one topic (parse, produce, wait for acks).
DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# The SDK's per-instrument safety net, far above what the label guard lets through.
_SDK_LIMIT = 100_000

ErrorKey = tuple[str, str, str, str, str, str, str]
_ERROR_LABELS = ("vendor", "code", "channel", "category", "severity", "transient", "known")


def service_resource() -> Resource:
    """The resource for spans and metrics; OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES win."""
    configured = "OTEL_SERVICE_NAME" in os.environ or "service.name=" in os.environ.get(
        "OTEL_RESOURCE_ATTRIBUTES", ""
    )
    attributes: dict[str, str] = {"service.version": __version__}
    if not configured:
        attributes["service.name"] = "vendor-errors"
    return Resource.create(attributes)


class LabelGuard:
    """Keeps `code` and `channel` label values bounded whatever the logs contain."""

    def __init__(self, max_unknown_codes_per_vendor: int) -> None:
        self.max_unknown = max_unknown_codes_per_vendor
        self._admitted: dict[str, set[str]] = {}

    def code(self, vendor: str, code: str, known: bool) -> str:
        if known:
            return code
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


def _flag(value: object) -> str:
    return "true" if value else "false"


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
        otlp: bool = False,
        resource: Resource | None = None,
        extra_readers: Iterable[MetricReader] = (),
        undecodable_outcome: str = "undecodable",
    ) -> None:
        self.catalog = catalog
        self.undecodable_outcome = undecodable_outcome
        self.guard = LabelGuard(max_unknown_codes_per_vendor)
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)  # process_resident_memory_bytes and friends
        readers: list[MetricReader] = [
            PrometheusMetricReader(
                registry=self.registry,
                scope_info_enabled=False,
                cardinality_limits={CounterInstrument: _SDK_LIMIT, ObservableGauge: _SDK_LIMIT},
            ),
            *extra_readers,
        ]
        if otlp:
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

            readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
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
        vendor = self.guard.vendor(event["vendor"])
        known = event["known"]
        return (
            vendor,
            self.guard.code(vendor, event["code"], known),
            self.guard.channel(event["channel"]),
            event["category"],
            event["severity"],
            _flag(event["transient"]),
            _flag(known),
        )

    def add_errors(self, tally: Counter[ErrorKey]) -> None:
        add = self._errors.add
        for key, count in tally.items():
            add(count, dict(zip(_ERROR_LABELS, key, strict=True)))

    def add_records(self, topic: str, outcomes: Counter[str]) -> None:
        for outcome, count in outcomes.items():
            self._records.add(count, {"topic": topic, "outcome": outcome})

    def record_duration(self, topic: str, seconds: float) -> None:
        self._duration.record(seconds, {"topic": topic})

    # -- observed at collection time (the scraping thread) ---------------------------------------

    def _observe_lag(self, options: CallbackOptions) -> Iterable[Observation]:
        return [
            Observation(lag, {"topic": topic, "partition": str(partition)})
            for (topic, partition), lag in self.lag.items()
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
        return self.provider.force_flush(timeout_millis=timeout_seconds * 1000)

    def close(self, timeout_seconds: float = 5.0) -> None:
        self.provider.shutdown(timeout_millis=timeout_seconds * 1000)
