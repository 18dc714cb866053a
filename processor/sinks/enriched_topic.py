"""The enriched output topic: each vendor error as the contract's JSON event, keyed `vendor:code`.

Keying by vendor and code keeps one code's events in one partition, in order, which is what a
consumer counting or deduplicating them wants.
"""

from __future__ import annotations

from typing import Any, cast

import orjson
from vendor_errors.processor.privacy import Redactor
from vendor_errors.processor.protocols import Output, Work


class EnrichedTopicSink:
    """Written at dispatch: a batch counts as delivered once its events are acknowledged."""

    at_dispatch = True

    def __init__(self, topic: str, redactor: Redactor) -> None:
        self.topic = topic
        self.redactor = redactor

    def write(self, work: Work) -> None:
        topic, outputs, redact = self.topic, work.outputs, self.redactor.event
        for found in work.findings:
            event = found.finding.event
            key = f"{event['vendor']}:{event['code']}".encode()
            # Redactor.event reads any event-shaped dict (privacy.py is typed for plain dicts).
            value = orjson.dumps(redact(cast(dict[str, Any], event)))
            outputs.append(Output(topic, value, key))

    def flush(self, timeout_seconds: float) -> bool:
        return True  # written through the outbox, which the loop follows

    def close(self, timeout_seconds: float) -> None:
        pass
