"""The privacy policy: one object that every string leaving the process goes through.

`Redactor` is built once from `privacy` settings (`Redactor.from_settings`) and shared; it is
picklable, so the span exporter's child process gets the same policy (and the same key salt).
Redaction always happens before a value is cut to length: a phone number or an address split
by the cut would otherwise survive in part (`+177755`, `jane.doe.sixteen@example`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from vendor_errors.processor.privacy.rules import DEFAULT_SECRET_PARAMS, SECRET, Rules

if TYPE_CHECKING:
    from vendor_errors.parsers import Finding
    from vendor_errors.processor.settings import PrivacySettings

# Free text (vendor messages, span status) is cut here, after redaction.
MAX_TEXT_CHARS = 2048
MAX_URL_CHARS = 2048
MAX_LABEL_CHARS = 256
ELLIPSIS = "…"
# Beyond this a value is cut before it is redacted too (bounded work per record); the kept part
# then extends far enough past the limit that a cut item lands outside what is published.
_PRECUT_FACTOR = 4
_PRECUT_MARGIN = 1024
# Redacted short strings are remembered: vendor messages and codes repeat. Each cache holds at
# most _CACHE_LIMIT values of at most _CACHED_CHARS characters (a few MiB at worst).
_CACHE_LIMIT = 4096
_CACHED_CHARS = 512

KAFKA_KEY_ATTRIBUTE = "messaging.kafka.message.key"
# W3C trace and span ids, UUIDs: ids, nothing personal (and the commonest correlation ids).
_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Event fields made by the processor from closed sets, or numbers: nothing personal in them.
_HEX = "0123456789abcdefABCDEF"
_HEX_DASH = _HEX + "-"
_SAFE_FIELDS = frozenset(
    {
        "vendor",
        "category",
        "severity",
        "transient",
        "known",
        "timestamp",
        "http_status",
    }
)

_ID_FIELDS = frozenset({"correlation_id", "trace_id", "span_id"})
_FREE_FIELDS = (
    "message",
    "code",
    "channel",
    "correlation_id",
    "trace_id",
    "span_id",
    "service",
    "namespace",
    "source",
)
_EVENT_FIELDS = _SAFE_FIELDS | frozenset(_FREE_FIELDS)
_SOURCE_FIELDS = frozenset({"topic", "partition", "offset", "file", "line"})

KeyMode = Literal["hash", "redact"]
E = TypeVar("E", bound=Mapping[str, Any])
# Header values: bytes (a record's), or bytes and None (a Kafka client's, in general).
V = TypeVar("V", bytes, bytes | None)


def _is_id(value: object) -> bool:
    """None, or a W3C trace or span id, or a UUID: nothing personal in it."""
    if value is None:
        return True
    if type(value) is not str:
        return False
    size = len(value)
    # str.strip over the hex digits is the cheapest "all hex?" in CPython.
    if size == 32 or size == 16:
        return not value.strip(_HEX)
    return size == 36 and not value.strip(_HEX_DASH) and _ID.fullmatch(value) is not None


def cut(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when something was cut."""
    return text if len(text) <= limit else text[:limit] + ELLIPSIS


