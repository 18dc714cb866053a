"""The event's JSON Schema (shipped as vendor_errors/parsers/schemas/event.schema.json, defined
field by field in docs/events.md): it is the `Event` type, its closed sets are the catalog's,
and every event the parsers emit on the corpus and the examples validates against it."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from vendor_errors import catalog
from vendor_errors.catalog.model import CATEGORIES, CHANNELS, SEVERITIES, VENDORS
from vendor_errors.parsers import Event, Extractor, event_schema, iter_records
from vendor_errors.parsers.result import FileOrigin, KafkaOrigin

from tests.parsers.test_corpus import CASES

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.log"))


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = event_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_schema_is_the_event_type_in_the_contract_order() -> None:
    schema = event_schema()
    assert list(schema["properties"]) == list(typing.get_type_hints(Event))
    assert schema["required"] == list(schema["properties"])
    assert schema["additionalProperties"] is False
    sources = [set(option["required"]) for option in schema["properties"]["source"]["oneOf"]]
    assert sources == [set(KafkaOrigin.__annotations__), set(FileOrigin.__annotations__)]


def test_the_closed_sets_are_the_catalogs() -> None:
    properties = event_schema()["properties"]
    assert properties["vendor"]["enum"] == list(VENDORS)
    assert properties["category"]["enum"] == list(CATEGORIES)
    assert properties["severity"]["enum"] == list(SEVERITIES)
    assert properties["channel"]["anyOf"][0]["enum"] == list(CHANNELS)


def _events(extractor: Extractor) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for case in CASES:
        result = extractor.extract(case["record"].encode(), {"file": "corpus.log", "line": 1})
        events.extend(dict(f.event) for f in result.findings)
    for path in EXAMPLES:
        with path.open("rb") as stream:
            for line, record in iter_records(stream):
                source: FileOrigin = {"file": path.name, "line": line}
                events.extend(dict(f.event) for f in extractor.extract(record, source).findings)
    return events


@pytest.mark.parametrize("include_status", [False, True])
def test_every_event_of_the_corpus_and_examples_validates(
    validator: jsonschema.protocols.Validator, include_status: bool
) -> None:
    extractor = Extractor(catalog.load(), include_status=include_status)
    events = _events(extractor)
    assert len(events) > 600
    for event in events:
        errors = [error.message for error in validator.iter_errors(event)]
        assert not errors, (event, errors)
    # The envelope's service and namespace are in the events where the records carry them.
    assert any(e["service"] for e in events) and any(e["namespace"] for e in events)
    assert any(e["channel"] == "delivery_receipt" for e in events)


def test_a_kafka_event_validates_and_a_wrong_one_does_not(
    validator: jsonschema.protocols.Validator,
) -> None:
    record = b'{"level":"error","url":"https://sms.8x8.com/x","status":503,"service":"otp"}'
    source: KafkaOrigin = {"topic": "app-logs", "partition": 0, "offset": 7}
    (finding,) = Extractor(catalog.load()).extract(record, source).findings
    event = dict(finding.event)
    assert validator.is_valid(event)
    for field, wrong in [
        ("vendor", "twilio"),
        ("code", ""),
        ("timestamp", "2024-05-01 12:00:00"),
        ("trace_id", "XYZ"),
        ("source", {"topic": "t"}),
        ("service", ""),
    ]:
        assert not validator.is_valid({**event, field: wrong}), field
    assert not validator.is_valid({k: v for k, v in event.items() if k != "namespace"})
    assert not validator.is_valid({**event, "pod": "x"})
