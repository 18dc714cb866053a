"""E-mail addresses, internationalised ones included (any script, punycode, `%40`)."""

from __future__ import annotations

import re

EMAIL = "[email]"

# Characters that end an address: blanks, ASCII and Unicode punctuation (general punctuation,
# CJK punctuation, full-width forms). Everything else (any script, combining marks) may be in one.
_BREAK = (
    r"\s\u00a0-\u00bf\u2000-\u206f\u3000-\u303f\ufe30-\ufe4f"
    r"\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
)
# A backslash may be in either part: JSON with escaped non-ASCII ("j\u00f6s\u00e9@...") and
# Windows account names ("CORP\jane@...") put one there.
_LOCAL = re.compile(rf"[^{_BREAK}\"'(),/:;<=>?@\[\]`{{|}}&]{{1,64}}")
_LABEL = rf"[^{_BREAK}!-,./:-@\[\]-`{{-~]{{1,63}}"
_DOT = r"[.\u3002\uff0e\uff61]"
# After the at-sign: a domain whose first label does not start with a digit (`Object@1b6d3586`
# is a Java object's identity), or
# the end of the text (an address cut short upstream: its local part is still personal).
# An address literal (`jane@[192.0.2.1]`) is a domain too.
_DOMAIN = re.compile(rf"(?!\d){_LABEL}(?:{_DOT}{_LABEL}){{0,10}}|\[[^\]\s]{{1,64}}\]|\Z")
_AT = re.compile(r"@|＠|%40")


def emails(text: str) -> str:
    """`text` with e-mail addresses replaced (any script; punycode; `%40` for the at-sign)."""
    parts: list[str] = []
    done = 0
    for at in _AT.finditer(text):
        at_start, at_end = at.span()
        if at_start < done:
            continue
        domain = _DOMAIN.match(text, at_end)
        if domain is None:
            continue
        low = max(done, at_start - 66)
        if text[at_start - 1 : at_start] == '"':  # a quoted local part: "jane doe"@example.com
            opening = text.rfind('"', low, at_start - 1)
            if opening < 0:
                continue
            start = opening
        else:
            # Read backwards from the at-sign (the character class is symmetric).
            local = _LOCAL.match(text[low:at_start][::-1])
            if local is None:
                continue
            start = at_start - local.end()
        parts.append(text[done:start])
        parts.append(EMAIL)
        done = domain.end()
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)
