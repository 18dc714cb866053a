"""Which application wrote the record, when the record itself does not say.

The parsers read `service` from the record (OTel `service.name`, Kubernetes labels, ...). Many
pipelines put each application's logs on a topic of its own, or name the application in a
Kafka record header instead; `service.from_header` and `service.by_topic` (docs/configuration.md)
fill the event's `service` from them, only where the record named none:
    the record's own service -> the header's value -> the topic's mapping -> null.
The event is filled before any sink sees it: the enriched topic, the spans and the metrics'
`service` label all carry the same name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import cast

from vendor_errors.parsers import Event, Noted
from vendor_errors.processor.protocols import Headers, Polled
from vendor_errors.processor.transform import Extractor, Transform

# As the parsers cut a service name read from a record.
MAX_SERVICE_CHARS = 256


class ServiceMap:
    """The configured mapping: a header name, and topics (exact names, or `^` patterns)."""

    def __init__(self, by_topic: Mapping[str, str], from_header: str | None) -> None:
        self.header = from_header.lower() if from_header else None
        self._exact = {topic: name for topic, name in by_topic.items() if not topic.startswith("^")}
        self._patterns = [
            (re.compile(topic), name) for topic, name in by_topic.items() if topic.startswith("^")
        ]
        self._by_topic: dict[str, str | None] = {}  # resolved per topic, patterns included

    @property
    def active(self) -> bool:
        return bool(self.header or self._exact or self._patterns)

    def for_topic(self, topic: str) -> str | None:
        try:
            return self._by_topic[topic]
        except KeyError:
            pass
        name = self._exact.get(topic)
        if name is None:
            name = next((name for rx, name in self._patterns if rx.match(topic)), None)
        if len(self._by_topic) < 10_000:  # topics are few; a pattern subscription may add some
            self._by_topic[topic] = name
        return name

    def from_headers(self, headers: Headers) -> str | None:
        wanted = self.header
        if wanted is None or not headers:
            return None
        for key, value in headers:
            if key.lower() == wanted and value:
                name = value.decode("utf-8", "replace").strip()
                if name:
                    return name[:MAX_SERVICE_CHARS]
        return None

    def service(self, topic: str, headers: Headers) -> str | None:
        return self.from_headers(headers) or self.for_topic(topic)


class ServiceTransform(Transform):
    """The transform stage, with the events' missing services filled from the mapping."""

    def __init__(self, extractor: Extractor, services: ServiceMap) -> None:
        super().__init__(extractor)
        self.services = services

    def parse_many(self, polled: Polled) -> tuple[int, Noted]:
        quiet, noted = super().parse_many(polled)
        services = self.services
        for index, result in noted:
            missing = [f for f in result.findings if not f.event.get("service")]
            if missing:
                topic = polled.origin(index)[0]
                name = services.service(topic, polled.record(index).headers)
                if name is not None:
                    for finding in missing:
                        # A copy: a parser may hand the same event to more than one record.
                        finding.event = cast(Event, {**finding.event, "service": name})
        return quiet, noted
