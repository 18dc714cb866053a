"""The dead-letter topic: records that cannot be decoded, as they were, with why and where from.

A poison record is written here and its offset committed like any other, so it never stalls its
partition. Headers (all UTF-8 strings):

    vendor-errors.reason     why it was not decodable ("invalid utf-8", "record too large", ...)
    vendor-errors.topic      origin topic
    vendor-errors.partition  origin partition
    vendor-errors.offset     origin offset
    vendor-errors.truncated  only when the broker refused the full record: its original size;
                             the value then holds its first TRUNCATED_BYTES bytes (or fewer,
                             halved until the broker takes it)

The record's own headers come first, and its value and key are kept as they were, so the record
can be replayed: the topic holds raw input and needs the input topics' access rules. The headers,
the record's own included, go through the privacy policy (`Redactor.headers`: text redacted,
binary bytes kept), since tools that list a topic show them.
"""

from __future__ import annotations

from vendor_errors.processor.privacy import Redactor
from vendor_errors.processor.protocols import Headers, Output, Work

REASON = "vendor-errors.reason"
TOPIC = "vendor-errors.topic"
PARTITION = "vendor-errors.partition"
OFFSET = "vendor-errors.offset"
TRUNCATED = "vendor-errors.truncated"
TRUNCATED_BYTES = 64 * 1024


def _shrink(value: bytes, headers: Headers) -> tuple[bytes, Headers]:
    original = next((v for k, v in headers if k == TRUNCATED), str(len(value)).encode())
    size = TRUNCATED_BYTES if len(value) > TRUNCATED_BYTES else len(value) // 2
    kept = [(k, v) for k, v in headers if k != TRUNCATED]
    return value[:size], [*kept, (TRUNCATED, original)]


class DeadLetterSink:
    """Written at dispatch: a batch counts as delivered once its dead letters are acknowledged."""

    at_dispatch = True

    def __init__(self, topic: str, redactor: Redactor | None = None) -> None:
        self.topic = topic
        self.redactor = redactor if redactor is not None else Redactor()

    def write(self, work: Work) -> None:
        outputs, redact = work.outputs, self.redactor.headers
        for record, reason, topic, partition, offset in work.undecodable:
            headers = redact(
                [
                    *record.headers,
                    (REASON, reason.encode()),
                    (TOPIC, topic.encode()),
                    (PARTITION, str(partition).encode()),
                    (OFFSET, str(offset).encode()),
                ]
            )
            outputs.append(Output(self.topic, record.value, record.key, headers, _shrink))

    def flush(self, timeout_seconds: float) -> bool:
        return True  # written through the outbox, which the loop follows

    def close(self, timeout_seconds: float) -> None:
        pass
