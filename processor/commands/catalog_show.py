"""`vendor-errors catalog show` and `catalog search`: what a code means, which codes say X.

Vendor and channel names are read the way people type them: any case, `8X8`, `Webex`,
`in-app`, the vendors' other names (`imiconnect`, `microsoft`) and the channels' spellings of
the data files' recognition blocks; a name that matches nothing gets "did you mean".
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Iterable

import orjson
from vendor_errors.catalog import CHANNELS, Catalog, Entry
from vendor_errors.catalog.search import search

EXIT_UNKNOWN = 3  # the code is not in the catalog (show)
EXIT_USAGE = 2


class UnknownName(ValueError):
    """A vendor or channel name that matches nothing; the message says what would."""


def fold(name: str) -> str:
    """`In-App`, `in_app`, `INAPP` -> `inapp`: how names are compared."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _choose(name: str, spellings: dict[str, str], what: str, listed: Iterable[str]) -> str:
    folded = fold(name)
    if folded in spellings:
        return spellings[folded]
    close = difflib.get_close_matches(folded, spellings, n=3, cutoff=0.6)
    guesses = list(dict.fromkeys(spellings[c] for c in close))
    hint = f"; did you mean {' or '.join(repr(g) for g in guesses)}?" if guesses else ""
    raise UnknownName(f"unknown {what} {name!r}{hint} ({what}s: {', '.join(listed)})")


def resolve_vendor(cat: Catalog, name: str) -> str:
    spellings: dict[str, str] = {}
    for info in cat.vendors:
        for spelling in (info.vendor, *info.names, *info.aliases):
            spellings.setdefault(fold(spelling), info.vendor)
    folded = fold(name)
    if folded not in spellings:
        # "Webex Connect", "Salesforce Interaction API": a vendor's name and more words.
        starts = {v for s, v in spellings.items() if len(s) >= 3 and folded.startswith(s)}
        if len(starts) == 1:
            return starts.pop()
    return _choose(name, spellings, "vendor", (info.vendor for info in cat.vendors))


def vendor_channels(cat: Catalog, vendor: str) -> list[str]:
    """The channels with a table of the vendor's, in the contract's order."""
    found = {entry.channel for entry in cat if entry.vendor == vendor and entry.channel}
    return [channel for channel in CHANNELS if channel in found]


def resolve_channel(cat: Catalog, vendor: str, name: str) -> str:
    channels = vendor_channels(cat, vendor)
    if not channels:
        raise UnknownName(f"{vendor}'s codes are not per channel: leave out --channel")
    spellings = {fold(channel): channel for channel in channels}
    info = next((i for i in cat.vendors if i.vendor == vendor), None)
    for channel, aliases in info.channels if info is not None else ():
        for alias in aliases:
            spellings.setdefault(alias, channel)
    return _choose(name, spellings, f"{vendor} channel", channels)


# -- show ----------------------------------------------------------------------------------


def candidates(cat: Catalog, vendor: str, code: str) -> list[Entry]:
    """Every listing the code could mean when no channel is given: the code under each of the
    vendor's tables, and `http_<code>` for a bare HTTP status (`429`)."""
    found = cat.listings(vendor, code)
    if not found and not code.isdigit():
        found = cat.listings(vendor, code.upper())
    if code.isdigit() and len(code) == 3 and 100 <= int(code) <= 599:
        found += cat.listings(vendor, f"http_{code}")
    order = {channel: index for index, channel in enumerate(CHANNELS)}
    return sorted(found, key=lambda e: (e.channel is not None, order.get(e.channel or "", 0)))


def show(cat: Catalog, vendor: str, code: str, channel: str | None, status: int | None,
         as_json: bool) -> int:  # fmt: skip
    code = code.strip()
    if channel is None:
        listed = candidates(cat, vendor, code)
        if len(listed) > 1:
            _print_listings(cat, vendor, code, listed, as_json)
            return 0
        # One meaning: show it wherever it is kept (an explicit table; http_429 for 429).
        entry = listed[0] if listed else cat.lookup(vendor, code, None, status)
    else:
        entry = cat.lookup(vendor, code, channel, status)
    if as_json:
        sys.stdout.buffer.write(orjson.dumps(entry.as_dict(), option=orjson.OPT_INDENT_2) + b"\n")
    else:
        print(describe(cat, entry))
    return 0 if entry.known else EXIT_UNKNOWN


