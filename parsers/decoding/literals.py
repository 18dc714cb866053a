"""Maps and objects as programming languages print them, read back into dicts and lists.

Applications log a vendor's answer the way their language prints a decoded body, rarely as
JSON. One tolerant reader covers the families (docs/parsing.md, "Envelopes"):

- key/value separators `:` (JavaScript util.inspect, Dart, Go `%v`/`%+v`, Rust Debug, Elixir
  atoms, Serilog), `=` (Java/Kotlin/Lombok toString, Python dataclasses, .NET anonymous types
  and records), `=>` (Ruby, PHP, Perl, Elixir, Erlang), `->` (Scala), a space after a Clojure
  keyword; keys bare, quoted, as symbols (`:code`), ivars (`@code`), PHP `[code]`/`["code"]`,
  Erlang `<<"code">>`;
- containers `{}`, `[]`, `()`, `#<...>` (Ruby inspect), with type tags before them
  (`ApiError {`, `Map(`, `map[`, `%Req.Response{`, `Object [AxiosHeaders] {`, `array(4) {`,
  PHP `Array\\n(`), and wrapped scalars (`String("7004")`, `int(1300)`, `string(4) "text"`);
- values quoted, JavaScript string concatenations, or bare text up to the next `, key=`, the
  next ` key:` (Go), the line's end or the closing bracket;
- a text cut short (a client's or a logger's length limit): the entries complete before the
  cut are kept, an entry whose value is cut is dropped (a code is never guessed from half of
  it).

Pure Python, linear, bounded in size, depth and items; never raises.
"""

from __future__ import annotations

import re
from typing import Any

MAX_CHARS = 64 * 1024
MAX_DEPTH = 32
MAX_ITEMS = 4096  # entries per literal, all levels (a Node error object has hundreds)

_PAIRS = {"{": "}", "[": "]", "(": ")", "#<": ">"}
_SPACE = re.compile(r"[ \t\r\n]*+")
_INLINE_SPACE = re.compile(r"[ \t]*+")
# Keys, each followed by its separator.
_KEY = re.compile(
    r"""(?:
        "((?:[^"\\\n]|\\.)*)"                      # "key"
      | '((?:[^'\\\n]|\\.)*)'                      # 'key'
      | <<"([^"\n]*)">>                            # Erlang <<"key">>
      | \[\s*"?([\w.$@ -]{1,64})"?\s*\]            # PHP [key] / ["key"], JS [Symbol(x)]-ish
      | \[(Symbol\([^)\n]{0,64}\))\]               # JS [Symbol(x)]
      | ([:@]?[A-Za-z_$][\w.$-]{0,63}[?!]?)        # key, :symbol, @ivar
    )[ \t]*+(=>|->|:(?!:)|=(?![=>]))""",
    re.X,
)
# The rest of a line is empty, and the next line starts another entry or closes the container.
_NOTHING_ON_LINE = re.compile(r"[ \t]*+\r?\n[ \t]*+(?:\[[^\]\n]{1,64}\][ \t]*+=>|[)}\]])")
_CLOJURE_KEY = re.compile(r":([A-Za-z_][\w.?!-]{0,63})[ \t]++(?=[^\s,}\]])")
# Where a bare value ends: the next entry of a comma-separated container (`, key=`), or of a
# space-separated one (Go `%v`: ` key:value`, no space after the colon).
_NEXT_ENTRY = re.compile(
    r""",[ \t]*+(?:\n[ \t]*+)?(?:["']?[:@]?[A-Za-z_$][\w.$-]{0,63}["']?[ \t]*+"""
    r"""(?:=>|->|:(?![:/])|=(?![=>]))|:[A-Za-z_]|<<")"""
    r"""|[ \t]++[A-Za-z_][\w]{0,63}:(?=[^\s/:])"""
)
_TAG = re.compile(r"[A-Za-z_$%&#][\w.$:\\]{0,127}")
_PRINT_R = re.compile(r"(?:Array|[\w\\]{1,128} Object)[ \t]*+\n[ \t]*+\(")
_RUBY_HEAD = re.compile(r"#<(?:struct |data )?[\w:]{1,128}(?::0x[0-9a-f]{1,16})?[ \t]*+")
_REF = re.compile(r"<ref \*\d+>[ \t]*+")
_MORE_ITEMS = re.compile(r"\.\.\. \d+ more items?[^\n,\]}]*+")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_TRUNCATED = ("...", "\u2026", "(truncated")
# The rest of a quoted string after its opening quote, on its line (possessive: no backtracking).
_REST = {
    '"': re.compile(r'(?:[^"\\\n]++|\\.)*+"'),
    "'": re.compile(r"(?:[^'\\\n]++|\\.)*+'"),
}
_JOINED = re.compile(r"[ \t]*+\+[ \t]*+\n?[ \t]*+['\"]")  # JavaScript's 'a' +\n 'b'
_WORDS = {
    "true": True,
    "false": False,
    "True": True,
    "False": False,
    "nil": None,
    "null": None,
    "None": None,
    "undefined": None,
}
_WRAPPERS = frozenset(
    {"String", "Number", "Bool", "int", "float", "bool", "string", "Some", "Ok", "Err"}
)
_CUT = object()  # a value the text ended inside of


