"""`vendor-errors scan`: find vendor errors in log files or stdin, no services needed.

`--format jsonl` prints one contract event per line (stdout carries nothing else); `table`
prints a summary for a person (processor/scan/table.py). Progress and notes go to stderr.
Exit status: 0, or 1 when a file could not be read, 2 on bad options.
"""

from __future__ import annotations

import argparse
import gzip
import signal
import sys
import threading
import types
from collections.abc import Callable
from typing import BinaryIO

import orjson
from vendor_errors import catalog
from vendor_errors.parsers import Batch, Extractor, FileOrigin, GrokError, iter_batches
from vendor_errors.processor import heap
from vendor_errors.processor.scan import follow, options
from vendor_errors.processor.scan.inputs import Progress, open_input, position
from vendor_errors.processor.scan.output import AtomicFile, check_target
from vendor_errors.processor.scan.selection import Selection
from vendor_errors.processor.scan.summary import Summary
from vendor_errors.processor.scan.table import TOP_CODES, render

__all__ = ["Summary", "add_parser", "run"]

DESCRIPTION = """\
Read log files (JSON, logfmt or text lines; multi-line records such as stack traces and
pretty-printed bodies are grouped; .gz files are decompressed) and report the errors that
Dynamics 365, Salesforce, Pipedrive, 8x8 and Webex Connect returned: each with its vendor,
code, category, severity and whether retrying may help (docs/events.md, docs/parsing.md).
"""

