"""Metric names and labels exactly as the contract says, as Prometheus scrapes them."""

from __future__ import annotations

from collections import Counter

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from vendor_errors import catalog
from vendor_errors.processor.sinks.metrics import OTHER, LabelGuard, Metrics

ERROR_LABELS = {
    "vendor",
    "code",
    "channel",
    "category",
    "severity",
    "transient",
    "known",
    "service",
}


@pytest.fixture(scope="module")
def loaded() -> catalog.Catalog:
    return catalog.load()


def scrape(metrics: Metrics) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Sample name -> [(labels, value)], parsed by prometheus_client's own parser."""
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(generate_latest(metrics.registry).decode()):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return samples


def event(
    code: str,
    known: bool,
    vendor: str = "8x8",
    channel: str | None = None,
    service: str | None = None,
) -> dict:
    return {
        "vendor": vendor,
        "code": code,
        "channel": channel,
        "category": "recipient",
        "severity": "error",
        "transient": False,
        "known": known,
        "service": service,
        "namespace": None,
    }


def test_names_and_labels_are_the_contracts(loaded: catalog.Catalog) -> None:
    metrics = Metrics(loaded, max_unknown_codes_per_vendor=5)
    try:
        metrics.add_errors(Counter({metrics.error_key(event("1300", True)): 3}))
        metrics.add_records("app-logs", Counter({"error_found": 3, "no_error": 7}))
        metrics.record_duration("app-logs", 0.02)
        metrics.lag = {("app-logs", 0): 12}
        samples = scrape(metrics)
    finally:
        metrics.close()
    (labels, value), *_ = samples["vendor_errors_total"]
    assert set(labels) == ERROR_LABELS
    assert labels == {
        "vendor": "8x8",
        "code": "1300",
        "channel": "",
        "category": "recipient",
        "severity": "error",
        "transient": "false",
        "known": "true",
        "service": "",  # the record named no service
    }
    assert value == 3
    records = {s[0]["outcome"]: s[1] for s in samples["vendor_errors_records_total"]}
    assert records == {"error_found": 3, "no_error": 7}
    assert all(set(s[0]) == {"topic", "outcome"} for s in samples["vendor_errors_records_total"])
    assert samples["vendor_errors_consumer_lag"] == [({"topic": "app-logs", "partition": "0"}, 12)]
    count = samples["vendor_errors_process_duration_seconds_count"]
    assert count == [({"topic": "app-logs"}, 1)]
    assert "vendor_errors_process_duration_seconds_bucket" in samples
    assert "process_resident_memory_bytes" in samples
    label_names = {name for rows in samples.values() for labels, _ in rows for name in labels}
    assert not any(name.startswith("otel_") for name in label_names)


def test_catalog_info_has_one_series_per_entry(loaded: catalog.Catalog) -> None:
    metrics = Metrics(loaded, max_unknown_codes_per_vendor=5)
    try:
        info = scrape(metrics)["vendor_errors_catalog_info"]
    finally:
        metrics.close()
    assert len(info) == len(loaded)
    labels, value = info[0]
    assert value == 1
    assert set(labels) == {
        "vendor",
        "code",
        "channel",
        "category",
        "severity",
        "transient",
        "message",
        "remediation",
    }
    entry = next(iter(loaded))
    assert any(
        s[0]["vendor"] == entry.vendor and s[0]["code"] == entry.code and s[0]["message"]
        for s in info
    )


def test_lag_series_leave_with_their_partitions(loaded: catalog.Catalog) -> None:
    metrics = Metrics(loaded, max_unknown_codes_per_vendor=5)
    try:
        metrics.lag = {("t", 0): 1, ("t", 1): 2}
        assert len(scrape(metrics)["vendor_errors_consumer_lag"]) == 2
        metrics.lag = {("t", 1): 0}
        assert scrape(metrics)["vendor_errors_consumer_lag"] == [
            ({"topic": "t", "partition": "1"}, 0)
        ]
    finally:
        metrics.close()


def test_unknown_codes_fold_into_other_per_vendor() -> None:
    guard = LabelGuard(max_unknown_codes_per_vendor=2)
    assert guard.code("8x8", "A", known=False) == "A"
    assert guard.code("8x8", "B", known=False) == "B"
    assert guard.code("8x8", "C", known=False) == OTHER
    assert guard.code("8x8", "A", known=False) == "A"  # admitted codes stay admitted
    assert guard.code("webex", "C", known=False) == "C"  # the bound is per vendor
    assert guard.code("8x8", "1300", known=True) == "1300"  # catalog codes always pass
    assert guard.channel(None) == ""
    assert guard.channel("whatsapp") == "whatsapp"
    assert guard.channel("carrier-pigeon") == OTHER
    assert guard.vendor("acme") == OTHER


def test_a_flood_of_unknown_codes_keeps_series_bounded(loaded: catalog.Catalog) -> None:
    metrics = Metrics(loaded, max_unknown_codes_per_vendor=10)
    try:
        tally: Counter = Counter()
        for number in range(5000):
            tally[metrics.error_key(event(f"ZZ{number}", False, vendor="webex"))] += 1
        metrics.add_errors(tally)
        series = scrape(metrics)["vendor_errors_total"]
    finally:
        metrics.close()
    assert len(series) == 11
    other = [value for labels, value in series if labels["code"] == OTHER]
    assert other == [5000 - 10]
    assert sum(value for _, value in series) == 5000