class _Reader:
    __slots__ = ("depth", "end", "in_list", "items", "text")

    def __init__(self, text: str, end: int) -> None:
        self.text = text
        self.end = end
        self.depth = 0
        self.items = 0
        self.in_list = False  # the entry being read has no key: a `,` ends a bare value

    # -- values ------------------------------------------------------------------------------

    def value(self, at: int, closer: str) -> tuple[Any, int]:
        """The value starting at `at` (spaces skipped) and where it ends; _CUT at a cut."""
        text, end = self.text, self.end
        at = _skip(_SPACE, text, at, end)
        if at >= end:
            return _CUT, at
        char = text[at]
        if char == '"' or char == "'":
            return self.string(at)
        if char in "{[(":
            return self.retagged(*self.container(at + 1, _PAIRS[char]))
        if text.startswith("#<", at):
            head = _RUBY_HEAD.match(text, at, end)
            return self.container(head.end() if head else at + 2, ">")
        if text.startswith("<<", at):
            stop = text.find(">>", at, end)
            if stop < 0:
                return _CUT, end
            inner = text[at + 2 : stop].strip()
            return (inner[1:-1] if inner[:1] == '"' and inner[-1:] == '"' else inner), stop + 2
        if text.startswith("<ref *", at):
            ref = _REF.match(text, at, end)
            if ref is not None:
                return self.value(ref.end(), closer)
        found = _PRINT_R.match(text, at, end)
        if found is not None:
            return self.container(found.end(), ")")
        tag = _TAG.match(text, at, end)
        if tag is not None:
            after = _skip(_INLINE_SPACE, text, tag.end(), end)
            if after < end and text[after] in "{[(":
                return self.tagged(tag.group(0), after, closer)
        return self.bare(at, closer)

    def tagged(self, tag: str, at: int, closer: str) -> tuple[Any, int]:
        """A container after a type tag: `ApiError {`, `map[`, `String("x")`, `int(3)`."""
        value, at = self.container(at + 1, _PAIRS[self.text[at]])
        if value is _CUT:
            return value, at
        text, end = self.text, self.end
        name = tag.rsplit(".", 1)[-1].lstrip("%&#")
        if value.__class__ is list and len(value) == 1 and name in _WRAPPERS:
            value = value[0]
            after = _skip(_INLINE_SPACE, text, at, end)
            if name == "string" and after < end and text[after] == '"':  # var_dump's string(N)
                return self.string(after)
        return self.retagged(value, at)

    def retagged(self, value: Any, at: int) -> tuple[Any, int]:
        """`Object [AxiosHeaders] {`, `[Object: null prototype] {`, `array(4) {`: what was
        read is the tag of the object that follows on the line."""
        if value is _CUT:
            return value, at
        text, end = self.text, self.end
        after = _skip(_INLINE_SPACE, text, at, end)
        if after < end and text[after] == "{":
            return self.container(after + 1, "}")
        return value, at

    def string(self, at: int) -> tuple[Any, int]:
        """A quoted string (escapes kept simple); JavaScript's `'a' +\n 'b'` joined."""
        text, end = self.text, self.end
        parts: list[str] = []
        while True:
            rest = _REST[text[at]].match(text, at + 1, end)
            if rest is None:
                return _CUT, end  # not closed on its line: cut short
            parts.append(_unescape(text[at + 1 : rest.end() - 1]))
            at = rest.end()
            joined = _JOINED.match(text, at, end)
            if joined is None:
                return "".join(parts), at
            at = joined.end() - 1

    def bare(self, at: int, closer: str) -> tuple[Any, int]:
        """Unquoted text up to the next entry, the line's end or the closer."""
        text, end = self.text, self.end
        depth = 0
        pos = at
        while pos < end:
            char = text[pos]
            if char == "\n":
                if depth == 0:
                    break
            elif char in "([{":
                depth += 1
            elif char in ")]}":
                if depth == 0:
                    break  # the closer, or one this container does not own: stop here
                depth -= 1
            elif depth == 0:
                if char == closer:  # `>` of Ruby's #<...>
                    break
                if char == "," or char == " " or char == "\t":
                    if _NEXT_ENTRY.match(text, pos, end) is not None:
                        break
                    if char == "," and self.in_list:
                        break
            pos += 1
        raw = text[at:pos].strip().rstrip(",")
        if pos >= end or any(mark in raw for mark in _TRUNCATED):
            return _CUT, pos
        return _scalar(raw), pos

    # -- containers --------------------------------------------------------------------------

    def container(self, at: int, closer: str) -> tuple[Any, int]:
        """Entries up to `closer`: a dict when any entry has a key, else a list. Cut short: the
        entries complete before the cut."""
        if self.depth >= MAX_DEPTH:
            return _CUT, self.end
        self.depth += 1
        text, end = self.text, self.end
        keyed: dict[str, Any] = {}
        items: list[Any] = []
        saved = self.in_list
        try:
            while True:
                at = _skip(_SPACE, text, at, end)
                while at < end and text[at] in ",;":
                    at = _skip(_SPACE, text, at + 1, end)
                if at >= end:
                    return (keyed or items), end  # cut short: what was complete
                if text[at] == closer:
                    return (keyed if keyed else items), at + 1
                if text[at] in ")]}":
                    return (keyed if keyed else items), at + 1  # another closer: give up here
                more = _MORE_ITEMS.match(text, at, end)
                if more is not None:
                    at = more.end()
                    continue
                self.items += 1
                if self.items > MAX_ITEMS:
                    return (keyed or items), end
                key = _KEY.match(text, at, end)
                if key is not None:
                    name = next(group for group in key.groups()[:6] if group is not None)
                    self.in_list = False
                    after = key.end()
                    if _NOTHING_ON_LINE.match(text, after, end) is not None:
                        # print_r's `[success] => ` (false prints as nothing): no value here,
                        # unless the next line holds it (var_dump's `["code"]=>\n  int(1)`).
                        keyed.setdefault(name, "")
                        at = after
                        continue
                    value, at = self.value(after, closer)
                    if value is _CUT:
                        return (keyed or items), end
                    if name not in keyed:
                        keyed[name] = value
                    continue
                clojure = _CLOJURE_KEY.match(text, at, end)
                if clojure is not None:
                    self.in_list = False
                    value, at = self.value(clojure.end(), closer)
                    if value is _CUT:
                        return (keyed or items), end
                    keyed.setdefault(clojure.group(1), value)
                    continue
                self.in_list = True
                value, after = self.value(at, closer)
                if value is _CUT:
                    return (keyed or items), end
                items.append(value)
                at = after if after > at else at + 1
        finally:
            self.depth -= 1
            self.in_list = saved


