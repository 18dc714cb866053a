"""Envelopes: what a record says around its error bodies, and where the bodies are.

A record is a JSON object, a logfmt line or plain text (a layout of parsers/patterns matched
on its first line). Either way the result is an `Envelope`: the request context (time, level,
HTTP method/status/URL, correlation and trace ids, vendor names in fields, URL hosts and
headers) and the candidate error bodies found at any depth: nested objects, JSON in string
fields, JSON or Python reprs inside free text, `key=value` pairs, "error code 1300" phrases.
The first value of a field wins, and fields of a level are read before its nested objects, so
the record's own `timestamp` beats one inside a body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson
from vendor_errors.parsers.decoding import logfmt
from vendor_errors.parsers.decoding.embedded import embedded_values
from vendor_errors.parsers.decoding.fields import (
    ERROR_LEVELS,
    FOLDED,
    NESTED_ROLES,
    R_CHANNEL,
    R_CODE,
    R_CORRELATION,
    R_ERROR_ID,
    R_HOST,
    R_LEVEL,
    R_LOGGER,
    R_MESSAGE,
    R_METHOD,
    R_NONE,
    R_SERVICE,
    R_SPAN_ID,
    R_STATUS,
    R_TIMESTAMP,
    R_TRACE_FLAGS,
    R_TRACE_ID,
    R_TRACEPARENT,
    R_URL,
    R_VENDOR,
    R_VENDOR_HEADER,
    TOP_ROLES,
    as_channel,
    as_span_id,
    as_status,
    as_trace_id,
    fold,
    header_vendor,
    parse_traceparent,
    role_of,
)
from vendor_errors.parsers.decoding.grok import Layouts
from vendor_errors.parsers.decoding.urls import url_host
from vendor_errors.parsers.recognisers.base import Candidate, fold_keys
from vendor_errors.parsers.recognisers.registry import (
    vendor_of_host,
    vendors_in_text,
    vendors_named,
)

MAX_DEPTH = 24  # nesting followed into objects; deeper structure is ignored
MAX_LIST_ITEMS = 100
MAX_TEXT_CHARS = 512 * 1024  # free text analysed per record, in total
MAX_CANDIDATES = 64

_URL = re.compile(r"""\b[a-zA-Z][\w+.-]{1,15}://[^\s"'<>`\\]{1,2048}""")
# HTTP statuses written in prose: "HTTP 503", "status: 429", "returned 404", "503 Service
# Unavailable". A bare number is never a status ("retrying in 1000 ms", "took 503 ms").
_PROSE_STATUS = re.compile(
    r"(?i:\bHTTP(?:/\d(?:\.\d)?)?[ :]+|\bstatus(?:[ _-]?code)?[\"']?\s*[:=]?\s*|"
    r"\b(?:return(?:ed|ing)|respon(?:ded|ding|se)|answer(?:ed|ing)|repl(?:ied|ying)|"
    r"fail(?:ed|ing)|error)(?: with)?[: ]+(?:an? )?(?:HTTP )?|"
    r"(?:->|=>) *)"
    r"([45]\d\d)\b(?![ \t]*(?:ms|s|bytes|items|records|times)\b)"
    r"|\b([45]\d\d) (?:Bad Request|Unauthorized|Forbidden|Not Found|Conflict|Gone|"
    r"Payload Too Large|Content Too Large|Unprocessable (?:Entity|Content)|Too Many Requests|"
    r"Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout)\b"
)
# Codes named in prose: "error code 1300", "errorCode: 10004", "ErrorCode 'RATE_LIMIT_EXCEEDED'".
_PROSE_CODE = re.compile(
    r"(?i:\b(?:error|err|vendor|reason)[ _-]?code)[\"']?\s*(?:[:=#]|\bis\b)?\s*[\"']?"
    r"([A-Za-z0-9][A-Za-z0-9_]{0,63})\b"
)
_NO_ROLES: dict[str, int] = {}
_HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


@dataclass(slots=True)
class Envelope:
    timestamps: list[Any] = field(default_factory=list)
    level: str | None = None
    service: str | None = None
    method: str | None = None
    status: int | None = None
    urls: list[tuple[str, str | None]] = field(default_factory=list)  # (url, vendor of host)
    explicit_vendors: set[str] = field(default_factory=set)
    host_vendors: set[str] = field(default_factory=set)
    header_vendors: set[str] = field(default_factory=set)
    prose: list[str] = field(default_factory=list)  # free text, read lazily (see `named`)
    correlation_id: str | None = None
    trace_id: str | None = None
    span_id: str | None = None
    trace_flags: int | None = None
    channel: str | None = None
    candidates: list[Candidate] = field(default_factory=list)
    text_budget: int = MAX_TEXT_CHARS
    groups: int = 0
    _named: frozenset[str] | None = None

    @property
    def named_vendors(self) -> frozenset[str]:
        """Vendors named in the record's free text (computed when attribution needs them)."""
        if self._named is None:
            found: set[str] = set()
            for text in self.prose:
                found |= vendors_in_text(text)
            self._named = frozenset(found)
        return self._named

    @property
    def is_error_level(self) -> bool:
        return self.level is not None and self.level in ERROR_LEVELS

    def url_for(self, vendor: str | None) -> str | None:
        """The URL of the failed call: the vendor's own if the record has one."""
        for url, host_vendor in self.urls:
            if host_vendor is not None and host_vendor == vendor:
                return url
        return self.urls[0][0] if self.urls else None


