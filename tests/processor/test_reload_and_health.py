"""Catalog overlay re-loading, the health/metrics HTTP server, the dead-letter record layout."""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Counter
from vendor_errors.catalog.schema import CatalogError
from vendor_errors.processor.health import HealthServer, Heartbeat
from vendor_errors.processor.protocols import Record, Undecodable, Work
from vendor_errors.processor.reload import CatalogWatcher
from vendor_errors.processor.sinks import dead_letter
from vendor_errors.processor.sinks.dead_letter import DeadLetterSink

OVERLAY = """\
entries:
  - vendor: 8x8
    code: "{code}"
    message: Made up for the test
    category: quota
    severity: warning
    transient: true
    remediation: Wait.
"""


def write_overlay(path: Path, text: str) -> None:
    path.write_text(text)
    stamp = time.time() + 1  # a distinct mtime even on coarse filesystems
    os.utime(path, (stamp, stamp))


def test_overlay_change_is_picked_up(tmp_path: Path) -> None:
    overlay = tmp_path / "overlay.yaml"
    write_overlay(overlay, OVERLAY.format(code="ZZ1"))
    watcher = CatalogWatcher(overlay, interval_seconds=0.01)
    assert watcher.current.lookup("8x8", "ZZ1").known
    assert not watcher.current.lookup("8x8", "ZZ2").known
    time.sleep(0.02)
    assert watcher.poll() is None  # unchanged file: no reload

    write_overlay(overlay, OVERLAY.format(code="ZZ2"))
    time.sleep(0.02)
    loaded = watcher.poll()
    assert loaded is not None and loaded is watcher.current
    assert loaded.lookup("8x8", "ZZ2").known
    assert loaded.lookup("8x8", "ZZ2").category == "quota"


def test_a_broken_overlay_keeps_the_loaded_catalog(tmp_path: Path) -> None:
    overlay = tmp_path / "overlay.yaml"
    write_overlay(overlay, OVERLAY.format(code="ZZ1"))
    watcher = CatalogWatcher(overlay, interval_seconds=0.01)
    before = watcher.current
    write_overlay(overlay, "entries:\n  - vendor: 8x8\n    code: ZZ3\n")  # missing fields
    time.sleep(0.02)
    assert watcher.poll() is None
    assert watcher.current is before
    overlay.unlink()
    time.sleep(0.02)
    assert watcher.poll() is None


def test_a_broken_overlay_stops_the_start(tmp_path: Path) -> None:
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("entries: nope\n")
    with pytest.raises(CatalogError):
        CatalogWatcher(overlay, interval_seconds=1)


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_health_endpoints() -> None:
    registry = CollectorRegistry()
    Counter("demo", "a demo counter", registry=registry).inc()
    heartbeat = Heartbeat(stall_seconds=0.2)
    ready = {"value": False}
    server = HealthServer("127.0.0.1", 0, registry, heartbeat, lambda: ready["value"])
    server.start()
    try:
        status, body = get(server.port, "/metrics")
        assert status == 200 and "demo_total 1.0" in body
        assert get(server.port, "/healthz")[0] == 200
        assert get(server.port, "/readyz") == (503, "no partitions assigned\n")
        ready["value"] = True
        assert get(server.port, "/readyz")[0] == 200
        time.sleep(0.3)  # the loop stopped reporting
        status, body = get(server.port, "/healthz")
        assert status == 503 and "silent" in body
        heartbeat.beat()
        assert get(server.port, "/healthz")[0] == 200
        assert get(server.port, "/nope")[0] == 404
    finally:
        server.stop()


def test_dead_letter_keeps_the_record_and_says_why() -> None:
    sink = DeadLetterSink("dlq")
    record = Record(b"\xff junk", b"k", [("trace", b"1")], None)
    work = Work(undecodable=[Undecodable(record, "invalid utf-8", "app-logs", 2, 99)])
    sink.write(work)
    (output,) = work.outputs
    sent = output._asdict()
    assert sent["topic"] == "dlq" and sent["value"] == b"\xff junk" and sent["key"] == b"k"
    assert sent["headers"] == [
        ("trace", b"1"),
        ("vendor-errors.reason", b"invalid utf-8"),
        ("vendor-errors.topic", b"app-logs"),
        ("vendor-errors.partition", b"2"),
        ("vendor-errors.offset", b"99"),
    ]
    value, headers = sent["shrink"](b"x" * 100_000, sent["headers"])
    assert len(value) == dead_letter.TRUNCATED_BYTES
    assert headers[-1] == ("vendor-errors.truncated", b"100000")
    smaller, headers = sent["shrink"](value, headers)  # refused again: halve, same header
    assert len(smaller) == dead_letter.TRUNCATED_BYTES // 2
    assert [h for h in headers if h[0] == "vendor-errors.truncated"] == [
        ("vendor-errors.truncated", b"100000")
    ]
