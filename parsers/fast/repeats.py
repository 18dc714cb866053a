"""Repeated records recognised from their raw bytes, whatever fields hold their ids and times.

When a vendor fails, applications log the same error line again and again; what differs
between two copies is ids and times: UUIDs, hex trace, span and request ids, ISO 8601 times in
any precision or offset, Unix epochs. They sit in any field (`trace.id`, `umid`, `requestId`,
`x-ms-correlation-id`, a delivery report's `timeStamp`), inside JSON in a string (Docker's
`log`, a `response_body`) or in a text line. parsers.fast.templates and skeletons know a few
field names; this layer knows values by their spelling alone.

A record's *tokens* are its substrings of those spellings (`TOKEN`, on word boundaries); the
rest of its bytes are its *literals*. Two records with the same literals and tokens of the same
spelling (kind, length, letter case, which tokens are equal) are the same log line logged
twice. What the general path does with a token is copy it into the event (a trace, span or
correlation id; a message or URL holding it) or read it as the record's time; nothing else
looks into an id or a time (a code, a status, a level, a vendor name is never spelled so).

`Repeats.record` is a record stage (parsers.stages) with the stage it wraps behind it. A record
with findings that is not known is analysed by it; the second time its literals are seen, the
record is analysed twice more by `verify` (the same route without any memo), each time with
other stand-ins in place of its tokens, of the same spelling. The result must be the same but
for fields that hold a stand-in (or its lower case), and the record's time when read from one;
each such field becomes a recipe, and the recipe applied to the record's own tokens must give
the record's own result. Otherwise the line is marked as not repeatable (by `signature`) and
its records always go to the wrapped stage. A later record with the same literals, tokens of
the same spelling (valid times, ids not all zeros) gets the recipe's result without being
decoded. The stand-ins are chosen so that a 3-digit fraction of a second reads as an HTTP
status in one set and not in the other ("12:00:00,503 Service Unavailable" is prose that
states a status): a line where a token's digits could matter fails the check.

Memory is bounded: records up to `MAX_RECORD_BYTES`, at most `MAX_LINES` lines known (and as
many seen once, and as many refused), `MAX_PER_SIGNATURE` lines per signature.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from vendor_errors.catalog.model import VendorInfo
from vendor_errors.parsers.decoding.times import clock
from vendor_errors.parsers.fast.memo import Memo
from vendor_errors.parsers.fast.recipes import Recipe, Times, derive
from vendor_errors.parsers.result import Origin, Result
from vendor_errors.parsers.stages import RecordStage

MAX_RECORD_BYTES = 4096
MAX_LINES = 1024
MAX_PER_SIGNATURE = 4
MAX_TOKENS = 32

# Token kinds.
TIME, UUID, HEX, DIGITS, SECONDS = 0, 1, 2, 3, 4

_ISO = rb"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:[.,]\d{1,9})?)?(?:Z|[+-]\d\d:?\d\d)?"
_UUID = rb"[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}|[0-9A-F]{8}(?:-[0-9A-F]{4}){3}-[0-9A-F]{12}"
_EPOCH = rb"1[5-9]\d{8}(?:\.\d{1,9}|(?:\d{3}){0,3})"  # s (zap's 1718267000.33), ms, us, ns
_HEX = rb"[0-9a-f]{16,64}|[0-9A-F]{16,64}"
# Not after a letter, digit or backslash (`\b` of an escape), not before a letter or digit.
TOKEN = re.compile(
    rb"(?=[0-9a-fA-F])(?<![0-9A-Za-z\\])(" + rb"|".join((_ISO, _UUID, _EPOCH, _HEX)) + rb")"
    rb"(?![0-9A-Za-z])"
)
_split = TOKEN.split
_ISO_PARTS = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)([T ])(\d\d):(\d\d)(?::(\d\d)(?:([.,])(\d{1,9}))?)?(.*)"
).fullmatch
# A record's signature: its bytes with every hex digit as `x`, what copies of a line share.
_SIGNATURE = bytes(
    ord("x") if chr(byte) in "0123456789abcdefABCDEF" else byte for byte in range(256)
)


def kind_of(token: bytes) -> int:
    if token[4:5] == b"-" and token[:4].isdigit():
        return TIME
    if len(token) == 36 and token[8:9] == b"-":
        return UUID
    if token.isdigit():
        return DIGITS
    return SECONDS if token[10:11] == b"." else HEX


class Line:
    """A known line: its literals at their offsets, its token slots, and the recipe."""

    __slots__ = (
        "checks",
        "clocks",
        "digits",
        "distinct",
        "ids",
        "pairs",
        "recipe",
        "slots",
        "times",
        "upper",
    )

    def __init__(
        self, parts: list[bytes], kinds: list[int], equal: tuple[int, ...], recipe: Recipe
    ) -> None:
        checks: list[tuple[bytes, int]] = []
        slots: list[tuple[int, int]] = []
        offset = 0
        for index, part in enumerate(parts):
            if index % 2 == 0:
                if part:
                    checks.append((part, offset))
            else:
                slots.append((offset, offset + len(part)))
            offset += len(part)
        # Longest literals first: two lines of one signature differ in their words.
        checks.sort(key=lambda check: -len(check[0]))
        self.checks = tuple(checks)
        self.slots = tuple(slots)
        tokens = parts[1::2]
        self.pairs = tuple((n, first) for n, first in enumerate(equal) if first != n)
        self.distinct = len(set(equal))
        # Ids (hex, UUIDs) of one case; digits with their first three (an epoch's unit and
        # range); times with where their fraction ends (0: none).
        self.ids = tuple(n for n, kind in enumerate(kinds) if kind in (HEX, UUID))
        self.upper = tuple(n for n in self.ids if tokens[n].isupper())
        self.digits = tuple(
            (n, tokens[n][:3]) for n, kind in enumerate(kinds) if kind in (DIGITS, SECONDS)
        )
        self.times = tuple(
            (n, _fraction_end(tokens[n].decode()), kind == TIME)
            for n, kind in enumerate(kinds)
            if kind in (TIME, DIGITS, SECONDS)
        )
        self.recipe = recipe
        self.clocks = tuple({f.time for f in recipe.findings if f.time is not None})

    def tokens(self, raw: bytes, words: re.Pattern[bytes] | None) -> tuple[list[str], Times] | None:
        """The record's tokens and times, when it is a copy of this line (else None)."""
        startswith = raw.startswith
        for literal, offset in self.checks:
            if not startswith(literal, offset):
                return None
        tokens = [raw[start:end] for start, end in self.slots]
        for n, first in self.pairs:
            if tokens[first] != tokens[n]:
                return None
        if len(set(tokens)) != self.distinct:
            return None
        if self.ids:
            ids = [tokens[n] for n in self.ids]
            upper = self.upper
            for n in self.ids:
                token = tokens[n]
                if token != (token.upper() if n in upper else token.lower()):
                    return None  # another case: as trace ids are read, another value
                if not token.strip(b"0-"):
                    return None  # all zeros: no id

            if words is not None and words.search(b" ".join(ids)) is not None:
                return None  # a vendor's name in an id
        for n, head in self.digits:
            token = tokens[n]
            if token[:3] != head or not token.replace(b".", b"", 1).isdigit():
                return None
            if not token.strip(b"0"):
                return None  # all zeros: no id
        text = [token.decode() for token in tokens]
        times: Times = [None] * len(text)
        for n, end, needed in self.times:
            read = clock(text[n], end)
            if read is None and needed:
                return None  # no valid time: not what the line's time token stood for
            times[n] = read
        for n in self.clocks:
            if times[n] is None:
                return None
        return text, times