# -- scalar fields -------------------------------------------------------------------------


def _apply(env: Envelope, role: int, key: str, value: Any) -> None:
    """Record the value of a field whose role is known (first value wins)."""
    if role == R_TIMESTAMP:
        if len(env.timestamps) < 3:
            env.timestamps.append(value)
    elif value.__class__ is not str:
        if role == R_STATUS and env.status is None:
            env.status = as_status(value)
        elif role == R_TRACE_FLAGS and env.trace_flags is None and value.__class__ is int:
            env.trace_flags = value & 0xFF
    # The roles `walk` leaves to this function first.
    elif role in (R_VENDOR, R_LOGGER):
        env.explicit_vendors.update(vendors_named(value))
    elif role in (R_CORRELATION, R_VENDOR_HEADER):
        vendor = header_vendor(key)
        if vendor is not None:
            env.header_vendors.add(vendor)
        if role == R_CORRELATION and env.correlation_id is None and value.strip():
            env.correlation_id = value.strip()[:256]
    elif role == R_METHOD:
        if env.method is None and value.upper() in _HTTP_METHODS:
            env.method = value.upper()
    elif role == R_SPAN_ID:
        if env.span_id is None:
            env.span_id = as_span_id(value)
    elif role == R_HOST:
        host = url_host(value) if "://" in value else value.strip().lower().split(":")[0]
        vendor = vendor_of_host(host) if host else None
        if vendor is not None:
            env.host_vendors.add(vendor)
    elif role == R_CHANNEL:
        if env.channel is None:
            env.channel = as_channel(value)
    elif role == R_TRACEPARENT:
        parsed = parse_traceparent(value)
        if parsed is not None and env.trace_id is None:
            env.trace_id, env.span_id, env.trace_flags = parsed
    elif role == R_STATUS:
        if env.status is None:
            env.status = as_status(value)
    elif role == R_LEVEL:
        if env.level is None:
            env.level = value.strip().lower()
    elif role == R_URL:
        _add_url(env, value)
    elif role == R_SERVICE:
        if env.service is None:
            env.service = value[:256]
    elif role == R_TRACE_ID and env.trace_id is None:
        env.trace_id = as_trace_id(value)


def _add_url(env: Envelope, value: str) -> None:
    if "://" not in value or len(env.urls) >= 8:
        return
    host = url_host(value)
    vendor = vendor_of_host(host) if host else None
    if vendor is not None:
        env.host_vendors.add(vendor)
    env.urls.append((value.strip(), vendor))


# -- objects -------------------------------------------------------------------------------


