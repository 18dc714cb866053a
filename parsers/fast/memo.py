"""The one bounded memo of the parsers: every cache of a pure function is one of these.

Log streams repeat a few values endlessly (keys, hosts, times of one second, one code with one
message), so remembering what a pure function gave pays; a stream of unique values must cost
a refill, never memory. A `Memo` is emptied when it reaches its limit: no bookkeeping on
reads, and a burst of unique values costs one refill, whereas evicting one entry at a time
would cost an ordering per read.

Reads go straight to `data`, a plain dict (`memo.data.get(key)`, `key in memo.data`), and hot
loops keep a reference to it: `put` empties it in place, so such references stay valid. A dict
subclass would read the same with less typing, but on CPython 3.11 each `.get`, `in` or `[]` on
one costs about 12 ns more than on a plain dict (no specialisation for subclasses), and the
walk of a record makes dozens of them.
"""

from __future__ import annotations

from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Memo(Generic[K, V]):
    """At most `limit` remembered values; `data` to read, `put` to write."""

    __slots__ = ("data", "limit")

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"a memo holds at least one value, not {limit}")
        self.data: dict[K, V] = {}
        self.limit = limit

    def put(self, key: K, value: V) -> V:
        """Remember `value` for `key` (emptying the memo first when it is full); returns it."""
        data = self.data
        if len(data) >= self.limit:
            data.clear()
        data[key] = value
        return value

    def __len__(self) -> int:
        return len(self.data)

    def clear(self) -> None:
        self.data.clear()