def _has_word(token: bytes, words: tuple[bytes, ...]) -> bool:
    lowered = token.lower()
    return any(word in lowered for word in words)


def _fraction_end(token: str) -> int:
    """Where the digits of a time token's fraction end (0: no fraction)."""
    if len(token) > 20 and token[19] in ".," and token[10] in "T ":
        end = 20  # the same test as times.clock's
        while end < len(token) and token[end].isdigit():
            end += 1
        return end
    return 0


class Repeats:
    """The record stage of one route of the prefilter, over the lines it has learnt."""

    __slots__ = (
        "_inner",
        "_lines",
        "_named",
        "_pending",
        "_refused",
        "_seen",
        "_verify",
        "_words",
        "by_signature",
        "hits",
        "learnt",
    )

    def __init__(
        self, inner: RecordStage, verify: RecordStage, vendors: Iterable[VendorInfo] = ()
    ) -> None:
        self._inner = inner
        self._verify = verify  # the same route, without memos: analyses stand-in copies
        self._lines: Memo[bytes, list[Line]] = Memo(MAX_LINES)
        self.by_signature = self._lines.data
        # Lines seen once with findings: their first copy's tokens and result; by signature.
        self._pending: Memo[tuple[Any, ...], tuple[list[str], Result]] = Memo(MAX_LINES)
        self._seen: Memo[bytes, bool] = Memo(MAX_LINES)
        self._refused: Memo[bytes, bool] = Memo(MAX_LINES)
        # Vendor names and prefilter spellings that are hex digits only (`d365`): a token
        # holding one would name the vendor, so such a record is analysed as it is.
        self._words = hex_words(vendors)
        self._named = (
            re.compile(b"|".join(map(re.escape, self._words)), re.IGNORECASE)
            if self._words
            else None
        )
        self.hits = self.learnt = 0

    def record(self, raw: bytes | str, text: str | None, source: Origin) -> Result:
        if text is not None or type(raw) is not bytes or len(raw) > MAX_RECORD_BYTES:
            return self._inner(raw, text, source)  # not ASCII bytes: analysed as it is
        signature = raw.translate(_SIGNATURE)
        lines = self.by_signature.get(signature)
        if lines is not None:
            for line in lines:
                found = line.tokens(raw, self._named)
                if found is not None:
                    self.hits += 1
                    return line.recipe.apply(found[0], found[1], source)
        refused = self._refused.data
        if signature in refused:
            return self._inner(raw, text, source)
        seen = self._seen.data.get(signature)
        if seen is not None:
            # A line with findings was seen with this signature: if this record is a copy,
            # learn the line from the two (its first copy's result checks the recipe).
            shape = _shape(raw)
            if shape is None:
                self._refused.put(signature, True)
            else:
                first = self._pending.data.get(shape[0])
                if first is not None:
                    recipe = self._recipe(shape, *first)
                    learnt = None if recipe is None else self._keep(signature, lines, shape, recipe)
                    if learnt is None:
                        self._refused.put(signature, True)
                    else:
                        found = learnt.tokens(raw, self._named)
                        if found is not None:
                            self.hits += 1
                            return learnt.recipe.apply(found[0], found[1], source)
        result = self._inner(raw, text, source)
        if result.findings and signature not in refused:
            shape = _shape(raw)
            if shape is None:
                self._refused.put(signature, True)
            elif shape[0] not in self._pending.data:
                self._pending.put(shape[0], ([token.decode() for token in shape[1]], result))
                self._seen.put(signature, True)
        return result

    def _keep(
        self, signature: bytes, lines: list[Line] | None, shape: Shape, recipe: Recipe
    ) -> Line | None:
        key, _tokens, kinds, parts = shape
        line = Line(parts, kinds, key[2], recipe)
        if lines is None:
            self._lines.put(signature, [line])
        elif len(lines) < MAX_PER_SIGNATURE:
            lines.append(line)
        else:
            return None
        self._pending.data.pop(key, None)
        self.learnt += 1
        return line

    def _recipe(self, shape: Shape, own: list[str], result: Result) -> Recipe | None:
        """The line's recipe, from two copies with stand-ins, if it gives `result` for the
        line's first copy (its tokens `own`)."""
        key, _tokens, kinds, parts = shape
        equal = key[2]
        times = read_times(own, tuple((kind, 0) for kind in kinds))
        if times is None:
            return None
        for token, kind in zip(own, kinds, strict=True):
            if kind == DIGITS and not token.strip("0"):
                return None  # an all-zero id is no id (trace ids), not a copy
            if self._words and _has_word(token.encode(), self._words):
                return None
        analysed = []
        for variant in (0, 1):
            values: list[str] = []
            for n, first in enumerate(equal):
                if first == n:
                    values.append(stand_in(own[n], kinds[n], n, variant, self._words))
                else:
                    values.append(values[first])
            copy = list(parts)
            copy[1::2] = [value.encode() for value in values]
            analysed.append((self._verify(b"".join(copy), None, _NO_SOURCE), values))
        (first_result, first_values), (second_result, second_values) = analysed
        clocks = [n for n, kind in enumerate(kinds) if kind in (TIME, DIGITS, SECONDS)]
        recipe = derive(first_result, first_values, second_result, second_values, clocks)
        if recipe is None or not recipe.gives(own, times, result):
            return None
        return recipe


