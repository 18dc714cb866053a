"""Objects embedded in free text: JSON (also pretty-printed over lines), arrays, Python reprs,
and maps and objects as other languages print them (parsers/decoding/literals.py).

`find_segments` locates balanced `{...}` / `[...]` spans in one linear pass: a regex jumps to
the next structural character, quoted strings are skipped with a possessive regex (no
backtracking), and the work is bounded by `MAX_SCAN_CHARS`, `MAX_SEGMENTS` and `MAX_DEPTH`.
When an outer object never closes (a truncated body, or brackets that do not pair up), its
start is returned as an open segment: the literal reader keeps what is complete before the cut.
"""

from __future__ import annotations

import ast
import re
import warnings
from typing import TYPE_CHECKING, Any

import orjson
from vendor_errors.parsers.decoding.literals import paren_heads, parse_literal

if TYPE_CHECKING:
    from xml.etree import ElementTree

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
_ESCAPED_JSON = '\\"'  # `{\"code\":...}`: JSON quoted in a string of a key=value pair


def find_segments(text: str) -> list[tuple[int, int]]:
    """(start, end) of the outermost balanced spans, in text order; a span that does not close
    (cut short, or brackets that do not pair) ends at -1."""
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
                segments.append((stack[0][1] if stack else start, -1))
                stack.clear()
                inner.clear()
            elif stack:
                inner.append((start, pos))
            else:
                segments.append((start, pos))
                inner.clear()
    if stack:
        segments.extend(_outermost(inner))
        segments.append((stack[0][1], -1))
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
        if "\\" in segment:
            # An escape Python does not know (a JSON `\/`, a Windows path) is a warning of
            # the compiler's: noise on a stream's stderr, not a finding.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = ast.literal_eval(segment)
        else:
            value = ast.literal_eval(segment)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, dict | list) else None


def embedded_values(text: str, spans: list[tuple[int, int]] | None = None) -> list[Any]:
    """Every dict or list embedded in `text`; where each is goes to `spans` when given."""
    values = []
    found_spans: list[tuple[int, int]] = []
    taken = 0  # literals may not overlap: the end of the last one
    limit = min(len(text), MAX_SCAN_CHARS)
    if "{" in text or "[" in text:
        for start, end in find_segments(text):
            if start < taken:
                continue
            if end < 0:  # open: cut short, or not JSON's brackets
                if text.startswith(_ESCAPED_JSON, start + 1):
                    continue  # JSON in a quoted string: its field's value, read unquoted
                found = parse_literal(text, start)
                if found is None:
                    continue
                value, end = found
            else:
                value = parse_segment(text[start:end])
                if value is None and not text.startswith(_ESCAPED_JSON, start + 1):
                    found = parse_literal(text, start)
                    value = found[0] if found is not None else None
            if isinstance(value, dict | list) and value:
                values.append(value)
                taken = end
                found_spans.append((start, end))
    if "(" in text or "#<" in text:
        spans_of_brackets = list(found_spans)
        taken = 0
        for head in paren_heads(text, limit):
            if head < taken or any(start <= head < end for start, end in spans_of_brackets):
                continue
            at = head if text.startswith("#<", head) else text.find("(", head)
            found = parse_literal(text, at)
            if found is None or len(values) >= MAX_SEGMENTS:
                continue
            if any(head < end and start < found[1] for start, end in spans_of_brackets):
                continue  # it holds a body read already: that one stands
            values.append(found[0])
            taken = found[1]
            found_spans.append((head, found[1]))
    if spans is not None:
        spans.extend(found_spans)
    return values


# XML bodies (a webhook logged as XML, a JAXB toString): an element and its closing tag.
_XML_OPEN = re.compile(r"<([A-Za-z_][\w.-]{0,63})(?:\s[^<>]{0,512})?>")
MAX_XML_CHARS = 64 * 1024


def xml_values(text: str) -> list[dict[str, Any]]:
    """Every outermost XML element of `text` (up to MAX_SEGMENTS), as nested dicts: an
    element's children by tag, a leaf's text. No DTD or entity is ever read."""
    values: list[dict[str, Any]] = []
    pos = 0
    limit = min(len(text), MAX_SCAN_CHARS)
    while len(values) < MAX_SEGMENTS:
        found = _XML_OPEN.search(text, pos, limit)
        if found is None:
            break
        close = text.find(f"</{found.group(1)}>", found.end(), found.start() + MAX_XML_CHARS)
        if close < 0:
            pos = found.end()
            continue
        end = close + len(found.group(1)) + 3
        segment = text[found.start() : end]
        pos = end
        if "<!" in segment or "<?" in segment:
            continue  # declarations and entities are never expanded
        # Imported by the first XML body: expat and ElementTree are ~0.5 MiB of resident memory
        # for every process, and few logs hold XML.
        from xml.etree import ElementTree

        try:
            root = ElementTree.fromstring(segment)
        except ElementTree.ParseError:
            continue
        value = _element(root, 0)
        if isinstance(value, dict) and value:
            values.append({root.tag: value})
    return values


def _element(element: ElementTree.Element, depth: int) -> Any:
    children = list(element)
    if not children or depth > MAX_DEPTH:
        return (element.text or "").strip()
    value: dict[str, Any] = {}
    for child in children[:256]:
        value.setdefault(child.tag, _element(child, depth + 1))
    return value
