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
many seen once, and as many refused, those by a hash), `MAX_PER_SIGNATURE` lines per signature,
and of records over `LARGE_RECORD_BYTES` (a bulk request logged with its payload, a stack trace
in a JSON field) at most `MAX_LARGE_LINES` lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from operator import itemgetter
from typing import Any

from vendor_errors.catalog.model import VendorInfo
from vendor_errors.parsers.decoding.times import clock
from vendor_errors.parsers.fast.memo import Memo
from vendor_errors.parsers.fast.recipes import Recipe, Times, derive
from vendor_errors.parsers.fast.tokens import (
    DIGITS,
    HEX,
    SECONDS,
    TIME,
    TOKEN,
    UUID,
    has_word,
    kind_of,
    stand_in,
)
from vendor_errors.parsers.result import Origin, Result
from vendor_errors.parsers.stages import RecordStage

MAX_RECORD_BYTES = 64 * 1024
LARGE_RECORD_BYTES = 4096  # lines over this hold more memory each: fewer are kept
MAX_LINES = 1024
MAX_LARGE_LINES = 16
MAX_PER_SIGNATURE = 4
MAX_TOKENS = 32

_split = TOKEN.split
# A record's signature: its bytes with every hex digit as `x`, what copies of a line share.
_SIGNATURE = bytes(
    ord("x") if chr(byte) in "0123456789abcdefABCDEF" else byte for byte in range(256)
)


class Line:
    """A known line: its literals at their offsets, its token slots, and the recipe."""

    __slots__ = (
        "cut",
        "digits",
        "distinct",
        "id_slots",
        "ids",
        "joined",
        "literals",
        "lower",
        "pairs",
        "recipe",
        "times",
        "upper",
        "zeros",
    )

    def __init__(
        self, parts: list[bytes], kinds: list[int], equal: tuple[int, ...], recipe: Recipe
    ) -> None:
        literals: list[slice] = []
        slots: list[slice] = []
        offset = 0
        for index, part in enumerate(parts):
            end = offset + len(part)
            if index % 2 == 0:
                if part:
                    literals.append(slice(offset, end))
            else:
                slots.append(slice(offset, end))
            offset = end
        # A copy's literals, cut and joined in one call each, equal the line's: two short
        # C calls instead of a Python loop over them (an empty slice: a tuple for one too).
        self.literals = itemgetter(*literals, slice(0, 0))
        self.joined = b"".join(part for part in parts[0::2])
        # The tokens of a copy, as text, in one call (a tuple, for one token too).
        self.cut = itemgetter(*slots) if len(slots) > 1 else _one(slots[0])
        tokens = parts[1::2]
        self.pairs = tuple((n, first) for n, first in enumerate(equal) if first != n)
        # How many tokens differ; one: they are all one (the pairs), no set to build.
        self.distinct = len(set(equal))
        # Ids (hex, UUIDs), each of one case, all joined by spaces to be checked at once: for
        # that case, for an id of zeros (its spelling in zeros: a longer id holding it is
        # refused too, and analysed as it is), for a vendor's name.
        ids = [n for n, kind in enumerate(kinds) if kind in (HEX, UUID)]
        self.id_slots = tuple(ids)
        self.ids = _picker(ids)
        upper = [tokens[n].isupper() for n in ids]
        self.lower = not any(upper)  # else all upper, or some of each (checked one by one)
        self.upper = tuple(n for n, big in zip(ids, upper, strict=True) if big)
        self.zeros = tuple({tokens[n].decode().translate(_ZEROS) for n in ids})
        # Digits with their first three (an epoch's unit and range).
        self.digits = tuple(
            (n, tokens[n][:3].decode()) for n, kind in enumerate(kinds) if kind in (DIGITS, SECONDS)
        )
        self.recipe = recipe
        # The times read: every ISO time, which must be a valid one, and the digits the
        # recipe reads the record's time from; with where its fraction ends (0: none). Digits
        # that are not the record's time need not be read.
        clocks = {f.time for f in recipe.findings if f.time is not None}
        self.times = tuple(
            (n, _fraction_end(tokens[n].decode()))
            for n, kind in enumerate(kinds)
            if kind == TIME or (kind in (DIGITS, SECONDS) and n in clocks)
        )

    def tokens(self, raw: bytes, words: tuple[str, ...]) -> tuple[tuple[str, ...], Times] | None:
        """The record's tokens and times, when it is a copy of this line (else None)."""
        if b"".join(self.literals(raw)) != self.joined:
            return None
        # Latin-1: one character a byte, so the slots' offsets hold (the record is ASCII).
        tokens: tuple[str, ...] = self.cut(raw.decode("latin-1"))
        for n, first in self.pairs:
            if tokens[first] != tokens[n]:
                return None
        if self.distinct != 1 and len(set(tokens)) != self.distinct:
            return None
        if self.ids is not None:
            ids = " ".join(self.ids(tokens))
            lowered = ids.lower()
            if self.lower:
                if ids != lowered:
                    return None  # another case: as trace ids are read, another value
            else:
                upper = self.upper
                for n in self.id_slots:
                    token = tokens[n]
                    if token != (token.upper() if n in upper else token.lower()):
                        return None
            for zero in self.zeros:
                if zero in ids:
                    return None  # all zeros: no id
            for word in words:
                if word in lowered:
                    return None  # a vendor's name in an id, in any case
        for n, head in self.digits:
            token = tokens[n]
            if token[:3] != head or not token.replace(".", "", 1).isdigit():
                return None
            if not token.strip("0"):
                return None  # all zeros: no id
        times: Times = [None] * len(tokens)
        for n, end in self.times:
            read = clock(tokens[n], end)
            if read is None:
                return None  # no valid time: not what the line's time token stood for
            times[n] = read
        return tokens, times


