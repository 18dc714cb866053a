"""Repeated JSON records recognised from their raw bytes, before they are decoded.

parsers.fast.templates analyses a record once per *template*: the decoded record with its times
and ids replaced by placeholders. Finding a record's template still means decoding the record,
walking it and dumping the template. A *skeleton* skips all three: it is the raw record with
the values of its templated fields (`"trace_id":"..."` and the like, found by one regex) cut
out. Records of one skeleton are the same bytes but for those values, so they decode to the
same structure, and the template path treats them alike as long as each cut-out value passes
the same format check (`templates.value_of`), the only question it asks of such a value.

`Skeletons.record` is the record stage (parsers.stages) of the records that spell a code
member, with the same signature: a record of a known skeleton whose template's analysis is in
the `Templates` store gets it with its own values; any other goes to the stage it wraps.

What a skeleton stands for is learnt when it is seen a second time (one-off records never pay
for it). The record is decoded again with a unique stand-in at each cut-out place; the places
whose stand-in comes back as a templated value, in which slot, are the skeleton's slots. A
second decoding, with other stand-ins at the slots only and the record's own values everywhere
else, must give the record's own template again, with the same slots: otherwise (a stand-in
matched by something else in the record, a field the regex misread) the skeleton is marked as
not usable and such records are always decoded. A cut-out value that is not a slot (a time
when the record's own time is not templated, a value in an array, past the slots) must then be
equal byte for byte in a later record.

Only records that spell a code member (parsers.fast.prefilter's CODE_MEMBER) come here: they
go straight to the template path, with no triage in between that could read a cut-out value,
and a record that only names a vendor is mostly a successful call, which triage drops for less
than a lookup costs.

Memory is bounded like the templates': at most `MAX_SKELETONS` skeletons (and as many seen
once) of records up to `templates.MAX_RECORD_BYTES`, in memos (parsers.fast.memo).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson
from vendor_errors.parsers.decoding.fields import Roles
from vendor_errors.parsers.fast.memo import Memo
from vendor_errors.parsers.fast.templates import (
    ID,
    MAX_RECORD_BYTES,
    SPAN,
    TEMPLATED_KEYS,
    TIME,
    TRACE,
    VALUE_OF_KIND,
    Templates,
    instance,
    template_of,
    value_of,
)
from vendor_errors.parsers.result import Origin, Result
from vendor_errors.parsers.stages import RecordStage

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
    """The record stage of records spelling a code member, over one `Templates` store."""

    __slots__ = ("_inner", "_pending", "_roles", "_skeletons", "_store", "_templates")

    def __init__(self, inner: RecordStage, templates: Templates, roles: Roles) -> None:
        self._inner = inner
        self._templates = templates
        self._roles = roles
        self._skeletons: Memo[tuple[bytes, ...], Entry | None] = Memo(MAX_SKELETONS)
        self._store = self._skeletons.data  # None: seen, not usable
        self._pending: Memo[tuple[bytes, ...], bool] = Memo(MAX_SKELETONS)  # seen once

    def record(self, raw: bytes | str, text: str | None, source: Origin) -> Result:
        templates = self._templates
        if type(raw) is not bytes or not templates.active or len(raw) > MAX_RECORD_BYTES:
            return self._inner(raw, text, source)
        start = raw[:1]
        if start.isspace():
            start = raw.lstrip()[:1]
        if start != b"{":
            return self._inner(raw, text, source)
        parts = _split(raw)
        if len(parts) == 1:
            return self._inner(raw, text, source)
        cuts = parts[2::3]
        del parts[2::3]
        skeleton = tuple(parts)
        entry = self._store.get(skeleton)
        if entry is not None:
            # The values of the record in slot order (as `templates.value_of` gives them);
            # any that does not fit sends the record down the general path.
            key, places, slots = entry
            values: list[Any] = [None] * slots
            for (read, where), cut in zip(places, cuts, strict=True):
                if read is None:
                    if cut != where:
                        return self._inner(raw, text, source)
                else:
                    value = read(cut.decode("ascii"))  # value_of(kind, ..., True)
                    if value is None:
                        return self._inner(raw, text, source)
                    values[where] = value
            analysed = templates.store.get(key)
            if analysed is None:  # the store was emptied since: the general path fills it
                return self._inner(raw, text, source)
            templates.count(True)
            return instance(analysed, values, source)
        result = self._inner(raw, text, source)
        if skeleton not in self._store:
            if skeleton in self._pending.data:  # the second copy: learn what it stands for
                self._skeletons.put(skeleton, _entry(raw, parts, cuts, self._roles))
            else:
                self._pending.put(skeleton, True)
        return result


def _entry(raw: bytes, parts: list[bytes], cuts: list[bytes], roles: Roles) -> Entry | None:
    """What the skeleton of `raw` stands for (None: not usable)."""
    if len(cuts) > MAX_CUTS:
        return None
    own = _template(raw, roles)
    if own is None:
        return None
    key, slots = own[0], len(own[1])
    kinds = [_KIND_OF[part[: part.index(b'"')]] for part in parts[1::2]]
    fits = [
        value_of(kind, cut.decode("ascii"), True) is not None
        for kind, cut in zip(kinds, cuts, strict=True)
    ]
    first = _decode_with(
        parts, cuts, [_FIRST[k][n] if fits[n] else None for n, k in enumerate(kinds)], roles
    )
    if first is None:
        return None
    chosen = first[1]
    second = _decode_with(
        parts, cuts, [_SECOND[k][n] if n in chosen else None for n, k in enumerate(kinds)], roles
    )
    if second is None or second != (key, chosen, slots):
        return None
    places = tuple(
        (VALUE_OF_KIND[kind], chosen[n]) if n in chosen else (None, cut)
        for n, (kind, cut) in enumerate(zip(kinds, cuts, strict=True))
    )
    return key, places, slots


def _template(raw: bytes, roles: Roles) -> tuple[bytes, list[Any]] | None:
    """The record's template, as the template path finds it (its key), and the values of its
    slots; None when the record is no JSON object or has nothing to template."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if obj.__class__ is not dict:
        return None
    values: list[Any] = []
    template = template_of(obj, values, [], roles)
    if template is None:
        return None
    # A copy of its own size: the key is kept in an Entry, and orjson's bytes keep the KiBs
    # of buffer they were written into.
    return bytes(memoryview(orjson.dumps(template))), values


def _decode_with(
    parts: list[bytes], cuts: list[bytes], stand_ins: list[str | None], roles: Roles
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
    found = _template(b"".join(pieces), roles)
    if found is None:
        return None
    key, values = found
    place_of = {stand_in: n for n, stand_in in enumerate(stand_ins) if stand_in is not None}
    chosen: dict[int, int] = {}
    for slot, value in enumerate(values):
        place = place_of.get(value[0] if value.__class__ is tuple else value)
        if place is None or place in chosen:
            return None
        chosen[place] = slot
    return key, chosen, len(values)
