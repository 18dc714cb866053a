"""The scalar fields of a record's envelope, read by role (parsers/decoding/fields.py).

`Reader.walk` (parsers/decoding/envelope.py) reads the commonest roles itself, inline; the
others come here. The first value of a field wins; the application's name keeps the strongest
source (`SERVICE_RANK`).
"""

from __future__ import annotations

from typing import Any

from vendor_errors.parsers.decoding.context import Envelope, service_name
from vendor_errors.parsers.decoding.directory import Directory
from vendor_errors.parsers.decoding.fields import (
    R_APP_NAME,
    R_CHANNEL,
    R_CONTAINER,
    R_CORRELATION,
    R_HOST,
    R_K8S_APP,
    R_K8S_NAME,
    R_LEVEL,
    R_LOGGER,
    R_METHOD,
    R_NAMESPACE,
    R_SERVICE,
    R_SPAN_ID,
    R_STATUS,
    R_TIMESTAMP,
    R_TRACE_FLAGS,
    R_TRACE_ID,
    R_TRACEPARENT,
    R_URL,
    R_VENDOR,
    R_VENDOR_HEADER,
)
from vendor_errors.parsers.decoding.urls import url_host
from vendor_errors.parsers.decoding.values import (
    as_level,
    as_span_id,
    as_status,
    as_trace_id,
    parse_traceparent,
)

# How strongly a field names the application: the strongest in the record wins.
SERVICE_RANK = {R_SERVICE: 0, R_APP_NAME: 1, R_K8S_NAME: 2, R_K8S_APP: 3, R_CONTAINER: 4}
_HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


class Scalars:
    """The readers of scalar fields, with the vendor lookups of one directory."""

    __slots__ = ("_directory",)

    def __init__(self, directory: Directory) -> None:
        self._directory = directory

    def apply(self, env: Envelope, role: int, key: str, value: Any) -> None:
        """Record the value of a field whose role is known (first value wins)."""
        if role == R_TIMESTAMP:
            if len(env.timestamps) < 3:
                env.timestamps.append(value)
        elif value.__class__ is not str:
            if role == R_STATUS and env.status is None:
                env.status = as_status(value)
            elif role == R_TRACE_FLAGS and env.trace_flags is None and value.__class__ is int:
                env.trace_flags = value & 0xFF
            elif role == R_LEVEL and env.level is None:
                env.level = as_level(value)
        # The roles `walk` leaves to this method first.
        elif role in (R_VENDOR, R_LOGGER):
            env.explicit_vendors.update(self._directory.vendors_named(value))
        elif role in (R_CORRELATION, R_VENDOR_HEADER):
            vendor = self._directory.header_vendor(key)
            if vendor is not None:
                env.header_vendors.add(vendor)
            if role == R_CORRELATION and env.correlation_id is None and value.strip():
                env.correlation_id = value.strip()[:256]
        elif role == R_METHOD:
            if env.method is None and value.upper() in _HTTP_METHODS:
                env.method = value.upper()
        elif role == R_SPAN_ID:
            if env.span_id is None:
                env.span_id = as_span_id(value)
        elif role == R_HOST:
            host = url_host(value) if "://" in value else value.strip().lower().split(":")[0]
            vendor = self._directory.vendor_of_host(host) if host else None
            if vendor is not None:
                env.host_vendors.add(vendor)
        elif role == R_CHANNEL:
            if env.channel is None:
                env.channel = self._directory.channel(value)
        elif role == R_TRACEPARENT:
            parsed = parse_traceparent(value)
            if parsed is not None and env.trace_id is None:
                env.trace_id, env.span_id, env.trace_flags = parsed
        elif role == R_STATUS:
            if env.status is None:
                env.status = as_status(value)
        elif role == R_LEVEL:
            if env.level is None:
                env.level = as_level(value)
        elif role in SERVICE_RANK:
            rank = SERVICE_RANK[role]
            if rank < env.service_rank:
                name = service_name(value)
                if name is not None:
                    env.service, env.service_rank = name, rank
        elif role == R_NAMESPACE:
            if env.namespace is None and value.strip():
                env.namespace = value.strip()[:128]
        elif role == R_URL:
            self.add_url(env, value)
        elif role == R_TRACE_ID and env.trace_id is None:
            env.trace_id = as_trace_id(value)
        # R_HEADERS, R_CODE, R_REQUEST, ...: nothing to read in a scalar.

    def add_url(self, env: Envelope, value: str) -> None:
        """A URL of the record, and the vendor whose host it names."""
        if "://" not in value or len(env.urls) >= 8:
            return
        host = url_host(value)
        vendor = self._directory.vendor_of_host(host) if host else None
        if vendor is not None:
            env.host_vendors.add(vendor)
        env.urls.append((value.strip(), vendor))