EPILOG = """\
examples:
  vendor-errors scan app.log                        a summary (on a terminal)
  kubectl logs deploy/sms-gateway | vendor-errors scan -
  vendor-errors scan app.log --since 2h --vendor webex --top 5
  vendor-errors scan /var/log/app/*.log --service checkout --format jsonl
  vendor-errors scan app.log --output errors.jsonl  events to a file (written whole)
  vendor-errors scan --follow /var/log/app.log      new errors as they are logged

--since/--until take the records' own times: ISO 8601 (2024-05-01T12:00:00Z,
2024-05-01 12:00; no offset means UTC, as in the events) or a time ago (90s, 30m,
2h, 7d). A time window leaves out errors whose records carry no time.
exit status: 0 done, 1 an input could not be read, 2 bad options.
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "scan",
        help="find vendor errors in log files or stdin (no services needed)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    paths = parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="log files to read (.gz too); '-' or nothing reads stdin",
    )
    paths.complete = {"bash": "_shtab_compgen_files", "zsh": "_files"}  # type: ignore[attr-defined]
    reading = parser.add_argument_group("reading")
    reading.add_argument(
        "-f",
        "--follow",
        action="store_true",
        help="keep reading the files as they grow, like 'tail -F' (rotation and truncation "
        "followed), until Ctrl-C or SIGTERM; then the table, if --format table",
    )
    reading.add_argument(
        "--pattern",
        action="append",
        default=[],
        metavar="GROK",
        help="an extra text layout, e.g. '%%{TIMESTAMP_ISO8601:timestamp} %%{LOGLEVEL:level} "
        "%%{GREEDYDATA:message}' (repeatable; see docs/parsing.md)",
    )
    reading.add_argument(
        "--max-record-bytes",
        type=options.record_bytes,
        default=1 << 20,
        metavar="SIZE",
        help="larger records are counted as undecodable: bytes or 64KiB, 4MiB ... "
        "(1KiB to 1GiB; default 1MiB)",
    )
    overlay = reading.add_argument("--overlay", metavar="FILE", help="a catalog overlay file")
    overlay.complete = {"bash": "_shtab_compgen_files", "zsh": "_files"}  # type: ignore[attr-defined]
    which = parser.add_argument_group("which errors (repeat an option for several values)")
    which.add_argument(
        "--since",
        type=options.point_in_time,
        metavar="TIME",
        help="only errors logged at or after TIME: 2024-05-01T12:00Z, 2h (ago), 7d ...",
    )
    which.add_argument(
        "--until", type=options.point_in_time, metavar="TIME", help="only errors logged before TIME"
    )
    vendor = which.add_argument(
        "--vendor",
        action="append",
        metavar="VENDOR",
        help="only this vendor's errors: " + ", ".join(catalog.VENDORS) + " (any case)",
    )
    vendor.complete = {  # type: ignore[attr-defined]
        "bash": "_vendor_errors_vendors",
        "zsh": "(" + " ".join(catalog.VENDORS) + ")",
    }
    which.add_argument(
        "--service",
        action="append",
        metavar="NAME",
        help="only errors logged by this service (the events' 'service'; any case)",
    )
    which.add_argument(
        "--include-status",
        action="store_true",
        help="also report lifecycle statuses (Delivered, Submitted, ...) as category 'status'",
    )
    output = parser.add_argument_group("output")
    output.add_argument(
        "--format",
        choices=("table", "jsonl"),
        help="'table': a summary (the default when stdout is a terminal, or with --top); "
        "'jsonl': one event per line (otherwise)",
    )
    output.add_argument(
        "--top",
        type=options.top_count,
        metavar="N",
        help=f"list the N most frequent codes in the table (default {TOP_CODES})",
    )
    target = output.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE instead of stdout; it appears only once complete",
    )
    target.complete = {"bash": "_shtab_compgen_files", "zsh": "_files"}  # type: ignore[attr-defined]
    parser.set_defaults(handler=run)


def _scan(
    stream: BinaryIO,
    name: str,
    extractor: Extractor,
    summary: Summary,
    write: Callable[[bytes | bytearray], object] | None,
    progress: Progress | None,
    line_base: int = 0,
) -> None:
    """Every record of `stream` into `summary`, its selected events to `write` (jsonl).
    `line_base`: lines of the file before the stream's first (`--follow` reads in parts)."""
    extract = extractor.extract
    extract_many = extractor.extract_many
    add = summary.add
    add_findings = summary.add_findings
    outcomes, reasons = summary.outcomes, summary.reasons
    dumps = orjson.dumps
    newline = orjson.OPT_APPEND_NEWLINE
    for item in iter_batches(stream, extractor.max_record_bytes):
        if isinstance(item, Batch):
            # Consecutive one-line JSON records: the batch entry point screens them all at
            # once, and says how many are plain "no_error" without a result each.
            batch = item
            first = batch.first_line + line_base

            def source_of(index: int, first: int = first) -> FileOrigin:
                return {"file": name, "line": first + index}

            quiet, noted = extract_many(batch.lines, source_of, block=batch.block, json_lines=True)
            summary.add_quiet(quiet)
            # Written once per batch: one call instead of one per event. Copied into one
            # buffer as they come: orjson gives each event a buffer of several KiB, and a
            # batch's thousands of them held in a list took tens of MiB.
            events = bytearray()
            for _index, result in noted:  # Summary.add, inlined: a batch has thousands
                outcomes[result.outcome] += 1
                if result.reason is not None:
                    reasons[result.reason] += 1
                if result.findings:
                    findings = add_findings(result)
                    if write is not None:
                        for finding in findings:
                            events += dumps(finding.event, option=newline)
            summary.records += len(noted)
            if events and write is not None:
                write(events)
        else:
            line, data = item
            result = extract(data, {"file": name, "line": line + line_base})
            findings = add(result)
            if write is not None:
                for finding in findings:
                    write(dumps(finding.event, option=newline))
        if progress is not None:
            progress.update(summary.records, position(stream))


def _error(message: str) -> int:
    print(f"vendor-errors scan: {message}", file=sys.stderr)
    return 2


def _note(message: str) -> None:
    print(f"vendor-errors scan: {message}", file=sys.stderr, flush=True)


def _choose_format(args: argparse.Namespace) -> str:
    if args.format is not None:
        return str(args.format)
    if args.top is not None:
        return "table"
    return "table" if args.output is None and sys.stdout.isatty() else "jsonl"


def _selection(args: argparse.Namespace, cat: catalog.Catalog) -> Selection:
    vendors = None
    if args.vendor:
        known = {info.vendor.lower(): info.vendor for info in cat.vendors}
        for info in cat.vendors:
            known.update({name.lower(): info.vendor for name in info.names})
        vendors = options.resolve_vendors(args.vendor, known)
    services = frozenset(name.strip().lower() for name in args.service) if args.service else None
    return Selection(args.since, args.until, vendors, services)


