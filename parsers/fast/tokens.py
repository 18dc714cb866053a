"""A record's tokens: its ids and times, by their spelling alone; and stand-ins for them.

parsers.fast.repeats cuts a record at its tokens (`TOKEN`, on word boundaries): UUIDs, hex ids
(16-64 digits, one case), ISO 8601 times in any precision or offset, Unix epochs. To learn a
line it analyses it again with `stand_in`s in place of the tokens: values of the same spelling,
unique per token, in one of two sets.
"""

from __future__ import annotations

import re

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
_ISO_PARTS = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)([T ])(\d\d):(\d\d)(?::(\d\d)(?:([.,])(\d{1,9}))?)?(.*)"
).fullmatch


def kind_of(token: bytes) -> int:
    if token[4:5] == b"-" and token[:4].isdigit():
        return TIME
    if len(token) == 36 and token[8:9] == b"-":
        return UUID
    if token.isdigit():
        return DIGITS
    return SECONDS if token[10:11] == b"." else HEX


def has_word(token: bytes, words: tuple[bytes, ...]) -> bool:
    """One of `words` (lower case) in `token`, in any case."""
    lowered = token.lower()
    return any(word in lowered for word in words)


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
    if words and has_word(value.encode(), words):
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
