"""Find vendor errors in log records: envelopes, text patterns, vendor recognisers, attribution.

The public API (docs/parsing.md): build an `Extractor` from a catalog; `extract` one record or
`extract_many` a batch; each record gives a `Result` with a `Finding` (the contract `Event` plus
request context) per vendor error; `event_schema()` is the event's JSON Schema (docs/events.md).
`iter_records` / `iter_batches` group a file's lines into records (runs of one-line JSON
records as a `Batch`, for `extract_many`). Everything else in
this package is internal: the stages (decoding/, recognisers/, attribution.py, enrichment/,
general.py) and the speed layers over them (fast/).
"""

from vendor_errors.parsers.decoding.grok import GrokError
from vendor_errors.parsers.decoding.records import Batch, iter_batches, iter_records
from vendor_errors.parsers.extract import Extractor
from vendor_errors.parsers.fast.batch import Noted
from vendor_errors.parsers.result import (
    Event,
    FileOrigin,
    Finding,
    KafkaOrigin,
    Origin,
    Outcome,
    Result,
    event_schema,
)

__all__ = [
    "Batch",
    "Event",
    "Extractor",
    "FileOrigin",
    "Finding",
    "GrokError",
    "KafkaOrigin",
    "Noted",
    "Origin",
    "Outcome",
    "Result",
    "event_schema",
    "iter_batches",
    "iter_records",
]
