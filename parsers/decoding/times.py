"""Times of log records: many spellings in, one out (RFC 3339, UTC, milliseconds, `Z`)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import cast

from vendor_errors.parsers.fast.memo import Memo

MEMO_LIMIT = 4096

# Plausible log times: 2000-01-01 .. 2100-01-01, in seconds.
_MIN_SECONDS, _MAX_SECONDS = 946_684_800, 4_102_444_800


def _from_number(number: float) -> tuple[datetime, int] | None:
    for scale in (1, 1_000, 1_000_000, 1_000_000_000):
        seconds = number / scale
        if _MIN_SECONDS <= seconds < _MAX_SECONDS:
            # Microsecond precision: a float of seconds holds no more.
            nanos = round(number * 1_000_000_000 // scale / 1_000) * 1_000
            return datetime.fromtimestamp(seconds, UTC), nanos
    return None


def parse_time(value: object) -> tuple[datetime, int] | None:
    """A log time as (aware UTC datetime, Unix nanoseconds); None when it is not one.

    ISO 8601 / RFC 3339 (with `T` or a space, `,` or `.` fractions, `Z` or offsets), Unix
    epochs in s/ms/us/ns (numbers or digit strings), and the nginx/Apache `10/Oct/2024:13:55:36
    +0000` form. Times without an offset are taken as UTC.
    """
    if type(value) is int or type(value) is float:
        return _from_number(value)
    if type(value) is not str:
        return None
    text = value.strip()
    if not 6 <= len(text) <= 40:
        return None
    if text[0].isdigit() and text.replace(".", "", 1).isdigit():
        return _from_number(float(text) if "." in text else int(text))
    moment: datetime | None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = _strptime(text)
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not _MIN_SECONDS <= moment.timestamp() < _MAX_SECONDS:
        return None
    delta = moment - _EPOCH
    nanos = (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000
    return moment.astimezone(UTC), nanos


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Layouts fromisoformat does not read: nginx/Apache access logs, nginx error logs and Go's log.
# And PHP's error_log ("02-May-2024 09:20:00 UTC"), java.util.logging's.
_FORMATS = (
    "%d/%b/%Y:%H:%M:%S %z",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S.%f",
    "%d-%b-%Y %H:%M:%S UTC",
    "%d-%b-%Y %H:%M:%S",
    "%b %d, %Y %I:%M:%S %p",  # java.util.logging
)


def _strptime(text: str) -> datetime | None:
    for layout in _FORMATS:
        try:
            return datetime.strptime(text, layout)
        except ValueError:
            continue
    return None


def record_time(value: object) -> tuple[str, int] | None:
    """The event's `timestamp` (see rfc3339) and Unix nanoseconds of a log time, else None."""
    if type(value) is not str:
        # Never memoised by value: True == 1 == 1.0, yet they read differently.
        return _record_time(value)
    if len(value) == 24 and value[23] == "Z" and value[19] == "." and value[10] == "T":
        # Already "2024-05-01T12:00:00.123Z", the spelling events use: keep it, find the nanos.
        # Records of one second share its start: parse that once, add the milliseconds.
        nanos = _SECOND_NANOS.get(value[:19])
        if nanos is None:
            nanos = _second(value[:19])
        millis = _MILLIS.get(value[20:23])
        if nanos >= 0 and millis is not None:
            return value, nanos + millis
        # Not a plausible time after all: the general reading says why (None, mostly).
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
        if not _MIN_SECONDS <= moment.timestamp() < _MAX_SECONDS:
            return None
        delta = moment - _EPOCH
        seconds = delta.days * 86_400 + delta.seconds
        return value, seconds * 1_000_000_000 + delta.microseconds * 1_000
    found = _TIMES.get(value, _UNSEEN)
    if found is _UNSEEN:
        return _times.put(value, _record_time(value))
    return cast("tuple[str, int] | None", found)


# Other spellings ("2025-03-01T10:00:01Z", epochs as digits) by the exact string: reading one
# is a pure function of it, and a stream's records share a handful of seconds.
_times: Memo[str, tuple[str, int] | None] = Memo(MEMO_LIMIT)
_TIMES = _times.data
_UNSEEN = object()


def _record_time(value: object) -> tuple[str, int] | None:
    parsed = parse_time(value)
    if parsed is None:
        return None
    return rfc3339(parsed[0]), parsed[1]


