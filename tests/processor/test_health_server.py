"""The metrics port stays bounded whatever clients do: idle connections hold no thread and are
closed after a while, scrapes keep working meanwhile, a taken port is named."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry, Counter
from vendor_errors.processor import health
from vendor_errors.processor.health import HealthServer, Heartbeat, PortInUse

from tests.processor.kafka_tools import http_get


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[HealthServer]:
    monkeypatch.setattr(health, "IDLE_SECONDS", 1.0)
    monkeypatch.setattr(health, "MAX_CONNECTIONS", 2000)
    registry = CollectorRegistry()
    Counter("probe", "A counter the scrape must show.", registry=registry).inc()
    running = HealthServer("127.0.0.1", 0, registry, Heartbeat(60), ready=lambda: True)
    running.start()
    yield running
    running.stop()


def idle_connections(port: int, count: int) -> list[socket.socket]:
    connections = []
    for _ in range(count):
        connection = socket.create_connection(("127.0.0.1", port))
        connections.append(connection)
    return connections


def test_a_thousand_idle_connections_hold_no_thread(server: HealthServer) -> None:
    before = threading.active_count()
    connections = idle_connections(server.port, 1000)
    try:
        time.sleep(0.3)
        assert threading.active_count() - before <= health.WORKERS
        started = time.monotonic()
        status, body = http_get(server.port, "/metrics")
        assert status == 200 and "probe_total 1.0" in body
        assert time.monotonic() - started < 2.0  # scrapes are served beside them
        assert threading.active_count() - before <= health.WORKERS
        # Idle past IDLE_SECONDS: the server closes them (the client reads end of file).
        time.sleep(health.IDLE_SECONDS + 1.0)
        for connection in connections[:50]:
            connection.settimeout(2.0)
            assert connection.recv(1) == b""
    finally:
        for connection in connections:
            connection.close()


def test_beyond_the_bound_the_oldest_idle_connection_goes(
    server: HealthServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "MAX_CONNECTIONS", 10)
    monkeypatch.setattr(health, "IDLE_SECONDS", 60.0)
    connections = idle_connections(server.port, 11)
    try:
        connections[0].settimeout(3.0)
        assert connections[0].recv(1) == b""  # closed to make room
        assert http_get(server.port, "/healthz")[0] == 200
    finally:
        for connection in connections:
            connection.close()


def test_a_request_that_stalls_half_way_is_closed(
    server: HealthServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "REQUEST_SECONDS", 0.5)
    with socket.create_connection(("127.0.0.1", server.port)) as slow:
        slow.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        slow.settimeout(5.0)
        started = time.monotonic()
        while slow.recv(4096):
            pass
        assert time.monotonic() - started < 3.0
    assert http_get(server.port, "/readyz")[0] == 200


def test_a_taken_port_names_the_port_and_its_setting() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortInUse) as raised:
            HealthServer("127.0.0.1", port, CollectorRegistry(), Heartbeat(60), lambda: True)
    message = str(raised.value)
    assert f"port {port} on 127.0.0.1 is already in use" in message
    assert "metrics.port" in message and "VENDOR_ERRORS_METRICS__PORT" in message
