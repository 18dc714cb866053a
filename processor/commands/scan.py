"""`vendor-errors scan`: find vendor errors in log files or stdin, no services needed.

`--format jsonl` prints one contract event per line (stdout carries nothing else); `table`
prints a summary for a person: counts by vendor, category and severity, the transient share,
and the top codes with the vendor's message and what to do. Progress goes to stderr when it is
a terminal. Exit status: 0, or 1 when a file could not be read, 2 on bad options.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO, TextIO

import orjson
from vendor_errors import catalog
from vendor_errors.parsers import (
    Batch,
    Event,
    Extractor,
    FileOrigin,
    GrokError,
    Result,
    iter_batches,
)
from vendor_errors.processor import heap

TOP_CODES = 15


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "scan",
        help="find vendor errors in log files or stdin (no services needed)",
        description=(
            "Read log files (JSON, logfmt or text lines; multi-line records are grouped; "
            ".gz files are decompressed) and report the vendor errors in them."
        ),
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="log files to read; '-' or nothing reads stdin",
    )
    parser.add_argument(
        "--format",
        choices=("table", "jsonl"),
        help="'table': a summary (default on a terminal); 'jsonl': one event per line",
    )
    parser.add_argument(
        "--include-status",
        action="store_true",
        help="also report lifecycle statuses (Delivered, Submitted, ...) as category 'status'",
    )
    parser.add_argument(
        "--pattern",
        action="append",
        default=[],
        metavar="GROK",
        help="an extra text layout, e.g. '%%{TIMESTAMP_ISO8601:timestamp} %%{LOGLEVEL:level} "
        "%%{GREEDYDATA:message}' (repeatable; see docs/parsing.md)",
    )
    parser.add_argument("--overlay", metavar="FILE", help="a catalog overlay file")
    parser.add_argument(
        "--max-record-bytes",
        type=int,
        default=1 << 20,
        metavar="N",
        help="larger records are counted as undecodable (default: 1 MiB)",
    )
    parser.set_defaults(handler=run)


@dataclass
class Summary:
    records: int = 0
    files: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    # (vendor, code, channel, category, severity, transient) -> events; the rest is derived.
    by_kind: Counter[tuple[str, str, str | None, str, str, bool]] = field(default_factory=Counter)
    samples: dict[tuple[str, str, str | None, str, str, bool], Event] = field(default_factory=dict)
    statuses: int = 0

    def add_quiet(self, records: int) -> None:
        """Records found to hold no vendor error without being looked at one by one."""
        self.records += records
        self.outcomes["no_error"] += records

    def add(self, result: Result) -> None:
        self.records += 1
        self.outcomes[result.outcome] += 1
        if result.reason is not None:
            self.reasons[result.reason] += 1
        if result.findings:
            self.add_findings(result)

    def add_findings(self, result: Result) -> None:
        for finding in result.findings:
            event = finding.event
            category = event["category"]
            if category == "status":
                self.statuses += 1
                continue
            key = (
                event["vendor"],
                event["code"],
                event["channel"],
                category,
                event["severity"],
                event["transient"],
            )
            self.by_kind[key] += 1
            if key not in self.samples:
                self.samples[key] = event

    def totals(self) -> Totals:
        totals = Totals()
        for (vendor, code, channel, category, severity, transient), count in self.by_kind.items():
            totals.errors += count
            totals.by_vendor[vendor] += count
            totals.transient_by_vendor[vendor] += count if transient else 0
            totals.by_category[category] += count
            totals.by_severity[severity] += count
            totals.by_code[(vendor, code, channel)] += count
        return totals


@dataclass
class Totals:
    errors: int = 0
    by_vendor: Counter[str] = field(default_factory=Counter)
    transient_by_vendor: Counter[str] = field(default_factory=Counter)
    by_category: Counter[str] = field(default_factory=Counter)
    by_severity: Counter[str] = field(default_factory=Counter)
    by_code: Counter[tuple[str, str, str | None]] = field(default_factory=Counter)


class Progress:
    """A one-line counter on stderr, redrawn at most twice a second."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started = self.shown = time.monotonic()
        self.drawn = False
        self.counted = 0

    def update(self, records: int, size: int) -> None:
        if records - self.counted < 4096:
            return
        self.counted = records
        now = time.monotonic()
        if now - self.shown < 0.5:
            return
        self.shown = now
        rate = records / max(now - self.started, 1e-9)
        read = f", {size / 1e6:,.1f} MB" if size else ""
        self.stream.write(f"\rscanning: {records:,} records{read}, {rate:,.0f} records/s ")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()


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


def _scan(
    stream: BinaryIO,
    name: str,
    extractor: Extractor,
    summary: Summary,
    write: Callable[[bytes], object] | None,
    progress: Progress | None,
) -> None:
    extract = extractor.extract
    extract_many = extractor.extract_many
    add = summary.add
    add_findings = summary.add_findings
    outcomes, reasons = summary.outcomes, summary.reasons
    dumps = orjson.dumps
    for item in iter_batches(stream, extractor.max_record_bytes):
        if isinstance(item, Batch):
            # Consecutive one-line JSON records: the batch entry point screens them all at
            # once, and says how many are plain "no_error" without a result each.
            batch = item
            first = batch.first_line

            def source_of(index: int, first: int = first) -> FileOrigin:
                return {"file": name, "line": first + index}

            quiet, noted = extract_many(batch.lines, source_of, block=batch.block, json_lines=True)
            summary.add_quiet(quiet)
            events: list[bytes] = []  # written once per batch: one call instead of one per event
            for _index, result in noted:  # Summary.add, inlined: a batch has thousands
                outcomes[result.outcome] += 1
                if result.reason is not None:
                    reasons[result.reason] += 1
                findings = result.findings
                if findings:
                    add_findings(result)
                    if write is not None:
                        for finding in findings:
                            events.append(dumps(finding.event))
            summary.records += len(noted)
            if events and write is not None:
                events.append(b"")
                write(b"\n".join(events))
        else:
            line, data = item
            result = extract(data, {"file": name, "line": line})
            add(result)
            if write is not None and result.findings:
                for finding in result.findings:
                    write(orjson.dumps(finding.event) + b"\n")
        if progress is not None:
            progress.update(summary.records, _position(stream))


