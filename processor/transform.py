"""The transform stage: records in, parsers Results out, whatever the bytes are.

The parsing itself is parsers.extract.Extractor's (including what counts as undecodable). This
stage adds what the stream needs on top: a parser failure costs one record (dead-lettered),
never the loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from kafka.consumer.fetcher import ConsumerRecord
from vendor_errors.catalog.loader import Catalog
from vendor_errors.parsers import Extractor as ParsersExtractor
from vendor_errors.parsers import Noted, Result
from vendor_errors.processor.config import Settings

log = logging.getLogger(__name__)


class Extractor(Protocol):
    catalog: Catalog

    def extract(self, raw: bytes | str, source: dict[str, Any]) -> Result: ...


ExtractorFactory = Callable[[Catalog, Settings], Extractor]


def default_extractor(catalog: Catalog, settings: Settings) -> Extractor:
    return ParsersExtractor(
        catalog,
        patterns=tuple(settings.parsing.patterns),
        include_status=settings.output.include_status,
        max_record_bytes=settings.parsing.max_record_bytes,
    )


class Transform:
    def __init__(self, extractor: Extractor) -> None:
        self.extractor = extractor

    def use_catalog(self, catalog: Catalog) -> None:
        """Swap the catalog (an overlay reload); records read it once each, so this is safe."""
        self.extractor.catalog = catalog

    def parse_many(
        self, records: Sequence[ConsumerRecord], topic: str, partition: int
    ) -> tuple[int, Noted]:
        """The records of one partition's batch: how many are plain "no_error", and the results
        of the others by index (parsers.batch: one prefilter pass for the whole batch)."""
        # A tombstone (no value) carries no log line: an empty record is "no_error" too.
        values = [record.value for record in records]
        if None in values:
            values = [b"" if value is None else value for value in values]

        def source_of(index: int) -> dict[str, Any]:
            return {"topic": topic, "partition": partition, "offset": records[index].offset}

        extractor = self.extractor
        if isinstance(extractor, ParsersExtractor):
            try:
                return extractor.extract_many(values, source_of)
            except Exception:  # a bug in the batch path: fall back to one record at a time
                log.exception("batch parsing failed; parsing one record at a time")
        noted: Noted = []
        for index, record in enumerate(records):
            result = self.parse(values[index], topic, partition, record.offset)
            if result.outcome != "no_error" or result.findings:
                noted.append((index, result))
        return len(records) - len(noted), noted

    def parse(self, value: bytes, topic: str, partition: int, offset: int) -> Result:
        source = {"topic": topic, "partition": partition, "offset": offset}
        try:
            result = self.extractor.extract(value, source)
        except Exception as exc:  # a parser bug must not crash the loop or stall the partition
            log.exception("parser failed on a record", extra=source)
            return Result("undecodable", reason=f"parser error: {type(exc).__name__}")
        return result
