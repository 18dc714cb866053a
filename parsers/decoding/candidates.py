"""Candidate error bodies: the objects of a record that carry an error code member.

The envelope walk (parsers.decoding.envelope) finds them; the recognisers read them
(parsers/recognisers/). Keys are folded (parsers.decoding.fields.fold), so a recogniser asks
for `errorcode` whatever the record spelled (`errorCode`, `error_code`, `ErrorCode`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vendor_errors.parsers.decoding.fields import FOLDED, fold

# The channel keys of a body (or of the object around it), in the order they are read.
CHANNEL_KEYS = ("deliverychannel", "channel", "channeltype", "channelname")


class Candidate:
    """An object in a record that carries an error code member: possibly a vendor error body."""

    __slots__ = (
        "_channel",
        "_channel_of",
        "_channel_read",
        "_folded_parent",
        "_parent",
        "body",
        "group",
        "origin",
        "parent_key",
        "record_level",
    )

    def __init__(
        self,
        body: dict[str, Any],
        parent: dict[str, Any] | None,
        parent_key: str,
        group: int,
        origin: str,
        channel_of: Callable[[object], str | None],
        record_level: bool = False,
    ) -> None:
        self.body = body  # keys folded, values as decoded
        self._parent = parent  # the enclosing object as decoded
        self._folded_parent: dict[str, Any] | None = None
        self.parent_key = parent_key  # folded key the body sits under ("data", "errors", "")
        self.group = group  # bodies from one array share a group (duplicates there are real)
        self.origin = origin  # "json", "embedded", "logfmt", "prose", "request"
        # The body is the log record itself (its top level, or the key=value pairs of its
        # line): its `msg`/`message` is the log line's text, not the vendor's wording.
        self.record_level = record_level
        self._channel_of = channel_of  # a channel as spelled -> the contract's slug, or None
        self._channel: str | None = None
        self._channel_read = False

    @property
    def parent(self) -> dict[str, Any] | None:
        """The enclosing object with folded keys (folded when a recogniser first asks)."""
        if self._folded_parent is None and self._parent is not None:
            self._folded_parent = fold_keys(self._parent)
        return self._folded_parent

    @property
    def channel(self) -> str | None:
        """The channel named by the body, else by the object around it (read when asked)."""
        if not self._channel_read:
            self._channel = self._read_channel()
            self._channel_read = True
        return self._channel

    def _read_channel(self) -> str | None:
        channel_of = self._channel_of
        body = self.body
        for key in CHANNEL_KEYS:
            if key in body:
                channel = channel_of(body[key])
                if channel is not None:
                    return channel
        parent = self.parent
        if parent:
            for key in CHANNEL_KEYS:
                if key in parent:
                    channel = channel_of(parent[key])
                    if channel is not None:
                        return channel
        return None


def fold_keys(obj: dict[str, Any]) -> dict[str, Any]:
    """The object with folded keys (first spelling wins): recognisers match on these."""
    folded: dict[str, Any] = {}
    known = FOLDED.get
    for key, value in obj.items():
        name = known(key)  # most keys: folded before (fold() memoises them)
        if name is None:
            if key.__class__ is not str:
                continue
            name = fold(key)
        if name not in folded:
            folded[name] = value
    return folded
