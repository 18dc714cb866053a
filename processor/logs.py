"""The processor's own logs: one JSON object per line on stderr, for the cluster's log pipeline.

Every line goes through the privacy policy first (privacy/logfilter.py): log lines quote what
they are about, and must not carry a recipient or a token out of the process.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from datetime import UTC, datetime
from typing import IO, Any

import orjson
from vendor_errors.processor import privacy

# LogRecord attributes that are plumbing, not something the caller passed in `extra=`.
_STANDARD = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"}
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class Repeats(logging.Filter):
    """One record per logger and message template every `interval_seconds`, for libraries
    that log each retry (the OTLP exporters: a failed export a batch while a collector is
    down); the next one let through says how many were left out (`repeated`). Below
    `level`, and for loggers outside `prefixes`, records pass untouched."""

    def __init__(
        self, prefixes: tuple[str, ...], interval_seconds: float = 60.0, level: int = logging.INFO
    ) -> None:
        super().__init__()
        self.prefixes = prefixes
        self.interval = interval_seconds
        self.level = level
        self._seen: dict[tuple[str, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < self.level or not record.name.startswith(self.prefixes):
            return True
        key = (record.name, str(record.msg))
        now = time.monotonic()
        last, left_out = self._seen.get(key, (float("-inf"), 0))
        if now - last < self.interval:
            self._seen[key] = (last, left_out + 1)
            return False
        if left_out:
            record.repeated = left_out
        if len(self._seen) > 1000:  # templates are few; never let this grow
            self._seen.clear()
        self._seen[key] = (now, 0)
        return True


def handler(
    level: str = "INFO", stream: IO[str] | None = None, redactor: privacy.Redactor | None = None
) -> logging.Handler:
    """The output handler: JSON lines on `stream` (stderr), each redacted by `redactor` (the
    `privacy` settings' policy; the default policy without one)."""
    output = logging.StreamHandler(stream or sys.stderr)
    output.setFormatter(JsonFormatter())
    if logging.getLevelName(level) > logging.DEBUG:  # the full detail stays behind DEBUG
        output.addFilter(Repeats(("opentelemetry",)))
    # After Repeats: it groups records by their template, and a record it drops costs nothing.
    privacy.install(redactor if redactor is not None else privacy.Redactor(), output)
    return output


def configure(
    level: str = "INFO", stream: IO[str] | None = None, redactor: privacy.Redactor | None = None
) -> None:
    """Send every logger (ours, kafka-python's, OpenTelemetry's) to `handler(...)`."""
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler(level, stream, redactor))
    root.setLevel(level)
    # kafka-python narrates every connection at INFO; its warnings are what an operator needs.
    logging.getLogger("kafka").setLevel(max(logging.WARNING, logging.getLevelName(level)))
    # Python prints warnings and uncaught exceptions to stderr itself, past the handler and its
    # filter: they are logged instead.
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread


def _log_uncaught(kind: type[BaseException], error: BaseException, trace: Any) -> None:
    logging.getLogger("uncaught").critical("uncaught exception", exc_info=(kind, error, trace))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    error = args.exc_value
    logging.getLogger("uncaught").error(
        "uncaught exception in a thread",
        exc_info=(args.exc_type, error, args.exc_traceback) if error is not None else None,
        extra={"thread_name": args.thread.name if args.thread is not None else None},
    )