def _position(stream: BinaryIO) -> int:
    try:
        return stream.tell() if stream.seekable() else 0
    except OSError:
        return 0


def run(args: argparse.Namespace) -> int:
    output = args.format or ("table" if sys.stdout.isatty() else "jsonl")
    try:
        cat = catalog.load(args.overlay)
        extractor = Extractor(
            cat,
            patterns=args.pattern,
            include_status=args.include_status,
            max_record_bytes=args.max_record_bytes,
        )
    except (catalog.CatalogError, GrokError) as exc:
        print(f"vendor-errors scan: {exc}", file=sys.stderr)
        return 2
    heap.settle_after_start_up()
    summary = Summary()
    progress = Progress(sys.stderr) if sys.stderr.isatty() else None
    write = sys.stdout.buffer.write if output == "jsonl" else None
    status = 0
    try:
        for path in args.paths or ["-"]:
            name = "-" if path == "-" else path
            try:
                with _open(path) as stream:
                    summary.files += 1
                    _scan(stream, name, extractor, summary, write, progress)
            except BrokenPipeError:
                raise  # the reader left (`scan | head`): stop quietly, see processor/cli.py
            except (OSError, EOFError, gzip.BadGzipFile) as exc:
                reason = getattr(exc, "strerror", None) or str(exc)
                print(f"vendor-errors scan: {path}: {reason}", file=sys.stderr)
                status = 1
    finally:
        if progress is not None:
            progress.close()
    if output == "table":
        sys.stdout.write(render(summary, cat))
    else:
        sys.stdout.flush()
    return status


# -- the table -----------------------------------------------------------------------------


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def render(summary: Summary, cat: catalog.Catalog) -> str:
    totals = summary.totals()
    errors = totals.errors
    lines: list[str] = []
    add = lines.append
    undecodable = summary.outcomes["undecodable"]
    reasons = ", ".join(f"{r}: {n}" for r, n in summary.reasons.most_common())
    add(
        f"{summary.records:,} records in {summary.files} input(s): {errors:,} vendor errors in "
        f"{summary.outcomes['error_found']:,} records; {undecodable:,} undecodable"
        + (f" ({reasons})" if undecodable else "")
    )
    if summary.statuses:
        add(f"{summary.statuses:,} lifecycle statuses (Delivered, Submitted, ...) included")
    if not errors:
        add("No vendor errors found.")
        return "\n".join(lines) + "\n"
    transient = sum(totals.transient_by_vendor.values())
    add(
        f"Transient (may succeed if retried): {transient:,} of {errors:,} "
        f"({_percent(transient, errors)})"
    )
    add("")
    add(f"{'VENDOR':<14}{'ERRORS':>8}{'SHARE':>8}{'TRANSIENT':>11}")
    for vendor, count in totals.by_vendor.most_common():
        add(
            f"{vendor:<14}{count:>8,}{_percent(count, errors):>8}"
            f"{_percent(totals.transient_by_vendor[vendor], count):>11}"
        )
    add("")
    add(f"{'CATEGORY':<20}{'ERRORS':>8}{'SHARE':>8}    {'SEVERITY':<10}{'ERRORS':>8}")
    categories = totals.by_category.most_common()
    severities = [
        (s, totals.by_severity[s])
        for s in ("critical", "error", "warning", "info")
        if totals.by_severity[s]
    ]
    for row in range(max(len(categories), len(severities))):
        left = " " * 36
        if row < len(categories):
            name, count = categories[row]
            left = f"{name:<20}{count:>8,}{_percent(count, errors):>8}"
        right = ""
        if row < len(severities):
            right = f"    {severities[row][0]:<10}{severities[row][1]:>8,}"
        add((left + right).rstrip())
    add("")
    add(f"TOP CODES (of {len(totals.by_code):,} distinct)")
    add(f"{'COUNT':>7}  {'VENDOR':<12}{'CODE':<22}{'CHANNEL':<10}{'CATEGORY':<18}SEVERITY  RETRY")
    for key, count in summary.by_kind.most_common(TOP_CODES):
        vendor, code, channel, category, severity, is_transient = key
        event = summary.samples[key]
        entry = cat.lookup(vendor, code, channel, event["http_status"], event["message"])
        retry = "yes" if is_transient else "no"
        known = "" if event["known"] else " (not in catalog)"
        add(
            f"{count:>7,}  {vendor:<12}{code:<22}{channel or '-':<10}{category:<18}"
            f"{severity:<10}{retry}{known}"
        )
        add(f"{'':9}{_clip(event['message'], 100)}")
        add(f"{'':9}-> {_clip(entry.remediation, 100)}")
    return "\n".join(lines) + "\n"


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
