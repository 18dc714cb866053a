"""The processor's own logs under the same policy: a `logging.Filter` for the output handler.

Log lines quote what they are about (a record that failed, a URL that timed out, an exception
whose message holds a vendor body), so they are personal data's easiest way out. The filter
renders the message, the `extra=` fields, the exception and the stack now, redacts them, and
leaves the record with nothing left to render, so any formatter prints only redacted text (a
standard `logging.Formatter` prints `exc_text`; the JSON formatter the `exception` field).
Attach it to the handler (`handler.addFilter(...)`): handler filters see the records of every
logger, including third-party ones (kafka-python, OpenTelemetry), which logger filters do not.
"""

from __future__ import annotations

import logging
import traceback
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vendor_errors.processor.privacy.policy import Redactor

# LogRecord attributes that are plumbing, not something the caller passed in `extra=`.
_STANDARD = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"}
)


class RedactingFilter(logging.Filter):
    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        redactor = self.redactor
        if not redactor.enabled or getattr(record, "_redacted", False):
            return True
        message = record.getMessage()
        # Uncached: log lines hardly repeat, and would push messages out of the policy's cache.
        record.msg, record.args = redactor.redact_unique(message), None
        for name, value in list(vars(record).items()):
            if name not in _STANDARD and not name.startswith("_"):
                setattr(record, name, redactor.value(value, cached=False))
        if record.exc_info and record.exc_info[0] is not None:
            rendered = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text = redactor.redact_unique(rendered)
            record.exc_info = None
            # The JSON formatter (processor/logs.py) prints `extra=` fields: this one is the
            # field it would have printed the exception under.
            record.exception = record.exc_text
        elif record.exc_text:
            record.exc_text = redactor.redact_unique(record.exc_text)
        if record.stack_info:
            record.stack_info = redactor.redact_unique(record.stack_info)
        record._redacted = True  # once per record, however many handlers carry the filter
        return True


def install(redactor: Redactor, handler: logging.Handler | None = None) -> RedactingFilter:
    """Add the filter to `handler`, or to every handler of the root logger."""
    log_filter = RedactingFilter(redactor)
    for target in [handler] if handler is not None else logging.getLogger().handlers:
        target.addFilter(log_filter)
    return log_filter
