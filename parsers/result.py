"""What the parsing stage hands to the sinks: a Result per record, a Finding per vendor error.

`Event` is the contract's enriched error event (docs/events.md), field for field and in its
order: `scan --format jsonl` and the enriched topic print it as it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

Outcome = Literal["error_found", "no_error", "undecodable"]


class KafkaOrigin(TypedDict):
    topic: str
    partition: int
    offset: int


class FileOrigin(TypedDict):
    file: str
    line: int  # 1-based, the record's first line


Origin = KafkaOrigin | FileOrigin


class Event(TypedDict):
    """One vendor error: the enriched error event of the contract, nothing more."""

    vendor: str
    code: str
    channel: str | None
    http_status: int | None
    message: str
    category: str
    severity: str
    transient: bool
    known: bool
    timestamp: str
    trace_id: str | None
    span_id: str | None
    correlation_id: str | None
    service: str | None
    namespace: str | None
    source: Origin


def event_schema() -> dict[str, Any]:
    """The JSON Schema of `Event` (draft 2020-12), as shipped in the package
    (vendor_errors/parsers/schemas/event.schema.json; docs/events.md)."""
    # Imported here: importlib.resources brings tempfile, shutil, bz2 and lzma with it, ~1 MiB
    # of resident memory for every process that only parses records.
    from importlib import resources

    text = resources.files(__package__).joinpath("schemas", "event.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


@dataclass(slots=True)
class Finding:
    """One vendor error: the contract event plus the request context the spans need."""

    event: Event
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
