"""The catalog's vocabulary and its entry type, shared by the loader, the parsers and the sinks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

VENDORS: Final = ("dynamics365", "salesforce", "pipedrive", "8x8", "webex")

CATEGORIES: Final = (
    "authentication",
    "authorization",
    "validation",
    "not_found",
    "conflict",
    "rate_limit",
    "quota",
    "payload_too_large",
    "timeout",
    "unavailable",
    "internal",
    "configuration",
    "policy",
    "recipient",
    "content",
    "delivery",
    "unsupported",
    "status",
    "unknown",
)

SEVERITIES: Final = ("info", "warning", "error", "critical")

# Webex Connect channel slugs (CONTRACT.md); other vendors have no channels.
CHANNELS: Final = (
    "sms",
    "mms",
    "whatsapp",
    "rcs",
    "email",
    "push",
    "messenger",
    "instagram",
    "apple",
    "gbm",
    "in_app",
    "voice",
    "voice_logbook",
    "contact_policy",
)


@dataclass(frozen=True, slots=True)
class Source:
    """Where an entry comes from: the seed document and the table heading in it."""

    document: str
    table: str


@dataclass(frozen=True, slots=True)
class Entry:
    """One catalog entry; immutable so a loaded catalog can be shared across threads."""

    vendor: str
    channel: str | None
    code: str
    message: str
    category: str
    severity: str
    transient: bool
    remediation: str
    source: Source
    http_status: int | None = None
    known: bool = True
    also: tuple[str, ...] = ()
    details: str | None = None
    note: str | None = None
    # The channel a range or shared-table hit was found under, for messages like
    # "matched voice_logbook range 1000-3999"; not part of the contract event.
    matched_by: str = field(default="exact", compare=False)

    @property
    def is_error(self) -> bool:
        """Lifecycle statuses (Delivered, Submitted, ...) are not errors."""
        return self.category != "status"

    def as_dict(self) -> dict[str, object]:
        """The export shape: what `catalog export` prints and overlays can reproduce."""
        return {
            "vendor": self.vendor,
            "channel": self.channel,
            "code": self.code,
            "http_status": self.http_status,
            "message": self.message,
            "category": self.category,
            "severity": self.severity,
            "transient": self.transient,
            "known": self.known,
            "remediation": self.remediation,
            "also": list(self.also),
            "details": self.details,
            "note": self.note,
            "document": self.source.document,
            "table": self.source.table,
        }
