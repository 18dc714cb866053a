"""Repeated JSON records recognised from their raw bytes, before they are decoded.

parsers.templates analyses a record once per *template*: the decoded record with its times and
ids replaced by placeholders. Finding a record's template still means decoding the record,
walking it and dumping the template. A *skeleton* skips all three: it is the raw record with
the values of its templated fields (`"trace_id":"..."` and the like, found by one regex) cut
out. Records of one skeleton are the same bytes but for those values, so they decode to the
same structure, and the template path treats them alike as long as each cut-out value passes
the same format check (`templates.value_of`), the only question it asks of such a value.

What a skeleton stands for is learnt from the template path itself, and only for a record whose
template was already known (one-off records never pay for it). The record is decoded again with
a unique stand-in at each cut-out place; the places whose stand-in comes back as a templated
value, in which slot, are the skeleton's slots. A second decoding, with other stand-ins at the
slots only and the record's own values everywhere else, must give the record's template again,
with the same slots: otherwise (a stand-in matched by something else in the record, a field
the regex misread) the skeleton is marked as not usable and such records are always decoded.
A cut-out value that is not a slot (a time when the record's own time is not templated, a value
in an array, past the slots) must then be equal byte for byte in a later record.

Only records that spell a code member (parsers.prefilter's CODE_MEMBER) are looked up and
learnt: they go straight to the template path, with no triage in between that could read a
cut-out value, and a record that only names a vendor is mostly a successful call, which triage
drops for less than a lookup costs.

Memory is bounded like the templates': at most `MAX_SKELETONS` skeletons of records up to
`templates.MAX_RECORD_BYTES`, emptied when full.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson
from vendor_errors.parsers.fast.templates import (
    ID,
    SPAN,
    TEMPLATED_KEYS,
    TIME,
    TRACE,
    VALUE_OF_KIND,
    template_of,
    value_of,
)

MAX_SKELETONS = 1024
MAX_CUTS = 32

# The names of TEMPLATED_KEYS as a trie (a test holds the two equal): most quotes in a record
# fail at the first letter after them.
_NAMES = rb"t(?:s|ime(?:stamp)?|race(?:_id|Id|id)|ransid)|@timestamp|span(?:_id|Id|id)|errorId"
# A templated field whose value is 1-64 printable ASCII characters without a quote or a
# backslash (so its bytes are the decoded value, and no escape hides in it). Group 1 runs from
# the name to the value's opening quote, group 2 is the value; the quote before the name is the
# only byte of the record in neither. Anything else stays in the skeleton.
_FIELD = re.compile(
    rb'"((?:' + _NAMES + rb')"[ \t\n\r]*:[ \t\n\r]*")([\x20\x21\x23-\x5b\x5d-\x7e]{1,64})(?=")'
)
_split = _FIELD.split
_KIND_OF = {key.encode(): kind for key, kind in TEMPLATED_KEYS.items()}


def _stand_ins(time: str, trace: str, span: str, ident: str) -> tuple[tuple[str, ...], ...]:
    """Valid values of each kind, one per cut-out place (by kind: TIME, TRACE, SPAN, ID)."""
    count = range(MAX_CUTS)
    return (
        tuple(time.format(1 + n // 24, n % 24) for n in count),
        tuple(f"{trace}{n:0{32 - len(trace)}x}" for n in count),
        tuple(f"{span}{n:0{16 - len(span)}x}" for n in count),
        tuple(f"{ident}-{n}" for n in count),
    )


# Two sets, so a value elsewhere in the record that happens to equal a stand-in of one set
# cannot pass both decodings.
_FIRST = _stand_ins("2097-03-{:02d}T{:02d}:17:43.219Z", "a11ce", "a11ce", "a11ce")
_SECOND = _stand_ins("2096-11-{:02d}T{:02d}:41:05.683Z", "b0b", "b0b", "b0b")
assert (TIME, TRACE, SPAN, ID) == (0, 1, 2, 3)

# A skeleton's meaning: the template's key, per cut-out place (what reads its value, the slot)
# or (None, the bytes it must hold), and the number of slots. None: not usable.
Entry = tuple[bytes, tuple[tuple[Callable[[str], Any] | None, Any], ...], int]


class Skeletons:
    """The skeletons of one `Templates` store."""

    __slots__ = ("_store",)

    def __init__(self) -> None:
        self._store: dict[tuple[Any, ...], Entry | None] = {}

    def lookup(self, raw: bytes) -> tuple[bytes, list[Any]] | None:
        """The template key of `raw` and its values in slot order (as `templates.value_of`
        gives them), or None when its skeleton is unknown or a value does not fit."""
        parts = _split(raw)
        if len(parts) == 1:
            return None
        cuts = parts[2::3]
        del parts[2::3]
        entry = self._store.get(tuple(parts))
        if entry is None:
            return None
        key, places, slots = entry
        values: list[Any] = [None] * slots
        for (read, where), cut in zip(places, cuts, strict=True):
            if read is None:
                if cut != where:
                    return None
            else:
                value = read(cut.decode("ascii"))  # value_of(kind, ..., True)
                if value is None:
                    return None
                values[where] = value
        return key, values

    def learn(self, raw: bytes, key: bytes, slots: int) -> None:
        """`raw` has the template `key` with `slots` values: remember its skeleton."""
        parts = _split(raw)
        cuts = parts[2::3]
        if not cuts or len(cuts) > MAX_CUTS:
            return
        del parts[2::3]
        skeleton = tuple(parts)
        store = self._store
        if skeleton in store:
            return
        if len(store) >= MAX_SKELETONS:
            store.clear()
        store[skeleton] = _entry(parts, cuts, key, slots)


def _entry(parts: list[bytes], cuts: list[bytes], key: bytes, slots: int) -> Entry | None:
    kinds = [_KIND_OF[part[: part.index(b'"')]] for part in parts[1::2]]
    fits = [
        value_of(kind, cut.decode("ascii"), True) is not None
        for kind, cut in zip(kinds, cuts, strict=True)
    ]
    first = _decode_with(
        parts, cuts, [_FIRST[k][n] if fits[n] else None for n, k in enumerate(kinds)]
    )
    if first is None:
        return None
    chosen = first[1]
    second = _decode_with(
        parts, cuts, [_SECOND[k][n] if n in chosen else None for n, k in enumerate(kinds)]
    )
    if second is None or second != (key, chosen, slots):
        return None
    places = tuple(
        (VALUE_OF_KIND[kind], chosen[n]) if n in chosen else (None, cut)
        for n, (kind, cut) in enumerate(zip(kinds, cuts, strict=True))
    )
    return key, places, slots


def _decode_with(
    parts: list[bytes], cuts: list[bytes], stand_ins: list[str | None]
) -> tuple[bytes, dict[int, int], int] | None:
    """The template (its key), which cut-out place went to which slot, and the number of slots,
    of the record with `stand_ins` where given (its own values elsewhere); None if the slots are
    not exactly stand-ins, each at most once."""
    pieces: list[bytes] = []
    for n, cut in enumerate(cuts):
        stand_in = stand_ins[n]
        value = cut if stand_in is None else stand_in.encode()
        pieces += (parts[2 * n], b'"', parts[2 * n + 1], value)
    pieces.append(parts[-1])
    try:
        obj = orjson.loads(b"".join(pieces))
    except orjson.JSONDecodeError:
        return None
    if obj.__class__ is not dict:
        return None
    values: list[Any] = []
    template = template_of(obj, values, [])
    if template is None:
        return None
    place_of = {stand_in: n for n, stand_in in enumerate(stand_ins) if stand_in is not None}
    chosen: dict[int, int] = {}
    for slot, value in enumerate(values):
        place = place_of.get(value[0] if value.__class__ is tuple else value)
        if place is None or place in chosen:
            return None
        chosen[place] = slot
    return orjson.dumps(template), chosen, len(values)
