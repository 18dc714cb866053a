"""The processor's seams: where records come from (Source), where outputs go (Outbox, Sink),
and what flows between them (Work).

The loop in app.py knows only these. A Kafka client is one module per role behind them
(kafka_python/source.py and outbox.py, librdkafka/source.py and outbox.py); the unit tests put
in-memory fakes there.

    Source.poll -> Polled -> Transform -> Work -> sinks written at dispatch
        (their Outputs, handed to the Outbox: the broker's acknowledgement gates the commit)
    -> acknowledged -> sinks written after delivery (metrics, spans) -> Source.mark_done
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple, Protocol, TypeVar

if TYPE_CHECKING:  # the producer child loads this module, and needs none of the parsers
    from vendor_errors.parsers import Finding

# A partition: (topic, partition number). kafka-python's TopicPartition is such a tuple.
Partition = tuple[str, int]
Headers = list[tuple[str, bytes]]
# A record the broker refuses as too large is sent again through this, once (see dead_letter).
Shrink = Callable[[bytes, Headers], tuple[bytes, Headers]]
# An outbox's receipt for one batch's outputs, whatever it needs to follow them (opaque to the
# loop, which drops it when the batch is done or given up).
TicketT = TypeVar("TicketT")


class ClientError(Exception):
    """The Kafka client could not start: the cluster unreachable, a configuration it refuses."""

    @classmethod
    def unreachable(
        cls, servers: Sequence[str], security_protocol: str, timeout_seconds: float, error: object
    ) -> ClientError:
        """No broker answered at start: what was tried, and which settings to check."""
        return cls(
            f"no Kafka broker answered within {timeout_seconds:g}s "
            f"(kafka.connect_timeout_seconds) at {', '.join(servers)}: check "
            f"kafka.bootstrap_servers (VENDOR_ERRORS_KAFKA__BOOTSTRAP_SERVERS), "
            f"kafka.security_protocol ({security_protocol}) and the network; last error: {error}"
        )


class DeliveryError(Exception):
    """Some output of a batch was not acknowledged by the broker; the batch must be re-read."""


# -- in: the source --------------------------------------------------------------------------


class Record(NamedTuple):
    """One input record, as the dead-letter topic and the spans need it (values are read in bulk
    through Polled.values)."""

    value: bytes
    key: bytes | None
    headers: Headers
    timestamp_ms: int | None


class Polled(Protocol):
    """One poll's records, of one partition or several, as the client handed them over (each
    partition's in offset order; never empty). The parsers read every value in one go; only
    the records that hold something are looked at one by one (`origin`, `record`)."""

    @property
    def values(self) -> Sequence[bytes]:
        """Every record's value, a tombstone's as b"" (what the parsers read, in one go)."""

    @property
    def ranges(self) -> Mapping[Partition, tuple[int, int]]:
        """Per partition: its first offset here, and the offset after its last record (what to
        commit once they are all done)."""

    @property
    def counts(self) -> Mapping[str, int]:
        """How many of the records come from each topic."""

    def origin(self, index: int) -> tuple[str, int, int]:
        """Record `index`'s topic, partition and offset."""

    def record(self, index: int) -> Record: ...


class Source(Protocol):
    """A consumer group member. Commits only what `mark_done` was given, never more."""

    @property
    def assigned(self) -> Collection[Partition]: ...
    def poll(self, timeout_ms: int) -> Polled | None:
        """The next records (None on a timeout); done offsets are committed from here, at the
        source's own pace, without blocking."""

    def seek(self, offsets: Mapping[Partition, int]) -> None:
        """Read from these offsets again (partitions no longer assigned are ignored)."""

    def mark_done(self, next_offsets: Mapping[Partition, int]) -> None:
        """Everything before these offsets is delivered and counted: it may be committed."""

    def commit(self, timeout_ms: int) -> bool:
        """Commit what is done and wait for the broker (shutdown); False if it did not happen."""

    def lag(self, timeout_ms: int) -> dict[Partition, int] | None:
        """Records behind each assigned partition's end; None when it could not be measured."""

    def close(self, timeout_ms: int) -> None: ...


# -- out: the outbox and the sinks ------------------------------------------------------------


class Output(NamedTuple):
    """A record to produce."""

    topic: str
    value: bytes
    key: bytes | None = None
    headers: Headers | None = None
    shrink: Shrink | None = None


class Outbox(Protocol[TicketT]):
    """One producer behind every output topic, acknowledging a batch's outputs as a whole."""

    def submit(self, outputs: list[Output]) -> TicketT:
        """Produce a batch's outputs. May raise DeliveryError (refused outright)."""

    def check(self, ticket: TicketT) -> bool:
        """True once every output of the ticket is acknowledged; DeliveryError if one failed.
        The loop checks tickets in the order they were given, and never one given up before."""

    def wait(self, ticket: TicketT, deadline: float, still_waiting: Callable[[], bool]) -> None:
        """Block until `check(ticket)`; `still_waiting` runs every half second or so and returns
        False to give up, as passing `deadline` (time.monotonic) does: DeliveryError."""

    def close(self, timeout_seconds: float) -> None: ...


class Found(NamedTuple):
    """A vendor error and the Kafka record it was read from: what a span is made of."""

    finding: Finding
    topic: str
    partition: int
    offset: int
    key: bytes | None
    record_timestamp_ms: int | None


class Undecodable(NamedTuple):
    """A record the parsers could not decode, and why: a dead letter."""

    record: Record
    reason: str
    topic: str
    partition: int
    offset: int


@dataclass(slots=True)
class Work:
    """What records produced: one batch as it is dispatched, or delivered batches merged.

    `undecodable` and `outputs` belong to one dispatched batch; delivered work leaves them out
    (dead letters are written at dispatch) and adds `durations`.
    """

    # topic -> parser outcome ("error_found", "no_error", "undecodable") -> records
    outcomes: dict[str, Counter[str]] = field(default_factory=dict)
    findings: list[Found] = field(default_factory=list)
    undecodable: list[Undecodable] = field(default_factory=list)
    # Written by the sinks at dispatch; the batch is delivered once the outbox acknowledged them.
    outputs: list[Output] = field(default_factory=list)
    # (topic, seconds from poll to delivery) per topic of each delivered batch.
    durations: list[tuple[str, float]] = field(default_factory=list)

    @property
    def records(self) -> int:
        return sum(outcomes.total() for outcomes in self.outcomes.values())


class Sink(Protocol):
    """Where findings go: the enriched topic, the dead-letter topic, metrics, spans.

    A sink with `at_dispatch` writes a batch's `outputs` (for the outbox) as the batch is
    dispatched: the batch is done only once the broker acknowledged them. The others write
    batches once they are delivered, before their offsets may be committed.
    """

    @property
    def at_dispatch(self) -> bool: ...
    def write(self, work: Work) -> None: ...
    def flush(self, timeout_seconds: float) -> bool:
        """Hand on what was written (export, push) within the time; False if not all was."""

    def close(self, timeout_seconds: float) -> None:
        """Flush, then release (children, connections) within the time."""
