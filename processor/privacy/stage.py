"""The redaction stage of `vendor-errors run`: every finding made safe once, before any sink.

It wraps the transform stage (processor/transform.py, services.py) behind the same signature:
what the parsers found comes out with its event fields, URL and message redacted and cut to
length (`Redactor.finding`), so the enriched topic, the metrics and the spans all read the same
safe finding. The sinks then only deal with what they add themselves (the Kafka key in spans,
label values, dead-letter headers).

Not imported by the package (`privacy/__init__.py`): it needs the parsers, and the span
exporter's child process, which imports the policy, must not load them.
"""

from __future__ import annotations

from vendor_errors.catalog.loader import Catalog
from vendor_errors.parsers import Noted, Result
from vendor_errors.processor.privacy.policy import Redactor
from vendor_errors.processor.protocols import Polled
from vendor_errors.processor.transform import Transform


class RedactedTransform(Transform):
    """`inner`'s results, with each finding passed through `redactor.finding`."""

    def __init__(self, inner: Transform, redactor: Redactor) -> None:
        super().__init__(inner.extractor)
        self.inner = inner
        self.redactor = redactor

    def use_catalog(self, catalog: Catalog) -> None:
        self.inner.use_catalog(catalog)

    def parse_many(self, polled: Polled) -> tuple[int, Noted]:
        quiet, noted = self.inner.parse_many(polled)
        for _, result in noted:
            if result.findings:
                self._redact(result)
        return quiet, noted

    def parse(self, value: bytes, topic: str, partition: int, offset: int) -> Result:
        result = self.inner.parse(value, topic, partition, offset)
        if result.findings:
            self._redact(result)
        return result

    def _redact(self, result: Result) -> None:
        findings = result.findings
        safe = [self.redactor.finding(finding) for finding in findings]
        if any(a is not b for a, b in zip(safe, findings, strict=True)):
            # A new list: the parsers may hand one list (or one event) to more than one record.
            result.findings = safe
