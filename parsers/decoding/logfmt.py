"""`key=value` pairs (logfmt, Go kit/logrus, Java `toString()` style) found in a line of text."""

from __future__ import annotations

import re

import orjson

MAX_PAIRS = 64
MAX_SCAN_CHARS = 64 * 1024

# Possessive quantifiers: an unclosed quote costs one pass over the rest of the line, never
# backtracking. Unquoted values end at whitespace; a trailing `,` or `;` is a separator.
_PAIR = re.compile(
    r"""(?<![\w.@/-])([A-Za-z_@][\w.@/-]{0,63})=(?:"((?:[^"\\\n]++|\\.)*+)"|'((?:[^'\\\n]++|\\.)*+)'|([^\s"']*+))"""
)


def _unescape(value: str) -> str:
    if "\\" not in value:
        return value
    try:
        unescaped = orjson.loads(f'"{value}"')
    except orjson.JSONDecodeError:
        return value.replace('\\"', '"')
    return unescaped if isinstance(unescaped, str) else value


def pairs(text: str) -> dict[str, str]:
    """The `key=value` pairs of `text` (first occurrence of a key wins), values unquoted."""
    found: dict[str, str] = {}
    for match in _PAIR.finditer(text, 0, min(len(text), MAX_SCAN_CHARS)):
        key, double, single, bare = match.groups()
        if double is not None:
            value = _unescape(double)
        elif single is not None:
            value = single
        else:
            value = bare.rstrip(",;)]}")
        found.setdefault(key, value)
        if len(found) >= MAX_PAIRS:
            break
    return found
