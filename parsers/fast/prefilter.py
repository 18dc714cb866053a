"""One pass over the raw record for anything a vendor error needs; most records stop here.

Every finding needs either a vendor named somewhere (a URL host, a `vendor`/`provider` field, a
logger name, a vendor header, the vendor's name in the text) or an error code member (`code`,
`errorCode`, `error_code`, in JSON, escaped JSON, Python reprs or `key=value` pairs). A record
with none of these spellings cannot hold a vendor error, so it is "no_error" without being
parsed. The search is a single Aho-Corasick pass (ahocorasick_rs: the Rust aho-corasick crate)
over the bytes, about the cost of one `bytes.find` whatever the number of needles.

Vendor names are matched in lower, Title and UPPER case and their usual camel-case spellings
("EightByEight", "WebEx", "IMIconnect", "SalesForce"); other mixes of case are not recognised
(neither by the prefilter nor, for most, by attribution).
"""

from __future__ import annotations

from ahocorasick_rs import MATCHKIND_LEFTMOST_FIRST, AhoCorasick, BytesAhoCorasick

# Spellings, cut so one needle covers several casings ("ynamics": dynamics, Dynamics). Short
# needles and many case variants slow the search down, so the list stays as short as it can.
_VENDOR_NAMES = (
    *("ynamics", "YNAMICS", "d365", "D365"),
    *("alesforce", "alesForce", "ALESFORCE", "sfdc", "SFDC"),
    *("ipedrive", "ipeDrive", "IPEDRIVE"),
    *("8x8", "8X8", "ightbyeight", "ightByEight", "IGHTBYEIGHT"),
    *("ebex", "ebEx", "EBEX", "miconnect", "MIconnect", "miConnect", "MICONNECT"),
)
# x-ms-correlation-id (Dynamics 365), Sforce-* (Salesforce) in any usual casing.
_VENDOR_HEADERS = ("s-correlation", "s-Correlation", "S-CORRELATION", "s_correlation")
_VENDOR_HEADERS += ("sforce-", "Sforce-", "SFORCE-")
# Code members: JSON keys, escaped JSON, Python reprs, key=value; errorCode, error_code, ...
_CODE_KEYS = (
    *('"code"', '"Code"', '"CODE"', "'code'", "'Code'", 'code\\"', 'Code\\"'),
    *("code=", "Code=", "CODE="),
    *("rorcode", "rorCode", "RORCODE", "ror_code", "ROR_CODE", "ror.code", "ror-code"),
    *("rrcode", "rrCode", "rr_code"),
)
NEEDLES = (*_VENDOR_NAMES, *_VENDOR_HEADERS, *_CODE_KEYS)

_BYTES = BytesAhoCorasick([n.encode() for n in NEEDLES], matchkind=MATCHKIND_LEFTMOST_FIRST)
_TEXT = AhoCorasick(list(NEEDLES), matchkind=MATCHKIND_LEFTMOST_FIRST)
_find_bytes = _BYTES.find_matches_as_indexes
_find_text = _TEXT.find_matches_as_indexes


def candidate_lines(block: bytes) -> list[int]:
    """Indexes of the lines of `block` that may hold a vendor error (the others cannot)."""
    found: list[int] = []
    line = position = 0
    line_end = -1  # where the line last found ends: later matches before it add nothing
    for _pattern, start, _end in _find_bytes(block):
        if start < line_end:
            continue
        line += block.count(b"\n", position, start)  # each byte is counted once in all
        position = start
        found.append(line)
        line_end = block.find(b"\n", start)  # needles hold no newline
        if line_end < 0:
            line_end = len(block)
    return found


NOTHING, VENDOR_ONLY, CODE_MEMBER = 0, 1, 2
_FIRST_CODE_NEEDLE = len(_VENDOR_NAMES) + len(_VENDOR_HEADERS)


def candidate_kinds(block: bytes) -> tuple[list[int], list[int]]:
    """`candidate_lines` with, for each line, what `may_hold_vendor_error` says of it alone.

    Needles hold no newline, so the matches inside a line of the block are those of the line
    searched alone: the scanner need not search each chosen line again."""
    found: list[int] = []
    kinds: list[int] = []
    line = position = 0
    line_end = -1
    first_code = _FIRST_CODE_NEEDLE
    for pattern, start, _end in _find_bytes(block):
        if start < line_end:
            if pattern >= first_code:
                kinds[-1] = CODE_MEMBER
            continue
        line += block.count(b"\n", position, start)
        position = start
        found.append(line)
        kinds.append(CODE_MEMBER if pattern >= first_code else VENDOR_ONLY)
        line_end = block.find(b"\n", start)
        if line_end < 0:
            line_end = len(block)
    return found, kinds


def may_hold_vendor_error(raw: bytes | str) -> int:
    """NOTHING when the record cannot hold a vendor error; CODE_MEMBER when a code member is
    spelled in it; VENDOR_ONLY when only a vendor is named (then only a failed call can be)."""
    find = _find_bytes if raw.__class__ is bytes else _find_text
    matches = find(raw)  # type: ignore[operator]
    if not matches:
        return NOTHING
    for pattern, _start, _end in matches:
        if pattern >= _FIRST_CODE_NEEDLE:
            return CODE_MEMBER
    return VENDOR_ONLY
