"""A small grok-style language for text log layouts, compiled once to a single `re` pattern.

    %{TIMESTAMP_ISO8601:timestamp} %{LOGLEVEL:level} [%{LOGGER:logger}] %{GREEDYDATA:message}

Literal text matches itself (it is escaped, never a regex); a run of spaces or tabs matches one
or more; `%{NAME}` matches the base pattern NAME of `patterns/base.grok` and `%{NAME:field}`
also captures it as `field`. Patterns are parsed with pyparsing when the parser is built, never
per record; every layout becomes one alternative of one compiled regex, tried on the first line
of a record (at most `MAX_LINE_CHARS`, which bounds the cost of a pathological line).

The shipped layouts are also kept translated (`patterns/layouts.json`, written by
`python -m vendor_errors.parsers.decoding.grok_compile`): read as they are when they were made from
the .grok files as they are now, so that a process without patterns of its own never imports
pyparsing (~6 MiB of resident memory, a quarter of `scan`'s start-up). An edited .grok file
is translated again; tests/parsers/test_grok_compiled.py fails until the artifact is rewritten.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import orjson

if TYPE_CHECKING:
    import pyparsing as pp

PATTERN_DIR = Path(__file__).parent / "patterns"
MAX_LINE_CHARS = 4096
ARTIFACT = "layouts.json"
# Bumped when the artifact's layout or the translation changes; another format is not read.
FORMAT = 1
COMPILE = "python -m vendor_errors.parsers.decoding.grok_compile"  # grok_compile.py


class GrokError(ValueError):
    """A pattern that does not parse or names an unknown base pattern."""


@dataclass(frozen=True, slots=True)
class _Macro:
    name: str
    field: str | None


@dataclass(frozen=True, slots=True)
class _Literal:
    text: str


_SPACE_TOKEN = object()


@cache
def _grammar() -> pp.ParserElement:
    import pyparsing as pp

    name = pp.Word(pp.srange("[A-Z0-9_]"))
    field = pp.Word(pp.alphanums + "_.@-")
    macro = (
        pp.Suppress("%{") + name + pp.Optional(pp.Suppress(":") + field, default=None) + "}"
    ).set_parse_action(lambda t: _Macro(t[0], t[1]))
    space = pp.Regex(r"[ \t]+").set_parse_action(lambda: _SPACE_TOKEN)
    literal = pp.Regex(r"(?:[^%\s]|%(?!\{))+").set_parse_action(lambda t: _Literal(t[0]))
    grammar = pp.ZeroOrMore(macro | space | literal) + pp.StringEnd()
    grammar.leave_whitespace()
    return grammar


def read_definitions(path: Path) -> dict[str, str]:
    """`NAME body` lines of a .grok file; `#` starts a comment line."""
    definitions: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, body = line.partition(" ")
        if not re.fullmatch(r"[A-Z0-9_]+", name) or not body.strip():
            raise GrokError(f"{path}:{number}: expected 'NAME pattern', got {line!r}")
        definitions[name] = body.strip()
    return definitions


BASE = read_definitions(PATTERN_DIR / "base.grok")
LAYOUTS = read_definitions(PATTERN_DIR / "layouts.grok")


class Translated(NamedTuple):
    """A layout as a regex: its captures named `<prefix><n>`, the n-th capturing `fields[n]`."""

    name: str
    body: str
    prefix: str
    fields: tuple[str, ...]


def translate(name: str, pattern: str, prefix: str, base: dict[str, str] = BASE) -> Translated:
    """`pattern` as a regex (GrokError if it does not parse or names an unknown base)."""
    import pyparsing as pp  # imported by the first translation only (the module's docstring)

    try:
        tokens = _grammar().parse_string(pattern, parse_all=True)
    except pp.ParseException as exc:
        raise GrokError(f"pattern {pattern!r}: cannot parse at column {exc.col}") from None
    parts: list[str] = []
    groups: list[str] = []
    for token in tokens:
        if token is _SPACE_TOKEN:
            parts.append(r"[ \t]+")
        elif isinstance(token, _Literal):
            parts.append(re.escape(token.text))
        else:
            body = base.get(token.name)
            if body is None:
                raise GrokError(f"pattern {pattern!r}: unknown base pattern %{{{token.name}}}")
            if token.field is None:
                parts.append(f"(?:{body})")
            else:
                group = f"{prefix}{len(groups)}"
                groups.append(token.field)
                parts.append(f"(?P<{group}>{body})")
    return Translated(name, "".join(parts), prefix, tuple(groups))


# -- the shipped layouts, translated ahead (see the module's docstring) ----------------------

_SHIPPED_PREFIX = "s{}_"  # the n-th shipped layout's captures; users' layouts get "g{}_"


def digest(directory: Path = PATTERN_DIR) -> str:
    """A checksum of the .grok files (names, sizes, bytes) and of FORMAT: CRC-32, which
    detects an edit (all it is for), as the compiled catalog's digest does."""
    crc = zlib.crc32(f"vendor-errors grok {FORMAT}\n".encode())
    for path in sorted(directory.glob("*.grok")):
        content = path.read_bytes()
        crc = zlib.crc32(f"{path.name}\n{len(content)}\n".encode(), crc)
        crc = zlib.crc32(content, crc)
    return f"crc32:{crc:08x}"


