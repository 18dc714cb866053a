"""Envelopes: what a record says around its error bodies, and where the bodies are.

A record is a JSON object, a logfmt line or plain text (a layout of decoding/patterns matched
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
from vendor_errors.parsers.decoding.candidates import Candidate, fold_keys
from vendor_errors.parsers.decoding.directory import Directory
from vendor_errors.parsers.decoding.embedded import embedded_values
from vendor_errors.parsers.decoding.fields import (
    FOLDED,
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
    R_APP_NAME,
    R_CONTAINER,
    R_K8S_APP,
    R_K8S_NAME,
    R_NAMESPACE,
    R_REQUEST,
    as_level,
    as_span_id,
    is_status_code,
    as_status,
    as_trace_id,
    fold,
    parse_traceparent,
)
from vendor_errors.parsers.decoding.grok import Layouts
from vendor_errors.parsers.decoding.prose import PROSE_CODE, URL, prose_status
from vendor_errors.parsers.decoding.urls import url_host
from vendor_errors.parsers.decoding.wrappers import key_values

MAX_DEPTH = 24  # nesting followed into objects; deeper structure is ignored
MAX_LIST_ITEMS = 100
MAX_TEXT_CHARS = 512 * 1024  # free text analysed per record, in total
MAX_CANDIDATES = 64

_NO_ROLES: dict[str, int] = {}
# How strongly a field names the application: the strongest in the record wins.
NO_SERVICE = 9
_SERVICE_RANK = {R_SERVICE: 0, R_APP_NAME: 1, R_K8S_NAME: 2, R_K8S_APP: 3, R_CONTAINER: 4}
# Roles whose value may come as a one-element list (`"x-ms-correlation-id": ["..."]`).
_LIST_SCALARS = frozenset(
    {R_CORRELATION, R_VENDOR_HEADER, R_TRACEPARENT, R_TRACE_ID, R_SPAN_ID, R_URL, R_HOST}
    | {R_VENDOR, R_SERVICE, R_APP_NAME, R_K8S_NAME, R_K8S_APP, R_CONTAINER, R_NAMESPACE}
)
# Keys of an object that say it reports a failure in words (with `success: false`, or next to
# a status that is no HTTP status: Webex's `status: "7102"` + `description`).
_WORDING_KEYS = frozenset(
    {"description", "statusdescription", "message", "errormessage", "error", "errorreason"}
    | {"reason", "detail", "desc"}
)
_HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


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


class Reader:
    """Records to envelopes, with the field roles and vendor lookups of one directory."""

    __slots__ = ("_channel", "_directory", "_layouts", "_named", "_nested", "_role_of", "_top")

    def __init__(self, directory: Directory, layouts: Layouts) -> None:
        self._directory = directory
        roles = directory.roles
        self._top = roles.top
        self._nested = roles.nested
        self._role_of = roles.role_of
        self._channel = directory.channel
        self._named = directory.vendors_named
        self._layouts = layouts

    def from_json(self, obj: Any) -> Envelope:
        env = Envelope()
        self.walk(env, obj, "json")
        return _settle(env)

    def from_text(self, text: str) -> Envelope:
        """A text record: a known layout on its first line, then the message (and later lines)."""
        env = Envelope()
        newline = text.find("\n")
        first = text if newline < 0 else text[:newline]
        match = self._layouts.match(first)
        message = text
        if match is not None:
            role_of = self._role_of
            for name, value in match.fields.items():
                role = role_of(name)
                if role == R_MESSAGE:
                    continue
                if role != R_NONE:
                    self._apply(env, role, name, value)
            message = text[match.message_start :]
        self._text(env, message, 0, message=True)
        return _settle(env)

    # -- scalar fields ---------------------------------------------------------------------

    def _apply(self, env: Envelope, role: int, key: str, value: Any) -> None:
        """Record the value of a field whose role is known (first value wins)."""
        if role == R_TIMESTAMP:
            if len(env.timestamps) < 3:
                env.timestamps.append(value)
        elif value.__class__ is not str:
            if role == R_STATUS and env.status is None:
                env.status = as_status(value)
            elif role == R_TRACE_FLAGS and env.trace_flags is None and value.__class__ is int:
                env.trace_flags = value & 0xFF
            elif role == R_LEVEL and env.level is None:
                env.level = as_level(value)
        # The roles `walk` leaves to this method first.
        elif role in (R_VENDOR, R_LOGGER):
            env.explicit_vendors.update(self._named(value))
        elif role in (R_CORRELATION, R_VENDOR_HEADER):
            vendor = self._directory.header_vendor(key)
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
            vendor = self._directory.vendor_of_host(host) if host else None
            if vendor is not None:
                env.host_vendors.add(vendor)
        elif role == R_CHANNEL:
            if env.channel is None:
                env.channel = self._channel(value)
        elif role == R_TRACEPARENT:
            parsed = parse_traceparent(value)
            if parsed is not None and env.trace_id is None:
                env.trace_id, env.span_id, env.trace_flags = parsed
        elif role == R_STATUS:
            if env.status is None:
                env.status = as_status(value)
        elif role == R_LEVEL:
            if env.level is None:
                env.level = as_level(value)
        elif role in _SERVICE_RANK:
            rank = _SERVICE_RANK[role]
            if rank < env.service_rank:
                name = _service_name(value)
                if name is not None:
                    env.service, env.service_rank = name, rank
        elif role == R_NAMESPACE:
            if env.namespace is None and value.strip():
                env.namespace = value.strip()[:128]
        elif role == R_URL:
            self._add_url(env, value)
        elif role == R_TRACE_ID and env.trace_id is None:
            env.trace_id = as_trace_id(value)
        # R_HEADERS, R_CODE, R_REQUEST, ...: nothing to read in a scalar.

    def _add_url(self, env: Envelope, value: str) -> None:
        if "://" not in value or len(env.urls) >= 8:
            return
        host = url_host(value)
        vendor = self._directory.vendor_of_host(host) if host else None
        if vendor is not None:
            env.host_vendors.add(vendor)
        env.urls.append((value.strip(), vendor))

    # -- objects ---------------------------------------------------------------------------

    def walk(
        self,
        env: Envelope,
        obj: Any,
        origin: str,
        parent_key: str = "",
        parent: dict[str, Any] | None = None,
        depth: int = 0,
        group: int | None = None,
    ) -> None:
        """Read fields and candidate bodies from a decoded JSON value (or logfmt pairs).

        `origin` is where the value came from ("json", "embedded", "logfmt", "literal"), or
        "request": inside a request body the record shows being sent."""
        if depth > MAX_DEPTH:
            return
        if obj.__class__ is list:
            pairs = key_values(obj)  # OTLP's [{"key": ..., "value": {...}}] attribute lists
            if pairs is not None:
                obj = pairs
            else:
                env.groups += 1
                shared = env.groups
                for item in obj[:MAX_LIST_ITEMS]:
                    if item.__class__ is dict or item.__class__ is list:
                        self.walk(env, item, origin, parent_key, parent, depth + 1, shared)
                    elif item.__class__ is str:
                        self._text(env, item, depth + 1, False, _inner(origin))
                return
        if obj.__class__ is not dict:
            return
        nested: list[tuple[str, Any, str]] | None = None
        texts: list[tuple[str, bool, str]] | None = None
        has_code = has_status = failed = False
        status_code: Any = None
        if parent_key:
            memo = self._nested.get(parent_key)
            roles = _NO_ROLES if memo is None else memo.data
        else:
            roles = self._top
        for key, value in obj.items():
            role = roles.get(key)
            if role is None:
                if key.__class__ is not str:
                    continue
                role = self._role_of(key, parent_key)
            cls = value.__class__
            if cls is dict or cls is list:
                if cls is list and value and role != R_NONE:
                    first = value[0].__class__
                    if first is str and role in _LIST_SCALARS:
                        value, cls = value[0], str  # a header's values, as HTTP clients log them
                    elif first is int and role == R_MESSAGE:
                        value, cls = _from_bytes(value), str  # journald's MESSAGE as bytes
                if cls is not str:
                    inner = "request" if role == R_REQUEST else origin
                    if nested is None:
                        nested = [(key, value, inner)]
                    else:
                        nested.append((key, value, inner))
                    continue
            # The commonest roles first; `_apply` has the rest.
            if role == R_NONE:
                if cls is str:
                    if depth == 0 and key == "name":  # python-json-logger's logger name
                        env.explicit_vendors.update(self._named(value))
                    elif len(value) > 8 and ("{" in value or "://" in value or "[" in value):
                        # An embedded body or URL in some other field.
                        if texts is None:
                            texts = [(value, False, origin)]
                        else:
                            texts.append((value, False, origin))
                elif value is False and (key == "success" or key == "Success"):
                    failed = True
            elif role == R_MESSAGE:
                if cls is str:
                    # Most messages are plain words, only kept for a later look at them: no
                    # body, URL, key=value pair or code in them (inlined: the hot path).
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
                        texts = [(value, True, origin)]
                    else:
                        texts.append((value, True, origin))
            elif role == R_CODE:
                has_code = has_code or value is not None
            elif role == R_TIMESTAMP:
                if len(env.timestamps) < 3:
                    env.timestamps.append(value)
            elif role == R_STATUS:
                has_status = True
                status = as_status(value)
                if status is None:
                    status_code = value  # maybe a vendor's status code (Webex "7102")
                elif env.status is None:
                    env.status = status
            elif role == R_LEVEL:
                if env.level is None:
                    env.level = as_level(value)
            elif role == R_TRACE_ID:
                if env.trace_id is None:
                    env.trace_id = as_trace_id(value)
            elif role == R_SERVICE:
                if env.service_rank and cls is str:
                    name = _service_name(value)
                    if name is not None:
                        env.service, env.service_rank = name, 0
            elif role == R_URL:
                if cls is str:
                    self._add_url(env, value)
            elif role == R_ERROR_ID:
                if env.correlation_id is None and cls is str:
                    env.correlation_id = value.strip()[:256] or None
            elif role == R_REQUEST:
                if cls is str and len(value) > 8 and "{" in value:
                    if texts is None:
                        texts = [(value, False, "request")]
                    else:
                        texts.append((value, False, "request"))
            else:
                self._apply(env, role, key, value)
        # RFC 7807 problem details are error bodies even without a code member (http_<status>);
        # so are objects saying `success: false` in words, and objects whose `status` is a
        # vendor's code (not an HTTP status) next to its wording.
        candidate = has_code or (has_status and ("title" in obj or "detail" in obj))
        if not candidate and (failed or (status_code is not None and is_status_code(status_code))):
            candidate = any(fold(key) in _WORDING_KEYS for key in obj if key.__class__ is str)
        if candidate and len(env.candidates) < MAX_CANDIDATES:
            if group is None:
                env.groups += 1
                group = env.groups
            # Folded afresh: a memo by id() would hand a freed body's keys to a later object
            # that reuses its address (two JSON strings with bodies in one record).
            body = fold_keys(obj)
            env.candidates.append(Candidate(body, parent, parent_key, group, origin, self._channel))
        if texts is not None:
            for text, is_message, where in texts:
                self._text(env, text, depth + 1, is_message, _inner(where))
        if nested is not None:
            for key, value, where in nested:
                self.walk(env, value, where, FOLDED.get(key) or fold(key), obj, depth + 1)

    # -- free text -------------------------------------------------------------------------

    def _text(
        self, env: Envelope, text: str, depth: int, message: bool, origin: str = "embedded"
    ) -> None:
        """Find bodies, URLs, statuses and vendor names in a string."""
        if env.text_budget <= 0 or depth > MAX_DEPTH:
            return
        if len(text) > env.text_budget:
            text = text[: env.text_budget]
        env.text_budget -= len(text)
        if "\x1b[" in text:
            text = _ANSI.sub("", text)  # colours of a console log
        before = len(env.candidates)
        head = text.lstrip()[:1]
        whole = None
        if head == "{" or head == "[":
            try:
                whole = orjson.loads(text)
            except orjson.JSONDecodeError:
                whole = None
        spans: list[tuple[int, int]] = []
        if whole.__class__ is dict or whole.__class__ is list:
            self.walk(env, whole, origin, depth=depth)
            spans.append((0, len(text)))
        elif "{" in text or "[" in text or "(" in text or "#<" in text:
            for value in embedded_values(text, spans):
                self.walk(env, value, origin, depth=depth)
        if "://" in text:
            for found in URL.finditer(text):
                self._add_url(env, found.group(0).rstrip(".,;:)]}'\""))
        if not message:
            return
        if "=" in text:
            # key=value pairs outside the bodies just read (a body's own `code=` is its own).
            rest = text
            for start, end in spans:
                rest = rest[:start] + " " * (end - start) + rest[end:]
            pairs = logfmt.pairs(rest)
            if pairs:
                self.walk(env, pairs, "logfmt", depth=depth)
        if len(env.prose) < 16:
            env.prose.append(text)
        if len(env.candidates) == before and ("ode" in text or "ODE" in text):
            self._prose_codes(env, text)

    def _prose_codes(self, env: Envelope, text: str) -> None:
        """Codes written in a sentence ("error code 1300") become bodies of their own."""
        if len(env.candidates) < MAX_CANDIDATES:
            for found in PROSE_CODE.finditer(text):
                env.groups += 1
                body = {"code": found.group(1)}
                env.candidates.append(Candidate(body, None, "", env.groups, "prose", self._channel))
                if len(env.candidates) >= MAX_CANDIDATES:
                    break


def _settle(env: Envelope) -> Envelope:
    """What needs the whole record: a status written in prose only if no field gave one."""
    if env.status is None:
        for text in env.prose:
            if "4" not in text and "5" not in text:
                continue  # every status the pattern reads starts with one (a cheap skip)
            status = prose_status(text)
            if status is not None:
                env.status = status
                break
    return env


_ANSI = re.compile(r"\x1b\[[0-9;]{0,32}[A-Za-z]")


def _inner(origin: str) -> str:
    """The origin of what is found inside a string of a value from `origin`."""
    return "request" if origin == "request" else "embedded"


def _service_name(value: str) -> str | None:
    """An application's name as a field gives it: `/omni-sync` (Docker) is `omni-sync`; `-`
    (syslog's nil value) is none."""
    name = value.strip().lstrip("/")[:128]
    return name if name and name != "-" else None


def _from_bytes(values: list[Any]) -> str:
    """journald's MESSAGE of a line that was not valid text: its bytes, as numbers."""
    data = bytes(v for v in values[:MAX_TEXT_CHARS] if v.__class__ is int and 0 <= v < 256)
    return data.decode("utf-8", "replace")