def test_delivered_work_is_counted_as_the_sink_is_written(loaded: catalog.Catalog) -> None:
    from vendor_errors.parsers import Finding
    from vendor_errors.processor.protocols import Found, Work

    metrics = Metrics(loaded, max_unknown_codes_per_vendor=5, undecodable_outcome="dead_lettered")
    found = [
        Found(Finding(event(code, True)), "app-logs", 0, n, None, None)  # type: ignore[arg-type]
        for n, code in enumerate(["1300", "1300", "7302"])
    ]
    outcomes = {"app-logs": Counter({"error_found": 3, "no_error": 5, "undecodable": 2})}
    work = Work(outcomes=outcomes, findings=found, durations=[("app-logs", 0.5)])
    try:
        metrics.write(work)
        samples = scrape(metrics)
    finally:
        metrics.close()
    records = {s[0]["outcome"]: s[1] for s in samples["vendor_errors_records_total"]}
    # Undecodable records went to the dead-letter topic: counted as such, and only as such.
    assert records == {"error_found": 3, "no_error": 5, "dead_lettered": 2}
    assert outcomes["app-logs"]["undecodable"] == 2  # the work itself is left as it was
    errors = {s[0]["code"]: s[1] for s in samples["vendor_errors_total"]}
    assert errors == {"1300": 2, "7302": 1}
    count = samples["vendor_errors_process_duration_seconds_count"]
    assert count == [({"topic": "app-logs"}, 1)]


def test_services_fold_into_other_past_the_bound() -> None:
    guard = LabelGuard(max_unknown_codes_per_vendor=2, max_services=2)
    assert guard.service(None) == "" and guard.service("") == ""
    assert guard.service("checkout") == "checkout"
    assert guard.service("billing") == "billing"
    assert guard.service("search") == OTHER
    assert guard.service("checkout") == "checkout"  # admitted services stay admitted


def test_a_thousand_services_keep_the_series_bounded(loaded: catalog.Catalog) -> None:
    metrics = Metrics(loaded, max_unknown_codes_per_vendor=5)  # max_services: default 200
    try:
        tally: Counter = Counter()
        for number in range(1000):
            for code in ("1300", "1301"):
                tally[metrics.error_key(event(code, True, service=f"svc-{number}"))] += 1
        tally[metrics.error_key(event("1300", True))] += 1  # one record naming no service
        metrics.add_errors(tally)
        series = scrape(metrics)["vendor_errors_total"]
    finally:
        metrics.close()
    services = {labels["service"] for labels, _ in series}
    assert len(services) == 200 + 2  # the first 200, _OTHER and ""
    assert {f"svc-{n}" for n in range(200)} <= services and {OTHER, ""} <= services
    assert len(series) == 2 * 201 + 1  # vendors x codes x services, bounded
    other = sum(value for labels, value in series if labels["service"] == OTHER)
    assert other == 2 * 800
    assert sum(value for _, value in series) == 2001


def test_span_counts_and_child_memory_are_exported(loaded: catalog.Catalog) -> None:
    from vendor_errors.processor.child import Child

    from tests.processor.test_child import stuck

    metrics = Metrics(loaded, max_unknown_codes_per_vendor=5)
    helper = Child("stuck", stuck, (), capacity=1, log_level="WARNING")
    try:
        assert helper.answer(30) == "started"
        metrics.spans.shed, metrics.spans.exported, metrics.spans.failed = 7, 5, 3
        samples = scrape(metrics)
    finally:
        helper.stop(1.0)
        metrics.close()
    assert samples["vendor_errors_spans_shed_total"] == [({}, 7)]
    assert samples["vendor_errors_spans_exported_total"] == [({}, 5)]
    assert samples["vendor_errors_spans_export_failed_total"] == [({}, 3)]
    (labels, rss), *_ = samples["vendor_errors_child_resident_memory_bytes"]
    assert labels == {"child": "stuck"} and rss > 5 * 1024 * 1024  # a Python interpreter


def test_otel_sdk_disabled_keeps_the_prometheus_endpoint(
    loaded: catalog.Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    # OTEL_SDK_DISABLED turns off what goes out over OTLP; /metrics is the processor's own.
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    metrics = Metrics(loaded, max_unknown_codes_per_vendor=5, otlp=True)
    try:
        metrics.add_errors(Counter({metrics.error_key(event("1300", True)): 1}))
        samples = scrape(metrics)
    finally:
        metrics.close()
    assert [value for _, value in samples["vendor_errors_total"]] == [1]


def test_a_flush_does_not_repeat_series_in_the_next_scrape(loaded: catalog.Catalog) -> None:
    metrics = Metrics(loaded, max_unknown_codes_per_vendor=5)
    try:
        metrics.add_errors(Counter({metrics.error_key(event("1300", True)): 2}))
        assert metrics.flush(5)  # pushes (none here); /metrics is collected at the scrape
        assert [value for _, value in scrape(metrics)["vendor_errors_total"]] == [2]
    finally:
        metrics.close()
