"""`vendor-errors catalog lint|show|search|export|draft`: inspect, check and grow the catalog.

`show` and `search` live in catalog_show.py, `draft` in catalog_draft.py; this module wires
the sub-commands and holds `lint` and `export`.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import orjson
from vendor_errors import catalog
from vendor_errors.catalog import CatalogError, compiled, rules
from vendor_errors.catalog.loader import DATA_DIR
from vendor_errors.processor.commands import catalog_draft, catalog_show

EXPORT_COLUMNS = (
    "vendor",
    "channel",
    "code",
    "http_status",
    "message",
    "category",
    "severity",
    "transient",
    "known",
    "remediation",
    "document",
    "table",
    "seed",
    "source_url",
)

_Formatter = argparse.RawDescriptionHelpFormatter

SHOW_EPILOG = """\
examples:
  vendor-errors catalog show webex 7302 --channel sms
  vendor-errors catalog show Webex 7010          # several channels list it: lists them
  vendor-errors catalog show pipedrive 429       # a bare HTTP status means http_429
  vendor-errors catalog show 8x8 15 --channel delivery_receipt

Vendor and channel names are read in any case and spelling (8X8, WhatsApp, in-app).
exit status: 0 a catalog code (or its listings), 3 a code the catalog does not know,
2 a name that matches no vendor or channel, 1 a broken data or overlay file."""

SEARCH_EPILOG = """\
examples:
  vendor-errors catalog search "rate limit"
  vendor-errors catalog search template paused --vendor 8x8
  vendor-errors catalog search "invalid msisdn" --format json

Words match the vendor's wording first, then the document's details, then what to do;
a word also finds longer words (throttl -> throttled) and close spellings.
exit status: 0 found, 1 nothing matches, 2 a bad option."""

DRAFT_EPILOG = """\
example:
  vendor-errors catalog draft --from app.log other.log.gz -o overlay.draft.yaml
  # fill in category, severity, transient, remediation for each entry, then:
  vendor-errors catalog lint --overlay overlay.draft.yaml

One entry per (vendor, channel, code) the catalog does not know, most frequent first,
with the vendor wordings seen and how often (`seen`). Until every entry is filled in,
lint fails and names each missing field; `category: unknown` may stay if the vendor
documents no meaning. exit status: 0, 1 a file could not be read, 2 bad options."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "catalog",
        help="inspect, check and grow the vendor error catalog",
        description="Inspect, check and grow the vendor error catalog "
        "(catalog/data/*.yaml, plus your overlay file).",
    )
    parser.set_defaults(handler=lambda args: parser.print_help() or 2)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    lint = actions.add_parser(
        "lint",
        help="validate the data files (and an overlay); non-zero exit on problems",
        description="Validate the shipped data files and, with --overlay, a user overlay. "
        "Every problem names the file, the entry and the field. Exit 0 when clean, 1 otherwise.",
    )
    lint.add_argument("--overlay", type=Path, metavar="FILE", help="an overlay file to check")
    lint.set_defaults(handler=_lint)

    show = actions.add_parser(
        "show",
        help="what a vendor's code means",
        description="Show the catalog entry for VENDOR CODE, as the processor would classify "
        "it (channel fallback and the unknown-code classification apply). With no --channel, "
        "a code that several of the vendor's tables list is listed, not guessed.",
        epilog=SHOW_EPILOG,
        formatter_class=_Formatter,
    )
    show.add_argument(
        "vendor", metavar="VENDOR", help="dynamics365, salesforce, pipedrive, 8x8, webex"
    )
    show.add_argument(
        "code", metavar="CODE", help="the vendor's code: 30005, NOT_FOUND, 429, http_503"
    )
    show.add_argument("--channel", metavar="C", help="the table to read: a Webex channel "
                      "(sms, whatsapp, api, ...) or an 8x8 delivery-receipt table")  # fmt: skip
    show.add_argument("--http-status", type=int, metavar="N", help="the HTTP status seen with it")
    show.add_argument("--overlay", type=Path, metavar="FILE", help="your overlay file")
    show.add_argument("--format", choices=("text", "json"), default="text")
    show.set_defaults(handler=_show)

    search = actions.add_parser(
        "search",
        help="find codes by what their message says",
        description="Find catalog codes whose message (or details, or remediation) matches "
        "TEXT, best first, with vendor, channel, code and message.",
        epilog=SEARCH_EPILOG,
        formatter_class=_Formatter,
    )
    search.add_argument("text", nargs="+", metavar="TEXT", help="words to look for")
    search.add_argument("--vendor", metavar="V", help="only this vendor's codes")
    search.add_argument("--limit", type=int, default=20, metavar="N", help="at most N (20)")
    search.add_argument("--overlay", type=Path, metavar="FILE", help="your overlay file")
    search.add_argument("--format", choices=("text", "json"), default="text")
    search.set_defaults(handler=_search)

    export = actions.add_parser(
        "export",
        help="print every entry as JSON or CSV",
        description="Print every catalog entry (after the overlay) as a JSON array or CSV, "
        "with `seed` (false for codes not in the seed documents) and their `source_url`.",
    )
    export.add_argument("--format", choices=("json", "csv"), default="json")
    export.add_argument("--vendor", metavar="V", help="only this vendor")
    export.add_argument("--overlay", type=Path, metavar="FILE")
    export.set_defaults(handler=_export)

    draft = actions.add_parser(
        "draft",
        help="draft an overlay from the unknown codes in log files",
        description="Read log files as `scan` does and write an overlay with one entry per "
        "unknown (vendor, channel, code), for a person to classify.",
        epilog=DRAFT_EPILOG,
        formatter_class=_Formatter,
    )
    catalog_draft.add_arguments(draft)
    draft.set_defaults(handler=catalog_draft.run)


