"""Secrets (URL credentials, secret query parameters, bearer tokens, JWTs) and the whole rule
set of a policy: `Rules.redact` runs every detector over a string, each behind a cheap test.

Secret parameter names are found by one Aho-Corasick pass over the lower-cased text (the last
word of every configured name), then judged where they stand: `?name=`, `&name=` in a query,
`name=`, `name: `, `"name": "` in prose. In prose, words that are everyday there ("error
code=1002", "duplicate key: 30005") are not taken for secrets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import unquote

from ahocorasick_rs import MATCHKIND_LEFTMOST_LONGEST, AhoCorasick
from vendor_errors.processor.privacy.emails import EMAIL, emails
from vendor_errors.processor.privacy.phones import PHONE, phones

__all__ = ["EMAIL", "PHONE", "SECRET", "PatternError", "Rules", "compile_pattern", "fold"]

SECRET = "[redacted]"

# Query parameter names that mark secrets, compared folded (lower case, without `-`, `_`, `.`).
DEFAULT_SECRET_PARAMS: tuple[str, ...] = (
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "auth_token",
    "session_token",
    "sig",
    "signature",
    "key",
    "api_key",
    "apikey",
    "x-api-key",
    "access_key",
    "access_key_id",
    "secret_key",
    "subscription-key",
    "secret",
    "client_secret",
    "api_secret",
    "password",
    "passwd",
    "pwd",
    "pass",
    "hmac",
    "auth",
    "authorization",
    "code",
    "credential",
    "credentials",
    "session",
    "sessionid",
    "otp",
    "jwt",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "x-goog-signature",
    "x-goog-credential",
    "awsaccesskeyid",
)


# Names ending so are secrets whatever their prefix (`stripe_secret`, `ocp-apim-subscription-key`).
_SECRET_SUFFIXES = ("token", "secret", "password", "passwd", "signature", "hmac", "apikey")
# Outside a URL query these words are everyday prose ("error code=1002", "duplicate key: 30005").
_QUERY_ONLY = frozenset({"code", "key", "sig", "auth", "session", "pass", "credential"})


def fold(name: str) -> str:
    """A parameter name as compared: `X-Api-Key`, `x_api_key` and `xApiKey` are all `xapikey`."""
    return name.lower().replace("-", "").replace("_", "").replace(".", "")


# -- URL credentials, secret parameters, bearer tokens ----------------------------------------

_USERINFO = re.compile(r"[^/?#@\s\"'<>]{1,256}@")
# A parameter name around a stem found by the automaton, and what may follow it: `=value` in a
# query; `=value`, `: value`, `"name": "value"` in prose.
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_QUERY_VALUE = re.compile(r"=([^&#;\s\"'<>]*)")
_FREE_VALUE = re.compile(r"[\"']?[ \t]?[=:][ \t]?[\"']?([^\s&,;\"'<>)\]}]*)")
_FREE_BEFORE = frozenset(" \t\r\n,([{\"'")
_BEARER = re.compile(r"(?i:bearer|basic)\s+([\w.~+/=-]{8,})")
_JWT = re.compile(r"\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*")
_MIXED = re.compile(r"[\d.~+/=_-]|[a-z].*[A-Z]|[A-Z].*[a-z]")
_ENCODED_PARAM = re.compile(r"(?<=[?&;#])([^=&#?;\s\"'<>]{1,64})=([^&#;\s\"'<>]*%[^&#;\s\"'<>]*)")
_CAMEL = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def _stem(name: str) -> str:
    """The longest word of a name, lower case (`access_key_id` -> `access`, `x-api-key` ->
    `key`: the last of equals): every spelling contains it, and a long word rarely occurs
    by chance (`id` would stop at every "valid")."""
    words = _CAMEL.findall(name.replace("-", " ").replace("_", " ").replace(".", " "))
    if not words:
        return name.lower()
    return max(reversed(words), key=len).lower()


class Rules:
    """The built-in detectors plus a policy's own: secret parameter names and extra patterns."""

    def __init__(
        self, secret_params: Iterable[str] = DEFAULT_SECRET_PARAMS, patterns: Sequence[str] = ()
    ) -> None:
        names = tuple(name.strip() for name in secret_params if fold(name.strip()))
        self._sources = (names, tuple(patterns))
        self.secret_params = frozenset(fold(name) for name in names)
        self.patterns = tuple(compile_pattern(pattern) for pattern in patterns)
        # Any spelling of a secret name (`x-api-key`, `X_API_KEY`, `xApiKey`) contains each word
        # of the name in lower case: one Aho-Corasick pass finds the places to look at.
        stems = {_stem(name) for name in names} | set(_SECRET_SUFFIXES) | {"bearer", "basic"}
        self._stems = AhoCorasick(sorted(stems), matchkind=MATCHKIND_LEFTMOST_LONGEST)

    def __reduce__(self) -> tuple[type[Rules], tuple[tuple[str, ...], tuple[str, ...]]]:
        return (Rules, self._sources)  # the automaton is rebuilt, not pickled

    def is_secret(self, name: str, query: bool) -> bool:
        folded = fold(unquote(name)) if "%" in name else fold(name)
        if not query and folded in _QUERY_ONLY:
            return False
        return folded in self.secret_params or folded.endswith(_SECRET_SUFFIXES)

    def secrets(self, text: str) -> str:
        """`text` with secret parameter values and bearer credentials replaced."""
        lowered = text.lower()
        if len(lowered) != len(text):  # a few characters lower to two ("İ"); keep indexes
            lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        try:
            hits = self._stems.find_matches_as_indexes(lowered)
        except UnicodeEncodeError:  # lone surrogates (bytes decoded with surrogateescape)
            hits = self._stems.find_matches_as_indexes(lowered.encode("utf-8", "replace").decode())
        if not hits:
            return text
        spans: list[tuple[int, int]] = []
        for _, start, end in hits:
            span = self._secret_value(text, start, end)
            if span is not None and (not spans or span[0] >= spans[-1][1]):
                spans.append(span)
        if not spans:
            return text
        parts: list[str] = []
        done = 0
        for start, end in spans:
            parts.append(text[done:start])
            parts.append(SECRET)
            done = end
        parts.append(text[done:])
        return "".join(parts)

    def _secret_value(self, text: str, start: int, end: int) -> tuple[int, int] | None:
        """Where the secret named (or introduced) by the word at text[start:end] is, if any."""
        low, high = start, end
        while low > 0 and start - low < 64 and text[low - 1] in _NAME_CHARS:
            low -= 1
        while high < len(text) and high - end < 64 and text[high] in _NAME_CHARS:
            high += 1
        before = text[low - 1] if low else " "
        if before in "?&;#":
            value = _QUERY_VALUE.match(text, high)
            query = True
        elif before in _FREE_BEFORE:
            bearer = _BEARER.match(text, low)
            if bearer is not None:  # "Basic authentication failed": a word, not a credential
                return bearer.span(1) if _MIXED.search(bearer.group(1)) else None
            value = _FREE_VALUE.match(text, high)
            query = False
        else:
            return None
        if value is None or not value.group(1) or not self.is_secret(text[low:high], query):
            return None
        return value.span(1)

    def _encoded_param(self, found: re.Match[str]) -> str:
        # `to=%2B1%20415%20555%200123`, `email=jane%40example.com`: judged decoded.
        decoded = unquote(found.group(2))
        clean = self.redact(decoded)
        return found.group() if clean == decoded else f"{found.group(1)}={clean}"

    def redact(self, text: str) -> str:
        """`text` with personal data and secrets replaced; no length limit."""
        for pattern in self.patterns:
            text = pattern.sub(SECRET, text)
        scheme = text.find("://")
        while scheme >= 0:
            userinfo = _USERINFO.match(text, scheme + 3)
            if userinfo is not None:
                text = text[: scheme + 3] + text[userinfo.end() :]
            scheme = text.find("://", scheme + 3)
        text = self.secrets(text)
        if "%" in text and "=" in text:
            text = _ENCODED_PARAM.sub(self._encoded_param, text)
        if "eyJ" in text:
            text = _JWT.sub(SECRET, text)
        if "@" in text or "%40" in text or "＠" in text:
            text = emails(text)
        return phones(text)


class PatternError(ValueError):
    """An extra privacy pattern that cannot be used; the message says why."""


def compile_pattern(pattern: str) -> re.Pattern[str]:
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise PatternError(f"{pattern!r} is not a valid regular expression: {exc}") from None
    if compiled.fullmatch(""):
        raise PatternError(f"{pattern!r} matches the empty string (it would mark every position)")
    return compiled
