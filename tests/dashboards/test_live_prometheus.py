"""Live: a real Prometheus scrapes `vendor-errors run` consuming the examples/ logs from a real
Kafka broker, evaluates the rules, and every query of every dashboard (variables
substituted as Grafana would) returns data. No mocks: if a panel would show "No data" to a
user of this stack, this test fails and names the panel."""

from __future__ import annotations

import json
import math
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dashboards.dashboard_queries import (
    DASHBOARD_FILES,
    ROOT,
    RULES_FILE,
    load_dashboard,
    panel_queries,
    substitute,
    variables,
)
from tests.support.prometheus import PrometheusServer, free_port

pytestmark = [pytest.mark.kafka, pytest.mark.prometheus]

ROUNDS = 3  # rates need a counter to move after its first scrape: feed the logs three times
DATA_TIMEOUT_S = 90.0
# The examples may all be catalog codes: one undocumented 8x8 code keeps the catalog-coverage
# panels (and the unknown-code alert, shown as an annotation) honest; it names the service that
# logged it, for the services panels. One record that is not UTF-8 is dead-lettered.
UNKNOWN_CODE_LINE = json.dumps(
    {
        "ts": "2024-05-01T10:00:00Z",
        "level": "error",
        "service": "checkout",
        "msg": "8x8 SMS send failed",
        "status": 400,
        "url": "https://sms.8x8.com/api/v1/subaccounts/acme/messages",
        "response": {
            "code": 9999,
            "message": "A failure no document mentions",
            "errorId": "1cc1eda1-f5dd-ea11-8288-0263195dd35a",
        },
    }
).encode()
UNDECODABLE = b"\xff\xfe\x00 not text"


def example_records() -> list[tuple[bytes, bytes]]:
    """(key, value) for every non-empty line of examples/*.log, one record per line."""
    files = sorted((ROOT / "examples").glob("*.log"))
    assert files, "examples/*.log: no example logs to feed"
    records = []
    for path in files:
        for line in path.read_bytes().splitlines():
            if line.strip():
                records.append((path.name.encode(), line))
    return records


def feed(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    from kafka import KafkaProducer  # type: ignore[import-untyped]

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20)
    try:
        for key, value in records:
            producer.send(topic, key=key, value=value)
        producer.flush(timeout=60)
    finally:
        producer.close()


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")
        time.sleep(0.5)


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


@pytest.fixture
def processor_port(
    tmp_path: Path, kafka_bootstrap: str, new_topic: Callable[..., str]
) -> Iterator[tuple[int, str]]:
    """`vendor-errors run` on a fresh topic; yields (metrics port, topic)."""
    topic = new_topic("app-logs", partitions=2)
    dead_letters = new_topic("dlq", partitions=1)
    port = free_port()
    config = {
        "kafka": {
            "bootstrap_servers": kafka_bootstrap.split(","),
            "topics": [topic],
            "group_id": f"dashboards-{topic}",
            "auto_offset_reset": "earliest",
        },
        "output": {"dead_letter_topic": dead_letters},
        "metrics": {"host": "127.0.0.1", "port": port, "lag_interval_seconds": 1},
        "tracing": {"enabled": False},
    }
    path = tmp_path / "vendor-errors.yaml"
    path.write_text(json.dumps(config), encoding="utf-8")
    log = (tmp_path / "processor.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "vendor_errors.processor.cli", "run", "--config", str(path)],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(
            lambda: process.poll() is not None or _http_ok(f"http://127.0.0.1:{port}/metrics"),
            60,
            "the processor's /metrics",
        )
        assert process.poll() is None, (tmp_path / "processor.log").read_text()[-4000:]
        yield port, topic
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


def exports_services(prometheus: PrometheusServer) -> bool:
    return bool(prometheus.query('count(vendor_errors_total{service!=""})'))


def variable_values(prometheus: PrometheusServer) -> dict[str, str]:
    """Each dashboard variable as Grafana would substitute it: "All" (.*) for query variables,
    whose queries must find values, and the default of text boxes. `service` may have no
    values only while the processor labels no error with a service (All still matches)."""
    may_be_empty = set() if exports_services(prometheus) else {"service"}
    values: dict[str, str] = {}
    for name in DASHBOARD_FILES:
        for variable in variables(load_dashboard(name)):
            if variable["type"] == "query":
                match = re.fullmatch(r"label_values\((.+), (\w+)\)", variable["query"])
                assert match, variable["query"]
                selector = substitute(match.group(1), {k: ".*" for k in ("vendor", "topic")})
                found = prometheus.label_values(match.group(2), selector)
                if variable["name"] not in may_be_empty:
                    assert found, f"{name}: variable {variable['name']} has no values"
                values[variable["name"]] = variable["allValue"]
            elif variable["type"] == "textbox":
                values[variable["name"]] = variable["query"]
    return values


