"""Throughput of `vendor-errors scan`, beside two baselines measured in the same run.

    python bench/bench_scan.py [--records 300000] [--repeat 5] [--profile]

Generates JSON application logs (~300 bytes a record) in a temporary directory: one file with
5% vendor errors (every vendor, nested bodies, JSON strings, delivery reports, bare HTTP
failures), one with nothing but vendor errors, and an *outage* file: 5% vendor errors in the
corpus's 218 one-line JSON shapes of all five vendors (tests/parsers/corpus/), each copy with
fresh ids and times in the spelling it had (`freshen`). Then, on one core, times:

- `orjson.loads` on every line (reading the same file): the floor any JSON-log scanner pays;
- a naive scanner: `json.loads` every line plus one regex per vendor;
- `vendor-errors scan --format jsonl` (the real command, events written to /dev/null) on the
  5% file, the outage file and the all-errors file.

Each figure is the best of `--repeat` rounds (default 5); a round times each of them once, in
turn, so that a burst of load on a shared machine hits all of them alike. Each scan starts
with a new extractor, as the command does (nothing learnt by the previous round carries over).
`--profile` adds a cProfile of the scans of the 5%
and the outage files (top entries by own time). Not a test: the figures go into the README.

Last, resident memory (`resident_memory`): the peak RSS of the real command, a new process
per run, with both outputs, on each file, on one more (as many records as the all-errors
file: vendor errors whose keys and texts never repeat, the worst case for the parsers'
caches: `generate_unique`) and on an empty file (start-up), beside the bare orjson loop's
measured the same way; the highest of three runs.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import pstats
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vendor_errors import catalog
from vendor_errors.parsers.extract import Extractor
from vendor_errors.processor import heap
from vendor_errors.processor.cli import main as cli_main
from vendor_errors.processor.commands.scan import Summary, _scan

SERVICES = ("checkout-api", "notify", "sms-gateway", "orders", "auth", "wa-notifier", "billing")
ROUTES = ("/v2/orders/{n}", "/v1/users/{n}/profile", "/healthz", "/v1/carts/{n}", "/v3/search")
MESSAGES = (
    "request completed",
    "cache miss for key user:{n}",
    "published event order.created",
    "connected to postgres primary",
    "sms accepted by provider",
    "token refreshed",
    "retrying in 1000 ms",
    "user {n} logged in",
)
VENDOR_OK = (
    "https://sms.8x8.com/api/v1/subaccounts/acme/messages",
    "https://api.us.webexconnect.io/resources/v1/messaging",
    "https://acme.my.salesforce-scrt.com/api/v1/interactions",
)


def _hex(rng: random.Random, n: int) -> str:
    return f"{rng.getrandbits(4 * n):0{n}x}"


def normal_record(rng: random.Random, ts: str) -> dict:
    n = rng.randrange(1, 99999)
    roll = rng.random()
    level = "info" if roll < 0.93 else ("warn" if roll < 0.98 else "error")
    status = rng.choice((200, 200, 200, 201, 204, 304)) if level != "error" else 500
    url = (
        rng.choice(VENDOR_OK)
        if rng.random() < 0.05
        else f"https://api.internal.example.com{rng.choice(ROUTES).format(n=n)}"
    )
    return {
        "ts": ts,
        "level": level,
        "service": rng.choice(SERVICES),
        "msg": rng.choice(MESSAGES).format(n=n),
        "http": {"method": rng.choice(("GET", "POST")), "url": url, "status_code": status},
        "duration_ms": round(rng.random() * 300, 1),
        "trace_id": _hex(rng, 32),
        "span_id": _hex(rng, 16),
    }


def error_record(rng: random.Random, ts: str) -> dict:
    base = {"ts": ts, "level": "error", "service": rng.choice(SERVICES), "trace_id": _hex(rng, 32)}
    kind = rng.randrange(7)
    if kind == 0:  # 8x8 body as a nested object
        code, message, status = rng.choice(
            (
                (1300, "Not found", 404),
                (1002, "Invalid MSISDN", 400),
                (1400, "Resending interval violation", 429),
            )
        )
        base |= {
            "msg": "8x8 send failed",
            "url": VENDOR_OK[0],
            "status": status,
            "body": {"code": code, "message": message, "errorId": _hex(rng, 32), "timestamp": ts},
        }
    elif kind == 1:  # Webex delivery report
        code, desc = rng.choice(
            (
                ("7101", "Invalid Sender ID"),
                ("7302", "Rate limit exceeded"),
                ("7208", "Message expired"),
            )
        )
        base |= {
            "level": "warn",
            "msg": "delivery report",
            "payload": {
                "deliveryInfo": {
                    "code": code,
                    "Description": desc,
                    "deliveryChannel": "SMS",
                    "deliveryStatus": "Failed",
                },
                "transid": _hex(rng, 32),
            },
        }
    elif kind == 2:  # Salesforce array in a JSON string
        body = [
            {
                "errorCode": "10004",
                "message": "The supplied Authorization access token is not valid.",
            }
        ]
        base |= {
            "msg": "interaction rejected",
            "url": VENDOR_OK[2],
            "status": 401,
            "response_body": json.dumps(body),
        }
    elif kind == 3:  # Dynamics problem details
        base |= {
            "msg": "send activity failed",
            "url": "https://acme.crm.dynamics.com/api/omnichannel/messaging/v1/conversations",
            "status": 400,
            "body": {
                "title": "Bad Request",
                "status": 400,
                "detail": "The provided conversation ID isn't valid.",
                "errorCode": 30005,
            },
        }
    elif kind == 4:  # Pipedrive extension reply
        base |= {
            "level": "warn",
            "msg": "answered pipedrive with error",
            "status": 429,
            "response": {
                "success": False,
                "data": {"message": "throttled", "code": "RATE_LIMIT_EXCEEDED"},
            },
        }
    elif kind == 5:  # bare HTTP failure from a vendor host
        base |= {"msg": "upstream unavailable", "url": VENDOR_OK[1], "status": 503}
    else:  # logfmt in the message
        base |= {
            "msg": 'vendor call failed vendor=8x8 status=403 code=1201 message="Access forbidden"'
        }
    return base


# -- an outage: the corpus's error records again and again, each with fresh ids and times ----

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "parsers" / "corpus"
# What differs between two copies of one error line: ids (UUIDs, hex trace, span and insert
# ids; not a query parameter's value, nor a 64-digit container id) and times (ISO 8601 in any
# precision, Unix epochs in s/ms/us/ns from 2023-2026).
_UUID = re.compile(rb"(?<![0-9A-Za-z])[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_HEX_ID = re.compile(
    rb"(?<![0-9A-Za-z_=-])(?:[0-9a-f]{32}|[0-9a-f]{24}|[0-9a-f]{16})(?![0-9A-Za-z_-])"
)
_ISO = re.compile(rb"\d{4}-\d\d-\d\d([T ])\d\d:\d\d:\d\d(?:([.,])(\d+))?")
_EPOCH = re.compile(rb"(?<![0-9A-Za-z.-])1[67]\d{8}((?:\d{3}){0,3})(?![0-9A-Za-z.])")


def outage_shapes(corpus: Path = CORPUS) -> list[bytes]:
    """The corpus's one-line JSON records that give at least one event: real-world shapes of
    every vendor's errors (tests/parsers/corpus/SOURCES.md)."""
    import yaml  # only the outage needs it (a test dependency)

    shapes = []
    for path in sorted(corpus.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            record = case["record"].strip()
            if case["expect"] and "\n" not in record and record.startswith("{"):
                shapes.append(record.encode())
    return shapes


def freshen(shape: bytes, rng: random.Random, when: float) -> bytes:
    """`shape` logged again at `when` (Unix seconds): each id and time a fresh one, in the
    spelling it had."""

    def uuid(found: re.Match[bytes]) -> bytes:
        new = f"{rng.getrandbits(128):032x}"
        text = "-".join((new[:8], new[8:12], new[12:16], new[16:20], new[20:]))
        return (text.upper() if found.group(0).isupper() else text).encode()

    def hex_id(found: re.Match[bytes]) -> bytes:
        return _hex(rng, len(found.group(0))).encode()

    stamp = time.gmtime(when)

    def iso(found: re.Match[bytes]) -> bytes:
        text = time.strftime(f"%Y-%m-%d{found.group(1).decode()}%H:%M:%S", stamp).encode()
        if found.group(3) is not None:
            digits = len(found.group(3))
            fraction = f"{when % 1:.{digits}f}"[2:]
            text += found.group(2) + fraction.encode()
        return text

    def epoch(found: re.Match[bytes]) -> bytes:
        scale = 1000 ** (len(found.group(1)) // 3)
        return str(int(when * scale)).encode()

    shape = _UUID.sub(uuid, shape)
    shape = _HEX_ID.sub(hex_id, shape)
    shape = _ISO.sub(iso, shape)
    return _EPOCH.sub(epoch, shape)


def generate(
    path: Path, records: int, error_share: float, seed: int = 7, outage: bool = False
) -> int:
    """`records` JSON log lines, `error_share` of them vendor errors: the bench's few shapes,
    or with `outage` the corpus's (`outage_shapes`), each copy with fresh ids and times."""
    rng = random.Random(seed)
    shapes = outage_shapes() if outage else []
    size = 0
    with path.open("wb") as out:
        for i in range(records):
            ts = f"2024-05-01T12:{(i // 60000) % 60:02d}:{(i // 1000) % 60:02d}.{i % 1000:03d}Z"
            if rng.random() >= error_share:
                line = orjson.dumps(normal_record(rng, ts)) + b"\n"
            elif outage:
                line = freshen(rng.choice(shapes), rng, 1714564800 + i / 1000) + b"\n"
            else:
                line = orjson.dumps(error_record(rng, ts)) + b"\n"
            size += len(line)
            out.write(line)
    return size


# -- what is measured ----------------------------------------------------------------------


def bare_orjson(path: Path) -> int:
    loads = orjson.loads
    count = 0
    with path.open("rb") as stream:
        for line in stream:
            loads(line)
            count += 1
    return count


NAIVE_PATTERNS = {
    "dynamics365": re.compile(r'"errorCode":\s*"?(300\d\d)'),
    "salesforce": re.compile(r'"errorCode\\?":\s*\\?"?(1\d{4}|2\d{4})'),
    "pipedrive": re.compile(r'"code":\s*"([A-Z_]+)"'),
    "8x8": re.compile(r'"code":\s*([123]\d{3})\b'),
    "webex": re.compile(r'"code":\s*"(7\d{3}|9\d{3})"'),
}


def naive(path: Path) -> int:
    count = 0
    patterns = tuple(NAIVE_PATTERNS.items())
    with path.open("rb") as stream:
        for line in stream:
            json.loads(line)
            text = line.decode("utf-8", "replace")
            for _vendor, pattern in patterns:
                pattern.search(text)
            count += 1
    return count


_EXTRACTOR: Extractor | None = None


def start_up() -> Extractor:
    """What `vendor-errors scan` does once before reading: load the catalog, compile patterns,
    settle the heap (processor/heap.py)."""
    extractor = Extractor(catalog.load())
    heap.settle_after_start_up()
    return extractor


def scan(path: Path) -> int:
    """The loop of `vendor-errors scan --format jsonl` (processor/commands/scan.py), events
    serialised and written to /dev/null; start-up is measured apart (see start_up)."""
    summary = Summary()
    with path.open("rb") as stream, open(os.devnull, "wb") as null:
        _scan(stream, str(path), _EXTRACTOR, summary, null.write, None)  # type: ignore[arg-type]
    return summary.records


def timed(run: Callable[[Path], int], path: Path) -> float:
    if run is scan:
        # Each scan starts as the command does, with a new extractor: nothing it learnt from
        # the previous run (templates of repeated records, caches) carries over.
        global _EXTRACTOR
        _EXTRACTOR = start_up()
    started = time.perf_counter()
    run(path)
    return time.perf_counter() - started


def best_of_interleaved(repeat: int, runs: list[tuple[Callable[[Path], int], Path]]) -> list[float]:
    """The best time of each run over `repeat` rounds; every round times each run once, in
    turn, so that a burst of load on this shared machine hits all of them alike."""
    best = [float("inf")] * len(runs)
    for _ in range(repeat):
        for index, (run, path) in enumerate(runs):
            best[index] = min(best[index], timed(run, path))
    return best


def count_events(path: Path, by_vendor: bool = False) -> Any:
    """The events `vendor-errors scan` finds in `path` (by vendor: a Counter)."""
    events = path.with_suffix(".events")
    with events.open("w") as out, contextlib.redirect_stdout(out):
        cli_main(["scan", str(path), "--format", "jsonl"])
    lines = events.read_bytes().splitlines()
    if by_vendor:
        return Counter(orjson.loads(line)["vendor"] for line in lines)
    return len(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        mixed, errors = Path(tmp, "mixed.jsonl"), Path(tmp, "errors.jsonl")
        outage = Path(tmp, "outage.jsonl")
        size = generate(mixed, args.records, 0.05)
        error_records = max(args.records // 5, 1000)
        generate(errors, error_records, 1.0, seed=11)
        outage_size = generate(outage, args.records, 0.05, seed=13, outage=True)
        print(
            f"mixed file: {args.records:,} records, {size / args.records:.0f} bytes/record, "
            f"5% vendor errors -> {count_events(mixed):,} events"
        )
        by_vendor = count_events(outage, by_vendor=True)
        print(
            f"outage file: {args.records:,} records, {outage_size / args.records:.0f} "
            f"bytes/record, 5% vendor errors in {len(outage_shapes())} shapes of the corpus, "
            f"fresh ids and times -> {sum(by_vendor.values()):,} events "
            f"({', '.join(f'{vendor} {n:,}' for vendor, n in sorted(by_vendor.items()))})"
        )
        empty = Path(tmp, "empty.log")
        empty.write_bytes(b"")
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "vendor_errors.processor.cli",
                "scan",
                "--format",
                "jsonl",
                str(empty),
            ],
            cwd=Path(__file__).resolve().parents[1],
            check=True,
        )
        print(
            f"start-up of the command (process, imports, catalog, patterns): "
            f"{time.perf_counter() - started:.2f} s, once per run; not in the figures below"
        )
        n = args.records
        floor, naive_time, scan_time, outage_time, errors_time = best_of_interleaved(
            args.repeat,
            [(bare_orjson, mixed), (naive, mixed), (scan, mixed), (scan, outage), (scan, errors)],
        )
        print(f"{'bare orjson.loads loop':<34}{n / floor:>12,.0f} records/s")
        print(f"{'naive json.loads + regex/vendor':<34}{n / naive_time:>12,.0f} records/s")
        print(f"{'vendor-errors scan (5% errors)':<34}{n / scan_time:>12,.0f} records/s")
        per_record, per_line = scan_time / n * 1e6, floor / n * 1e6
        print(f"{'  per record':<34}{per_record:>12.2f} us (bare loop {per_line:.2f} us)")
        print(f"{'vendor-errors scan (5%, outage)':<34}{n / outage_time:>12,.0f} records/s")
        all_errors = error_records / errors_time
        print(f"{'vendor-errors scan (all errors)':<34}{all_errors:>12,.0f} records/s")
        print(
            f"scan / bare orjson loop: {floor / scan_time:.2f}x "
            f"(outage file {floor / outage_time:.2f}x)"
        )
        print(f"scan / naive baseline:   {naive_time / scan_time:.2f}x")
        if args.profile:
            for name, path in (("5%", mixed), ("outage", outage)):
                profiler = cProfile.Profile()
                profiler.runcall(scan, path)
                print(f"\nprofile of the {name} file (top 15 by own time):")
                stats = pstats.Stats(profiler, stream=sys.stdout)
                stats.sort_stats("tottime").print_stats(15)
        unique = Path(tmp, "unique.jsonl")
        generate_unique(unique, error_records)
        files = {"5% file": mixed, "outage file": outage, "all-errors file": errors}
        resident_memory(files | {"unique file": unique}, empty, rounds=min(args.repeat, 3))


# -- resident memory ---------------------------------------------------------------------------

# Each run reports its own peak (VmHWM) when done, on the file descriptor in BENCH_PEAK_FD:
# the rusage of a child would count the pages of this process it was forked from.
_REPORT_PEAK = """\
import os
with open("/proc/self/status") as status:
    peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
os.write(int(os.environ["BENCH_PEAK_FD"]), peak.encode())
"""
BARE_LOOP = """\
import sys
import orjson
loads = orjson.loads
with open(sys.argv[1], "rb") as stream:
    for line in stream:
        loads(line)
"""
# What the `vendor-errors` command runs (its console script), arguments after the code.
SCAN = "import sys\nfrom vendor_errors.processor.cli import main\nmain(sys.argv[1:])\n"


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None  # the corpus has cut-off records too
    return value if isinstance(value, dict) else None


def generate_unique(path: Path, records: int, seed: int = 17) -> None:
    """Vendor errors (the bench's shapes and the corpus's objects, in turn) whose keys and
    texts never repeat: each record has a field of its own, a new name and new words. The
    worst case for every cache of the parsers (keys, texts, templates, repeated lines): they
    fill up and start over."""
    rng = random.Random(seed)
    shapes = [shape for shape in outage_shapes() if _json_object(shape) is not None]
    with path.open("wb") as out:
        for i in range(records):
            ts = f"2024-05-01T12:{(i // 60000) % 60:02d}:{(i // 1000) % 60:02d}.{i % 1000:03d}Z"
            record = None
            if i % 2 == 0:
                record = _json_object(freshen(rng.choice(shapes), rng, 1714564800 + i / 1000))
            if record is None:
                record = error_record(rng, ts)
            words = " ".join(f"w{rng.getrandbits(20)}" for _ in range(rng.randrange(1, 30)))
            record[f"k{rng.getrandbits(40):x}"] = f"note {words}"
            out.write(orjson.dumps(record) + b"\n")


def peak_rss(code: str, *args: str) -> int:
    """The peak resident set (bytes) of a new interpreter running `code` with `args`, its
    standard output to /dev/null."""
    read, write = os.pipe()
    with os.fdopen(read, "rb") as report, open(os.devnull, "wb") as null:
        try:
            subprocess.run(
                [sys.executable, "-c", f"{code}\n{_REPORT_PEAK}", *args],
                stdout=null,
                pass_fds=(write,),
                env={**os.environ, "BENCH_PEAK_FD": str(write)},
                cwd=Path(__file__).resolve().parents[1],
                check=True,
            )
        finally:
            os.close(write)  # the child's copy is closed: the read ends with its report
        return int(report.read()) * 1024


def resident_memory(files: dict[str, Path], empty: Path, rounds: int = 3) -> None:
    """Peak RSS of the real `vendor-errors scan` (a new process each time, both outputs) on each
    file and on an empty one (start-up), beside the bare orjson loop's, measured the same way
    on the first file; the highest of `rounds` runs."""
    first = next(iter(files.values()))
    runs: list[tuple[str, tuple[str, ...]]] = [
        ("bare orjson.loads loop", (BARE_LOOP, str(first))),
        ("scan, empty file (start-up)", (SCAN, "scan", str(empty), "--format", "jsonl")),
    ]
    for name, path in files.items():
        for output in ("jsonl", "table"):
            runs.append(
                (f"scan --format {output}, {name}", (SCAN, "scan", str(path), "--format", output))
            )
    peaks = [0] * len(runs)
    for _ in range(rounds):
        for index, (_name, command) in enumerate(runs):
            peaks[index] = max(peaks[index], peak_rss(*command))
    print(f"\npeak resident memory, highest of {rounds} runs (each a new process):")
    for (name, _command), peak in zip(runs, peaks, strict=True):
        print(f"  {name:<40}{peak / 2**20:>7.1f} MiB {peak / peaks[0]:>6.2f}x the bare loop")


if __name__ == "__main__":
    main()
