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
from typing import Any

import orjson
from vendor_errors.parsers.decoding import logfmt
from vendor_errors.parsers.decoding.candidates import Candidate, fold_keys
from vendor_errors.parsers.decoding.context import (
    MAX_TEXT_CHARS,
    Envelope,
    service_name,
    settle,
)
from vendor_errors.parsers.decoding.directory import Directory
from vendor_errors.parsers.decoding.embedded import embedded_values, xml_values
from vendor_errors.parsers.decoding.fields import (
    FOLDED,
    R_APP_NAME,
    R_CODE,
    R_CONTAINER,
    R_CORRELATION,
    R_ERROR_ID,
    R_HOST,
    R_K8S_APP,
    R_K8S_NAME,
    R_LEVEL,
    R_MESSAGE,
    R_NAMESPACE,
    R_NONE,
    R_REQUEST,
    R_SERVICE,
    R_SPAN_ID,
    R_STATUS,
    R_TIMESTAMP,
    R_TRACE_ID,
    R_TRACEPARENT,
    R_URL,
    R_VENDOR,
    R_VENDOR_HEADER,
    fold,
)
from vendor_errors.parsers.decoding.grok import Layouts
from vendor_errors.parsers.decoding.prose import PROSE_CODE, SMPP_RECEIPT, URL
from vendor_errors.parsers.decoding.scalars import Scalars
from vendor_errors.parsers.decoding.values import (
    as_level,
    as_status,
    as_trace_id,
    is_status_code,
)
from vendor_errors.parsers.decoding.wrappers import key_values

MAX_DEPTH = 24  # nesting followed into objects; deeper structure is ignored
MAX_LIST_ITEMS = 100
MAX_CANDIDATES = 64
MAX_WRAPPERS = 3  # layouts tried in turn on a line's message: CRI, then syslog, then the app's

_NO_ROLES: dict[str, int] = {}
# Roles whose value may come as a one-element list (`"x-ms-correlation-id": ["..."]`).
_LIST_SCALARS = frozenset(
    {R_CORRELATION, R_VENDOR_HEADER, R_TRACEPARENT, R_TRACE_ID, R_SPAN_ID, R_URL, R_HOST}
    | {R_VENDOR, R_SERVICE, R_APP_NAME, R_K8S_NAME, R_K8S_APP, R_CONTAINER, R_NAMESPACE}
)
# What a request body the record shows being sent says of the record: where it went.
_REQUEST_ROLES = frozenset({R_URL, R_HOST, R_CODE, R_MESSAGE, R_REQUEST, R_ERROR_ID})
# Keys of an object that say it reports a failure in words (with `success: false`, or next to
# a status that is no HTTP status: Webex's `status: "7102"` + `description`).
# Members of an ECS `event` object besides `code` (https://www.elastic.co/guide/en/ecs/current/).
_ECS_EVENT = frozenset(
    {"kind", "category", "dataset", "module", "outcome", "created", "ingested", "original"}
    | {"provider", "action", "type", "sequence", "severity", "duration"}
)
_WORDING_KEYS = frozenset(
    {"description", "statusdescription", "message", "errormessage", "error", "errorreason"}
    | {"reason", "detail", "desc"}
)


