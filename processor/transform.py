"""The transform stage: one record's bytes in, a parsers Result out, whatever the bytes are.

The parsing itself is parsers.extract.Extractor's (including what counts as undecodable). This
stage adds what the stream needs on top: a parser failure costs one record (dead-lettered),
never the loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from catalog.loader import Catalog
from parsers.result import Result
from processor.config import Settings

log = logging.getLogger(__name__)


class Extractor(Protocol):
    catalog: Catalog

    def extract(self, raw: bytes | str, source: dict[str, Any]) -> Result: ...


ExtractorFactory = Callable[[Catalog, Settings], Extractor]


def default_extractor(catalog: Catalog, settings: Settings) -> Extractor:
    from parsers.extract import Extractor as ParsersExtractor

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

    def parse(self, value: bytes, topic: str, partition: int, offset: int) -> Result:
        source = {"topic": topic, "partition": partition, "offset": offset}
        try:
            result = self.extractor.extract(value, source)
        except Exception as exc:  # a parser bug must not crash the loop or stall the partition
            log.exception("parser failed on a record", extra=source)
            return Result("undecodable", reason=f"parser error: {type(exc).__name__}")
        return result
