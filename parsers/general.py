"""The general path: one text record through every stage, with no shortcut.

    record -> JSON (orjson) or text -> envelope (parsers/decoding) -> recognisers -> attribution
           -> verdict and event (parsers/enrichment) -> Result

`Split.record` is the record stage: a record that opens a JSON object or array and parses goes
to the JSON stage, any other to the text stage (`General.json`, `General.text`). The speed
layers of parsers/fast wrap these stages with the same signatures (parsers.stages).
"""

from __future__ import annotations

from typing import Any

import orjson
from vendor_errors.parsers.decoding.envelope import Reader
from vendor_errors.parsers.decoding.raw import binary_reason, truncated_json
from vendor_errors.parsers.decoding.wrappers import batch_records
from vendor_errors.parsers.enrichment.findings import Findings
from vendor_errors.parsers.result import Origin, Outcome, Result
from vendor_errors.parsers.stages import JsonStage, TextStage

_loads = orjson.loads
_JSONDecodeError = orjson.JSONDecodeError
_OPENERS = (b"{", "{", b"[", "[")


class General:
    """The JSON and text stages: envelope, then findings."""

    __slots__ = ("_findings", "_reader")

    def __init__(self, reader: Reader, findings: Findings) -> None:
        self._reader = reader
        self._findings = findings

    def json(self, obj: Any, source: Origin) -> Result:
        records = batch_records(obj)
        if records is None:
            return self._findings.of(self._reader.from_json(obj), source)
        # A batch (OTLP, CloudWatch, Loki): each record it carries is read on its own.
        findings = []
        outcome: Outcome = "no_error"
        for record in records:
            result = self._findings.of(self._reader.from_json(record), source)
            findings.extend(result.findings)
            if result.outcome == "error_found":
                outcome = "error_found"
        return Result(outcome, findings)

    def text(self, raw: bytes | str, text: str, source: Origin) -> Result:
        result = self._findings.of(self._reader.from_text(text), source)
        if not result.findings and truncated_json(raw):
            return Result("undecodable", reason="truncated json")
        return result


class Split:
    """The record stage: JSON objects and arrays to one stage, anything else to another."""

    __slots__ = ("_json", "_text")

    def __init__(self, json: JsonStage, text: TextStage) -> None:
        self._json = json
        self._text = text

    def record(self, raw: bytes | str, text: str | None, source: Origin) -> Result:
        start = raw[:1]
        if start.isspace():
            start = raw.lstrip()[:1]
        if start in _OPENERS:
            try:
                obj = _loads(raw)
            except _JSONDecodeError:
                obj = None  # truncated or not JSON after all: read it as text
            if obj.__class__ is dict or obj.__class__ is list:
                return self._json(obj, source)
        if text is None:
            if isinstance(raw, str):
                text = raw
            else:  # ASCII bytes, not checked for control characters yet
                reason = binary_reason(raw)
                if reason is not None:
                    return Result("undecodable", reason=reason)
                text = raw.decode("ascii")
        return self._text(raw, text, source)
