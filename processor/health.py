"""One small HTTP server for /metrics (Prometheus text), /healthz and /readyz.

/healthz is liveness: the poll loop has reported in within `stall_seconds` (it reports while it
waits on the broker too, so an unreachable broker is not a reason to restart the pod).
/readyz is readiness: the consumer holds at least one partition.

Bounded whatever clients do: one thread waits for connections and for their requests (a
selector), and a connection is handed to one of `WORKERS` threads only once its request has
started to arrive. A connection that sends nothing is closed after `IDLE_SECONDS`, one that
stalls mid-request after `REQUEST_SECONDS`; beyond `MAX_CONNECTIONS` open connections the
oldest idle one is closed. Idle connections cost a file descriptor each, never a thread.
"""

from __future__ import annotations

import contextlib
import errno
import selectors
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, HTTPServer

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

WORKERS = 4
MAX_CONNECTIONS = 128
IDLE_SECONDS = 10.0
REQUEST_SECONDS = 5.0


class PortInUse(OSError):
    """The metrics port is taken; the message names it and the setting."""


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


class _Server(HTTPServer):
    """HTTPServer's socket and request handling, served by a bounded pool (see module doc)."""

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler, bind_and_activate=False)
        self.request_queue_size = MAX_CONNECTIONS
        self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="health-http")
        self._busy = threading.BoundedSemaphore(WORKERS * 4)
        self._stopping = threading.Event()
        self._waiting: dict[socket.socket, float] = {}  # accepted, nothing read yet: since

    def serve(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self.socket, selectors.EVENT_READ)
            while not self._stopping.is_set():
                for key, _ in selector.select(timeout=0.5):
                    if key.fileobj is self.socket:
                        self._accept(selector)
                    else:
                        connection = key.fileobj
                        assert isinstance(connection, socket.socket)
                        selector.unregister(connection)
                        del self._waiting[connection]
                        self._dispatch(connection)
                self._expire(selector)
            for connection in list(self._waiting):
                selector.unregister(connection)
                self._drop(connection)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _accept(self, selector: selectors.BaseSelector) -> None:
        try:
            connection, _ = self.socket.accept()
        except OSError:
            return
        if len(self._waiting) >= MAX_CONNECTIONS:
            oldest = min(self._waiting, key=self._waiting.__getitem__)
            selector.unregister(oldest)
            del self._waiting[oldest]
            self._drop(oldest)
        self._waiting[connection] = time.monotonic()
        selector.register(connection, selectors.EVENT_READ)

    def _expire(self, selector: selectors.BaseSelector) -> None:
        cutoff = time.monotonic() - IDLE_SECONDS
        for connection, since in list(self._waiting.items()):
            if since < cutoff:
                selector.unregister(connection)
                del self._waiting[connection]
                self._drop(connection)

    def _dispatch(self, connection: socket.socket) -> None:
        if not self._busy.acquire(blocking=False):  # every worker busy, and as many queued
            self._drop(connection)
            return
        try:
            self._pool.submit(self._handle, connection)
        except RuntimeError:  # shut down
            self._busy.release()
            self._drop(connection)

    def _handle(self, connection: socket.socket) -> None:
        try:
            connection.settimeout(REQUEST_SECONDS)
            self.finish_request(connection, connection.getpeername())
        except Exception:
            pass  # a client that went away, or timed out mid-request
        finally:
            self._busy.release()
            self.shutdown_request(connection)

    def _drop(self, connection: socket.socket) -> None:
        with contextlib.suppress(OSError):
            connection.close()

    def stop(self) -> None:
        self._stopping.set()


class HealthServer:
    def __init__(
        self,
        host: str,
        port: int,
        registry: CollectorRegistry,
        heartbeat: Heartbeat,
        ready: Callable[[], bool],
        setting: str = "metrics.port",
    ) -> None:
        """Raises PortInUse (naming the port and `setting`) when the port is taken."""
        handler = _handler(registry, heartbeat, ready)
        self._server = _Server((host, port), handler)
        try:
            self._server.server_bind()
            self._server.server_activate()
        except OSError as exc:
            self._server.server_close()
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(
                    exc.errno,
                    f"port {port} on {host} is already in use: another process listens there "
                    f"(change {setting}, or VENDOR_ERRORS_{setting.upper().replace('.', '__')})",
                ) from None
            message = f"cannot listen on {host}:{port} ({setting}): {exc.strerror}"
            raise OSError(exc.errno, message) from None
        self._thread = threading.Thread(target=self._server.serve, name="health-http", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        """Serve (once; later calls do nothing): build.py starts it before the Kafka clients
        connect, so /readyz says "not ready" meanwhile, and the loop calls it again."""
        if self._thread.ident is None:
            self._thread.start()

    def stop(self) -> None:
        self._server.stop()
        if self._thread.is_alive():
            self._thread.join(2.0)
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