_SECOND = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", re.ASCII).fullmatch
# "000".."999" -> nanoseconds: a lookup both checks the three ASCII digits and converts them.
_MILLIS = {f"{millis:03d}": millis * 1_000_000 for millis in range(1000)}
_second_nanos: Memo[str, int] = Memo(MEMO_LIMIT)
_SECOND_NANOS = _second_nanos.data
_minutes: Memo[str, int] = Memo(MEMO_LIMIT)


def _second(text: str) -> int:
    """Unix nanoseconds of "2024-05-01T12:00:00" (UTC), or -1 when it is no valid, plausible
    log time (see _MIN_SECONDS)."""
    nanos = -1
    if _SECOND(text) is not None:
        minute = _minutes.data.get(text[:16])
        if minute is None:
            minute = _minute(text[:16])
        second = int(text[17:19])
        if minute >= 0 and second < 60 and _MIN_SECONDS <= minute + second < _MAX_SECONDS:
            nanos = (minute + second) * 1_000_000_000
    return _second_nanos.put(text, nanos)


def _minute(text: str) -> int:
    """Unix seconds of "2024-05-01T12:00" (UTC), or -1 when it is no valid time."""
    try:
        moment = datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        seconds = -1
    else:
        delta = moment - _EPOCH
        seconds = delta.days * 86_400 + delta.seconds
    return _minutes.put(text, seconds)


def clock(token: str, end: int = 0) -> tuple[str, int] | None:
    """`record_time(token)` of a time token (an ISO 8601 time or epoch digits), for less: the
    same second is read once, its fraction added (a fraction is truncated to microseconds when
    read, and to milliseconds in the spelling events use; the second and the offset alone
    decide whether the time is valid and plausible). `end`, when known, is where the digits of
    the fraction end (then a fraction that is not all digits is no time)."""
    if len(token) > 20 and (token[19] == "." or token[19] == ",") and token[10] in "T ":
        if not end:
            end = 20
            while end < len(token) and token[end].isdigit():
                end += 1
        key = token[:19] + token[end:]
        base = _SECONDS_OF.get(key, _UNSEEN)
        if base is _UNSEEN:
            base = _seconds_of.put(key, record_time(key))
        if base is None:
            return None
        text: str
        nanos: int
        text, nanos = base  # type: ignore[misc]  # a cast would cost a call per token
        fraction = token[20:end]
        if end == 23:  # milliseconds, the usual: one lookup checks and converts them
            millis = _MILLIS.get(fraction)
            if millis is None:
                return None
            return text[:20] + fraction + "Z", nanos + millis
        if fraction and not (fraction.isascii() and fraction.isdigit()):
            return None
        digits = (fraction + "00000")[:6]
        return text[:20] + digits[:3] + "Z", nanos + int(digits) * 1_000
    if token.isdigit() and token.isascii() and 8 <= len(token) <= 16:
        return _epoch(int(token))
    return record_time(token)


def _epoch(number: int) -> tuple[str, int] | None:
    """`_record_time(number)` of an epoch in s, ms or us, its second read once (a memo): up
    to 10**16 and scales of 10**6 the float division `_from_number` makes is within a tenth
    of a microsecond of the exact value, so its rounding to microseconds gives the exact
    ones, and its range test the exact test (ns epochs are left to `record_time`)."""
    for scale in (1, 1_000, 1_000_000):
        if _MIN_SECONDS * scale <= number < _MAX_SECONDS * scale:
            seconds, part = divmod(number, scale)
            base = _EPOCH_SECONDS.get(seconds)
            if base is None:
                text = rfc3339(datetime.fromtimestamp(seconds, UTC))
                base = _epoch_seconds.put(seconds, text[:20])
            return f"{base}{part * 1_000 // scale:03d}Z", number * (1_000_000_000 // scale)
    if _MIN_SECONDS * 1_000_000_000 <= number < _MAX_SECONDS * 1_000_000_000:
        return _record_time(number)
    return None


# Unix seconds -> the start of an event's timestamp, "2024-05-01T12:00:00." (see _epoch).
_epoch_seconds: Memo[int, str] = Memo(MEMO_LIMIT)
_EPOCH_SECONDS = _epoch_seconds.data
# A time without its fraction -> what record_time reads it as (see clock).
_seconds_of: Memo[str, tuple[str, int] | None] = Memo(MEMO_LIMIT)
_SECONDS_OF = _seconds_of.data


def rfc3339(moment: datetime) -> str:
    """UTC, millisecond precision, `Z`: one sortable spelling for every event."""
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text[:-6] + "Z"  # "+00:00"