def _has_data(result: list[dict[str, Any]]) -> bool:
    """At least one sample that is a number (NaN from 0/0 is not data to a user)."""
    for series in result:
        samples = series.get("values") or [series.get("value")]
        for sample in samples:
            if isinstance(sample, list) and not math.isnan(float(sample[1])):
                return True
    return False


def test_every_dashboard_query_returns_data(
    processor_port: tuple[int, str], kafka_bootstrap: str
) -> None:
    port, topic = processor_port
    records = [*example_records(), (b"extra", UNKNOWN_CODE_LINE)]
    with PrometheusServer([f"127.0.0.1:{port}"], [RULES_FILE], interval="1s") as prometheus:
        wait_until(prometheus.targets_up, 30, "Prometheus to scrape the processor")
        for round_ in range(1, ROUNDS + 1):
            feed(kafka_bootstrap, topic, records if round_ > 1 else [*records, (b"x", UNDECODABLE)])
            expected = round_ * len(records) + 1

            def consumed(expected: int = expected) -> bool:
                result = prometheus.query("sum(vendor_errors_records_total)")
                return bool(result) and float(result[0]["value"][1]) >= expected

            wait_until(consumed, 60, f"round {round_}: {expected} records consumed and scraped")
            time.sleep(2)  # two more scrapes and rule evaluations at 1s

        values = variable_values(prometheus)
        queries = [(q.dashboard, q.panel, q.ref_id, q.instant, q.expr) for q in panel_queries()]
        queries += [
            (name, f"annotation {a['name']}", "-", True, a["expr"])
            for name in DASHBOARD_FILES
            for a in load_dashboard(name).get("annotations", {}).get("list", [])
        ]

        def empty() -> list[str]:
            now = time.time()
            missing = []
            for dashboard, panel, ref, instant, expr in queries:
                promql = substitute(expr, values)
                result = (
                    prometheus.query(promql, at=now)
                    if instant
                    else prometheus.query_range(promql, now - 60, now)
                )
                if not _has_data(result):
                    missing.append(f"{dashboard}: {panel} [{ref}]: {promql}")
            return missing

        deadline = time.monotonic() + DATA_TIMEOUT_S
        while (missing := empty()) and time.monotonic() < deadline:
            time.sleep(1)
        assert not missing, "queries without data:\n" + "\n".join(missing)

        # The top-codes table carries the catalog's message for every catalog code (the
        # channel's entry or the vendor-wide one); the unknown-codes table lists ours.
        (top,) = [q for q in queries if q[1].startswith("Top codes")]
        rows = [r["metric"] for r in prometheus.query(substitute(top[4], values))]
        assert 0 < len(rows) <= 20, rows
        without = [r for r in rows if r["known"] == "true" and not r.get("message")]
        assert not without, without
        (unknown,) = [q for q in queries if q[1] == "Unknown codes in range"]
        rows = [r["metric"] for r in prometheus.query(substitute(unknown[4], values))]
        assert {"vendor": "8x8", "code": "9999"} in [
            {"vendor": r["vendor"], "code": r["code"]} for r in rows
        ]

        # Records that name no service are "(no service)"; ours names checkout once the
        # processor labels errors with their service.
        (services,) = [q for q in queries if q[1] == "Services hit in range"]
        rows = [r["metric"] for r in prometheus.query(substitute(services[4], values))]
        assert all(r.get("service") for r in rows), rows
        if exports_services(prometheus):
            assert {"vendor": "8x8", "service": "checkout"} in [
                {"vendor": r["vendor"], "service": r["service"]} for r in rows
            ]

        broken = [rule for rule in prometheus.rule_health() if rule[1] != "ok"]
        assert not broken, broken
        # Minutes of data: only the alert without `for` can fire, and it must for the
        # undocumented code (the processor is up, so VendorErrorsProcessorAbsent must not).
        firing = [a["metric"] for a in prometheus.query('ALERTS{alertstate="firing"}')]
        assert {a["alertname"] for a in firing} == {"VendorErrorsUnknownCode"}
        assert any(a["vendor"] == "8x8" and a["code"] == "9999" for a in firing), firing
