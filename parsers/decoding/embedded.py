"""Objects embedded in free text: JSON (also pretty-printed over lines), arrays, Python reprs.

`find_segments` locates balanced `{...}` / `[...]` spans in one linear pass: a regex jumps to
the next structural character, quoted strings are skipped with a possessive regex (no
backtracking), and the work is bounded by `MAX_SCAN_CHARS`, `MAX_SEGMENTS` and `MAX_DEPTH`.
When an outer object never closes (a truncated body), its complete inner objects are returned.
"""

from __future__ import annotations

import ast
import re
from typing import Any

import orjson

MAX_SCAN_CHARS = 256 * 1024
MAX_SEGMENTS = 16
MAX_DEPTH = 64
# ast.literal_eval is only for short Python reprs; it is slower than orjson and recursive.
MAX_LITERAL_CHARS = 64 * 1024

_OPENER = re.compile(r"[{\[]")
_STRUCTURE = re.compile(r"""[{}\[\]"']""")
# The rest of a quoted string after its opening quote. Strings in JSON and Python reprs never
# contain a raw newline, so a string that does not close on its line is not one.
_REST = {
    '"': re.compile(r'(?:[^"\\\n]++|\\.)*+"'),
    "'": re.compile(r"(?:[^'\\\n]++|\\.)*+'"),
}
_PAIRS = {"}": "{", "]": "["}


def find_segments(text: str) -> list[tuple[int, int]]:
    """(start, end) of the outermost balanced spans, in text order."""
    limit = min(len(text), MAX_SCAN_CHARS)
    segments: list[tuple[int, int]] = []
    inner: list[tuple[int, int]] = []  # closed spans inside a still-open one
    stack: list[tuple[str, int]] = []
    pos = 0
    while pos < limit and len(segments) < MAX_SEGMENTS:
        if not stack:
            found = _OPENER.search(text, pos, limit)
            if found is None:
                break
            start = found.start()
            stack.append((text[start], start))
            pos = start + 1
            continue
        found = _STRUCTURE.search(text, pos, limit)
        if found is None:
            break
        at = found.start()
        char = text[at]
        if char in _REST:
            rest = _REST[char].match(text, at + 1, limit)
            # An unclosed quote is an apostrophe in prose: step over it.
            pos = rest.end() if rest is not None else at + 1
        elif char in "{[":
            if len(stack) >= MAX_DEPTH:
                stack.clear()
                inner.clear()
            else:
                stack.append((char, at))
            pos = at + 1
        else:
            opener, start = stack.pop()
            pos = at + 1
            if opener != _PAIRS[char]:
                stack.clear()
                inner.clear()
            elif stack:
                inner.append((start, pos))
            else:
                segments.append((start, pos))
                inner.clear()
    if stack and inner:
        segments.extend(_outermost(inner))
    return segments[:MAX_SEGMENTS]


def _outermost(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    kept: list[tuple[int, int]] = []
    for start, end in sorted(spans, key=lambda span: (span[0], -span[1])):
        if not kept or start >= kept[-1][1]:
            kept.append((start, end))
    return kept


def parse_segment(segment: str) -> Any:
    """The JSON or Python-literal value of a segment; None when it is neither."""
    try:
        return orjson.loads(segment)
    except orjson.JSONDecodeError:
        pass
    if len(segment) > MAX_LITERAL_CHARS or not (
        "'" in segment or "True" in segment or "False" in segment or "None" in segment
    ):
        return None
    try:
        value = ast.literal_eval(segment)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, dict | list) else None


def embedded_values(text: str) -> list[Any]:
    """Every dict or list embedded in `text`."""
    values = []
    for start, end in find_segments(text):
        value = parse_segment(text[start:end])
        if isinstance(value, dict | list) and value:
            values.append(value)
    return values