def _fraction_end(token: str) -> int:
    """Where the digits of a time token's fraction end (0: no fraction)."""
    if len(token) > 20 and token[19] in ".," and token[10] in "T ":
        end = 20  # the same test as times.clock's
        while end < len(token) and token[end].isdigit():
            end += 1
        return end
    return 0


# An id's spelling with each hex digit a zero (dashes kept).
_ZEROS = str.maketrans(dict.fromkeys("0123456789abcdefABCDEF", "0"))


def _one(part: slice) -> Callable[[str], tuple[str, ...]]:
    def cut(text: str) -> tuple[str, ...]:
        return (text[part],)

    return cut


def _picker(indexes: list[int]) -> Callable[[tuple[str, ...]], tuple[str, ...]] | None:
    """The tokens at `indexes`, as a tuple (None: no index)."""
    if not indexes:
        return None
    if len(indexes) == 1:
        return itemgetter(slice(indexes[0], indexes[0] + 1))
    return itemgetter(*indexes)


class Repeats:
    """The record stage of one route of the prefilter, over the lines it has learnt."""

    __slots__ = (
        "_inner",
        "_large",
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
        self._large = 0  # lines known of records over LARGE_RECORD_BYTES
        # Lines seen once with findings: their first copy's tokens and result, by the hash of
        # their key; signatures seen and refused, by their hash. A hash is a few bytes however
        # long the record, and two records of one hash are no risk: a seen one is learnt from
        # only if its key's hash is pending too, and the recipe must then give the first
        # copy's own result (refused: analysed as it is).
        self._pending: Memo[int, tuple[list[str], Result]] = Memo(MAX_LINES)
        self._seen: Memo[int, bool] = Memo(MAX_LINES)
        self._refused: Memo[int, bool] = Memo(MAX_LINES)
        # Vendor names and prefilter spellings that are hex digits only (`d365`): a token
        # holding one would name the vendor, so such a record is analysed as it is.
        self._words = hex_words(vendors)
        self._named = tuple(word.decode() for word in self._words)  # as text, lower case
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
        mark = hash(signature)  # computed by the lookup above: kept by the bytes object
        if mark in refused:
            return self._inner(raw, text, source)
        seen = self._seen.data.get(mark)
        if seen is not None:
            # A line with findings was seen with this signature: if this record is a copy,
            # learn the line from the two (its first copy's result checks the recipe).
            shape = _shape(raw)
            if shape is None:
                self._refused.put(mark, True)
            else:
                first = self._pending.data.get(hash(shape[0]))
                if first is not None:
                    recipe = self._recipe(shape, *first)
                    learnt = None if recipe is None else self._keep(signature, lines, shape, recipe)
                    if learnt is None:
                        self._refused.put(mark, True)
                    else:
                        found = learnt.tokens(raw, self._named)
                        if found is not None:
                            self.hits += 1
                            return learnt.recipe.apply(found[0], found[1], source)
        result = self._inner(raw, text, source)
        if result.findings and mark not in refused:
            shape = _shape(raw)
            if shape is None:
                self._refused.put(mark, True)
            else:
                key = hash(shape[0])
                if key not in self._pending.data:
                    self._pending.put(key, ([token.decode() for token in shape[1]], result))
                    self._seen.put(mark, True)
        return result

    def _keep(
        self, signature: bytes, lines: list[Line] | None, shape: Shape, recipe: Recipe
    ) -> Line | None:
        key, _tokens, kinds, parts = shape
        large = len(signature) > LARGE_RECORD_BYTES
        if large and self._large >= MAX_LARGE_LINES:
            return None
        line = Line(parts, kinds, key[2], recipe)
        if lines is None:
            if len(self.by_signature) >= MAX_LINES:
                self._large = 0  # the put empties the memo
            self._lines.put(signature, [line])
        elif len(lines) < MAX_PER_SIGNATURE:
            lines.append(line)
        else:
            return None
        self._large += large
        self._pending.data.pop(hash(key), None)
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
            if self._words and has_word(token.encode(), self._words):
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