def _print_listings(
    cat: Catalog, vendor: str, code: str, listed: list[Entry], as_json: bool
) -> None:
    if as_json:
        rows = [entry.as_dict() for entry in listed]
        sys.stdout.buffer.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2) + b"\n")
        return
    width = max(len(_where(entry)) for entry in listed)
    print(f"{vendor} {code} has {len(listed)} meanings; choose one with --channel C or the code:")
    for entry in listed:
        kind = f"{entry.category}, {entry.severity}" + (", transient" if entry.transient else "")
        print(f"  {_where(entry):<{width}}  {entry.code:<8}  {_short(entry.message, 60)}  [{kind}]")
    default = cat.lookup(vendor, code)
    if default.known:
        print(f"A record that names no channel gets: {_where(default)} {default.code}.")
    else:
        print("A record that names no channel gets none of these: they are looked up only when")
        print("the record names their channel.")


def _where(entry: Entry) -> str:
    """The channel, or for a vendor-wide entry the name of its table."""
    return entry.channel or f"({_short(entry.source.table, 30)})"


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def describe(cat: Catalog, entry: Entry) -> str:
    where = f"{entry.vendor}/{entry.channel}" if entry.channel else entry.vendor
    retry = "yes, later (transient)" if entry.transient else "no (not transient)"
    lines = [
        f"{where} {entry.code}" + ("" if entry.known else "  [not in the catalog]"),
        f"  message:     {entry.message}",
        f"  category:    {entry.category}",
        f"  severity:    {entry.severity}",
        f"  retry helps: {retry}",
    ]
    if entry.http_status is not None:
        lines.append(f"  http status: {entry.http_status}")
    lines.append(f"  what to do:  {entry.remediation}")
    if entry.also:
        lines.append(f"  also worded: {' | '.join(entry.also)}")
    if entry.details:
        lines.append(f"  details:     {_short(entry.details, 240)}")
    if entry.note:
        lines.append(f"  note:        {entry.note}")
    if cat.is_standalone(entry.vendor, entry.channel):
        lines.append(f"  lookup:      only for codes read as {entry.channel} (its own table)")
    elif cat.is_explicit(entry.vendor, entry.channel):
        lines.append(f"  lookup:      only when the record is read as {entry.channel}")
    if entry.known:
        source = f"{entry.source.document}, {entry.source.table}"
        if entry.matched_by == "range":
            source += " (range rule)"
        if entry.source_url is not None:
            source = f"{entry.source_url} ({entry.source.table}; not in the seed documents)"
        lines.append(f"  source:      {source}")
    return "\n".join(lines)


# -- search --------------------------------------------------------------------------------


def run_search(cat: Catalog, text: str, vendor: str | None, limit: int, as_json: bool) -> int:
    entries = [e for e in cat if vendor is None or e.vendor == vendor]
    hits = search(entries, text, limit=limit)
    if as_json:
        rows = [{**hit.entry.as_dict(), "score": round(hit.score, 2)} for hit in hits]
        sys.stdout.buffer.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2) + b"\n")
        return 0 if hits else 1
    if not hits:
        print(f"no catalog entry matches {text!r}", file=sys.stderr)
        return 1
    width = max(len(f"{h.entry.vendor}/{h.entry.channel or '-'}") for h in hits)
    code_width = max(len(h.entry.code) for h in hits)
    for hit in hits:
        entry = hit.entry
        where = f"{entry.vendor}/{entry.channel or '-'}"
        retry = "transient" if entry.transient else "not transient"
        print(
            f"{where:<{width}}  {entry.code:<{code_width}}  {_short(entry.message, 70)}"
            f"  [{entry.category}, {retry}]"
        )
    return 0
