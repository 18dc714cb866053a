"""`vendor-errors catalog draft --from FILE...`: an overlay to review, from unknown codes in logs.

The files are read as `vendor-errors scan` reads them (records grouped over lines, .gz
decompressed, '-' for stdin) by the parsers' public API; every event the catalog does not know
(`known: false`) is counted into catalog/draft.py's overlay. Vendor wordings pass through the
processor's redaction first: a draft is a file people share, so no phone number or e-mail
address from a log goes into it.
"""

from __future__ import annotations

import argparse
import gzip
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from vendor_errors import catalog
from vendor_errors.catalog.draft import Draft
from vendor_errors.parsers import Extractor, GrokError, iter_records

PROG = "vendor-errors catalog draft"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from",
        dest="sources",
        nargs="+",
        action="extend",
        required=True,
        metavar="FILE",
        help="log files to read, as `scan` reads them ('-' reads stdin; .gz is decompressed)",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="OUT",
        help="write the draft here (default: stdout); an existing file is kept unless --force",
    )
    parser.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    parser.add_argument(
        "--overlay",
        type=Path,
        metavar="FILE",
        help="your current overlay: codes it already has are known, so not drafted again",
    )
    parser.add_argument(
        "--pattern",
        action="append",
        default=[],
        metavar="GROK",
        help="an extra text layout, as for `scan --pattern` (repeatable)",
    )
    parser.add_argument(
        "--max-record-bytes",
        type=int,
        default=1 << 20,
        metavar="N",
        help="larger records are skipped, as `scan` counts them undecodable (default: 1 MiB)",
    )


@contextmanager
def _open(path: str) -> Iterator[BinaryIO]:
    if path == "-":
        yield sys.stdin.buffer
        return
    with open(path, "rb") as raw:
        if raw.peek(2)[:2] == b"\x1f\x8b":  # gzip magic, whatever the file is called
            with gzip.open(raw, "rb") as unzipped:
                yield unzipped  # type: ignore[misc]
        else:
            yield raw


def _read(stream: BinaryIO, name: str, extractor: Extractor, draft: Draft) -> int:
    # Imported here: every command builds this one's parser, and the privacy rules (their
    # patterns, hashlib's OpenSSL) cost ~4 MiB of resident memory that only `draft` needs.
    from vendor_errors.processor.privacy import redact_text

    records = 0
    for line, data in iter_records(stream, extractor.max_record_bytes):
        records += 1
        for finding in extractor.extract(data, {"file": name, "line": line}).findings:
            event = finding.event
            if not event["known"]:
                draft.add({**event, "message": redact_text(event["message"])}, f"{name}:{line}")
    return records


def run(args: argparse.Namespace) -> int:
    if args.max_record_bytes < 1024:
        print(f"{PROG}: --max-record-bytes must be at least 1024", file=sys.stderr)
        return 2
    out: Path | None = args.output
    if out is not None and out.exists() and not args.force:
        print(f"{PROG}: {out} exists; pass --force to overwrite it", file=sys.stderr)
        return 2
    try:
        cat = catalog.load(args.overlay)
        extractor = Extractor(cat, patterns=args.pattern, max_record_bytes=args.max_record_bytes)
    except (catalog.CatalogError, GrokError) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    draft = Draft()
    records = 0
    status = 0
    for path in args.sources:
        try:
            with _open(path) as stream:
                records += _read(stream, path, extractor, draft)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            print(f"{PROG}: {path}: {reason}", file=sys.stderr)
            status = 1
    text = draft.render(args.sources, records)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
    target = str(out) if out is not None else "the draft"
    print(
        f"{PROG}: {len(draft.seen)} unknown code(s) in {draft.events} event(s) of {records} "
        f"record(s); fill in {target}, then: vendor-errors catalog lint --overlay "
        f"{out if out is not None else 'FILE'}",
        file=sys.stderr,
    )
    return status
