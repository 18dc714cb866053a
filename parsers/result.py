"""What the parsing stage hands to the sinks: a Result per record, a Finding per vendor error."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Outcome = Literal["error_found", "no_error", "undecodable"]


@dataclass(slots=True)
class Finding:
    """One vendor error: the contract event plus the request context the spans need."""

    # Exactly the enriched error event of ../shared/CONTRACT.md (all its fields, nothing else).
    event: dict[str, Any]
    url: str | None = None  # credentials and signatures already removed
    server_address: str | None = None
    http_method: str | None = None
    # The record's timestamp as Unix nanoseconds, for span start times; None means "now".
    time_unix_nano: int | None = None
    # The W3C trace flags of the record's trace context, when it carried them.
    trace_flags: int | None = None


@dataclass(slots=True)
class Result:
    outcome: Outcome
    findings: list[Finding] = field(default_factory=list)
    # Why a record is undecodable (dead-letter header), e.g. "invalid utf-8", "record too large".
    reason: str | None = None
