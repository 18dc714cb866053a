"""Phone numbers: E.164 and national forms, wherever they stand; dates, ids and codes kept.

The detector leans towards hiding too much for long digit runs: a hidden order number costs
less than a leaked phone number. A phone-number library (libphonenumber) would keep unassigned
or foreign-looking numbers that are still personal data, and costs far more. What it keeps on
purpose: runs of up to 7 digits (vendor codes: 1002, 30005, 2018336), runs of more than 15
(E.164's maximum: nanosecond times, span ids), YYYYMMDD dates, epoch seconds and milliseconds
of 2017-2033, negative numbers (HRESULTs), groups of UUIDs and hex ids, decimal fractions, and
quantities with a unit ("12345678 ns").
"""

from __future__ import annotations

import re

PHONE = "[phone]"

_SP = "[ \u00a0]"
# Between digit groups: a dash, dot, slash or space, or a bracket. " / " and " - " separate
# items of a list more often than groups of a number.
_SEP = rf"(?:[-./]|{_SP})"
_JOIN = rf"(?:[-./]|{_SP}?\({_SP}?|{_SP}?\){_SP}?|{_SP})"
_PHONE = re.compile(
    # International: +, %2B (URL-encoded) or a full-width plus, compact or in groups.
    rf"(?P<i>(?:\+|%2[bB]|＋)(?:\d{{7,15}}|{_SP}?\(?\d{{1,4}}\)?(?:{_JOIN}\d{{1,12}}){{1,9}}))"
    rf"(?![^\W_])"
    # National forms start where no digit (or decimal point after one) precedes: after a
    # separator, or against a word ("msisdn0711 123456").
    rf"|(?<!\d)(?<!\d\.)(?:"
    # North American national: (415) 555-0123, 415.555.0123, 1-415-555-0123.
    rf"(?P<n>(?:1{_SEP})?(?:\({_SP}?[2-9]\d\d{_SP}?\){_SP}?|[2-9]\d\d{_SEP})[2-9]\d\d{_SEP}\d{{4}})"
    # With a trunk or international prefix: 020 7946 0958, 06 12 34 56 78, 0044 20 7946 0958.
    rf"|(?P<t>\(?0\d{{1,4}}(?:\){_SP}?|{_JOIN})\d{{1,10}}(?:{_JOIN}\d{{1,10}}){{0,9}})"
    rf")(?![^\W_])"
    # A run of 8 to 15 digits (E.164 without its plus, national numbers), not a decimal fraction;
    # letters around it are judged in `_kept_run` ("msisdn14155550105" is a number, a hex id not).
    rf"|(?<!\d)(?<!\d\.)(?P<r>\d{{8,15}})(?!\d)"
)
_DIGIT = re.compile(r"\d+")
_MORE_GROUPS = re.compile(rf"(?:{_JOIN}\d+)+(?![^\W_])")
_DATE8 = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")
# "01/02/2024 09": a date (day and month either way, a four-digit year) then a time, not a
# trunk-prefixed number. "06.12.34.56.78" is a number.
_DATE_PREFIX = re.compile(
    r"(?:0?[1-9]|[12]\d|3[01])([./-])(?:0?[1-9]|[12]\d|3[01])\1(?:19|20)\d\d(?![\d./-])"
)
# UUIDs and UUID-like ids whose groups happen to be all digits.
_HEX_ID = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){2,3}(?:-[0-9a-fA-F]{1,12})?")


def _count_digits(text: str) -> int:
    if text[1:].isdigit():  # the compact forms: "+14155550123", "14155550123"
        return len(text) - (not text[0].isdigit())
    return sum(len(group) for group in _DIGIT.findall(text))