class Reader:
    """Records to envelopes, with the field roles and vendor lookups of one directory."""

    __slots__ = (
        "_add_url",
        "_apply",
        "_channel",
        "_directory",
        "_layouts",
        "_named",
        "_nested",
        "_role_of",
        "_top",
    )

    def __init__(self, directory: Directory, layouts: Layouts) -> None:
        self._directory = directory
        scalars = Scalars(directory)
        self._apply = scalars.apply  # the roles `walk` does not read itself
        self._add_url = scalars.add_url
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
        return settle(env)

    def from_text(self, text: str) -> Envelope:
        """A text record: a known layout on its first line, then the message (and later lines)."""
        env = Envelope()
        if "\x1b[" in text:
            text = _ANSI.sub("", text)  # colours of a console log
        newline = text.find("\n")
        first = text if newline < 0 else text[:newline]
        start = 0
        role_of = self._role_of
        for _ in range(MAX_WRAPPERS):
            match = self._layouts.match(first, start)
            if match is None or match.message_start <= start:
                break
            for name, value in match.fields.items():
                role = role_of(name)
                if role != R_NONE and role != R_MESSAGE and value:
                    self._apply(env, role, name, value)
            start = match.message_start
        self._text(env, text[start:], 0, message=True)
        return settle(env)

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
        sent = origin == "request"
        for key, value in obj.items():
            role = roles.get(key)
            if role is None:
                if key.__class__ is not str:
                    continue
                role = self._role_of(key, parent_key)
            if sent and role not in _REQUEST_ROLES:
                role = R_NONE  # a status, channel or time in a request sent is not the record's
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
                    name = service_name(value)
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
            elif role == R_CORRELATION and group is not None:
                pass  # an id of one item of an array (a batch answer's), not of the record
            else:
                self._apply(env, role, key, value)
        # RFC 7807 problem details are error bodies even without a code member (http_<status>);
        # so are objects saying `success: false` in words, and objects whose `status` is a
        # vendor's code (not an HTTP status) next to its wording.
        candidate = has_code or (has_status and ("title" in obj or "detail" in obj))
        if candidate and parent_key == "event" and not _ECS_EVENT.isdisjoint(obj):
            candidate = False  # ECS `event.code`: the event's id at its source (Windows, ...)
        if not candidate and (failed or (status_code is not None and is_status_code(status_code))):
            candidate = any(fold(key) in _WORDING_KEYS for key in obj if key.__class__ is str)
        if candidate and len(env.candidates) < MAX_CANDIDATES:
            if group is None:
                env.groups += 1
                group = env.groups
            # Folded afresh: a memo by id() would hand a freed body's keys to a later object
            # that reuses its address (two JSON strings with bodies in one record).
            body = fold_keys(obj)
            # The record itself is the body: its line's text is not the vendor's wording.
            record_level = origin == "logfmt" or (
                depth == 0 and origin == "json" and env.level is not None
            )
            env.candidates.append(
                Candidate(body, parent, parent_key, group, origin, self._channel, record_level)
            )
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
            for value, (start, _end) in zip(embedded_values(text, spans), spans, strict=True):
                sent = origin == "request" or _REQUEST_BEFORE.search(
                    text, max(0, start - 40), start
                )
                self.walk(env, value, "request" if sent else origin, depth=depth)
        if "</" in text:
            for value in xml_values(text):
                self.walk(env, value, origin, depth=depth)
        if "://" in text:
            for found in URL.finditer(text):
                self._add_url(env, found.group(0).rstrip(".,;:)]}'\""))
        if " err:" in text and " stat:" in text:
            self._receipt(env, text)
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

    def _receipt(self, env: Envelope, text: str) -> None:
        """An SMPP delivery receipt's text (`id:... stat:UNDELIV err:046 ...`): a body of its
        own, `{id, stat, err}`, for the vendor the record names to read."""
        found = SMPP_RECEIPT.search(text)
        if found is not None and len(env.candidates) < MAX_CANDIDATES:
            env.groups += 1
            body = {"id": found.group(1), "stat": found.group(2), "err": found.group(3)}
            env.candidates.append(Candidate(body, None, "", env.groups, "smpp", self._channel))

    def _prose_codes(self, env: Envelope, text: str) -> None:
        """Codes written in a sentence ("error code 1300") become bodies of their own."""
        if len(env.candidates) < MAX_CANDIDATES:
            for found in PROSE_CODE.finditer(text):
                env.groups += 1
                body = {"code": found.group(1)}
                env.candidates.append(Candidate(body, None, "", env.groups, "prose", self._channel))
                if len(env.candidates) >= MAX_CANDIDATES:
                    break


_ANSI = re.compile(r"\x1b\[[0-9;]{0,32}[A-Za-z]")
# A body in text right after `request=`, `request body:`, `sending`: what was sent.
_REQUEST_BEFORE = re.compile(
    r"(?i:(?<!bad )(?<!invalid )\b(?:request|req|request[ _]?body|request[ _]?payload|sending|sent)"
    r"[\"']?\s*[=:]?\s*)\Z"
)


def _inner(origin: str) -> str:
    """The origin of what is found inside a string of a value from `origin`."""
    return "request" if origin == "request" else "embedded"


def _from_bytes(values: list[Any]) -> str:
    """journald's MESSAGE of a line that was not valid text: its bytes, as numbers."""
    data = bytes(v for v in values[:MAX_TEXT_CHARS] if v.__class__ is int and 0 <= v < 256)
    return data.decode("utf-8", "replace")
