"""What a log record says around its error bodies: the `Envelope` the walk of a record fills
(parsers/decoding/envelope.py) and attribution, the recognisers and the event read.

The first value of a field wins (fields of a level are read before its nested objects, so the
record's own `timestamp` beats one inside a body), except the application's name, where the
strongest source wins (`service_rank`): `service.name` over a syslog APP-NAME over Kubernetes
labels over a container's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from vendor_errors.parsers.decoding.candidates import Candidate
from vendor_errors.parsers.decoding.prose import prose_status

MAX_TEXT_CHARS = 512 * 1024  # free text analysed per record, in total
NO_SERVICE = 9  # `service_rank` while no field named the application


@dataclass(slots=True)
class Envelope:
    timestamps: list[Any] = field(default_factory=list)
    level: str | None = None
    method: str | None = None
    status: int | None = None
    urls: list[tuple[str, str | None]] = field(default_factory=list)  # (url, vendor of host)
    explicit_vendors: set[str] = field(default_factory=set)
    host_vendors: set[str] = field(default_factory=set)
    header_vendors: set[str] = field(default_factory=set)
    prose: list[str] = field(default_factory=list)  # free text, read when attribution asks
    correlation_id: str | None = None
    trace_id: str | None = None
    span_id: str | None = None
    trace_flags: int | None = None
    channel: str | None = None
    service: str | None = None
    service_rank: int = NO_SERVICE  # how strong the name in `service` is (fields.py roles)
    namespace: str | None = None
    candidates: list[Candidate] = field(default_factory=list)
    text_budget: int = MAX_TEXT_CHARS
    groups: int = 0
    # Vendors named in the prose: filled by attribution, and only when it needs them.
    named: frozenset[str] | None = None

    def url_for(self, vendor: str | None) -> str | None:
        """The URL of the failed call: the vendor's own if the record has one."""
        for url, host_vendor in self.urls:
            if host_vendor is not None and host_vendor == vendor:
                return url
        return self.urls[0][0] if self.urls else None


def settle(env: Envelope) -> Envelope:
    """What needs the whole record: a status written in prose only if no field gave one."""
    if env.status is None:
        for text in env.prose:
            if not _HAS_DIGIT(text):
                continue  # no status without a digit (a cheap skip)
            status = prose_status(text)
            if status is not None:
                env.status = status
                break
    return env


def service_name(value: str) -> str | None:
    """An application's name as a field gives it: `/omni-sync` (Docker) is `omni-sync`; `-`
    (syslog's nil value) is none."""
    name = value.strip().lstrip("/")[:128]
    return name if name and name != "-" else None


_HAS_DIGIT = re.compile(r"[1-5]\d\d").search