class Redactor:
    """Applies the privacy policy to event fields, span attributes, labels, logs and headers.

    `enabled=False` (`privacy.redact: false`) publishes text as found, still cut to length;
    Kafka record keys are hashed or hidden either way, never copied.
    """

    def __init__(
        self,
        enabled: bool = True,
        *,
        patterns: Iterable[str] = (),
        secret_params: Iterable[str] = DEFAULT_SECRET_PARAMS,
        kafka_key: KeyMode = "hash",
        key_salt: str | bytes | None = None,
        max_text_chars: int = MAX_TEXT_CHARS,
    ) -> None:
        self.enabled = enabled
        self.rules = Rules(secret_params, tuple(patterns))
        self.kafka_key = kafka_key
        if key_salt is None:
            salt = os.urandom(32)  # stable within this run (and its child processes)
        else:
            salt = key_salt.encode() if isinstance(key_salt, str) else key_salt
        # BLAKE2b takes a key of at most 64 bytes; a longer salt is condensed first.
        self._salt = salt if len(salt) <= 64 else hashlib.sha256(salt).digest()
        self.max_text_chars = max_text_chars
        self._cache: dict[str, str] = {}
        # URLs and keys repeat too, but less: their own caches, so a burst of distinct ones
        # never pushes repeating messages out.
        self._urls: dict[str, str] = {}
        self._keys: dict[bytes | str, str] = {}
        # Events whose fields but the ids were clean (see `event`).
        self._clean_shapes: set[tuple[Any, ...]] = set()

    @classmethod
    def from_settings(cls, settings: PrivacySettings) -> Redactor:
        return cls(
            settings.redact,
            patterns=settings.patterns,
            secret_params=(*settings.secret_params, *settings.extra_secret_params),
            kafka_key=settings.kafka_key,
            key_salt=settings.key_salt or None,
        )

    def __getstate__(self) -> dict[str, Any]:
        caches: dict[str, Any] = {"_cache": {}, "_urls": {}, "_keys": {}, "_clean_shapes": set()}
        return {**self.__dict__, **caches}

    # -- strings ------------------------------------------------------------------------------

    def redact(self, value: str) -> str:
        """`value` with personal data and secrets replaced, whole (no length limit)."""
        if not self.enabled or not value:
            return value
        if len(value) > _CACHED_CHARS:
            return self.rules.redact(value)
        cache = self._cache
        clean = cache.get(value)
        if clean is None:
            clean = self.rules.redact(value)
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()  # a burst of distinct values costs a refill, never unbounded memory
            cache[value] = clean
        return clean

    def redact_unique(self, value: str) -> str:
        """`redact` without the cache, for values that hardly repeat (ids, URLs with ids in
        them, log lines): they would only push repeating messages out of it."""
        return self.rules.redact(value) if self.enabled and value else value

    def _id(self, value: str) -> str:
        """An id (correlation, trace, span): UUIDs and hex ids as they are, else redacted."""
        if _is_id(value):
            return value
        return self.redact_and_cut(value, MAX_LABEL_CHARS, cached=False)

    def redact_and_cut(self, value: str, limit: int, *, cached: bool = True) -> str:
        """Redacted first, then cut to `limit` characters (plus an ellipsis)."""
        redact = self.redact if cached else self.redact_unique
        if len(value) <= limit:
            clean = redact(value)
            return value if clean == value else clean
        precut = max(limit * _PRECUT_FACTOR, limit + _PRECUT_MARGIN)
        if len(value) > precut:
            clean = redact(value[:precut])
            # An item split by the pre-cut sits at the end; it must stay outside the window.
            if len(clean) < limit + _PRECUT_MARGIN:
                clean = redact(value)
        else:
            clean = redact(value)
        return cut(clean, limit)

    def text(self, value: str | None, limit: int | None = None) -> str | None:
        """Free text (a vendor message, a span status): redacted, then cut to length."""
        if value is None:
            return None
        return self.redact_and_cut(value, self.max_text_chars if limit is None else limit)

    def url(self, value: str | None) -> str | None:
        """`url.full` and other URLs: no credentials, no secret parameters, no personal data."""
        if value is None:
            return None
        urls = self._urls
        clean = urls.get(value)
        if clean is None:
            clean = self.redact_and_cut(value, MAX_URL_CHARS, cached=False)
            if len(value) <= _CACHED_CHARS:
                if len(urls) >= _CACHE_LIMIT:
                    urls.clear()
                urls[value] = clean
        return clean

    def label(self, value: str) -> str:
        """A metric label value (`service`, `topic`, `channel`, ...)."""
        return self.redact_and_cut(value, MAX_LABEL_CHARS)

    def code(self, code: str, known: bool) -> str:
        """An event code or `code` label: a catalog code as is, an unknown one redacted.

        An "unknown code" that is really a phone number or an address (a parser took the
        recipient for the code) becomes `[phone]` / `[email]`: one label value, not one each.
        """
        if known:
            return code
        return self.redact_and_cut(code, MAX_LABEL_CHARS)

    def key(self, key: bytes | str | None) -> str | None:
        """A Kafka record key as a span may show it: a keyed hash, or hidden; never the key.

        The hash is BLAKE2b keyed with `privacy.key_salt` (or a random salt per process run):
        equal keys give equal values, so records of one key can still be grouped.
        """
        if key is None:
            return None
        if self.kafka_key == "redact":
            return SECRET
        keys = self._keys
        hashed = keys.get(key)
        if hashed is None:
            raw = key.encode("utf-8", "surrogatepass") if isinstance(key, str) else bytes(key)
            hashed = "blake2b:" + hashlib.blake2b(raw, key=self._salt, digest_size=8).hexdigest()
            if len(key) <= _CACHED_CHARS:
                if len(keys) >= _CACHE_LIMIT:
                    keys.clear()
                keys[key] = hashed
        return hashed

    # -- structures ---------------------------------------------------------------------------

    def value(self, value: Any, *, cached: bool = True) -> Any:
        """Any log or attribute value: strings (and bytes, as text) redacted, containers walked."""
        if isinstance(value, str):
            return self.redact(value) if cached else self.redact_unique(value)
        if isinstance(value, bytes | bytearray):  # logged as text anyway; made safe first
            return self.value(bytes(value).decode("utf-8", "backslashreplace"), cached=cached)
        if isinstance(value, Mapping):
            return {k: self.value(v, cached=cached) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.value(item, cached=cached) for item in value)
        return value

    def event(self, event: E) -> E:
        """A copy of a contract event that is safe to publish (the same object if it was).

        Every string field is redacted but those the processor fills from closed sets; a field
        the contract gains later is redacted as a label until it is named here.
        """
        if not self.enabled:  # only the length limit
            message = event.get("message")
            if type(message) is not str or len(message) <= self.max_text_chars:
                return event
            return cast(E, {**event, "message": cut(message, self.max_text_chars)})
        get = event.get
        shape: tuple[Any, ...] | None = None
        source = get("source")
        if event.keys() <= _EVENT_FIELDS and (
            source is None or (type(source) is dict and source.keys() <= _SOURCE_FIELDS)
        ):
            # Errors repeat: the same message, code, service and topic, with new ids. When all
            # but the ids were found clean before, only the ids are looked at.
            topic, file = (source.get("topic"), source.get("file")) if source else (None, None)
            shape = (get("message"), get("code"), get("known"), get("channel"), get("service"),
                     get("namespace"), topic, file)  # fmt: skip
            if (
                shape in self._clean_shapes
                and _is_id(get("trace_id"))
                and _is_id(get("correlation_id"))
                and _is_id(get("span_id"))
            ):
                return event
            names: Iterable[str] = _FREE_FIELDS
        else:  # a field the contract gains later is redacted as a label until it is named
            names = event.keys() - _SAFE_FIELDS
        changed: dict[str, Any] | None = None
        seen = self._cache.get
        for name in names:
            value = event.get(name)
            if isinstance(value, str):
                if len(value) <= MAX_LABEL_CHARS and seen(value) == value:
                    continue  # a repeating value known to be clean: the common case
                if name == "message":
                    clean: Any = self.text(value)
                elif name == "code":
                    clean = self.code(value, event.get("known") is True)
                elif name in _ID_FIELDS:
                    clean = self._id(value)
                else:
                    clean = self.label(value)
            elif isinstance(value, dict):  # `source`: a topic or file name, and numbers
                clean = self._source(value)
            else:
                continue
            if clean != value:
                if changed is None:
                    changed = dict(event)
                changed[name] = clean
        message = shape[0] if shape is not None else None
        if changed is None and shape is not None and len(message or "") <= _CACHED_CHARS:
            if len(self._clean_shapes) >= _CACHE_LIMIT:
                self._clean_shapes.clear()
            self._clean_shapes.add(shape)
        return event if changed is None else cast(E, changed)

    def finding(self, finding: Finding) -> Finding:
        """A finding safe to hand to every sink: its event (`event()`) and its URL (`url()`);
        the same object when nothing changed. The redaction stage of the processor."""
        event = self.event(finding.event)
        url = self.url(finding.url) if finding.url else finding.url
        if event is finding.event and url == finding.url:
            return finding
        return dataclasses.replace(finding, event=event, url=url)

    def _source(self, source: dict[str, Any]) -> dict[str, Any]:
        changed: dict[str, Any] | None = None
        for name, value in source.items():
            if type(value) is str:
                clean = self.label(value)
                if clean != value:
                    if changed is None:
                        changed = dict(source)
                    changed[name] = clean
        return source if changed is None else changed

    def attributes(self, attributes: Mapping[str, Any]) -> dict[str, Any]:
        """Span (or log) attributes: every string redacted, the Kafka key hashed.

        `vendor_error.code` and `error.type` are left to `code()` by the caller, which knows
        whether the code is in the catalog; here they are redacted like any other string.
        """
        clean: dict[str, Any] = {}
        for name, value in attributes.items():
            if name == KAFKA_KEY_ATTRIBUTE and isinstance(value, str | bytes):
                clean[name] = self.key(value)
            elif name == "url.full" and isinstance(value, str):
                clean[name] = self.url(value)
            elif isinstance(value, str):
                clean[name] = self.label(value)
            else:
                clean[name] = self.value(value)
        return clean

    def headers(self, headers: Iterable[tuple[str, V]] | None) -> list[tuple[str, V]]:
        """Kafka headers (dead letters): names and values redacted, binary bytes kept exactly."""
        clean: list[tuple[str, V]] = []
        for name, value in headers or ():
            if value is not None:
                text = value.decode("utf-8", "surrogateescape")
                redacted = self.redact(text)
                if redacted != text:
                    value = cast(V, redacted.encode("utf-8", "surrogateescape"))
            clean.append((self.redact(name), value))
        return clean
