"""One small HTTP server for /metrics (Prometheus text), /healthz and /readyz.

/healthz is liveness: the poll loop has reported in within `stall_seconds` (it reports while it
waits on the broker too, so an unreachable broker is not a reason to restart the pod).
/readyz is readiness: the consumer holds at least one partition.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder


class Heartbeat:
    """Written by the poll loop, read by the HTTP threads."""

    def __init__(self, stall_seconds: float) -> None:
        self.stall_seconds = stall_seconds
        self._last = time.monotonic()

    def beat(self) -> None:
        self._last = time.monotonic()

    @property
    def silent_for(self) -> float:
        return time.monotonic() - self._last

    @property
    def alive(self) -> bool:
        return self.silent_for < self.stall_seconds


class HealthServer:
    def __init__(
        self,
        host: str,
        port: int,
        registry: CollectorRegistry,
        heartbeat: Heartbeat,
        ready: Callable[[], bool],
    ) -> None:
        handler = _handler(registry, heartbeat, ready)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="health-http", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        """Serve (once; later calls do nothing): build.py starts it before the Kafka clients
        connect, so /readyz says "not ready" meanwhile, and the loop calls it again."""
        if self._thread.ident is None:
            self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():  # shutdown() would wait forever for a server never started
            self._server.shutdown()
        self._server.server_close()


def _handler(
    registry: CollectorRegistry, heartbeat: Heartbeat, ready: Callable[[], bool]
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "vendor-errors"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                encoder, content_type = choose_encoder(self.headers.get("Accept", ""))
                self._reply(200, encoder(registry), content_type)
            elif path == "/healthz":
                if heartbeat.alive:
                    self._reply(200, b"ok\n")
                else:
                    silent = f"poll loop silent for {heartbeat.silent_for:.0f}s\n"
                    self._reply(503, silent.encode())
            elif path == "/readyz":
                if ready():
                    self._reply(200, b"ready\n")
                else:
                    self._reply(503, b"no partitions assigned\n")
            else:
                self._reply(404, b"not found: try /metrics, /healthz or /readyz\n")

        def _reply(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # scrapes every few seconds would drown the processor's own logs

    return Handler
