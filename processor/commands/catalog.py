"""`vendor-errors catalog lint|show|export`: inspect and check the catalog."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import orjson
from vendor_errors import catalog
from vendor_errors.catalog import CatalogError, Entry, rules

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
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "catalog",
        help="inspect and check the vendor error catalog",
        description="Inspect and check the vendor error catalog (catalog/data/*.yaml + overlay).",
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
        help="show what a vendor's code means",
        description="Show the catalog entry for VENDOR CODE (channel fallback and the "
        "unknown-code classification apply, as the processor would see it). "
        "Exit 0 for a catalog code, 3 for a code the catalog does not know.",
    )
    show.add_argument(
        "vendor", choices=catalog.VENDORS, metavar="VENDOR", help=" | ".join(catalog.VENDORS)
    )
    show.add_argument("code", metavar="CODE", help='the vendor\'s code, e.g. 30005, "http_503"')
    show.add_argument(
        "--channel", choices=catalog.CHANNELS, metavar="C", help="Webex channel, e.g. sms"
    )
    show.add_argument("--http-status", type=int, metavar="N", help="the HTTP status seen with it")
    show.add_argument("--overlay", type=Path, metavar="FILE")
    show.add_argument("--format", choices=("text", "json"), default="text")
    show.set_defaults(handler=_show)

    export = actions.add_parser(
        "export",
        help="print every entry as JSON or CSV",
        description="Print every catalog entry (after the overlay) as a JSON array or CSV.",
    )
    export.add_argument("--format", choices=("json", "csv"), default="json")
    export.add_argument("--vendor", choices=catalog.VENDORS, help="only this vendor")
    export.add_argument("--overlay", type=Path, metavar="FILE")
    export.set_defaults(handler=_export)


def _load(overlay: Path | None) -> catalog.Catalog | None:
    try:
        return catalog.load(overlay)
    except CatalogError as exc:
        print(f"vendor-errors catalog: {exc}", file=sys.stderr)
        return None


def _lint(args: argparse.Namespace) -> int:
    loaded = _load(args.overlay)
    if loaded is None:
        return 1
    found = rules.problems(loaded)
    for problem in found:
        print(f"vendor-errors catalog: {problem}", file=sys.stderr)
    if found:
        print(f"{len(found)} problem(s)", file=sys.stderr)
        return 1
    vendors = sorted({entry.vendor for entry in loaded})
    print(f"ok: {len(loaded)} entries, {len(vendors)} vendors ({', '.join(vendors)})")
    return 0


def _show(args: argparse.Namespace) -> int:
    loaded = _load(args.overlay)
    if loaded is None:
        return 1
    entry = loaded.lookup(args.vendor, args.code, args.channel, args.http_status)
    if args.format == "json":
        sys.stdout.buffer.write(orjson.dumps(entry.as_dict(), option=orjson.OPT_INDENT_2) + b"\n")
        return 0 if entry.known else 3
    print(_describe(entry))
    return 0 if entry.known else 3


def _describe(entry: Entry) -> str:
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
    if entry.note:
        lines.append(f"  note:        {entry.note}")
    source = f"{entry.source.document}, {entry.source.table}"
    if entry.matched_by == "range":
        source += " (range rule)"
    lines.append(f"  source:      {source}")
    return "\n".join(lines)


def _export(args: argparse.Namespace) -> int:
    loaded = _load(args.overlay)
    if loaded is None:
        return 1
    rows = [e.as_dict() for e in loaded if args.vendor is None or e.vendor == args.vendor]
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
