"""The types of scan's options: each reads a string and says clearly what it expected."""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Iterable
from datetime import UTC, datetime

from vendor_errors.processor.suggestions import did_you_mean

# A record is held whole in memory: below 1 KiB nothing real fits (the processor's
# parsing.max_record_bytes has the same floor); above 1 GiB one record could exhaust a pod.
MIN_RECORD_BYTES = 1 << 10
MAX_RECORD_BYTES = 1 << 30
MAX_TOP = 10_000

_UNITS = {"": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "ki": 1 << 10, "mi": 1 << 20, "gi": 1 << 30}
_SIZE = re.compile(r"(\d+)\s*([kmg]i?)?b?", re.I)

_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_DURATION = re.compile(
    r"(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hr|hrs|hours?|d|days?|w|weeks?)",
    re.I,
)
_TIME_HELP = (
    "ISO 8601 (2024-05-01T12:00:00Z, 2024-05-01 12:00, 2024-05-01) or a time ago (30m, 2h, 7d)"
)


def record_bytes(text: str) -> int:
    """`--max-record-bytes`: a byte count, `64KiB`, `1MiB`, `2M` (= 2,000,000) accepted."""
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a size: give bytes (4096) or a size with a unit (64KiB, 1MiB)"
        )
    value = int(match[1]) * _UNITS[(match[2] or "").lower()]
    if not MIN_RECORD_BYTES <= value <= MAX_RECORD_BYTES:
        raise argparse.ArgumentTypeError(
            f"{text} is out of range: a record limit is between 1KiB ({MIN_RECORD_BYTES:,} bytes) "
            f"and 1GiB ({MAX_RECORD_BYTES:,} bytes)"
        )
    return value


def top_count(text: str) -> int:
    """`--top`: how many codes the table lists."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of codes") from None
    if not 1 <= value <= MAX_TOP:
        raise argparse.ArgumentTypeError(f"{value} is out of range: 1 to {MAX_TOP:,} codes")
    return value


def point_in_time(text: str, now_ns: int | None = None) -> int:
    """`--since`/`--until` as Unix nanoseconds: ISO 8601 (no offset: UTC, as events are), a
    date (its midnight, UTC), `now`, or a duration before now (`90s`, `30m`, `2h`, `7d`, `1w`)."""
    spelled = text.strip()
    now_ns = time.time_ns() if now_ns is None else now_ns
    if spelled.lower() == "now":
        return now_ns
    duration = _DURATION.fullmatch(spelled)
    if duration is not None:
        seconds = float(duration[1]) * _SECONDS[duration[2][0].lower()]
        return now_ns - round(seconds * 1_000_000_000)
    try:
        moment = datetime.fromisoformat(spelled)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time: give {_TIME_HELP}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


def resolve_vendors(requested: Iterable[str], known: dict[str, str]) -> frozenset[str]:
    """`--vendor` values (any case; a slug or a name the vendor goes by) as vendor slugs.

    `known` maps every accepted spelling, lower case, to its slug."""
    slugs = set()
    for name in requested:
        slug = known.get(name.strip().lower())
        if slug is None:
            vendors = list(dict.fromkeys(known.values()))  # slugs come first, in vendor order
            raise ValueError(
                f"--vendor: unknown vendor {name!r}{did_you_mean(name, known)}; "
                f"one of {', '.join(vendors)}"
            )
        slugs.add(slug)
    return frozenset(slugs)


def rfc3339(nanos: int) -> str:
    """Nanoseconds as events spell times, to the second (for messages and the table)."""
    return datetime.fromtimestamp(nanos // 1_000_000_000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
