"""The enriched output topic: each vendor error as the contract's JSON event, keyed `vendor:code`.

Keying by vendor and code keeps one code's events in one partition, in order, which is what a
consumer counting or deduplicating them wants.
"""

from __future__ import annotations

from typing import Any

import orjson
from vendor_errors.processor.privacy import Redactor
from vendor_errors.processor.sinks.outbox import Outbox, Ticket


class EnrichedTopicSink:
    def __init__(self, outbox: Outbox, topic: str, redactor: Redactor) -> None:
        self.outbox = outbox
        self.topic = topic
        self.redactor = redactor

    def send(self, ticket: Ticket, event: dict[str, Any]) -> None:
        key = f"{event.get('vendor')}:{event.get('code')}".encode()
        self.outbox.send(ticket, self.topic, orjson.dumps(self.redactor.event(event)), key=key)
