"""The transform stage: one record's bytes in, a parsers Result out, whatever the bytes are.

The parsing itself is parsers.extract.Extractor's. This stage adds what the stream needs on top:
a parser failure costs one record (dead-lettered), never the loop, and a JSON record cut off
part-way with nothing recognisable in it is reported as damaged rather than as a quiet line.
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
        if result.outcome == "no_error" and not result.findings and truncated_json(value):
            # The parser reads a cut-off JSON record as text; with nothing found in it, it is a
            # damaged record an operator should see, not an ordinary line.
            return Result("undecodable", reason="truncated json")
        return result


def truncated_json(value: bytes) -> bool:
    """A record that opens a JSON object or array and does not close it."""
    closing = value[-1:]
    if closing == b"}" or closing == b"]":  # almost every JSON record: one slice, no copy
        return False
    if closing.isspace():
        value = value.rstrip()
        closing = value[-1:]
    opening = value[:1]
    if opening.isspace():
        opening = value.lstrip()[:1]
    if opening == b"{":
        return closing != b"}"
    return opening == b"[" and closing != b"]"
