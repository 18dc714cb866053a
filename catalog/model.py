"""The catalog's vocabulary, its entry type and the vendors' recognition blocks, shared by the
loader, the parsers and the sinks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

# The contract's vendors, in its order. A data file may add another vendor (docs/parsing.md,
# "Adding a vendor"): it comes after these, and the contract lists it when it ships.
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


class CatalogError(ValueError):
    """A data or overlay file is wrong; the message names the file, the entry and the field."""


# The code tables of a vendor whose codes are per channel: Webex Connect's channels
# (CONTRACT.md), Webex's synchronous API answers (`api`), and 8x8's two delivery-receipt tables,
# which reuse the numbers of its API table with other meanings. Metric labels keep only these.
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
    "api",
    "delivery_receipt",
    "chatapps_delivery_receipt",
)


@dataclass(frozen=True, slots=True)
class Source:
    """Where an entry comes from: the seed document (or, for a code published elsewhere, the
    page's URL) and the table heading in it."""

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
    # False for codes that are not in the seed documents: the vendor's public pages (with
    # `source_url`), the generic HTTP entries, overlays and the unknown-code fallback.
    seed: bool = True
    source_url: str | None = None
    # Wordings of `also` published outside the entry's own source: (text, URL).
    also_sources: tuple[tuple[str, str], ...] = ()
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
            "seed": self.seed,
            "source_url": self.source_url,
            "also_sources": [{"text": text, "source_url": url} for text, url in self.also_sources],
        }


@dataclass(frozen=True, slots=True)
class ChannelRemap:
    """Codes `low`-`high` read on `channel` belong to the table of channel `use`."""

    channel: str
    low: int
    high: int
    use: str


@dataclass(frozen=True, slots=True)
class VendorInfo:
    """How a vendor shows in log records: the `recognition` block of its data file.

    The parsers build every vendor lookup from these (hosts, names, headers, channel spellings,
    the prefilter's needles); docs/parsing.md, "Adding a vendor", describes each field.
    """

    vendor: str
    recogniser: str  # the module that reads its bodies (parsers/recognisers/)
    hosts: tuple[str, ...]  # domain suffixes, lower case
    names: tuple[str, ...]  # words naming it in fields and prose, lower case
    aliases: tuple[str, ...] = ()  # whole field values naming it, besides its slug
    vendor_headers: tuple[str, ...] = ()  # headers only it sends
    correlation_headers: tuple[str, ...] = ()  # headers carrying its request id
    prefilter_names: tuple[str, ...] = ()  # the prefilter's spellings of its names
    prefilter_headers: tuple[str, ...] = ()  # ... and of its headers
    # Channel -> its spellings (folded: lower-case letters and digits); () when its codes are
    # not per channel.
    channels: tuple[tuple[str, tuple[str, ...]], ...] = ()
    channel_remaps: tuple[ChannelRemap, ...] = ()
    file: str = ""  # the data file, for messages

    @property
    def has_channels(self) -> bool:
        return bool(self.channels)