# A record's line: its key (literals, token kinds, which tokens are equal, their case), its
# tokens, their kinds, and its bytes split at the tokens.
Shape = tuple[tuple[Any, ...], list[bytes], list[int], list[bytes]]


def _shape(raw: bytes) -> Shape | None:
    parts = _split(raw)
    tokens = parts[1::2]
    if not tokens or len(tokens) > MAX_TOKENS:
        return None
    kinds = [kind_of(token) for token in tokens]
    first: dict[bytes, int] = {}
    equal = tuple(first.setdefault(token, n) for n, token in enumerate(tokens))
    key = (tuple(parts[0::2]), tuple(kinds), equal, tuple(t.isupper() for t in tokens))
    return key, tokens, kinds, parts


_NO_SOURCE: Origin = {"file": "", "line": 0}


def read_times(tokens: list[str], kinds: tuple[tuple[int, Any], ...]) -> Times | None:
    """Each time token as the general path reads a time (None for other tokens); None when a
    time token is no valid time (then it is no time to copy)."""
    times: Times = []
    for token, (kind, _) in zip(tokens, kinds, strict=True):
        if kind == TIME:
            read = clock(token)
            if read is None:
                return None
            times.append(read)
        elif kind in (DIGITS, SECONDS):
            times.append(clock(token))
        else:
            times.append(None)
    return times


