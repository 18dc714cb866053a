"""The detectors of personal data and secrets in free text, compiled once per policy.

Each detector is a regular expression guarded by a cheap test (`in`, or one short regex), so a
vendor message without digits, `@`, `=` or `:` costs a handful of substring checks. The ones
that need judgement (is this digit run a phone number or a date?) decide in a callback that only
runs on candidates, which are rare.

They lean towards hiding too much: a hidden order number costs less than a leaked phone number.
A phone-number library (libphonenumber) would keep unassigned or foreign-looking numbers that
are still personal data, and costs far more.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import unquote

from ahocorasick_rs import MATCHKIND_LEFTMOST_LONGEST, AhoCorasick

PHONE = "[phone]"
EMAIL = "[email]"
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


# -- phone numbers ----------------------------------------------------------------------------

_SP = "[ \u00a0]"
# Between digit groups: a dash, dot, slash or space, or a bracket. " / " and " - " separate
# items of a list more often than groups of a number.
_SEP = rf"(?:[-./]|{_SP})"
_JOIN = rf"(?:[-./]|{_SP}?\({_SP}?|{_SP}?\){_SP}?|{_SP})"
_PHONE = re.compile(
    # International: +, %2B (URL-encoded) or a full-width plus, compact or in groups.
    rf"(?P<i>(?:\+|%2[bB]|＋)(?:\d{{7,15}}|{_SP}?\(?\d{{1,4}}\)?(?:{_JOIN}\d{{1,12}}){{1,9}}))"
    rf"(?![^\W_])"
    # Everything else starts where no letter or digit precedes (`_`, `:`, `/`, `=` do).
    rf"|(?:(?<![^\W_])|(?<=\\[nrt]))(?:"
    # North American national: (415) 555-0123, 415.555.0123, 1-415-555-0123.
    rf"(?P<n>(?:1{_SEP})?(?:\({_SP}?[2-9]\d\d{_SP}?\){_SP}?|[2-9]\d\d{_SEP})[2-9]\d\d{_SEP}\d{{4}})"
    # With a trunk or international prefix: 020 7946 0958, 06 12 34 56 78, 0044 20 7946 0958.
    rf"|(?P<t>\(?0\d{{1,4}}(?:\){_SP}?|{_JOIN})\d{{1,10}}(?:{_JOIN}\d{{1,10}}){{0,9}})"
    # A run of 8 to 15 digits (E.164 without its plus, national numbers), not a decimal fraction.
    rf"|(?<!\d\.)(?P<r>\d{{8,15}})"
    rf")(?![^\W_])"
)
_DIGIT = re.compile(r"\d+")
_DATE8 = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")
_TIME = re.compile(r"(?:[01]\d|2[0-3])[0-5]\d(?:[0-5]\d)?")
_DATE_PREFIX = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{2,4}")
# UUIDs and UUID-like ids whose groups happen to be all digits.
_HEX_ID = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){2,3}(?:-[0-9a-fA-F]{1,12})?")


def _count_digits(text: str) -> int:
    return sum(len(group) for group in _DIGIT.findall(text))


def _in_hex_id(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is a group of a UUID-like id (`00000000-1111-...-444455556666`)."""
    low, high = start, end
    while low > 0 and start - low < 40 and text[low - 1] in _HEX_CHARS:
        low -= 1
    while high < len(text) and high - end < 40 and text[high] in _HEX_CHARS:
        high += 1
    return _HEX_ID.search(text, low, high) is not None


_HEX_CHARS = frozenset("0123456789abcdefABCDEF-")


def _kept_run(text: str, start: int, end: int) -> bool:
    """Whether a plain run of 8-15 digits is a date, an epoch time, a negative number or an id."""
    run = text[start:end]
    size = len(run)
    if size == 8 and _DATE8.fullmatch(run):
        return True
    if size in (12, 14) and _DATE8.fullmatch(run, 0, 8) and _TIME.fullmatch(run, 8):
        return True
    # Epoch seconds / milliseconds 2017-2033: no NANP number starts with 1 at 10 digits, and no
    # E.164 number starting with 1 has 13.
    if size in (10, 13) and run[0] == "1" and run[1] in "56789":
        return True
    before = text[start - 1] if start else ""
    if before == "-" and (start < 2 or not text[start - 2].isalnum()):
        return True  # "(-2147220891)": a negative number (an HRESULT), not a phone
    return (before == "-" or text[end : end + 1] == "-") and _in_hex_id(text, start, end)


