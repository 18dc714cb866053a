"""One pass over the raw record for anything a vendor error needs; most records stop here.

Every finding needs either a vendor named somewhere (a URL host, a `vendor`/`provider` field, a
logger name, a vendor header, the vendor's name in the text) or an error code member (`code`,
`errorCode`, `error_code`, in JSON, escaped JSON, Python reprs or `key=value` pairs). A record
with none of these spellings cannot hold a vendor error, so it is "no_error" without being
parsed. The search is a single Aho-Corasick pass (ahocorasick_rs: the Rust aho-corasick crate)
over the bytes, about the cost of one `bytes.find` whatever the number of needles.

The needles are the vendors' `prefilter` spellings (catalog/data/<vendor>.yaml, `recognition`:
cut so that one covers several casings, "ynamics" for dynamics and Dynamics), then the code
member spellings below. Other mixes of case than the ones spelled are not recognised.

`Prefilter.record` is the record stage of the general path (parsers.stages), with the same
signature: it sends a record to one of two record stages by what the search found in it. The
one known difference from the general path, kept on purpose: an ASCII record with no needle is
"no_error" (or "truncated json") without the count of control characters that would call it
"binary data" (tests/parsers/test_fast_layers.py holds the two paths to that).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate, count
from operator import add

from ahocorasick_rs import MATCHKIND_LEFTMOST_FIRST, AhoCorasick, BytesAhoCorasick
from vendor_errors.catalog.model import VendorInfo
from vendor_errors.parsers.decoding.raw import truncated_json
from vendor_errors.parsers.fast.memo import Memo
from vendor_errors.parsers.result import Origin, Result
from vendor_errors.parsers.stages import RecordStage

# Code members: JSON keys, escaped JSON, Python reprs, key=value; errorCode, error_code, ...
# Generic, not any vendor's: they go with the role table of parsers/decoding/fields.py.
CODE_KEYS = (
    *('"code"', '"Code"', '"CODE"', "'code'", "'Code'", 'code\\"', 'Code\\"'),
    *("code=", "Code=", "CODE="),
    *("rorcode", "rorCode", "RORCODE", "ror_code", "ROR_CODE", "ror.code", "ror-code"),
    *("rrcode", "rrCode", "rr_code"),
    # Maps as languages print them (parsers/decoding/literals.py): `code: 1002` (JavaScript,
    # Go, Rust, Dart, Elixir), `Code = 1002` (.NET), `[code] =>` (PHP), `code -> ` (Scala),
    # `:code 1002` (Clojure); Ruby's and Erlang's quoted keys are spelled above.
    *("code:", "Code:", "CODE:", "code =", "Code =", "[code]", "code ->", ":code "),
    # Salesforce's messaging-session `errorReason`; journald's MESSAGE kept as bytes.
    *("rorReason", "ror_reason", '"MESSAGE":['),
)

NOTHING, VENDOR_ONLY, CODE_MEMBER = 0, 1, 2


class Needles:
    """The prefilter's search over the needles of some vendors' blocks."""

    __slots__ = ("_find_bytes", "_find_text", "first_code", "needles")

    def __init__(self, vendors: Sequence[VendorInfo]) -> None:
        names = [needle for info in vendors for needle in info.prefilter_names]
        headers = [needle for info in vendors for needle in info.prefilter_headers]
        # Vendor spellings first: a needle's index says what it is.
        self.needles = (*names, *headers, *CODE_KEYS)
        self.first_code = len(names) + len(headers)
        self._find_bytes = BytesAhoCorasick(
            [n.encode() for n in self.needles], matchkind=MATCHKIND_LEFTMOST_FIRST
        ).find_matches_as_indexes
        self._find_text = AhoCorasick(
            list(self.needles), matchkind=MATCHKIND_LEFTMOST_FIRST
        ).find_matches_as_indexes

    @classmethod
    def build(cls, vendors: Sequence[VendorInfo]) -> Needles:
        key = tuple(vendors)
        built = _BUILT.data.get(key)
        if built is None:
            built = _BUILT.put(key, cls(key))
        return built

    def kind(self, raw: bytes | str) -> int:
        """NOTHING when the record cannot hold a vendor error; CODE_MEMBER when a code member
        is spelled in it; VENDOR_ONLY when only a vendor is named (then only a failed call
        can be)."""
        matches = self._find_text(raw) if isinstance(raw, str) else self._find_bytes(raw)
        if not matches:
            return NOTHING
        first_code = self.first_code
        for pattern, _start, _end in matches:
            if pattern >= first_code:
                return CODE_MEMBER
        return VENDOR_ONLY

    def kinds(
        self, block: bytes, lines: Sequence[bytes] | None = None
    ) -> tuple[list[int], list[int]]:
        """The lines of `block` that may hold a vendor error (the others cannot) and what
        `kind` says of each alone. `lines`, when the caller has them, are the block's lines
        (`block` is `b"\\n".join(lines)`).

        Needles hold no newline, so the matches inside a line of the block are those of the
        line searched alone: the line need not be searched again."""
        if lines is not None:
            return self._kinds_of_lines(block, lines)
        found: list[int] = []
        kinds: list[int] = []
        line = position = 0
        line_end = -1  # where the line last found ends: later matches before it are its own
        first_code = self.first_code
        for pattern, start, _end in self._find_bytes(block):
            if start < line_end:
                if pattern >= first_code:
                    kinds[-1] = CODE_MEMBER
                continue
            line += block.count(b"\n", position, start)  # each byte is counted once in all
            position = start
            found.append(line)
            kinds.append(CODE_MEMBER if pattern >= first_code else VENDOR_ONLY)
            line_end = block.find(b"\n", start)
            if line_end < 0:
                line_end = len(block)
        return found, kinds

    def _kinds_of_lines(self, block: bytes, lines: Sequence[bytes]) -> tuple[list[int], list[int]]:
        """`kinds`, with each match's line found from where the lines start (a search in a
        list of offsets, not a count of the newlines before it)."""
        # before[n]: the bytes of the lines before line n, newlines left out (one C pass,
        # half the cost of adding them); line n starts at before[n] + n. A match's line is at
        # most the last whose `before` is not past it, and a few lines earlier at most when
        # lines are long: walked back from there. Blocks of many short lines, where the walk
        # would be long, take the offsets with their newlines.
        if len(lines) * len(lines) > 8 * len(block):
            return self._kinds_of_short_lines(block, lines)
        before = list(accumulate(map(len, lines), initial=0))
        found: list[int] = []
        kinds: list[int] = []
        line_end = -1
        first_code = self.first_code
        for pattern, start, _end in self._find_bytes(block):
            if start < line_end:
                if pattern >= first_code:
                    kinds[-1] = CODE_MEMBER
                continue
            line = bisect_right(before, start) - 1
            while before[line] + line > start:
                line -= 1
            found.append(line)
            kinds.append(CODE_MEMBER if pattern >= first_code else VENDOR_ONLY)
            line_end = before[line + 1] + line
        return found, kinds

    def _kinds_of_short_lines(
        self, block: bytes, lines: Sequence[bytes]
    ) -> tuple[list[int], list[int]]:
        # starts[n]: where line n starts in the block; the last, one past the block's end.
        starts = list(map(add, accumulate(map(len, lines), initial=0), count()))
        found: list[int] = []
        kinds: list[int] = []
        line_end = -1
        first_code = self.first_code
        for pattern, start, _end in self._find_bytes(block):
            if start < line_end:
                if pattern >= first_code:
                    kinds[-1] = CODE_MEMBER
                continue
            line = bisect_right(starts, start) - 1
            found.append(line)
            kinds.append(CODE_MEMBER if pattern >= first_code else VENDOR_ONLY)
            line_end = starts[line + 1] - 1
        return found, kinds


_BUILT: Memo[tuple[VendorInfo, ...], Needles] = Memo(8)


class Prefilter:
    """The record stage, sending each record to the stage for what the search found in it."""

    __slots__ = ("_code_member", "_kind", "_vendor_only")

    def __init__(
        self, needles: Needles, vendor_only: RecordStage, code_member: RecordStage
    ) -> None:
        self._kind = needles.kind
        self._vendor_only = vendor_only  # a vendor named, no code member spelled
        self._code_member = code_member

    def record(self, raw: bytes | str, text: str | None, source: Origin) -> Result:
        seen = self._kind(raw)
        if seen == CODE_MEMBER:
            return self._code_member(raw, text, source)
        if seen == VENDOR_ONLY:
            return self._vendor_only(raw, text, source)
        if truncated_json(raw):
            return Result("undecodable", reason="truncated json")
        return Result("no_error")
