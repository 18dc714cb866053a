"""In-memory fakes behind the processor's protocols (processor/protocols.py): a source with
scripted polls, an outbox whose acknowledgements the test decides, a sink that records what it
was written, and an extractor that reads `err:<code>` / `junk` / anything else."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from vendor_errors.catalog.loader import Catalog
from vendor_errors.parsers import Event, Finding, Result
from vendor_errors.processor.offsets import Ledger
from vendor_errors.processor.protocols import (
    DeliveryError,
    Output,
    Partition,
    Polled,
    Record,
    Work,
)


def event(code: str, topic: str, partition: int, offset: int) -> Event:
    return {
        "vendor": "8x8",
        "code": code,
        "channel": None,
        "http_status": 400,
        "message": "Invalid destination",
        "category": "recipient",
        "severity": "error",
        "transient": False,
        "known": False,
        "timestamp": "2025-01-02T03:04:05Z",
        "trace_id": None,
        "span_id": None,
        "correlation_id": None,
        "service": None,
        "namespace": None,
        "source": {"topic": topic, "partition": partition, "offset": offset},
    }


class FakeExtractor:
    """`err:<code>` is a vendor error, `junk` undecodable, anything else no error."""

    catalog: Catalog  # never read: the fake knows its codes

    def extract(self, raw: bytes | str, source: dict[str, Any]) -> Result:
        value = raw if isinstance(raw, bytes) else raw.encode()
        if value == b"junk":
            return Result("undecodable", reason="binary data")
        if value.startswith(b"err:"):
            origin = (source["topic"], source["partition"], source["offset"])
            return Result("error_found", [Finding(event(value[4:].decode(), *origin))])
        return Result("no_error")


class FakePolled:
    """One poll: runs of values per partition, as a client hands them over (Polled)."""

    def __init__(self, parts: list[tuple[str, int, int, list[bytes]]]) -> None:
        self.values: list[bytes] = []
        self._origins: list[tuple[str, int, int]] = []
        self.ranges: dict[Partition, tuple[int, int]] = {}
        self.counts: Counter[str] = Counter()
        for topic, partition, first, values in parts:
            self.values += values
            self._origins += [(topic, partition, first + n) for n in range(len(values))]
            self.ranges[(topic, partition)] = (first, first + len(values))
            self.counts[topic] += len(values)

    def origin(self, index: int) -> tuple[str, int, int]:
        return self._origins[index]

    def record(self, index: int) -> Record:
        return Record(self.values[index], b"key", [("h", b"1")], 1_700_000_000_000)


@dataclass
class FakeSource:
    """Partitions of values, read `batch` records per partition a poll. `on_poll(source)` runs
    first in each poll: the test's hand on the loop, on the loop's own thread."""

    partitions: dict[Partition, list[bytes]]
    batch: int = 10
    on_poll: Callable[[FakeSource], None] = lambda source: None
    ledger: Ledger = field(default_factory=Ledger)
    position: dict[Partition, int] = field(default_factory=dict)
    polls: int = 0
    seeks: list[dict[Partition, int]] = field(default_factory=list)
    # (committed offsets, records the RecordingSink had counted) at every mark_done
    done_log: list[tuple[dict[Partition, int], int]] = field(default_factory=list)
    counted: Callable[[], int] = lambda: 0
    committed: dict[Partition, int] = field(default_factory=dict)
    closed: bool = False

    @property
    def assigned(self) -> Collection[Partition]:
        return frozenset(self.partitions)

    @property
    def end(self) -> dict[Partition, int]:
        return {tp: len(values) for tp, values in self.partitions.items()}

    def poll(self, timeout_ms: int) -> Polled | None:
        self.polls += 1
        self.on_poll(self)
        self._commit()
        parts = []
        for (topic, partition), values in self.partitions.items():
            start = self.position.get((topic, partition), 0)
            chunk = values[start : start + self.batch]
            if chunk:
                parts.append((topic, partition, start, chunk))
                self.position[(topic, partition)] = start + len(chunk)
        if not parts:
            time.sleep(0.001)
            return None
        return FakePolled(parts)

    def seek(self, offsets: Mapping[Partition, int]) -> None:
        self.seeks.append(dict(offsets))
        self.position.update(offsets)

    def mark_done(self, next_offsets: Mapping[Partition, int]) -> None:
        self.ledger.mark_done(next_offsets, self.assigned)
        self.done_log.append((dict(next_offsets), self.counted()))

    def _commit(self) -> None:
        offsets = self.ledger.uncommitted()
        self.committed.update(offsets)
        self.ledger.confirm(offsets)

    def commit(self, timeout_ms: int) -> bool:
        self._commit()
        return True

    def lag(self, timeout_ms: int) -> dict[Partition, int] | None:
        return {}

    def close(self, timeout_ms: int) -> None:
        self.closed = True


@dataclass
class FakeOutbox:
    """Tickets are numbers; `auto` acknowledges each at its first check, else the test does
    (`acked`, `failed`). `refuse` makes the next submits raise, as a refused send does."""

    auto: bool = True
    refuse: int = 0
    submitted: dict[int, list[Output]] = field(default_factory=dict)
    acked: set[int] = field(default_factory=set)
    failed: set[int] = field(default_factory=set)
    checks: list[int] = field(default_factory=list)
    # wait() acknowledges the ticket it waits for (a broker that answers once waited for).
    ack_on_wait: bool = False
    waits: int = 0
    closed: bool = False

    def submit(self, outputs: list[Output]) -> int:
        if self.refuse:
            self.refuse -= 1
            raise DeliveryError("refused outright")
        ticket = len(self.submitted) + 1
        self.submitted[ticket] = list(outputs)
        return ticket

    def check(self, ticket: int) -> bool:
        self.checks.append(ticket)
        if ticket in self.failed:
            raise DeliveryError(f"ticket {ticket} failed")
        if self.auto:
            self.acked.add(ticket)
        return ticket in self.acked

    def wait(self, ticket: int, deadline: float, still_waiting: Callable[[], bool]) -> None:
        self.waits += 1
        if self.ack_on_wait:
            self.acked.add(ticket)
        while not self.check(ticket):
            time.sleep(0.01)
            if not still_waiting() or time.monotonic() > deadline:
                raise DeliveryError("outputs not acknowledged in time")

    def close(self, timeout_seconds: float) -> None:
        self.closed = True

    def outputs(self, topic: str) -> list[Output]:
        return [o for outputs in self.submitted.values() for o in outputs if o.topic == topic]


@dataclass
class RecordingSink:
    """A sink written after delivery: what it was given, in order."""

    at_dispatch: bool = False
    writes: list[Work] = field(default_factory=list)
    flushed: int = 0
    closed: bool = False

    def write(self, work: Work) -> None:
        self.writes.append(work)

    def flush(self, timeout_seconds: float) -> bool:
        self.flushed += 1
        return True

    def close(self, timeout_seconds: float) -> None:
        self.closed = True

    @property
    def records(self) -> int:
        return sum(work.records for work in self.writes)

    def outcomes(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for work in self.writes:
            for outcomes in work.outcomes.values():
                total.update(outcomes)
        return total

    def error_offsets(self) -> list[tuple[str, int, int]]:
        return [(f.topic, f.partition, f.offset) for w in self.writes for f in w.findings]
