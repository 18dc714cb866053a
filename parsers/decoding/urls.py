"""URLs from log records: the host for attribution, and a copy safe to export (no secrets).

Logs carry request URLs verbatim, credentials and pre-signed query strings included. Every URL
that leaves the parser (`Finding.url`, span attribute `url.full`) goes through `sanitize_url`:
user info is dropped, query parameters that carry secrets are dropped, the fragment is dropped.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from vendor_errors.parsers.fast.memo import Memo

# Query parameter names that carry credentials or signatures (compared lower-cased, with `-`
# and `_` removed): OAuth and API keys, AWS/Azure/GCS pre-signed URLs, generic tokens.
_SECRET_PARAMS = frozenset(
    {
        "accesstoken",
        "apikey",
        "apisecret",
        "auth",
        "authorization",
        "authtoken",
        "clientsecret",
        "code",
        "credential",
        "credentials",
        "idtoken",
        "key",
        "pass",
        "passwd",
        "password",
        "pwd",
        "refreshtoken",
        "secret",
        "servicekey",
        "session",
        "sessionid",
        "sessiontoken",
        "sig",
        "signature",
        "token",
        "xamzcredential",
        "xamzsecuritytoken",
        "xamzsignature",
        "xgoogcredential",
        "xgoogsignature",
    }
)
# Parameters whose *name* is innocent but whose value looks like a bearer token (JWT).
_JWT = re.compile(r"^eyJ[\w-]{8,}\.[\w-]+\.[\w-]*$")
MAX_URL_CHARS = 2048


def _is_secret(name: str, value: str) -> bool:
    folded = name.lower().replace("-", "").replace("_", "")
    return (
        folded in _SECRET_PARAMS or folded.endswith(("token", "secret")) or bool(_JWT.match(value))
    )


MEMO_LIMIT = 4096  # endpoints repeat; a burst of unique URLs only costs a refill
_clean: Memo[str, str | None] = Memo(MEMO_LIMIT)


def sanitize_url(url: str) -> str | None:
    """The URL without user info, secret query parameters or fragment; None if it is no URL.

    >>> sanitize_url("https://user:pw@api.8x8.com/sms/v1?sig=abc&page=2#frag")
    'https://api.8x8.com/sms/v1?page=2'
    """
    clean = _clean.data.get(url, "")
    if clean != "":
        return clean
    return _clean.put(url, _sanitize(url))


def _sanitize(url: str) -> str | None:
    url = url.strip()[:MAX_URL_CHARS]
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        port = parts.port
    except ValueError:  # e.g. an unbalanced IPv6 bracket or a non-numeric port
        return None
    if not parts.scheme or not hostname:
        return None
    netloc = f"[{hostname}]" if ":" in hostname else hostname
    if port is not None:
        netloc = f"{netloc}:{port}"
    query = parts.query
    if query:
        kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not _is_secret(k, v)]
        query = urlencode(kept, safe="/:,")
    return urlunsplit((parts.scheme.lower(), netloc, parts.path, query, ""))


_hosts: Memo[str, str | None] = Memo(MEMO_LIMIT)


def url_host(url: str) -> str | None:
    """The lower-cased host of an absolute URL (cheaply, without a full parse), else None."""
    host = _hosts.data.get(url, "")
    if host != "":
        return host
    return _hosts.put(url, _host(url))


def _host(url: str) -> str | None:
    start = url.find("://")
    if start < 0:
        return None
    start += 3
    end = len(url)
    for stop in "/?#":
        found = url.find(stop, start, end)
        if found >= 0:
            end = found
    host = url[start:end]
    at = host.rfind("@")
    if at >= 0:
        host = host[at + 1 :]
    if host.startswith("["):  # IPv6 literal
        close = host.find("]")
        return host[1:close].lower() or None if close > 0 else None
    colon = host.find(":")
    if colon >= 0:
        host = host[:colon]
    return host.lower().rstrip(".") or None


_exported: Memo[str, tuple[str | None, str | None]] = Memo(MEMO_LIMIT)


def exported(url: str) -> tuple[str | None, str | None]:
    """(`sanitize_url(url)`, its host): what a finding carries of the URL of the failed call."""
    found = _exported.data.get(url)
    if found is None:
        clean = sanitize_url(url)
        found = _exported.put(url, (clean, url_host(clean) if clean else None))
    return found