def _phone(found: re.Match[str]) -> str:
    kind = found.lastgroup
    text = found.group()
    if kind == "r":
        return text if _kept_run(found.string, found.start(), found.end()) else PHONE
    if kind == "n":
        return PHONE
    if kind == "t":
        if (date := _DATE_PREFIX.match(text)) is not None:
            return text[: date.end()] + _PHONE.sub(_phone, text[date.end() :])
        start = found.start()
        if start >= 2 and found.string[start - 1] == ":" and found.string[start - 2].isdigit():
            return text  # the seconds of a time, "08:30:00.123456789"
    # Fewer digits than any number; more than E.164 allows is several numbers: hidden whole.
    return text if _count_digits(text) < (7 if kind == "i" else 9) else PHONE


# Seven digits with nothing but separators between them: every phone number has such a stretch,
# and this regex (a plain character class first) scans fast; the full one runs only around it.
_CANDIDATE = re.compile(r"\d[\d \u00a0()./-]{6,}")


def phones(text: str) -> str:
    """`text` with phone numbers replaced."""
    candidate = _CANDIDATE.search(text)
    if candidate is None:
        return text
    parts: list[str] = []
    done = 0
    size = len(text)
    while candidate is not None:
        # A number around these digits starts at most 3 characters earlier ("%2B", "+", "(").
        position, stretch_end = max(done, candidate.start() - 3), candidate.end()
        while position < stretch_end:
            found = _PHONE.search(text, position, min(size, stretch_end + 1))
            if found is None:
                break
            parts.append(text[done : found.start()])
            parts.append(_phone(found))
            done = position = found.end()
        candidate = _CANDIDATE.search(text, max(stretch_end, done))
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)


# -- e-mail addresses -------------------------------------------------------------------------

# Characters that end an address: blanks, ASCII and Unicode punctuation (general punctuation,
# CJK punctuation, full-width forms). Everything else (any script, combining marks) may be in one.
_BREAK = (
    r"\s\u00a0-\u00bf\u2000-\u206f\u3000-\u303f\ufe30-\ufe4f"
    r"\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
)
_LOCAL = re.compile(rf"[^{_BREAK}\"'(),/:;<=>?@\[\\\]`{{|}}&]{{1,64}}")
_LABEL = rf"[^{_BREAK}!-,./:-@\[-`{{-~]{{1,63}}"
_DOT = r"[.\u3002\uff0e\uff61]"
# After the at-sign: a domain whose first label starts with a letter (not `Object@1b6d3586`), or
# the end of the text (an address cut short upstream: its local part is still personal).
_DOMAIN = re.compile(rf"(?=[^\W\d_]){_LABEL}(?:{_DOT}{_LABEL}){{0,10}}|\Z")
_AT = re.compile(r"@|＠|%40")


def emails(text: str) -> str:
    """`text` with e-mail addresses replaced (any script; punycode; `%40` for the at-sign)."""
    parts: list[str] = []
    done = 0
    for at in _AT.finditer(text):
        at_start, at_end = at.span()
        if at_start < done:
            continue
        # The local part, read backwards from the at-sign (the character class is symmetric).
        low = max(done, at_start - 64)
        local = _LOCAL.match(text[low:at_start][::-1])
        if local is None:
            continue
        domain = _DOMAIN.match(text, at_end)
        if domain is None:
            continue
        parts.append(text[done : at_start - local.end()])
        parts.append(EMAIL)
        done = domain.end()
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)


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
    """The last word of a name (`x-api-key` -> `key`, `AWSAccessKeyId` -> `id`), lower case."""
    words = _CAMEL.findall(name.replace("-", " ").replace("_", " ").replace(".", " "))
    return words[-1].lower() if words else name.lower()


class Rules:
    """The built-in detectors plus a policy's own: secret parameter names and extra patterns."""

    def __init__(
        self, secret_params: Iterable[str] = DEFAULT_SECRET_PARAMS, patterns: Sequence[str] = ()
    ) -> None:
        names = tuple(name.strip() for name in secret_params if fold(name.strip()))
        self._sources = (names, tuple(patterns))
        self.secret_params = frozenset(fold(name) for name in names)
        self.patterns = tuple(compile_pattern(pattern) for pattern in patterns)
        # Any spelling of a secret name (`x-api-key`, `X_API_KEY`, `xApiKey`) contains the last
        # word of the name in lower case: one Aho-Corasick pass finds the places to look at.
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
        hits = self._stems.find_matches_as_indexes(lowered)
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
