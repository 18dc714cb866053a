"""The transform stage: records in, parsers Results out, whatever the bytes are.

The parsing itself is parsers.extract.Extractor's (including what counts as undecodable). This
stage adds what the stream needs on top: a parser failure costs one record (dead-lettered),
never the loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from vendor_errors.catalog.loader import Catalog
from vendor_errors.parsers import Extractor as ParsersExtractor
from vendor_errors.parsers import KafkaOrigin, Noted, Origin, Result
from vendor_errors.processor.protocols import Polled
from vendor_errors.processor.settings import Settings

log = logging.getLogger(__name__)


class Extractor(Protocol):
    catalog: Catalog

    def extract(self, raw: bytes | str, source: Origin) -> Result: ...


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

    def parse_many(self, polled: Polled) -> tuple[int, Noted]:
        """A poll's records, of whatever partitions: how many are plain "no_error", and the
        results of the others by index. One prefilter pass over all the values (parsers.batch);
        a record without a vendor spelling costs no Python call of its own."""
        values, origin = polled.values, polled.origin

        def source_of(index: int) -> KafkaOrigin:
            topic, partition, offset = origin(index)
            return {"topic": topic, "partition": partition, "offset": offset}

        extractor = self.extractor
        if isinstance(extractor, ParsersExtractor):
            try:
                return extractor.extract_many(values, source_of)
            except Exception:  # a bug in the batch path: fall back to one record at a time
                log.exception("batch parsing failed; parsing one record at a time")
        noted: Noted = []
        for index, value in enumerate(values):
            result = self.parse(value, *origin(index))
            if result.outcome != "no_error" or result.findings:
                noted.append((index, result))
        return len(values) - len(noted), noted

    def parse(self, value: bytes, topic: str, partition: int, offset: int) -> Result:
        source: KafkaOrigin = {"topic": topic, "partition": partition, "offset": offset}
        try:
            result = self.extractor.extract(value, source)
        except Exception as exc:  # a parser bug must not crash the loop or stall the partition
            log.exception("parser failed on a record", extra=dict(source))
            return Result("undecodable", reason=f"parser error: {type(exc).__name__}")
        return result