def _load(overlay: Path | None, validate: bool = False) -> catalog.Catalog | None:
    try:
        return catalog.load(overlay, validate=validate)
    except CatalogError as exc:
        print(f"vendor-errors catalog: {exc}", file=sys.stderr)
        return None


def _lint(args: argparse.Namespace) -> int:
    loaded = _load(args.overlay, validate=True)  # the YAML itself, not its compiled form
    if loaded is None:
        return 1
    found = rules.problems(loaded)
    if compiled.read(DATA_DIR) is None:
        found.append(
            f"{DATA_DIR / compiled.ARTIFACT} is missing or older than the data files: run "
            f"`{compiled.COMPILE}` (until then every load validates the YAML)"
        )
    for problem in found:
        print(f"vendor-errors catalog: {problem}", file=sys.stderr)
    if found:
        print(f"{len(found)} problem(s)", file=sys.stderr)
        return 1
    vendors = sorted({entry.vendor for entry in loaded})
    print(f"ok: {len(loaded)} entries, {len(vendors)} vendors ({', '.join(vendors)})")
    return 0


def _names(cat: catalog.Catalog, args: argparse.Namespace) -> tuple[str | None, str | None] | None:
    """(vendor, channel) as the catalog spells them (None when not given), or None after
    saying what was wrong."""
    if args.vendor is None:
        return None, None
    try:
        vendor = catalog_show.resolve_vendor(cat, args.vendor)
        channel = getattr(args, "channel", None)
        if channel is not None:
            channel = catalog_show.resolve_channel(cat, vendor, channel)
    except catalog_show.UnknownName as exc:
        print(f"vendor-errors catalog {args.action}: {exc}", file=sys.stderr)
        return None
    return vendor, channel


def _show(args: argparse.Namespace) -> int:
    loaded = _load(args.overlay)
    if loaded is None:
        return 1
    names = _names(loaded, args)
    if names is None:
        return catalog_show.EXIT_USAGE
    vendor, channel = names
    assert vendor is not None  # a positional argument
    return catalog_show.show(
        loaded, vendor, args.code, channel, args.http_status, args.format == "json"
    )


def _search(args: argparse.Namespace) -> int:
    if args.limit < 1:
        print("vendor-errors catalog search: --limit must be at least 1", file=sys.stderr)
        return catalog_show.EXIT_USAGE
    loaded = _load(args.overlay)
    if loaded is None:
        return 1
    names = _names(loaded, args)
    if names is None:
        return catalog_show.EXIT_USAGE
    text = " ".join(args.text)
    return catalog_show.run_search(loaded, text, names[0], args.limit, args.format == "json")


def _export(args: argparse.Namespace) -> int:
    loaded = _load(args.overlay)
    if loaded is None:
        return 1
    names = _names(loaded, args)
    if names is None:
        return catalog_show.EXIT_USAGE
    rows = [e.as_dict() for e in loaded if names[0] is None or e.vendor == names[0]]
    if args.format == "json":
        sys.stdout.buffer.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2) + b"\n")
        return 0
    writer = csv.DictWriter(sys.stdout, fieldnames=EXPORT_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        # Lower-case booleans and empty cells for nulls, as lookup tables in other tools expect.
        writer.writerow(
            {
                k: ("true" if v is True else "false" if v is False else "" if v is None else v)
                for k, v in row.items()
            }
        )
    return 0