def hex_words(vendors: Iterable[VendorInfo]) -> tuple[bytes, ...]:
    words = set()
    for info in vendors:
        for word in (info.vendor, *info.names, *info.aliases, *info.prefilter_names):
            lowered = word.lower()
            if lowered and all(char in "0123456789abcdef" for char in lowered):
                words.add(lowered.encode())
        for header in info.prefilter_headers:
            lowered = header.lower()
            if lowered and all(char in "0123456789abcdef" for char in lowered):
                words.add(lowered.encode())
    return tuple(sorted(words))


# -- stand-ins ---------------------------------------------------------------------------------

# Per variant: a time far from any log's, each field different from the other variant's; a
# 3-digit fraction reads as a 4xx status in the first, as no status in the second.
_DATES = (("2097", "03", "14", "05", "41", "4"), ("2086", "11", "25", "16", "52", "0"))


def stand_in(token: str, kind: int, index: int, variant: int, words: tuple[bytes, ...]) -> str:
    """A token of the same spelling as `token`, unique per `index`, one of two sets."""
    if kind == TIME:
        return _time_stand_in(token, index, variant)
    if kind in (DIGITS, SECONDS):
        tail = _digits(len(token) - 3, index, variant)
        if kind == SECONDS:
            tail = tail[:7] + "." + tail[8:]
        return token[:3] + tail
    # Hex ids and UUIDs: the same length, case and dashes; digits and letters both.
    letters = "abcdef" if not token.isupper() else "ABCDEF"
    if token.isdigit():
        letters = "0123456789"
    seed = index * 7 + variant * 131 + 1
    out = []
    for position, char in enumerate(token):
        if char == "-":
            out.append("-")
            continue
        step = seed + position * (3 + variant)
        if position % 3 == variant and letters != "0123456789":
            out.append(letters[step % 6])
        else:
            out.append(str(step % 10 if position else 1 + step % 9))
    value = "".join(out)
    if words and _has_word(value.encode(), words):
        value = value.replace("d", "e").replace("D", "E")
    return value


def _digits(count: int, index: int, variant: int) -> str:
    base = f"{index:02d}{variant}" + "7391" * count
    return base[:count] if variant == 0 else base[::-1][:count]


def _time_stand_in(token: str, index: int, variant: int) -> str:
    parts = _ISO_PARTS(token)
    if parts is None:  # not reached: every TIME token has this form
        return token
    year, month, day, hour, second, fraction_head = _DATES[variant]
    minute = f"{(index + 17 * variant) % 60:02d}"
    text = f"{year}-{month}-{day}{parts.group(4)}{hour}:{minute}"
    if parts.group(7) is not None:
        text += f":{second}"
        if parts.group(9) is not None:
            digits = len(parts.group(9))
            tail = f"{index % 100:02d}" + "5" * 7
            fraction = (fraction_head + tail)[:digits] if digits == 3 else tail[:digits]
            text += parts.group(8) + fraction
    return text + parts.group(10)
