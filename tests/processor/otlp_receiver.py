"""OTLP receivers for the tests: real servers that decode what an exporter sends.

- OtlpReceiver: OTLP/HTTP (protobuf) on /v1/traces and /v1/metrics, optionally over TLS;
- GrpcOtlpReceiver: OTLP/gRPC, the TraceService and MetricsService of opentelemetry-proto;
- HungCollector: accepts connections and never answers (a collector that is stuck).
Both receivers keep the spans (as dicts), the metric names and the request headers.
"""

from __future__ import annotations

import socket
import ssl
import threading
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)


def _value(any_value: Any) -> Any:
    kind = any_value.WhichOneof("value")
    return getattr(any_value, kind) if kind else None


class _Received:
    """What an exporter sent, whatever the transport."""

    def __init__(self) -> None:
        self.spans: list[dict[str, Any]] = []
        self.metric_names: set[str] = set()
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()

    def _add(self, request: ExportTraceServiceRequest, headers: dict[str, str]) -> None:
        with self._lock:
            self.headers.append(headers)
            for resource_spans in request.resource_spans:
                resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        self.spans.append(
                            {
                                "name": span.name,
                                "trace_id": span.trace_id.hex(),
                                "parent_span_id": span.parent_span_id.hex(),
                                "status_code": span.status.code,
                                "status_message": span.status.message,
                                "attributes": {a.key: _value(a.value) for a in span.attributes},
                                "resource": resource,
                            }
                        )

    def _add_metrics(self, request: ExportMetricsServiceRequest, headers: dict[str, str]) -> None:
        with self._lock:
            self.headers.append(headers)
            for resource_metrics in request.resource_metrics:
                for scope_metrics in resource_metrics.scope_metrics:
                    self.metric_names.update(m.name for m in scope_metrics.metrics)


class OtlpReceiver(_Received):
    """OTLP/HTTP; with `tls` (certificate, key) it serves HTTPS."""

    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        super().__init__()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {key.lower(): value for key, value in self.headers.items()}
                reply: bytes
                if self.path.endswith("/v1/metrics"):
                    metrics = ExportMetricsServiceRequest()
                    metrics.ParseFromString(body)
                    receiver._add_metrics(metrics, headers)
                    reply = ExportMetricsServiceResponse().SerializeToString()
                else:
                    request = ExportTraceServiceRequest()
                    request.ParseFromString(body)
                    receiver._add(request, {**headers, ":path": self.path})
                    reply = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            self._scheme = "https"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"{self._scheme}://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class GrpcOtlpReceiver(_Received):
    """OTLP/gRPC: opentelemetry-proto's TraceService and MetricsService, served by grpcio."""

    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        import grpc
        from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2_grpc
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

        super().__init__()
        receiver = self

        def metadata(context: Any) -> dict[str, str]:
            return {key: value for key, value in context.invocation_metadata()}

        class Traces(trace_service_pb2_grpc.TraceServiceServicer):  # type: ignore[misc]
            def Export(self, request: Any, context: Any) -> ExportTraceServiceResponse:
                receiver._add(request, metadata(context))
                return ExportTraceServiceResponse()

        class Metrics(metrics_service_pb2_grpc.MetricsServiceServicer):  # type: ignore[misc]
            def Export(self, request: Any, context: Any) -> ExportMetricsServiceResponse:
                receiver._add_metrics(request, metadata(context))
                return ExportMetricsServiceResponse()

        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Traces(), self._server)
        metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(Metrics(), self._server)
        if tls is None:
            self._port = self._server.add_insecure_port("127.0.0.1:0")
            self._scheme = "http"
        else:
            credentials = grpc.ssl_server_credentials([(tls[1].read_bytes(), tls[0].read_bytes())])
            self._port = self._server.add_secure_port("127.0.0.1:0", credentials)
            self._scheme = "https"
        self._server.start()

    @property
    def endpoint(self) -> str:
        return f"{self._scheme}://127.0.0.1:{self._port}"

    def close(self) -> None:
        self._server.stop(grace=None)


class HungCollector:
    """Accepts connections, reads nothing, answers nothing."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(1024)
        self._connections: list[socket.socket] = []
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            self._connections.append(connection)

    @property
    def accepted(self) -> int:
        return len(self._connections)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def close(self) -> None:
        self._closed.set()
        self._socket.close()
        for connection in self._connections:
            connection.close()
