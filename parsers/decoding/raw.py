"""Is a record text? Bytes that are not (invalid UTF-8, binary data) and JSON cut short.

- "invalid utf-8": more than 10% of the characters are invalid UTF-8 sequences (a few bad
  bytes in a text line are replaced and the line is read);
- "binary data": more than 10% control characters (NUL, ...; tab, CR/LF, FF, VT and the ESC of
  colour codes are text);
- "truncated json": it opens a JSON object or array and never closes it.
"""

from __future__ import annotations

import re

# Bytes that are not text: C0 controls except tab, LF, VT, FF, CR and ESC.
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 27)) + b"\x7f"


def binary_reason(data: bytes) -> str | None:
    """ "binary data" when over 10% of the bytes are control characters, else None."""
    if not data:
        return None
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    return "binary data" if controls * 10 > len(data) else None


def decode(raw: bytes) -> tuple[str | None, str | None]:
    """Text from non-ASCII bytes, or why they are not text."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", "replace")
        if text.count("\ufffd") * 10 > len(text):
            return None, "invalid utf-8"
    reason = binary_reason(raw)
    return (None, reason) if reason is not None else (text, None)


def truncated_json(raw: bytes | str) -> bool:
    """A record that opens a JSON object or array and does not close it."""
    closing = raw[-1:]
    if closing in _CLOSERS:  # almost every JSON record: one slice, no copy
        return False
    if closing.isspace():
        raw = raw.rstrip()
        closing = raw[-1:]
    opening = raw[:1]
    if opening.isspace():
        opening = raw.lstrip()[:1]
    if opening in _OBJECT_OPENERS:
        return closing not in _OBJECT_CLOSERS
    if opening not in _ARRAY_OPENERS or closing in _ARRAY_CLOSERS:
        return False
    # `[` opens a JSON array only when a JSON value follows: `[02-May-2024 ...]` (PHP's
    # error_log), `[INFO] ...` are text.
    head = raw.lstrip()[:32]
    if isinstance(head, str):
        head = head.encode("utf-8", "replace")
    return _ARRAY_HEAD.match(head) is not None


_CLOSERS = (b"}", b"]", "}", "]")
_ARRAY_HEAD = re.compile(
    rb"\[\s*(?:[{\[\"\]]|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\s*(?:[,\]]|$)|true|false|null)"
)
_OBJECT_OPENERS, _OBJECT_CLOSERS = (b"{", "{"), (b"}", "}")
_ARRAY_OPENERS, _ARRAY_CLOSERS = (b"[", "["), (b"]", "]")
