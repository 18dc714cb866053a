"""The at-least-once rules of the poll loop (processor/app.py), with in-memory fakes behind its
protocols (tests/processor/fakes.py), no broker: a batch is delivered once its outputs are
acknowledged, batches finish in poll order, a failed delivery re-reads, what is committed has
been counted (once), and shutdown keeps its bound."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

import pytest
from vendor_errors.processor import app
from vendor_errors.processor.app import Processor
from vendor_errors.processor.offsets import Ledger
from vendor_errors.processor.protocols import Partition, Sink
from vendor_errors.processor.sinks.dead_letter import DeadLetterSink
from vendor_errors.processor.sinks.enriched_topic import EnrichedTopicSink
from vendor_errors.processor.transform import Transform

from tests.processor.fakes import FakeExtractor, FakeOutbox, FakeSource, RecordingSink

POLL_LIMIT = 5_000  # a loop that never finishes fails the test instead of hanging it


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app, "PUBLISH_INTERVAL_SECONDS", 0.0)
    monkeypatch.setattr(app, "RETRY_BACKOFF_SECONDS", 0.0)


def values(count: int, error_every: int = 4, junk_every: int = 9) -> list[bytes]:
    out = []
    for n in range(count):
        if n % junk_every == junk_every - 1:
            out.append(b"junk")
        elif n % error_every == 0:
            out.append(f"err:{n}".encode())
        else:
            out.append(b'{"msg": "ok"}')
    return out


def errors_in(partitions: dict[Partition, list[bytes]]) -> list[tuple[str, int, int]]:
    return sorted(
        (topic, partition, offset)
        for (topic, partition), vals in partitions.items()
        for offset, value in enumerate(vals)
        if value.startswith(b"err:")
    )


def make(
    source: FakeSource,
    outbox: FakeOutbox,
    shutdown_seconds: float = 5.0,
    max_in_flight_bytes: int = 32 << 20,
) -> tuple[Processor, RecordingSink]:
    recorder = RecordingSink()
    sinks: list[Sink] = [EnrichedTopicSink("enriched"), DeadLetterSink("dlq")]
    sinks.append(recorder)
    source.counted = lambda: recorder.records
    processor = Processor(
        source,
        Transform(FakeExtractor()),
        outbox=outbox,
        sinks=sinks,
        shutdown_timeout_seconds=shutdown_seconds,
        max_in_flight_bytes=max_in_flight_bytes,
    )
    return processor, recorder


def script(
    processor: Processor, step: Callable[[FakeSource], None] = lambda source: None
) -> Callable[[FakeSource], None]:
    """Runs `step` at every poll; stops the processor once everything is committed."""

    def on_poll(source: FakeSource) -> None:
        if source.polls > POLL_LIMIT:
            raise AssertionError("the loop never committed everything")
        step(source)
        if source.committed == source.end:
            processor.stop()

    return on_poll


def assert_committed_only_what_was_counted(source: FakeSource) -> None:
    """At every mark_done, the records counted so far cover every offset marked done: the
    partitions here start at 0, so the offsets add up to the records counted, exactly."""
    done: dict[Partition, int] = {}
    assert source.done_log
    for offsets, counted in source.done_log:
        done.update(offsets)
        assert sum(done.values()) == counted


def test_each_record_is_counted_once_and_committed_after_it_was_counted() -> None:
    partitions = {("logs", 0): values(95), ("logs", 1): values(40), ("web", 0): values(7)}
    source, outbox = FakeSource(partitions, batch=10), FakeOutbox()
    processor, recorder = make(source, outbox)
    source.on_poll = script(processor)
    processor.run()

    assert source.committed == source.end == {("logs", 0): 95, ("logs", 1): 40, ("web", 0): 7}
    junk = sum(v == b"junk" for vals in partitions.values() for v in vals)
    errors = errors_in(partitions)
    assert recorder.outcomes() == Counter(
        error_found=len(errors), undecodable=junk, no_error=142 - len(errors) - junk
    )
    assert sorted(recorder.error_offsets()) == errors  # each once
    assert_committed_only_what_was_counted(source)
    # The outputs of the sinks written at dispatch went through the outbox, every one once.
    enriched = outbox.outputs("enriched")
    assert sorted(o.key or b"" for o in enriched) == sorted(f"8x8:{e[2]}".encode() for e in errors)
    dead = outbox.outputs("dlq")
    assert len(dead) == junk and all(o.value == b"junk" and o.shrink for o in dead)
    assert {dict(o.headers or [])["vendor-errors.reason"] for o in dead} == {b"binary data"}
    assert source.closed and outbox.closed and recorder.closed


def test_a_failed_delivery_rereads_from_the_batch_and_counts_nothing_twice() -> None:
    partitions = {("logs", 0): values(60)}
    source, outbox = FakeSource(partitions, batch=10), FakeOutbox(auto=False)
    processor, recorder = make(source, outbox)
    fail_once = {2}

    def broker(source: FakeSource) -> None:  # ticket 2 fails once; everything else goes through
        for ticket in outbox.submitted:
            if ticket in fail_once:
                fail_once.discard(ticket)
                outbox.failed.add(ticket)
            elif ticket not in outbox.failed:
                outbox.acked.add(ticket)

    source.on_poll = script(processor, broker)
    processor.run()

    # Batch 2 (offsets 10-19) failed: read again from its first offset.
    assert source.seeks and source.seeks[0] == {("logs", 0): 10}
    assert source.committed == {("logs", 0): 60}
    assert sorted(recorder.error_offsets()) == errors_in(partitions)  # counted once each
    assert recorder.records == 60
    assert_committed_only_what_was_counted(source)
    # At least once: the failed batch's events were produced again.
    keys = Counter(o.key for o in outbox.outputs("enriched"))
    assert {key for key, n in keys.items() if n > 1} >= {b"8x8:12", b"8x8:16"}
    assert set(keys) == {b"8x8:" + str(e[2]).encode() for e in errors_in(partitions)}


def test_a_send_refused_outright_rereads_the_batch() -> None:
    partitions = {("logs", 0): values(30)}
    source, outbox = FakeSource(partitions, batch=10), FakeOutbox(refuse=1)
    processor, recorder = make(source, outbox)
    source.on_poll = script(processor)
    processor.run()
    assert source.seeks[0] == {("logs", 0): 0}
    assert source.committed == {("logs", 0): 30} and recorder.records == 30
    assert sorted(recorder.error_offsets()) == errors_in(partitions)


def test_batches_are_delivered_in_poll_order_whatever_order_they_are_acknowledged() -> None:
    partitions = {("logs", 0): values(30, junk_every=1000)}
    source, outbox = FakeSource(partitions, batch=10), FakeOutbox(auto=False)
    processor, recorder = make(source, outbox)
    seen: dict[int, tuple[int, list[dict[Partition, int]]]] = {}

    def broker(source: FakeSource) -> None:
        seen[source.polls] = (len(recorder.writes), [o for o, _ in source.done_log])
        if source.polls == 4:  # three batches in flight: the two later ones are acknowledged
            outbox.acked.update({2, 3})
        elif source.polls == 6:
            outbox.acked.add(1)

    source.on_poll = script(processor, broker)
    processor.run()
    # Polls 5 and 6: batches 2 and 3 acknowledged, batch 1 not: nothing delivered or done.
    assert seen[5] == seen[6] == (0, [])
    # Then all three at once, in poll order, done up to the end of the third.
    writes, done = seen[7]
    assert writes == 1 and done == [{("logs", 0): 30}]
    offsets = [offset for _, _, offset in recorder.error_offsets()]
    assert offsets == sorted(offsets) == [n for n in range(30) if n % 4 == 0]
    assert outbox.checks[:3] == [1, 1, 1]  # the oldest is checked first, the others wait


def test_past_the_bytes_in_flight_the_loop_stops_polling_and_drops_nothing() -> None:
    # Every record an error: each batch of 10 holds 10 findings and 10 enriched events.
    partitions = {("logs", 0): [f"err:{n}".encode() for n in range(200)]}
    # The broker answers a batch only when the loop waits for it (until the input is all read).
    source, outbox = FakeSource(partitions, batch=10), FakeOutbox(auto=False, ack_on_wait=True)
    bound = 4 * 10 * app.FINDING_BYTES  # about four batches
    processor, recorder = make(source, outbox, max_in_flight_bytes=bound)
    held_at_poll: list[int] = []

    def watch(source: FakeSource) -> None:
        held_at_poll.append(processor._in_flight_bytes)
        if source.position == source.end:  # all read: the broker answers the rest
            outbox.acked.update(outbox.submitted)

    source.on_poll = script(processor, watch)
    processor.run()
    # It polled only while under the bound, and waited for the broker instead of polling on.
    assert max(held_at_poll) < bound <= max(held_at_poll) + 10 * (app.FINDING_BYTES + 200)
    assert outbox.waits >= 15
    assert source.committed == {("logs", 0): 200} and recorder.records == 200
    assert sorted(recorder.error_offsets()) == errors_in(partitions)
    assert len(outbox.outputs("enriched")) == 200  # every event produced, none dropped


def test_stop_finishes_the_batches_in_flight_and_commits_them() -> None:
    source, outbox = FakeSource({("logs", 0): values(100)}, batch=10), FakeOutbox()
    processor, recorder = make(source, outbox)

    def stop_after_three(source: FakeSource) -> None:
        if source.polls == 3:
            processor.stop()

    source.on_poll = stop_after_three
    processor.run()
    read = source.position[("logs", 0)]
    assert read == 30
    assert source.committed == {("logs", 0): read} and recorder.records == read


def test_shutdown_keeps_its_bound_when_outputs_are_never_acknowledged() -> None:
    source, outbox = FakeSource({("logs", 0): values(100)}, batch=10), FakeOutbox(auto=False)
    processor, recorder = make(source, outbox, shutdown_seconds=2.0)
    stopped_at: list[float] = []

    def stop_after_three(source: FakeSource) -> None:
        if source.polls == 3:
            stopped_at.append(time.monotonic())
            processor.stop()

    source.on_poll = stop_after_three
    processor.run()
    assert time.monotonic() - stopped_at[0] < 2.0
    assert source.committed == {} and recorder.writes == []  # nothing counted, nothing committed
    assert source.closed and outbox.closed and recorder.closed


def test_sinks_written_at_dispatch_need_an_outbox() -> None:
    with pytest.raises(ValueError, match="outbox"):
        Processor(
            FakeSource({}),
            Transform(FakeExtractor()),
            sinks=[DeadLetterSink("dlq")],
        )


def test_without_outputs_batches_are_delivered_at_once() -> None:
    source = FakeSource({("logs", 0): values(25)}, batch=10)
    recorder = RecordingSink()
    processor = Processor(source, Transform(FakeExtractor()), sinks=[recorder])
    source.on_poll = script(processor)
    processor.run()
    assert source.committed == {("logs", 0): 25} and recorder.records == 25


def test_flush_asks_every_sink() -> None:
    first, second = RecordingSink(), RecordingSink()
    processor = Processor(FakeSource({}), Transform(FakeExtractor()), sinks=[first, second])
    assert processor.flush(1.0)
    assert first.flushed == second.flushed == 1


def test_the_ledger_commits_only_partitions_still_assigned() -> None:
    ledger = Ledger()
    ledger.mark_done({("t", 0): 10, ("t", 1): 5}, assigned={("t", 0)})
    assert ledger.uncommitted() == {("t", 0): 10}
    ledger.mark_done({("t", 0): 7}, assigned={("t", 0)})  # never backwards
    ledger.confirm({("t", 0): 10})
    assert ledger.uncommitted() == {}
    ledger.mark_done({("t", 0): 12, ("t", 1): 3}, assigned={("t", 0), ("t", 1)})
    assert ledger.uncommitted([("t", 1)]) == {("t", 1): 3}
    assert ledger.forget([("t", 0), ("t", 1)]) == 2  # both had done offsets not committed
    assert ledger.uncommitted() == {}
