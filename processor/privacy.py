"""Redaction of personal data (phone numbers, e-mail addresses) before anything leaves the process.

Vendor messages quote recipients ("Invalid destination +14155550123"), so span attributes and the
enriched topic would carry them. The patterns lean towards hiding too much: a redacted order
number costs less than a leaked phone number. A phone-number library (libphonenumber) would
keep unassigned or foreign-looking numbers that are still personal data, and costs far more.
"""

from __future__ import annotations

import re
from typing import Any

PHONE = "[phone]"
EMAIL = "[email]"
# Long vendor messages are cut here; spans and the enriched topic do not need whole bodies.
MAX_TEXT_CHARS = 2048

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# 8 to 15 digits (E.164 allows 15), optionally after "+", with short separators between them;
# not inside a longer word, number or id (a UUID's last group), and not a date.
_DIGITS = r"\d(?:[ .()/-]{0,2}\d){7,14}(?!\w)"
_PHONE = re.compile(
    rf"(?<!\w)(?:\+|%2B){_DIGITS}"
    rf"|(?<![\w+\-/.:])(?!\d{{4}}[-/.]\d{{2}}[-/.]\d{{2}}|\d{{2}}[/.]\d{{2}}[/.]\d{{4}})\(?{_DIGITS}"
)


def redact_text(text: str) -> str:
    """`text` with e-mail addresses and phone numbers replaced, cut to MAX_TEXT_CHARS."""
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS] + "…"
    if "@" in text or "%40" in text:
        text = _EMAIL.sub(EMAIL, text)
    return _PHONE.sub(PHONE, text)


class Redactor:
    """Applies the privacy setting: redaction on (the default) or only the length limit."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled

    def text(self, value: str | None) -> str | None:
        if value is None:
            return None
        if self.enabled:
            return redact_text(value)
        return value if len(value) <= MAX_TEXT_CHARS else value[:MAX_TEXT_CHARS] + "…"

    def event(self, event: dict[str, Any]) -> dict[str, Any]:
        """A copy of a contract event that is safe to publish (the message is the free text)."""
        message = event.get("message")
        if not isinstance(message, str):
            return event
        redacted = self.text(message)
        if redacted == message:
            return event
        return {**event, "message": redacted}