def translate_shipped(
    layouts: dict[str, str] = LAYOUTS, base: dict[str, str] = BASE
) -> list[Translated]:
    return [
        translate(name, pattern, _SHIPPED_PREFIX.format(n), base)
        for n, (name, pattern) in enumerate(layouts.items())
    ]


def read_artifact(directory: Path = PATTERN_DIR) -> list[Translated] | None:
    """The shipped layouts as translated ahead; None when there is no artifact, or it was
    made from other .grok files or in another format."""
    try:
        doc = orjson.loads((directory / ARTIFACT).read_bytes())
    except FileNotFoundError:
        return None
    if doc.get("format") != FORMAT or doc.get("digest") != digest(directory):
        return None
    return [
        Translated(name, body, prefix, tuple(fields))
        for name, body, prefix, fields in doc["layouts"]
    ]


def shipped() -> list[Translated]:
    """The shipped layouts, from the artifact when it is current."""
    return read_artifact() or translate_shipped()


@dataclass(frozen=True, slots=True)
class LayoutMatch:
    layout: str
    fields: dict[str, str]
    message_start: int  # where the message starts: the `message` field, else the match's end


class Layouts:
    """Named grok layouts compiled into one anchored alternation."""

    def __init__(
        self,
        layouts: Iterable[tuple[str, str]],
        base: dict[str, str] = BASE,
        translated: Sequence[Translated] = (),
    ) -> None:
        """`layouts`: (name, pattern) pairs, translated now; then `translated` ones."""
        every = [
            translate(name, pattern, f"g{index}_", base)
            for index, (name, pattern) in enumerate(layouts)
        ]
        every += translated
        alternatives: list[str] = []
        self._names: list[str] = []
        self._fields: list[list[tuple[str, str]]] = []
        for index, (name, body, prefix, fields) in enumerate(every):
            alternatives.append(f"(?:{body})(?P<l{index}>)")
            self._names.append(name)
            self._fields.append([(f"{prefix}{i}", field) for i, field in enumerate(fields)])
        try:
            self._regex = re.compile("|".join(alternatives)) if alternatives else None
        except re.error as exc:  # a base pattern with a broken regex
            raise GrokError(f"layouts do not compile: {exc}") from None

    @classmethod
    def default(cls, extra: Sequence[str] = ()) -> Layouts:
        """Users' patterns (tried first, named `custom_<n>`), then the shipped layouts."""
        custom = [(f"custom_{n}", pattern) for n, pattern in enumerate(extra, 1)]
        return cls(custom, translated=shipped())

    def match(self, line: str, start: int = 0) -> LayoutMatch | None:
        """The first layout matching `line` from `start` (`message_start` counts from 0)."""
        if self._regex is None:
            return None
        found = self._regex.match(line, start, start + MAX_LINE_CHARS)
        if found is None:
            return None
        groups = found.groupdict()
        for index, name in enumerate(self._names):
            if groups[f"l{index}"] is not None:
                fields: dict[str, str] = {}
                message_start = found.end()
                for group, field in self._fields[index]:
                    if groups[group] is not None:
                        fields.setdefault(field, groups[group])
                        if field == "message":
                            message_start = found.start(group)
                return LayoutMatch(name, fields, message_start)
        return None  # pragma: no cover - one alternative always matched
