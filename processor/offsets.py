"""The commit rule's bookkeeping, for any Kafka client: what is done, what the broker confirmed.

The loop (app.py) marks offsets done only for batches whose outputs were acknowledged and
counted; a source commits `uncommitted()` and nothing else. The ledger is shared with a client's
rebalance callback (another thread in kafka-python), hence the lock.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Mapping

from vendor_errors.processor.protocols import Partition


class Ledger:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Next offset to read per partition, for batches whose outputs were acknowledged.
        self._done: dict[Partition, int] = {}
        # What the broker confirmed as committed.
        self._committed: dict[Partition, int] = {}

    def mark_done(
        self, next_offsets: Mapping[Partition, int], assigned: Collection[Partition]
    ) -> None:
        """Offsets of delivered batches; partitions that went elsewhere meanwhile are skipped
        (their new owner re-reads from the last commit)."""
        with self._lock:
            done = self._done
            for tp, offset in next_offsets.items():
                if tp in assigned and done.get(tp, -1) < offset:
                    done[tp] = offset

    def uncommitted(self, partitions: Iterable[Partition] | None = None) -> dict[Partition, int]:
        """Done offsets the broker has not confirmed (of `partitions`, else of all)."""
        with self._lock:
            done = (
                self._done
                if partitions is None
                else {tp: self._done[tp] for tp in partitions if tp in self._done}
            )
            committed = self._committed
            return {tp: offset for tp, offset in done.items() if committed.get(tp, -1) < offset}

    def confirm(self, offsets: Mapping[Partition, int]) -> None:
        """The broker confirmed a commit of these."""
        with self._lock:
            committed = self._committed
            for tp, offset in offsets.items():
                if committed.get(tp, -1) < offset:
                    committed[tp] = offset

    def forget(self, partitions: Iterable[Partition]) -> int:
        """Partitions now owned elsewhere; how many had done offsets not yet committed."""
        dropped = 0
        with self._lock:
            for tp in partitions:
                if self._done.pop(tp, None) != self._committed.pop(tp, None):
                    dropped += 1
        return dropped