def run(args: argparse.Namespace) -> int:
    output = _choose_format(args)
    paths: list[str] = args.paths or ["-"]
    if args.top is not None and output != "table":
        return _error("--top lists codes in the table: use it without --format jsonl")
    if args.since is not None and args.until is not None and args.since >= args.until:
        return _error("--since must be earlier than --until")
    if args.output is not None:
        problem = check_target(args.output, paths)
        if problem is not None:
            return _error(problem)
    try:
        cat = catalog.load(args.overlay)
        extractor = Extractor(
            cat,
            patterns=args.pattern,
            include_status=args.include_status,
            max_record_bytes=args.max_record_bytes,
        )
        selection = _selection(args, cat)
    except (catalog.CatalogError, GrokError, ValueError) as exc:
        return _error(str(exc))
    heap.settle_after_start_up()
    summary = Summary(selection)
    sink: AtomicFile | BinaryIO = (
        AtomicFile(args.output) if args.output is not None else sys.stdout.buffer
    )
    try:
        status = _read_all(args, paths, extractor, summary, sink if output == "jsonl" else None)
        if output == "table":
            sink.write(render(summary, cat, args.top or TOP_CODES).encode())
        else:
            _jsonl_notes(summary)
        if isinstance(sink, AtomicFile):
            sink.commit()
        else:
            sink.flush()
    except BaseException:
        if isinstance(sink, AtomicFile):
            sink.discard()
        raise
    _service_notes(summary)
    return status


def _read_all(
    args: argparse.Namespace,
    paths: list[str],
    extractor: Extractor,
    summary: Summary,
    sink: AtomicFile | BinaryIO | None,
) -> int:
    """Scan every input (then follow the growing ones); 1 when one could not be read."""
    write = sink.write if sink is not None else None
    progress = Progress(sys.stderr) if sys.stderr.isatty() and not args.follow else None
    if "-" in paths and sys.stdin.isatty():
        _note("reading log records from the terminal; end with Ctrl-D (or name files to read)")
    status = 0
    followed: list[str] = []
    try:
        for path in paths:
            try:
                with open_input(path) as stream:
                    if args.follow and path != "-" and not isinstance(stream, gzip.GzipFile):
                        followed.append(path)  # read by follow(), which reopens it by name
                        continue
                    summary.files += 1
                    _scan(stream, path, extractor, summary, write, progress)
            except BrokenPipeError:
                raise  # the reader left (`scan | head`): stop quietly, see processor/cli.py
            except (OSError, EOFError, gzip.BadGzipFile) as exc:
                if args.follow and path != "-" and isinstance(exc, FileNotFoundError):
                    followed.append(path)  # tail -F waits for it
                    continue
                reason = getattr(exc, "strerror", None) or str(exc)
                _note(f"{path}: {reason}")
                status = 1
    finally:
        if progress is not None:
            progress.close()
    if followed:
        summary.files += len(followed)
        _follow(followed, extractor, summary, sink)
    return status


def _follow(
    paths: list[str], extractor: Extractor, summary: Summary, sink: AtomicFile | BinaryIO | None
) -> None:
    """Follow `paths` until SIGINT or SIGTERM (a second one stops at once)."""
    stop = threading.Event()

    def scan_pass(stream: BinaryIO, name: str, line_base: int) -> None:
        _scan(stream, name, extractor, summary, sink.write if sink else None, None, line_base)
        if sink is not None:
            sink.flush()  # events as they come, for `scan --follow | jq`

    def handle(signum: int, frame: types.FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        follow.follow(paths, scan_pass, _note, stop.wait)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _jsonl_notes(summary: Summary) -> None:
    """What the events on stdout do not show: undecodable records, errors left out unplaced."""
    undecodable = summary.outcomes["undecodable"]
    if undecodable:
        reasons = ", ".join(f"{r}: {n:,}" for r, n in summary.reasons.most_common())
        _note(f"{undecodable:,} of {summary.records:,} records undecodable ({reasons})")
    if summary.left_out_untimed:
        _note(
            f"{summary.left_out_untimed:,} errors left out by --since/--until: "
            "their records carry no time"
        )


def _service_notes(summary: Summary) -> None:
    services = summary.selection.services
    if services is None:
        return
    from vendor_errors.processor.suggestions import did_you_mean

    kept = {service for _, service in summary.services}
    for name in sorted(services - {service.lower() for service in kept}):
        hint = did_you_mean(name, summary.services_seen | kept)
        _note(f"no error was logged by service {name!r}{hint}")
