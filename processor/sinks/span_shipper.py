"""The span sink of `vendor-errors run`: findings handed to a child process that makes and
exports the spans (spans.py says what a span is).

Bounded everywhere, so that a vendor outage (an error in every record) with a slow or hung
collector costs spans, never memory, and never records:
- the hand-off holds at most `queue_spans` findings (OTEL_BSP_MAX_QUEUE_SIZE, default 8192)
  between the poll loop and the child; beyond, findings are shed at once, before anything else
  (vendor_errors_spans_shed_total, a warning once a minute); records never wait for spans;
- the child exports on a thread of its own, one batch at a time (OTEL_BSP_MAX_EXPORT_BATCH_SIZE);
  while an export is under way it fills at most one more batch, then takes nothing more from
  the hand-off, which therefore fills and sheds;
- each export gives up at the exporter's timeout (OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT, 10 s),
  and at shutdown at the child's share of the shutdown bound: what is still unexported then is
  given up, counted (vendor_errors_spans_export_failed_total) and logged once.
The child's loop never waits on the collector, so a stop request is seen at once.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from typing import Any, NamedTuple

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter
from vendor_errors.processor.child import Child, Inbox, Stopped
from vendor_errors.processor.privacy import Redactor
from vendor_errors.processor.protocols import Work
from vendor_errors.processor.sinks.spans import (
    ExportSettings,
    Handed,
    SpanWriter,
    _export_settings,
    describe_all,
    export_spans,
    hand_over,
)
from vendor_errors.processor.telemetry import SpanCounts

log = logging.getLogger(__name__)

# Findings per hand-over message: the child takes them a message at a time.
CHUNK_SPANS = 256
# The exporting child's nice(2) increment: it yields the CPU to the poll loop.
EXPORTER_NICENESS = 10
# A child that died is replaced, at most this often.
RESTART_SECONDS = 30.0
# Warnings about shed or failed spans: at most one a minute, with the counts since the last.
WARN_SECONDS = 60.0
# How often the child reports its export counts.
COUNTS_SECONDS = 1.0


class _Flush(NamedTuple):
    number: int
    timeout_seconds: float


class SpanShipper:
    """Hands findings to the exporting child; never blocks on it."""

    at_dispatch = False

    def __init__(
        self,
        log_level: str,
        group_id: str,
        redactor: Redactor,
        exporters: tuple[str, ...],
        settings: ExportSettings | None = None,
    ) -> None:
        """`redactor`: the processor's privacy policy, pickled into the child (the same
        settings and key salt: a key hashes alike in every process)."""
        self.settings = settings or _export_settings(os.environ)
        self.counts = SpanCounts()
        self._redactor = redactor
        self._args = (group_id, redactor, exporters, self.settings)
        self._log_level = log_level
        self._flushes = 0
        self._shed_warned = 0
        self._warned_at = -WARN_SECONDS
        # Counts of the children before the current one, what the current one reported, and
        # spans lost with a child that died.
        self._earlier = (0, 0)
        self._reported = (0, 0)
        self._lost = 0
        self._start()

    def _start(self) -> None:
        self._started_at = time.monotonic()
        self._child = Child(
            "span-exporter",
            _child_main,
            self._args,
            capacity=self.settings.queue_spans,  # findings: each chunk weighs its length
            log_level=self._log_level,
            niceness=EXPORTER_NICENESS,
            redactor=self._redactor,
        )

    @property
    def queued(self) -> int:
        """Findings handed over and not yet taken by the child."""
        return self._child.queued

    def write(self, work: Work) -> None:
        found = [
            hand_over(item) for item in work.findings if item.finding.event["category"] != "status"
        ]
        if not found:
            return
        self._receive()
        child = self._running_child()
        limit = min(len(found), self.settings.queue_spans - self.queued) if child else 0
        handed = 0
        for start in range(0, max(limit, 0), CHUNK_SPANS):
            chunk = found[start : min(start + CHUNK_SPANS, limit)]
            if child is None or not child.offer(chunk, weight=len(chunk)):
                break
            handed += len(chunk)
        shed = len(found) - handed
        if shed:
            self.counts.shed += shed
            self._warn()

    def _warn(self) -> None:
        now = time.monotonic()
        if now - self._warned_at < WARN_SECONDS:
            return
        self._warned_at = now
        log.warning(
            "span exporter behind; spans shed (records are not affected)",
            extra={
                "spans_shed": self.counts.shed - self._shed_warned,
                "spans_shed_total": self.counts.shed,
                "queue_spans": self.settings.queue_spans,
            },
        )
        self._shed_warned = self.counts.shed

    def _running_child(self) -> Child | None:
        if self._child.is_alive():
            return self._child
        if time.monotonic() - self._started_at < RESTART_SECONDS:
            return None
        lost = max(self.queued, 0)
        self._lost += lost
        log.warning("span exporter exited; starting a new one", extra={"spans_lost": lost})
        self._child.stop(0.1)
        self._earlier = (self._earlier[0] + self._reported[0], self._earlier[1] + self._reported[1])
        self._reported = (0, 0)
        self._start()
        return self._child

    def _receive(self, answers: list[Any] | None = None) -> None:
        for answer in self._child.answers() if answers is None else answers:
            if answer[0] == "counts":
                self._reported = (answer[1], answer[2])
        self.counts.exported = self._earlier[0] + self._reported[0]
        self.counts.failed = self._lost + self._earlier[1] + self._reported[1]

    def flush(self, timeout_seconds: float) -> bool:
        """Wait until the child exported what it was given so far (or the time is up)."""
        deadline = time.monotonic() + timeout_seconds
        self._flushes += 1
        if not self._child.offer(_Flush(self._flushes, timeout_seconds), weight=0):
            return False
        while True:
            try:
                answer = self._child.answer(deadline - time.monotonic())
            except queue.Empty:
                return False
            self._receive([answer])
            # Answers to flushes given up on are skipped.
            if answer[0] == "flushed" and answer[1] == self._flushes:
                return bool(answer[2])

    def close(self, timeout_seconds: float) -> None:
        """Let the child export what it has and exit, within `timeout_seconds`."""
        self._receive()
        self._child.stop(timeout_seconds)


# -- the child's side ---------------------------------------------------------------------


class _Exports:
    """One export at a time, on a thread of its own: the child's loop keeps answering the
    parent, and stops on time, while a collector hangs."""

    def __init__(self, exporter: SpanExporter) -> None:
        self.exporter = exporter
        self.exported = 0
        self.failed = 0
        self._failed_logged = 0
        self._logged_at = -WARN_SECONDS
        self._changed = threading.Condition()
        self._batch: list[ReadableSpan] | None = None
        threading.Thread(target=self._run, name="span-export", daemon=True).start()

    def idle(self) -> bool:
        return self._batch is None

    @property
    def in_flight(self) -> int:
        batch = self._batch
        return len(batch) if batch is not None else 0

    def submit(self, batch: list[ReadableSpan]) -> None:
        with self._changed:
            self._batch = batch
            self._changed.notify_all()

    def wait_idle(self, deadline: float) -> bool:
        """True once no export is under way; False at the deadline (time.monotonic)."""
        with self._changed:
            while self._batch is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
        return True

    def _run(self) -> None:
        while True:
            with self._changed:
                while self._batch is None:
                    self._changed.wait()
                batch = self._batch
            exported = export_spans(self.exporter, batch)
            with self._changed:
                if exported:
                    self.exported += len(batch)
                else:
                    self.failed += len(batch)
                self._batch = None
                self._changed.notify_all()
            if not exported:
                self._warn()

    def _warn(self) -> None:
        now = time.monotonic()
        if now - self._logged_at >= WARN_SECONDS:
            self._logged_at = now
            log.warning(
                "span export failed; spans dropped",
                extra={"spans": self.failed - self._failed_logged, "spans_total": self.failed},
            )
            self._failed_logged = self.failed


def _child_main(
    inbox: Inbox,
    group_id: str,
    redactor: Redactor,
    exporters: tuple[str, ...],
    settings: ExportSettings,
) -> None:
    from vendor_errors.processor.telemetry import service_resource, span_exporter

    exporter = span_exporter(exporters)
    writer = SpanWriter(service_resource(), exporter, batch_size=settings.batch_size)
    exports = _Exports(exporter)

    def take(chunk: list[Handed]) -> None:
        writer.add(describe_all(chunk, group_id, redactor))

    try:
        _serve(inbox, writer, exports, take, settings.delay_seconds)
    except Stopped as stop:
        _finish(inbox, writer, exports, take, stop.within_seconds)


def _serve(
    inbox: Inbox,
    writer: SpanWriter,
    exports: _Exports,
    take: Any,
    delay: float,
) -> None:
    """Until Stopped: take findings, make spans, hand full (or old enough) batches to the
    export thread."""
    due = 0.0  # when the oldest pending span is to be exported
    reported = (0, 0)
    reported_at = 0.0
    while True:
        now = time.monotonic()
        counts = (exports.exported, exports.failed)
        if counts != reported and now - reported_at >= COUNTS_SECONDS:
            inbox.answer(("counts", *counts))
            reported, reported_at = counts, now
        pending = writer.pending
        if pending and (pending >= writer.batch_size or now >= due) and exports.idle():
            exports.submit(writer.take())
            due = now + delay
            continue
        if pending >= writer.batch_size:
            # A full batch waits for the exporter: take nothing more (the hand-off sheds).
            if inbox.stopping():
                inbox.get(0)  # raises Stopped
            exports.wait_idle(now + 0.1)
            continue
        if not pending:
            wait = delay
        elif now >= due:  # due, but the exporter is busy
            wait = 0.05
        else:
            wait = due - now
        item = inbox.get(min(wait, COUNTS_SECONDS))
        if item is None:
            continue
        if type(item) is _Flush:
            flushed = _export_all(writer, exports, now + item.timeout_seconds)
            reported = (exports.exported, exports.failed)
            inbox.answer(("counts", *reported))
            inbox.answer(("flushed", item.number, flushed))
            continue
        if not pending:
            due = time.monotonic() + delay
        take(item)


def _export_all(writer: SpanWriter, exports: _Exports, deadline: float) -> bool:
    """Export every pending span by the deadline; True if all of them were taken."""
    failed = exports.failed
    while writer.pending and exports.wait_idle(deadline):
        exports.submit(writer.take())
    return exports.wait_idle(deadline) and not writer.pending and exports.failed == failed


def _finish(inbox: Inbox, writer: SpanWriter, exports: _Exports, take: Any, within: float) -> None:
    """Export what the parent handed over before it asked to stop, within the time it gave;
    give up the rest, counted and logged once."""
    deadline = time.monotonic() + within
    for item in inbox.rest(deadline):
        if type(item) is not _Flush:
            take(item)
    exported = _export_all(writer, exports, deadline)
    given_up = writer.pending + exports.in_flight
    if given_up:
        exports.failed += given_up
        log.warning(
            "spans not exported: the collector did not take them within the shutdown bound",
            extra={"spans": given_up, "within_seconds": round(within, 1)},
        )
    elif not exported and exports.failed:
        log.warning("span export failed at shutdown", extra={"spans_total": exports.failed})
    if exports.idle():  # a hung export keeps the exporter: the process exits without it
        exports.exporter.shutdown()
