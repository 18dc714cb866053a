"""What a record's fields say about vendors: hosts, names, headers and channel spellings.

Built from the vendors' recognition blocks (catalog/data/<vendor>.yaml, `recognition`): a URL
host inside a vendor's domain names it (`api.8x8.com` -> `8x8`); so does a field value naming
it as a word (`vendor: 8x8`, logger `com.acme.WebexConnectClient`), a header only it sends,
and its name in prose. Channel spellings (`WhatsApp`, `in-app`) become the contract's slugs.
Every lookup is a pure function of its argument, memoised.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from vendor_errors.catalog.model import CatalogError, VendorInfo
from vendor_errors.parsers.decoding.fields import (
    R_CORRELATION,
    R_VENDOR_HEADER,
    Role,
    Roles,
    flattened_header,
    fold,
    generic_role,
)
from vendor_errors.parsers.fast.memo import Memo

# Hosts, names and texts (up to 200 characters) seen; a stream of unique ones costs a refill,
# never memory: at 10,000 texts a full memo held ~3 MiB.
MEMO_LIMIT = 4096
CHANNEL_MEMO_LIMIT = 4096
_EMPTY: frozenset[str] = frozenset()
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


class Directory:
    """The vendor lookups of one set of recognition blocks (one registry)."""

    __slots__ = (
        "_channels",
        "_header_vendors",
        "_host_memo",
        "_hosts",
        "_in_field",
        "_in_text",
        "_keyword_vendor",
        "_keywords",
        "_named_memo",
        "_slugs",
        "_text_memo",
        "channel_memo",
        "roles",
    )

    def __init__(self, vendors: Sequence[VendorInfo]) -> None:
        self._hosts = tuple((host, info.vendor) for info in vendors for host in info.hosts)
        self._keyword_vendor = {name: info.vendor for info in vendors for name in info.names}
        self._keywords = tuple(self._keyword_vendor)
        # Longest first, so that of two names starting at one place the longer one wins.
        names = "|".join(re.escape(k) for k in sorted(self._keywords, key=len, reverse=True))
        # In field values (logger names, components) a name starts a word: after a
        # non-alphanumeric character or as a camel-case hump ("SmsEightByEightClient",
        # "com.acme.webexconnect"), never inside one ("thermodynamics", "ad3651f", "128x80").
        self._in_field = re.compile(
            rf"(?:(?<![A-Za-z0-9])|(?<=[a-z0-9])(?=[A-Z]))(?i:({names}))"
        ).finditer
        # In prose every name needs word boundaries ("thermodynamics" is not a vendor), and a
        # name in a path is one of ours (`/hooks/pipedrive/messages`), not the vendor's host.
        self._in_text = re.compile(rf"(?<![a-z0-9/])({names})(?![0-9])").finditer
        self._slugs = {alias: info.vendor for info in vendors for alias in info.aliases}
        self._slugs.update((info.vendor, info.vendor) for info in vendors)
        extra: dict[str, Role] = {}
        self._header_vendors: dict[str, str] = {}
        for info in vendors:
            for header in (*info.vendor_headers, *info.correlation_headers):
                if generic_role(fold(header)) is not None:
                    raise CatalogError(
                        f"{info.file}: recognition.headers: {header!r} is a field every log "
                        "may have (parsers/decoding/fields.py), no sign of this vendor"
                    )
            for header in info.vendor_headers:
                extra[fold(header)] = R_VENDOR_HEADER
                self._header_vendors[fold(header)] = info.vendor
            for header in info.correlation_headers:
                extra[fold(header)] = R_CORRELATION
                self._header_vendors[fold(header)] = info.vendor
        self.roles = Roles(extra)
        self._channels = {
            spelling: channel
            for info in vendors
            for channel, spellings in info.channels
            for spelling in spellings
        }
        self._host_memo: Memo[str, str | None] = Memo(MEMO_LIMIT)
        self._named_memo: Memo[str, frozenset[str]] = Memo(MEMO_LIMIT)
        self._text_memo: Memo[str, frozenset[str]] = Memo(MEMO_LIMIT)
        self.channel_memo: Memo[str, str | None] = Memo(CHANNEL_MEMO_LIMIT)

    def vendor_of_host(self, host: str) -> str | None:
        """`api.8x8.com` -> `8x8`: the vendor whose domain the host is in, else None."""
        vendor = self._host_memo.data.get(host, "")
        if vendor != "":
            return vendor
        vendor = None
        for suffix, candidate in self._hosts:
            if host == suffix or (host.endswith(suffix) and host[-len(suffix) - 1] == "."):
                vendor = candidate
                break
        return self._host_memo.put(host, vendor)

    def vendors_named(self, value: str) -> frozenset[str]:
        """Vendors named by a field value (`vendor`, `provider`, logger names, components)."""
        found = self._named_memo.data.get(value)
        if found is not None:
            return found
        head = value[:200]
        slug = self._slugs.get(head.strip().lower())
        if slug is not None:
            found = frozenset((slug,))
        else:
            vendor_of = self._keyword_vendor
            found = frozenset(vendor_of[m.group(1).lower()] for m in self._in_field(head))
        if len(value) <= 200:
            self._named_memo.put(value, found)
        return found

    def vendors_in_text(self, value: str) -> frozenset[str]:
        """Vendors named in free text, as whole words."""
        found = self._text_memo.data.get(value)
        if found is not None:
            return found
        lowered = value.lower()
        found = _EMPTY
        # Most text names no vendor: a few substring tests beat the regex's scan of every place.
        for keyword in self._keywords:
            if keyword in lowered:
                vendor_of = self._keyword_vendor
                named = {vendor_of[m.group(1)] for m in self._in_text(lowered)}
                found = frozenset(named) if named else _EMPTY
                break
        if len(value) <= 200:
            self._text_memo.put(value, found)
        return found

    def header_vendor(self, key: str) -> str | None:
        """The vendor a header (or a flattened `...headers.<name>` key) names, else None."""
        folded = fold(key)
        vendor = self._header_vendors.get(folded)
        if vendor is None:
            header = flattened_header(folded)
            if header is not None:
                return self._header_vendors.get(header)
        return vendor

    def channel(self, value: object) -> str | None:
        """The contract's slug for a channel as a record spells it (`WhatsApp`), else None."""
        if type(value) is not str or len(value) > 40:
            return None
        # A handful of spellings ("SMS", "WhatsApp") in every record: memoised by the text.
        found = self.channel_memo.data.get(value, "")
        if found == "":
            found = self.channel_memo.put(
                value, self._channels.get(_NOT_ALNUM.sub("", value.lower()))
            )
        return found
