"""A reviewable overlay drafted from the unknown codes seen in logs (`catalog draft`).

The draft has one entry per (vendor, channel, code) the catalog does not know, with what the
logs showed (how often, with which vendor wordings and HTTP statuses, where first) under
`seen`, and the classification left for a person: `category: unknown` and empty `severity`,
`transient` and `remediation`, each with a comment saying what to write. Until those are
filled in, `catalog lint --overlay` rejects the file and names every missing field; once they
are, it is an ordinary overlay (catalog/README.md, "Keeping the catalog current").
"""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from vendor_errors.catalog.model import CATEGORIES, CHANNELS
from vendor_errors.catalog.vendors import vendor_order

MAX_WORDINGS = 5  # wordings kept per code, the most frequent first
MAX_WORDING_CHARS = 300

Key = tuple[str, str | None, str]


@dataclass
class Seen:
    """What the logs showed of one unknown code."""

    count: int = 0
    messages: Counter[str] = field(default_factory=Counter)
    http_statuses: Counter[int] = field(default_factory=Counter)
    first: str | None = None


class Draft:
    """Collects unknown-code events, then renders the overlay."""

    def __init__(self) -> None:
        self.seen: dict[Key, Seen] = {}
        self.events = 0

    def add(self, event: Mapping[str, object], where: str | None = None) -> bool:
        """Count one contract event; False (and nothing counted) when its code is known."""
        if event.get("known", True):
            return False
        vendor, code, channel = event["vendor"], event["code"], event.get("channel")
        if not isinstance(vendor, str) or not isinstance(code, str):
            return False
        key = (vendor, channel if isinstance(channel, str) else None, code)
        seen = self.seen.get(key)
        if seen is None:
            seen = self.seen[key] = Seen(first=where)
        seen.count += 1
        self.events += 1
        message = event.get("message")
        if isinstance(message, str) and message.strip():
            text = " ".join(message.split())
            if len(text) > MAX_WORDING_CHARS:
                text = text[:MAX_WORDING_CHARS] + "…"
            seen.messages[text] += 1
        status = event.get("http_status")
        if isinstance(status, int) and 100 <= status <= 599:
            seen.http_statuses[status] += 1
        return True

    def keys(self) -> list[Key]:
        """The codes, most frequent first, then by vendor, channel and code."""
        return sorted(
            self.seen,
            key=lambda k: (-self.seen[k].count, vendor_order(k[0]), k[1] or "", k[2]),
        )

    def render(self, sources: Iterable[str], records: int) -> str:
        lines = _header(list(sources), records, len(self.seen), self.events)
        if not self.seen:
            return "\n".join([*lines, "entries: []", ""])
        lines.append("entries:")
        for key in self.keys():
            lines.extend(_entry(key, self.seen[key]))
        return "\n".join([*lines, ""])


def _q(value: object) -> str:
    """A YAML scalar: JSON strings and numbers are valid YAML flow scalars."""
    return json.dumps(value, ensure_ascii=False)


def _header(sources: list[str], records: int, codes: int, events: int) -> list[str]:
    categories = ", ".join(c for c in CATEGORIES if c not in {"status", "unknown"})
    lines = [
        "# A catalog overlay drafted by `vendor-errors catalog draft` from:",
        *(f"#   {source}" for source in sources),
        f"# {records:,} records read: {events:,} events of {codes:,} codes the catalog does not "
        "know.",
        "#",
        "# For each entry, find the code in the vendor's documentation, then fill in:",
        "#   message      the vendor's wording (the one seen most often is filled in: check it)",
        "#   category     instead of `unknown`, the most specific of:",
        *textwrap.wrap(
            categories, 100, initial_indent="#" + " " * 16, subsequent_indent="#" + " " * 16
        ),
        "#                (keep `unknown` only if the vendor documents no meaning)",
        "#   severity     info (lifecycle statuses only), warning, error or critical",
        "#   transient    true when the same request may succeed if retried later, else false",
        "#   remediation  what to do, in a sentence or two",
        "#   source_url   the page that documents the code (optional, recommended)",
        '# catalog/README.md, "Classification rules", says how to choose. Then check the file:',
        "#   vendor-errors catalog lint --overlay THIS_FILE",
        "# it names every field still missing. `seen` is what the logs showed; lookups ignore it.",
    ]
    return lines


def _entry(key: Key, seen: Seen) -> list[str]:
    vendor, channel, code = key
    wordings = seen.messages.most_common(MAX_WORDINGS)
    message = _q(wordings[0][0]) if wordings else ""
    evidence = [f"count: {seen.count}"]
    if seen.first:
        evidence.append(f"first: {_q(seen.first)}")
    if seen.http_statuses:
        statuses = ", ".join(str(s) for s, _ in seen.http_statuses.most_common())
        evidence.append(f"http_statuses: [{statuses}]")
    if wordings:
        texts = ", ".join(f"{{text: {_q(text)}, count: {count}}}" for text, count in wordings)
        evidence.append(f"messages: [{texts}]")
    more = len(seen.messages) - len(wordings)
    if channel is not None and channel not in CHANNELS:
        # An overlay can only name the catalog's tables; keep what was seen for the reviewer.
        channel_line = (
            f"    channel: null         # seen on channel {_q(channel)}, not a catalog table"
        )
    else:
        channel_line = f"    channel: {channel if channel else 'null'}"
    return [
        f"  - vendor: {_q(vendor)}",
        channel_line,
        f"    code: {_q(code)}",
        f"    message: {message}".rstrip()
        + ("" if wordings else "   # FILL IN: the vendor's wording (none seen in the logs)"),
        "    category: unknown     # FILL IN: the most specific category (header)",
        "    severity:             # FILL IN: info | warning | error | critical",
        "    transient:            # FILL IN: true | false",
        "    remediation:          # FILL IN: what to do",
        "    source_url:           # the vendor's page for this code",
        "    seen: {"
        + ", ".join(evidence)
        + "}"
        + (f"   # and {more} other wording(s)" if more > 0 else ""),
    ]