def walk(
    env: Envelope,
    obj: Any,
    origin: str,
    parent_key: str = "",
    parent: dict[str, Any] | None = None,
    depth: int = 0,
    group: int | None = None,
) -> None:
    """Read fields and candidate bodies from a decoded JSON value (or logfmt pairs)."""
    if depth > MAX_DEPTH:
        return
    if obj.__class__ is list:
        env.groups += 1
        shared = env.groups
        for item in obj[:MAX_LIST_ITEMS]:
            if item.__class__ is dict or item.__class__ is list:
                walk(env, item, origin, parent_key, parent, depth + 1, shared)
            elif item.__class__ is str:
                _text(env, item, depth + 1, message=False)
        return
    if obj.__class__ is not dict:
        return
    nested: list[tuple[str, Any]] | None = None
    texts: list[tuple[str, bool]] | None = None
    has_code = has_status = False
    roles = NESTED_ROLES.get(parent_key, _NO_ROLES) if parent_key else TOP_ROLES
    for key, value in obj.items():
        role = roles.get(key)
        if role is None:
            if key.__class__ is not str:
                continue
            role = role_of(key, parent_key)
        cls = value.__class__
        if cls is dict or cls is list:
            if nested is None:
                nested = [(key, value)]
            else:
                nested.append((key, value))
            continue
        # The commonest roles first; `_apply` has the rest.
        if role == R_NONE:
            if cls is str:
                if depth == 0 and key == "name":  # python-json-logger's logger name
                    env.explicit_vendors.update(vendors_named(value))
                elif len(value) > 8 and ("{" in value or "://" in value or "[" in value):
                    # An embedded body or URL in some other field.
                    if texts is None:
                        texts = [(value, False)]
                    else:
                        texts.append((value, False))
        elif role == R_MESSAGE:
            if cls is str:
                # Most messages are plain words, only kept for a later look at them: no body,
                # URL, key=value pair or code in them (inlined: the hot path).
                if not (
                    "{" in value
                    or "[" in value
                    or "=" in value
                    or "://" in value
                    or "ode" in value
                    or "ODE" in value
                    or len(value) > 4096
                ):
                    if len(env.prose) < 16:
                        env.prose.append(value)
                elif texts is None:
                    texts = [(value, True)]
                else:
                    texts.append((value, True))
        elif role == R_CODE:
            has_code = has_code or value is not None
        elif role == R_TIMESTAMP:
            if len(env.timestamps) < 3:
                env.timestamps.append(value)
        elif role == R_STATUS:
            has_status = True
            if env.status is None:
                env.status = as_status(value)
        elif role == R_LEVEL:
            if env.level is None and cls is str:
                env.level = value.strip().lower()
        elif role == R_TRACE_ID:
            if env.trace_id is None:
                env.trace_id = as_trace_id(value)
        elif role == R_SERVICE:
            if env.service is None and cls is str:
                env.service = value[:256]
        elif role == R_URL:
            if cls is str:
                _add_url(env, value)
        elif role == R_ERROR_ID:
            if env.correlation_id is None and cls is str:
                env.correlation_id = value.strip()[:256] or None
        else:
            _apply(env, role, key, value)
    # RFC 7807 problem details are error bodies even without a code member (code http_<status>).
    problem = has_status and ("title" in obj or "detail" in obj)
    if (has_code or problem) and len(env.candidates) < MAX_CANDIDATES:
        if group is None:
            env.groups += 1
            group = env.groups
        # Folded afresh: a cache by id() would hand a freed body's keys to a later object
        # that reuses its address (two JSON strings with bodies in one record).
        body = fold_keys(obj)
        env.candidates.append(Candidate(body, parent, parent_key, group, origin))  # type: ignore[arg-type]
    if texts is not None:
        for text, is_message in texts:
            _text(env, text, depth + 1, message=is_message)
    if nested is not None:
        for key, value in nested:
            walk(env, value, origin, FOLDED.get(key) or fold(key), obj, depth + 1)


# -- free text -----------------------------------------------------------------------------


def _text(env: Envelope, text: str, depth: int, message: bool) -> None:
    """Find bodies, URLs, statuses and vendor names in a string."""
    if env.text_budget <= 0 or depth > MAX_DEPTH:
        return
    if len(text) > env.text_budget:
        text = text[: env.text_budget]
    env.text_budget -= len(text)
    before = len(env.candidates)
    head = text.lstrip()[:1]
    whole = None
    if head == "{" or head == "[":
        try:
            whole = orjson.loads(text)
        except orjson.JSONDecodeError:
            whole = None
    if whole.__class__ is dict or whole.__class__ is list:
        walk(env, whole, "embedded", depth=depth)
    elif "{" in text or "[" in text:
        for value in embedded_values(text):
            walk(env, value, "embedded", depth=depth)
    if "://" in text:
        for found in _URL.finditer(text):
            _add_url(env, found.group(0).rstrip(".,;:)]}"))
    if not message:
        return
    if "=" in text:
        pairs = logfmt.pairs(text)
        if pairs:
            walk(env, pairs, "logfmt", depth=depth)
    if len(env.prose) < 16:
        env.prose.append(text)
    if len(env.candidates) == before and ("ode" in text or "ODE" in text):
        _prose_codes(env, text)


def _settle(env: Envelope) -> Envelope:
    """What needs the whole record: a status written in prose only if no field gave one."""
    if env.status is None:
        for text in env.prose:
            if "4" not in text and "5" not in text:
                continue  # every status the pattern reads starts with one (a cheap skip)
            found = _PROSE_STATUS.search(text)
            if found is not None:
                env.status = int(found.group(1) or found.group(2))
                break
    return env


def _prose_codes(env: Envelope, text: str) -> None:
    """Codes written in a sentence ("error code 1300") become bodies of their own."""
    if len(env.candidates) < MAX_CANDIDATES:
        for found in _PROSE_CODE.finditer(text):
            env.groups += 1
            body = {"code": found.group(1)}
            env.candidates.append(Candidate(body, None, "", env.groups, "prose"))
            if len(env.candidates) >= MAX_CANDIDATES:
                break


# -- records -------------------------------------------------------------------------------


def from_json(obj: Any) -> Envelope:
    env = Envelope()
    walk(env, obj, "json")
    return _settle(env)


def from_text(text: str, layouts: Layouts) -> Envelope:
    """A text record: a known layout on its first line, then the message (and later lines)."""
    env = Envelope()
    newline = text.find("\n")
    first = text if newline < 0 else text[:newline]
    match = layouts.match(first)
    message = text
    if match is not None:
        for name, value in match.fields.items():
            role = role_of(name)
            if role == R_MESSAGE:
                continue
            if role != R_NONE:
                _apply(env, role, name, value)
        message = text[match.message_start :]
    _text(env, message, 0, message=True)
    return _settle(env)
