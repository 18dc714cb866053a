"""The contract's event for one error: the verdict, the reading and the record's context."""

from __future__ import annotations

from datetime import UTC, datetime

from vendor_errors.parsers.decoding.context import Envelope
from vendor_errors.parsers.decoding.times import record_time, rfc3339
from vendor_errors.parsers.decoding.urls import exported
from vendor_errors.parsers.enrichment.verdict import Verdict
from vendor_errors.parsers.recognisers.base import Reading
from vendor_errors.parsers.result import Event, Finding, Origin

_NO_URL: tuple[None, None] = (None, None)


def event_time(env: Envelope) -> tuple[str, int | None]:
    """The event's `timestamp` and Unix nanoseconds: the record's first readable time, else
    the processing time (nanoseconds None: "now")."""
    for value in env.timestamps:
        parsed = record_time(value)
        if parsed is not None:
            return parsed
    return rfc3339(datetime.now(UTC)), None


def finding(
    env: Envelope,
    vendor: str,
    reading: Reading,
    verdict: Verdict,
    source: Origin,
    when: tuple[str, int | None],
) -> Finding:
    """The event, field for field in the contract's order, and the request context."""
    url = env.url_for(vendor) if env.urls else None
    clean_url, host = exported(url) if url else _NO_URL
    event: Event = {
        "vendor": vendor,
        "code": verdict.code,
        "channel": verdict.channel,
        "http_status": verdict.http_status,
        "message": verdict.message,
        "category": verdict.category,
        "severity": verdict.severity,
        "transient": verdict.transient,
        "known": verdict.known,
        "timestamp": when[0],
        "trace_id": env.trace_id,
        "span_id": env.span_id,
        "correlation_id": reading.correlation_id or env.correlation_id,
        "service": env.service,
        "namespace": env.namespace,
        "source": source,
    }
    return Finding(
        event=event,
        url=clean_url,
        server_address=host,
        http_method=env.method,
        time_unix_nano=when[1],
        trace_flags=env.trace_flags,
    )
