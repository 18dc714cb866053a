"""Cost of the privacy policy per error record, beside baselines measured in the same run.

    python bench/bench_privacy.py [--records 20000] [--repeat 5] [--pii 0.2]

Generates the error records of bench/bench_scan.py (every vendor's body shapes, URLs, W3C
ids) and has the parser turn them into findings. A share `--pii` of them quote a recipient in
the vendor's message (a phone number in one of several forms, an e-mail address, a callback URL
with a token), each one different. Then, on one core, times per error record:

- baseline 1: `orjson.dumps(event)`, the cost of writing the event to the enriched topic;
- baseline 2: `Extractor.extract(record)`, the parse that found the error;
- poll loop: what the poll loop's process asks of it per error: the redaction stage
  (`Redactor.finding`: the event for every sink, and the URL) and the metric labels
  (`.code(code, known)`, `.label(service)`, as the label guard calls them);
- span child: what the span exporter's process adds per span (sinks/spans.py): `.code`,
  `.url`, `.attributes(...)` over the span's attributes (the backstop), `.key(key)` (the Kafka
  key) and `.text(message)` (the status);
- each with every message distinct (a vendor outage quoting a different recipient in every
  error: the cache of redacted messages never hits), and with `privacy.redact: false` (length
  limits only; keys are hashed anyway).

Each figure is the best of `--repeat` rounds; a round times each variant once, in turn, so a
burst of load on the shared machine hits all of them alike. Each round starts a new policy
(an empty cache, as after a restart). Not a test: the figures go into docs/privacy.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vendor_errors import catalog
from vendor_errors.parsers import Extractor, Finding
from vendor_errors.processor.privacy import Redactor

from bench.bench_scan import error_record

# Where the vendor's message sits in the records bench_scan.py makes.
MESSAGE_KEYS = ("message", "Description", "detail")
Item = tuple[Finding, bytes]


def _recipient(rng: random.Random, n: int) -> str:
    """One recipient, different for every `n`, in one of the forms logs show."""
    number = f"1415555{n % 10_000:04d}"
    return rng.choice(
        (
            f"+{number}",
            f"MSISDN:{number}",
            f"({number[1:4]}) {number[4:7]}-{number[7:]}",
            f"user{n}@example.com",
            f"https://hooks.example.com/cb/{number}?token=t{n:08x}&sig=s{n:08x}",
        )
    )


def _quote(record: Any, recipient: str) -> bool:
    """Append the recipient to the vendor message of `record`, wherever it is."""
    if isinstance(record, dict):
        for key, value in record.items():
            if key in MESSAGE_KEYS and isinstance(value, str):
                record[key] = f"{value} ({recipient})"
                return True
            if _quote(value, recipient):
                return True
    elif isinstance(record, list):
        return any(_quote(item, recipient) for item in record)
    return False


def make_records(count: int, pii: float, seed: int = 7) -> list[bytes]:
    rng = random.Random(seed)
    records = []
    for n in range(count):
        record = error_record(rng, "2024-05-03T08:30:00.123Z")
        if rng.random() < pii:
            _quote(record, _recipient(rng, n))
        records.append(orjson.dumps(record))
    return records


def make_items(records: list[bytes], extractor: Extractor) -> list[Item]:
    items = []
    for n, raw in enumerate(records):
        source = {"topic": "app-logs", "partition": n % 12, "offset": n}
        key = f"order-{n}".encode() if n % 5 else f"+1415555{n % 10_000:04d}".encode()
        for finding in extractor.extract(raw, source).findings:
            items.append((finding, key))
    return items


def dumps(items: list[Item], _: Redactor) -> None:
    for finding, _key in items:
        orjson.dumps(finding.event)


def poll_loop(items: list[Item], redactor: Redactor) -> None:
    for finding, _key in items:
        event = redactor.finding(finding).event  # the redaction stage (privacy/stage.py)
        redactor.code(event["code"], event["known"])  # the label guard (sinks/metrics.py)
        redactor.label(event.get("service") or "")


def span_child(items: list[Item], redactor: Redactor) -> None:
    for finding, key in items:  # as sinks/spans.py describes a span, after the stage
        event = finding.event
        code = redactor.code(event["code"], event["known"])
        url = redactor.url(finding.url) if finding.url else None
        redactor.attributes(
            {
                "vendor_error.vendor": event["vendor"],
                "vendor_error.code": code,
                "vendor_error.channel": event["channel"] or "",
                "vendor_error.category": event["category"],
                "vendor_error.severity": event["severity"],
                "error.type": code,
                "peer.service": event["vendor"],
                "messaging.system": "kafka",
                "messaging.operation.type": "process",
                "messaging.consumer.group.name": "vendor-errors",
                "messaging.destination.name": "app-logs",
                "messaging.destination.partition.id": "3",
                "url.full": url,
                "vendor_error.service": event.get("service") or "",
                "vendor_error.correlation_id": event["correlation_id"] or "",
            }
        )
        redactor.key(key)
        redactor.text(event["message"])


def _time(run: Callable[[], int]) -> float:
    start = time.perf_counter()
    count = run()
    return (time.perf_counter() - start) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pii", type=float, default=0.2, help="share quoting a recipient")
    args = parser.parse_args()
    extractor = Extractor(catalog.load())
    records = make_records(args.records, args.pii)
    items = make_items(records, extractor)
    unique = [
        (dataclasses.replace(f, event={**f.event, "message": f"{f.event['message']} #{n}"}), k)
        for n, (f, k) in enumerate(items)
    ]
    # What the span child is handed: findings the stage redacted already.
    staged = Redactor()
    safe_items = [(staged.finding(f), k) for f, k in items]
    safe_unique = [(staged.finding(f), k) for f, k in unique]

    def parse() -> int:
        fresh = Extractor(extractor.catalog)  # nothing learnt by the previous round
        source = {"topic": "app-logs", "partition": 0, "offset": 0}
        for raw in records:
            fresh.extract(raw, source)
        return len(items)

    def timed(
        policy: Callable[[list[Item], Redactor], None],
        data: list[Item],
        make: Callable[[], Redactor],
    ) -> Callable[[], int]:
        def run() -> int:
            policy(data, make())
            return len(data)

        return run

    def baseline() -> int:
        dumps(items, Redactor())
        return len(items)

    variants: dict[str, Callable[[], int]] = {
        "orjson.dumps(event)": baseline,
        "Extractor.extract(record)": parse,
        "poll loop, repeating messages": timed(poll_loop, items, Redactor),
        "poll loop, every message distinct": timed(poll_loop, unique, Redactor),
        "poll loop, redact: false": timed(poll_loop, unique, lambda: Redactor(False)),
        "span child, repeating messages": timed(span_child, safe_items, Redactor),
        "span child, every message distinct": timed(span_child, safe_unique, Redactor),
        "span child, redact: false": timed(span_child, unique, lambda: Redactor(False)),
    }
    best = dict.fromkeys(variants, float("inf"))
    for _ in range(args.repeat):
        for name, run in variants.items():
            best[name] = min(best[name], _time(run))
    dumped, parsed = best["orjson.dumps(event)"], best["Extractor.extract(record)"]
    print(
        f"{len(items)} vendor errors from {len(records)} records, "
        f"{args.pii:.0%} quoting a recipient; best of {args.repeat}"
    )
    print(f"{'':36s}  µs/error  x dumps  x parse")
    for name, seconds in best.items():
        print(f"{name:36s}: {seconds * 1e6:7.2f}  {seconds / dumped:7.1f}  {seconds / parsed:7.2f}")


if __name__ == "__main__":
    main()
