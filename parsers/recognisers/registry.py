"""One recogniser per vendor; each knows its hosts, its name in logs and its body shapes."""

from __future__ import annotations

import re
from types import ModuleType

from vendor_errors.parsers.recognisers import (
    dynamics365,
    eight_by_eight,
    pipedrive,
    salesforce,
    webex,
)

# The contract's order (catalog.model.VENDORS).
RECOGNISERS: dict[str, ModuleType] = {
    module.VENDOR: module for module in (dynamics365, salesforce, pipedrive, eight_by_eight, webex)
}

_HOST_SUFFIXES: tuple[tuple[str, str], ...] = tuple(
    (suffix, vendor) for vendor, module in RECOGNISERS.items() for suffix in module.HOST_SUFFIXES
)
_KEYWORD_VENDOR = {
    keyword: vendor for vendor, module in RECOGNISERS.items() for keyword in module.KEYWORDS
} | {"eightbyeight": "8x8"}
# In field values (logger names, components) a name starts a word: after a non-alphanumeric
# character or as a camel-case hump ("SmsEightByEightClient", "com.acme.webexconnect"), never
# inside one ("thermodynamics", "ad3651f", "128x80").
_SHORT = ("d365", "8x8", "sfdc")
_LONG = sorted((k for k in _KEYWORD_VENDOR if k not in _SHORT), key=len, reverse=True)
_IN_FIELD = re.compile(
    r"(?:(?<![A-Za-z0-9])|(?<=[a-z0-9])(?=[A-Z]))(?i:("
    + "|".join(re.escape(k) for k in (*_LONG, *_SHORT))
    + "))"
)
# In prose every name needs word boundaries ("thermodynamics" is not a vendor).
_IN_TEXT = re.compile(
    r"(?<![a-z0-9])(" + "|".join(re.escape(k) for k in (*_LONG, *_SHORT)) + r")(?![0-9])"
)
_SLUGS = {vendor: vendor for vendor in RECOGNISERS} | {"microsoft": "dynamics365"}

_CACHE_LIMIT = 10_000
_host_cache: dict[str, str | None] = {}
_name_cache: dict[str, frozenset[str]] = {}
_EMPTY: frozenset[str] = frozenset()


def vendor_of_host(host: str) -> str | None:
    """`api.8x8.com` -> `8x8`: the vendor whose domain the host is in, else None."""
    vendor = _host_cache.get(host, "")
    if vendor != "":
        return vendor
    vendor = None
    for suffix, candidate in _HOST_SUFFIXES:
        if host == suffix or (host.endswith(suffix) and host[-len(suffix) - 1] == "."):
            vendor = candidate
            break
    if len(_host_cache) < _CACHE_LIMIT:
        _host_cache[host] = vendor
    return vendor


def vendors_named(value: str) -> frozenset[str]:
    """Vendors named by a field value (`vendor`, `provider`, logger names, components)."""
    found = _name_cache.get(value)
    if found is not None:
        return found
    head = value[:200]
    slug = _SLUGS.get(head.strip().lower())
    if slug is not None:
        found = frozenset((slug,))
    else:
        found = frozenset(_KEYWORD_VENDOR[m.group(1).lower()] for m in _IN_FIELD.finditer(head))
    if len(value) <= 200 and len(_name_cache) < _CACHE_LIMIT:
        _name_cache[value] = found
    return found


_KEYWORDS = tuple(_KEYWORD_VENDOR)
_text_cache: dict[str, frozenset[str]] = {}


def vendors_in_text(value: str) -> frozenset[str]:
    """Vendors named in free text, as whole words."""
    found = _text_cache.get(value)
    if found is not None:
        return found
    lowered = value.lower()
    # Most text names no vendor: a few substring tests beat the regex's scan of every position.
    for keyword in _KEYWORDS:
        if keyword in lowered:
            named = {_KEYWORD_VENDOR[m.group(1)] for m in _IN_TEXT.finditer(lowered)}
            found = frozenset(named) if named else _EMPTY
            break
    else:
        found = _EMPTY
    if len(value) <= 200 and len(_text_cache) < _CACHE_LIMIT:
        _text_cache[value] = found
    return found