def _skip(spaces: re.Pattern[str], text: str, at: int, end: int) -> int:
    """Past the spaces at `at` (the patterns match the empty string too)."""
    found = spaces.match(text, at, end)
    return found.end() if found is not None else at


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "'": "'", "\\": "\\", "/": "/"}


def _unescape(value: str) -> str:
    if "\\" not in value:
        return value
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), value)


def _scalar(raw: str) -> Any:
    if raw in _WORDS:
        return _WORDS[raw]
    if raw[:1].isdigit() or raw[:1] == "-":
        number = _NUMBER.fullmatch(raw)
        if number is not None:
            return float(raw) if ("." in raw or "e" in raw or "E" in raw) else int(raw)
    return raw


def parse_literal(text: str, start: int = 0) -> tuple[Any, int] | None:
    """The map or list whose opening bracket (or `#<`, or PHP `Array\\n(`) is at `start`, and
    where it ends; None when nothing with entries is there."""
    end = min(len(text), start + MAX_CHARS)
    reader = _Reader(text, end)
    try:
        value, stop = reader.value(start, "")
    except RecursionError:
        return None
    if value is _CUT or not _has_entries(value, 0):
        return None
    return value, stop


def _has_entries(value: Any, depth: int) -> bool:
    """A map with a key somewhere: a list of words alone is prose in brackets."""
    if value.__class__ is dict:
        return bool(value)
    if value.__class__ is list and depth < 4:
        return any(_has_entries(item, depth + 1) for item in value[:16])
    return False


# Where literals start that the bracket scan of parsers/decoding/embedded.py does not see:
# `Name(key=...`, Scala's `Map(key -> ...`, Ruby's `#<...>`, PHP's print_r and var_export.
_PAREN_HEAD = re.compile(
    r"""[A-Za-z_][\w.$]{0,127}\((?=[ \t]*+[A-Za-z_@][\w]{0,63}[ \t]*+(?:=(?!=)|->))"""
    r"""|#<[A-Za-z]|(?:Array|[\w\\]{1,128} Object)[ \t]*+\n[ \t]*+\(|\barray[ \t]*+\([ \t]*+\n"""
)


def paren_heads(text: str, limit: int) -> list[int]:
    """Starts of the literals in `text` that open with a parenthesis or `#<`."""
    return [found.start() for found in _PAREN_HEAD.finditer(text, 0, limit)]
