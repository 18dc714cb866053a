"""The Kafka clients' own logs, summarised: one line per state change, repeats held back.

Left alone, kafka-python narrates every reconnect (about 20 lines before it gives up on an
unreachable cluster) and every retried produce request (about 700 warnings a second while a
topic refuses records); librdkafka logs each failed connection attempt. What an operator needs
is the first line of each kind, then a reminder while it lasts. So every record under the
`kafka` logger (kafka-python's modules, and `kafka.librdkafka` where librdkafka's lines are
sent) passes through `Summary`: the first record of a kind is logged, later ones of that kind
within REPEAT_LOG_SECONDS are counted, and the next one after that carries `repeated: N`.

While the clients first connect (`connecting()`), their lines are held back altogether: if no
broker answers, the processor's own error says so once, with the last error the client saw.

With `log.kafka_debug: true` nothing is held back and the clients log at DEBUG (librdkafka's
`debug` contexts on): for a support case, not for production.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Iterator, Mapping

REPEAT_LOG_SECONDS = 60.0
# The logger librdkafka's lines go to (confluent-kafka's `logger` setting).
LIBRDKAFKA_LOGGER = "kafka.librdkafka"
# librdkafka's debug contexts with log.kafka_debug (not "all": that includes every message).
LIBRDKAFKA_DEBUG = "broker,topic,cgrp,fetch,security,eos"
# Kinds remembered at most; past it they are forgotten (and their next line is logged again).
MAX_KINDS = 1000
_VARIABLE = re.compile(r"\d+(?:\.\d+)?(?:ms|s)?")


class Repeats:
    """Per kind of line: log the first, then at most one per `window_seconds`, each saying how
    many were held back since the last one."""

    def __init__(self, logger: logging.Logger, window_seconds: float = REPEAT_LOG_SECONDS) -> None:
        self.logger = logger
        self.window = window_seconds
        # kind -> [when last logged, held back since]
        self._kinds: dict[str, list[float]] = {}

    def allow(self, kind: str) -> int | None:
        """None to hold the line back; else how many of its kind were held back before it."""
        now = time.monotonic()
        seen = self._kinds.get(kind)
        if seen is None:
            if len(self._kinds) >= MAX_KINDS:
                self._kinds.clear()
            self._kinds[kind] = [now, 0]
            return 0
        if now - seen[0] < self.window:
            seen[1] += 1
            return None
        held = int(seen[1])
        seen[0], seen[1] = now, 0
        return held

    def log(
        self,
        level: int,
        message: str,
        *,
        key: str | None = None,
        extra: Mapping[str, object] | None = None,
    ) -> None:
        held = self.allow(kind_of(key if key is not None else message))
        if held is None:
            return
        fields = dict(extra or {})
        if held:
            fields["repeated"] = held
        self.logger.log(level, message, extra=fields)


def kind_of(text: str) -> str:
    """What makes two lines the same kind: their text with the numbers (ids, counts, ports,
    durations) taken out, and not too long."""
    return _VARIABLE.sub("#", text)[:160]


def _record_kind(record: logging.LogRecord) -> str:
    args = record.args
    if record.name == LIBRDKAFKA_LOGGER and isinstance(args, tuple) and len(args) == 3:
        # confluent-kafka logs ("%s [%s] %s", facility, client name, text)
        return f"{record.levelno}:{args[0]}:{kind_of(str(args[2]))}"
    # kafka-python: the format string is the kind ("Connection failed: %s", ...).
    return f"{record.name}:{record.levelno}:{kind_of(str(record.msg))}"


class Summary(logging.Handler):
    """On the `kafka` logger (which then does not propagate): passes each record on to the root
    logger's handlers unless it repeats a kind seen within the window."""

    connecting = False  # see connecting()

    def __init__(self, window_seconds: float = REPEAT_LOG_SECONDS) -> None:
        super().__init__()
        self.repeats = Repeats(logging.getLogger("kafka"), window_seconds)

    def emit(self, record: logging.LogRecord) -> None:
        if Summary.connecting:
            return
        held = self.repeats.allow(_record_kind(record))
        if held is None:
            return
        if held:
            record.repeated = held
        logging.getLogger().handle(record)


def install(level: str, debug: bool, window_seconds: float = REPEAT_LOG_SECONDS) -> None:
    """Summarise the clients' logs at WARNING and above (or, with `debug`, pass everything)."""
    kafka = logging.getLogger("kafka")
    for handler in [h for h in kafka.handlers if isinstance(h, Summary)]:
        kafka.removeHandler(handler)
    if debug:
        kafka.setLevel(logging.DEBUG)
        kafka.propagate = True
        return
    # Both clients narrate every connection at INFO; their warnings are what an operator needs.
    kafka.setLevel(max(logging.WARNING, logging.getLevelName(level)))
    kafka.addHandler(Summary(window_seconds))
    kafka.propagate = False


@contextlib.contextmanager
def connecting() -> Iterator[None]:
    """While a client first connects: its lines are held back (unless log.kafka_debug), since
    a failure is reported once, by the caller, with what the client last saw."""
    Summary.connecting = True
    try:
        yield
    finally:
        Summary.connecting = False