def _in_hex_id(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is a group of a UUID-like id (`00000000-1111-...-444455556666`)."""
    low, high = start, end
    while low > 0 and start - low < 40 and text[low - 1] in _HEX_CHARS:
        low -= 1
    while high < len(text) and high - end < 40 and text[high] in _HEX_CHARS:
        high += 1
    return any(
        found.start() <= start and end <= found.end() for found in _HEX_ID.finditer(text, low, high)
    )


_HEX_CHARS = frozenset("0123456789abcdefABCDEF-")


# Units a duration or a size is written with, glued to its digits ("12345678ns").
_UNITS = frozenset(("ns", "us", "µs", "μs", "ms", "s", "sec", "secs", "seconds", "m", "min",
                    "mins", "h", "hr", "hrs", "d", "b", "kb", "mb", "gb", "kib", "mib", "gib",
                    "bytes"))  # fmt: skip


def _glued(text: str, start: int, end: int) -> bool | None:
    """For a digit run with letters right against it: True if they make it an id or a quantity,
    False if it is a number written against a word (`msisdn14155550105`); None if no letters."""
    low, high = start, end
    while low > 0 and text[low - 1].isalnum():
        low -= 1
    while high < len(text) and text[high].isalnum():
        high += 1
    if low == start and high == end:
        return None
    token = text[low:high]
    if len(token) >= 12 and all(c in _HEX_CHARS for c in token):
        return True  # a trace id, a hash: hex digits that happen to run
    if token[:2] in ("0x", "0X") and all(c in _HEX_CHARS for c in token[2:]):
        return True  # 0x80040265
    return low == start and token[end - low :].lower() in _UNITS


# "12345678 ns", "10000000 ms": a quantity and its unit.
_UNIT_AFTER = re.compile(r"[ \u00a0](?:" + "|".join(sorted(_UNITS, key=len, reverse=True)) + r")\b")


def _kept_run(text: str, start: int, end: int) -> bool:
    """Whether a run of 8-15 digits is an id, a quantity, a date, an epoch time or a negative
    number rather than a phone number."""
    run = text[start:end]
    size = len(run)
    if size == 8 and _DATE8.fullmatch(run):
        return True  # also "20240503T083000Z", "build20240503"
    # Epoch seconds / milliseconds 2017-2033: no NANP number starts with 1 at 10 digits, and no
    # E.164 number starting with 1 has 13.
    if size in (10, 13) and run[0] == "1" and run[1] in "56789":
        return True
    glued = _glued(text, start, end)
    if glued is not None:
        return glued
    if text[end : end + 1] in (" ", "\u00a0") and _UNIT_AFTER.match(text, end):
        return True
    before = text[start - 1] if start else ""
    if before == "-" and (start < 2 or not text[start - 2].isalnum()):
        return True  # "(-2147220891)": a negative number (an HRESULT), not a phone
    return (before == "-" or text[end : end + 1] == "-") and _in_hex_id(text, start, end)


def _judge(found: re.Match[str]) -> tuple[str, int]:
    """What replaces a candidate, and where the text after it resumes (the match may be cut
    short: a date before a number, or groups of the next number taken in)."""
    kind = found.lastgroup
    text = found.group()
    start, end = found.span()
    if kind == "r":
        return (text if _kept_run(found.string, start, end) else PHONE), end
    if "-" in text and _in_hex_id(found.string, start, end):
        return text, end  # groups of a UUID: "482d7bdf-a034-4869-9783-c8ef386b7b21"
    if kind == "n":
        return PHONE, end
    if kind == "t":
        if (date := _DATE_PREFIX.match(text)) is not None:
            return text[: date.end()], start + date.end()  # "01/02/2024 0711 123456"
        if start >= 2 and found.string[start - 1] == ":" and found.string[start - 2].isdigit():
            return text, end  # the seconds of a time, "08:30:00.123456789"
    digits = _count_digits(text)
    if digits < (7 if kind == "i" else 9):
        return text, end
    if digits <= 15:
        return PHONE, end
    # More digits than E.164 allows: numbers side by side ("06 12 34 56 78 020 7946 0958"), or
    # a number and codes. Where one ends is a guess; all of it is hidden, up to the last group.
    string = found.string
    while (more := _MORE_GROUPS.match(string, end)) is not None:
        end = more.end()
    return PHONE, end


# Seven digits with nothing but separators between them: every phone number has such a stretch,
# and this regex (a plain character class first) scans fast; the full one runs only around it.
_CANDIDATE = re.compile(r"\d[\d \u00a0()./-]{6,}")


def phones(text: str) -> str:
    """`text` with phone numbers replaced."""
    if text[-1:].isdigit():
        text = _cut_short(text)
    candidate = _CANDIDATE.search(text)
    if candidate is None:
        return text
    parts: list[str] = []
    done = 0
    size = len(text)
    while candidate is not None:
        # A number around these digits starts at most 3 characters earlier ("%2B", "+", "(").
        position, stretch_end = max(done, candidate.start() - 3), candidate.end()
        while position < stretch_end:
            found = _PHONE.search(text, position, min(size, stretch_end + 1))
            if found is None:
                break
            replacement, resume = _judge(found)
            parts.append(text[done : found.start()])
            parts.append(replacement)
            done = position = resume
        candidate = _CANDIDATE.search(text, max(stretch_end, done))
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)


# Text cut short upstream (a parser or a logger that limits messages) may end in the first
# digits of a number: "... +177755". A plus and five digits at the very end ("+1002" may be a
# code), or, in a text as long as such limits (1000 characters and more), six digits after a
# separator, are hidden.
_PLUS_TAIL = re.compile(r"(?:\+|%2[bB]|＋)\d[\d()./-]*\Z")
_DIGITS_TAIL = re.compile(r"(?<![^\W_])\d{6,}\Z")
CUT_TEXT_CHARS = 1000


def _cut_short(text: str) -> str:
    tail = _PLUS_TAIL.search(text, max(0, len(text) - 32))
    if tail is not None and _count_digits(tail.group()) >= 5:
        return text[: tail.start()] + PHONE
    if len(text) >= CUT_TEXT_CHARS:
        tail = _DIGITS_TAIL.search(text, len(text) - 16)
        if tail is not None:
            return text[: tail.start()] + PHONE
    return text
