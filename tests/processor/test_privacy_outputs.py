"""Every output the policy serves, as the processor publishes it; and the tests of each output.

The helpers here (`publish`, `OUTPUTS`) are what the named cases and the property tests push
personal data through. Each goes through the processor's own code: the redaction stage
(privacy/stage.py) and then the enriched-topic sink, the span description the span child
exports, the metrics' label guard, the log handler of `logs.configure`, the dead-letter sink.
"""

from __future__ import annotations

import io
import logging
import pickle
from collections.abc import Callable, Iterator
from typing import Any, cast

import orjson
import pytest
from vendor_errors.parsers import Event, Finding, Result
from vendor_errors.processor import logs
from vendor_errors.processor.logs import JsonFormatter
from vendor_errors.processor.privacy import (
    KAFKA_KEY_ATTRIBUTE,
    PHONE,
    SECRET,
    RedactingFilter,
    Redactor,
    install,
)
from vendor_errors.processor.privacy.stage import RedactedTransform
from vendor_errors.processor.protocols import Found, Record, Undecodable, Work
from vendor_errors.processor.sinks.dead_letter import DeadLetterSink
from vendor_errors.processor.sinks.enriched_topic import EnrichedTopicSink
from vendor_errors.processor.sinks.metrics import LabelGuard
from vendor_errors.processor.sinks.spans import describe
from vendor_errors.processor.transform import Extractor, Transform

# -- how each output publishes a value ---------------------------------------------------------


def event_with(**fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "vendor": "8x8",
        "code": "1002",
        "channel": None,
        "http_status": 400,
        "message": "Invalid MSISDN",
        "category": "validation",
        "severity": "error",
        "transient": False,
        "known": True,
        "timestamp": "2024-05-03T08:30:00.123Z",
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        "span_id": "00f067aa0ba902b7",
        "correlation_id": "123e4567-e89b-12d3-a456-426614174000",
        "service": "sms-gateway",
        "namespace": "messaging",
        "source": {"topic": "app-logs", "partition": 3, "offset": 42},
    }
    event.update(fields)
    return event


def record_event(fields: dict[str, Any]) -> dict[str, Any]:
    """The event of a record with these fields (`url` and `key` are not event fields)."""
    return event_with(**{k: v for k, v in fields.items() if k not in ("url", "key")})


class Parsed(Transform):
    """The transform stage, answering every record with one finding: what the parsers found."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(cast(Extractor, None))
        self.finding = finding

    def parse(self, value: bytes, topic: str, partition: int, offset: int) -> Result:
        return Result("error_found", [self.finding])


def staged(redactor: Redactor, fields: dict[str, Any]) -> Found:
    """The record's finding after the redaction stage, as every sink is handed it."""
    event = record_event(fields)
    finding = Finding(event=cast(Event, event), url=fields.get("url"), http_method="POST")
    source = event["source"]
    topic, partition, offset = source["topic"], source["partition"], source["offset"]
    result = RedactedTransform(Parsed(finding), redactor).parse(b"", topic, partition, offset)
    (safe,) = result.findings
    return Found(safe, topic, partition, offset, fields.get("key"), None)


def enriched_event(redactor: Redactor, **fields: Any) -> str:
    """What the enriched topic receives: the record's key and value (sinks/enriched_topic.py)."""
    work = Work(findings=[staged(redactor, fields)])
    EnrichedTopicSink("enriched").write(work)
    (output,) = work.outputs
    return f"{(output.key or b'').decode()} {output.value.decode()}"


def span(redactor: Redactor, **fields: Any) -> str:
    """A span's name, attributes and status, as the span child makes them (sinks/spans.py)."""
    found = staged(redactor, fields)
    described = describe(*found, "vendor-errors", redactor)
    assert described is not None
    return orjson.dumps(
        {"name": described.name, "attributes": described.attributes, "status": described.message}
    ).decode()


def metric_labels(redactor: Redactor, **fields: Any) -> str:
    """The label values of vendor_errors_total and vendor_errors_records_total for the event
    (sinks/metrics.py; a fresh guard, so no value is folded into _OTHER)."""
    found = staged(redactor, fields)
    guard = LabelGuard(max_unknown_codes_per_vendor=5, redactor=redactor)
    return " ".join((*guard.error_labels(found.finding.event), guard.topic(found.topic)))


@pytest.fixture
def json_log() -> Iterator[Callable[[Redactor], tuple[logging.Logger, io.StringIO]]]:
    made: list[logging.Logger] = []

    def make(redactor: Redactor) -> tuple[logging.Logger, io.StringIO]:
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(JsonFormatter())
        install(redactor, handler)
        logger = logging.getLogger(f"privacy-test-{len(made)}")
        logger.propagate = False
        logger.handlers = [handler]
        logger.setLevel(logging.DEBUG)
        made.append(logger)
        return logger, stream

    yield make
    for logger in made:
        logger.handlers = []


def log_line(redactor: Redactor, **fields: Any) -> str:
    """A warning of the processor's own logs that quotes the record (message, extras, error),
    through the handler `logs.configure` installs."""
    stream = io.StringIO()
    logger = logging.Logger("privacy-output")  # not registered: nothing else sees it
    logger.addHandler(logs.handler("INFO", stream, redactor))
    event = record_event(fields)
    try:
        raise ValueError(f"vendor said: {event['message']}")
    except ValueError:
        logger.exception(
            "vendor error %s for %s",
            event["code"],
            event["message"],
            extra={"url": fields.get("url"), "key": fields.get("key"), "event": event},
        )
    line = orjson.loads(stream.getvalue())
    del line["time"]  # the clock's digits are not the record's
    return orjson.dumps(line).decode()


def dead_letter_headers(redactor: Redactor, **fields: Any) -> str:
    """A dead letter's headers: the record's own, then vendor-errors.reason and the origin
    (sinks/dead_letter.py)."""
    event = record_event(fields)
    key = fields.get("key")
    headers = [
        ("x-recipient", event["message"].encode()),
        ("x-key", key if isinstance(key, bytes) else str(key).encode()),
    ]
    record = Record(b"\xff not a log record", key, headers, None)
    topic = event["source"]["topic"]
    reason = f"parser error near: {event['message']}"
    work = Work(undecodable=[Undecodable(record, reason, topic, 3, 42)])
    DeadLetterSink("dlq", redactor).write(work)
    (output,) = work.outputs
    return "\n".join(
        f"{name}: {(value or b'').decode('utf-8', 'replace')}"
        for name, value in output.headers or ()
    )


OUTPUTS: dict[str, Callable[..., str]] = {
    "enriched-event": enriched_event,
    "span": span,
    "metric-labels": metric_labels,
    "log": log_line,
    "dead-letter-headers": dead_letter_headers,
}


# -- the outputs' own behaviour -----------------------------------------------------------------


def test_log_filter_redacts_message_arguments_extras_and_exception(
    json_log: Callable[[Redactor], tuple[logging.Logger, io.StringIO]],
) -> None:
    logger, stream = json_log(Redactor())
    try:
        raise RuntimeError("send to +14155550123 failed")
    except RuntimeError:
        logger.exception(
            "record %s from jane@example.com", "tel:14155550124", extra={"to": ["14155550125"]}
        )
    line = orjson.loads(stream.getvalue())
    assert line["message"] == f"record tel:{PHONE} from [email]"
    assert line["to"] == [PHONE]
    assert "RuntimeError: send to [phone] failed" in line["exception"]
    assert "1415555" not in stream.getvalue()


def test_log_filter_leaves_clean_records_alone_and_runs_once(
    json_log: Callable[[Redactor], tuple[logging.Logger, io.StringIO]],
) -> None:
    logger, stream = json_log(Redactor())
    logger.handlers[0].addFilter(RedactingFilter(Redactor()))  # a second filter: no double work
    logger.warning("catalog reloaded: %d entries, code %s", 690, "30005")
    assert orjson.loads(stream.getvalue())["message"] == "catalog reloaded: 690 entries, code 30005"


def test_log_filter_off_when_redaction_is_off(
    json_log: Callable[[Redactor], tuple[logging.Logger, io.StringIO]],
) -> None:
    logger, stream = json_log(Redactor(False))
    logger.warning("to %s", "+14155550123")
    assert orjson.loads(stream.getvalue())["message"] == "to +14155550123"


def test_log_filter_with_a_standard_formatter_prints_the_redacted_exception() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter(Redactor()))
    logger = logging.Logger("privacy-standard")
    logger.addHandler(handler)
    try:
        raise KeyError("jane@example.com")
    except KeyError:
        logger.exception("lookup failed")
    text = stream.getvalue()
    assert "ERROR lookup failed" in text and "KeyError: '[email]'" in text
    assert "jane" not in text


def test_install_without_a_handler_covers_the_root_handlers() -> None:
    root = logging.getLogger()
    handler = logging.StreamHandler(io.StringIO())
    root.addHandler(handler)
    try:
        added = install(Redactor())
        assert added in handler.filters
    finally:
        root.removeHandler(handler)


def test_headers_redact_text_and_keep_binary_bytes_exactly() -> None:
    binary = b"\x00\xff\xfe+14155550123\x80"
    headers = Redactor().headers(
        [
            ("traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            ("to", b"jane@example.com"),
            ("blob", binary),
            ("empty", None),
            ("vendor-errors.reason", b"invalid utf-8"),
        ]
    )
    assert headers == [
        ("traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        ("to", b"[email]"),
        ("blob", b"\x00\xff\xfe[phone]\x80"),
        ("empty", None),
        ("vendor-errors.reason", b"invalid utf-8"),
    ]


def test_key_is_a_stable_keyed_hash_never_the_key() -> None:
    redactor = Redactor()
    first = redactor.key(b"+14155550116")
    assert first is not None and first.startswith("blake2b:") and len(first) == 8 + 16
    assert redactor.key(b"+14155550116") == first  # records of one key still group
    assert redactor.key("+14155550116") == first  # str and bytes alike
    assert redactor.key(b"+14155550117") != first
    assert Redactor().key(b"+14155550116") != first  # another run, another random salt
    assert redactor.key(None) is None


def test_key_salt_makes_hashes_stable_across_runs_and_replicas() -> None:
    one, two = Redactor(key_salt="s3cret"), Redactor(key_salt=b"s3cret")
    assert one.key(b"jane117@example.com") == two.key(b"jane117@example.com")
    assert Redactor(key_salt="other").key(b"jane117@example.com") != one.key(b"jane117@example.com")
    long_salt = "x" * 200  # longer than BLAKE2b takes: condensed, not refused
    assert Redactor(key_salt=long_salt).key(b"k") == Redactor(key_salt=long_salt).key(b"k")


def test_key_redact_mode_and_disabled_policy() -> None:
    assert Redactor(kafka_key="redact").key(b"+14155550116") == SECRET
    disabled = Redactor(False)  # redaction off: keys are still never copied
    assert disabled.key(b"+14155550116") != "+14155550116"
    assert "1415555" not in (disabled.key(b"+14155550116") or "")


def test_attributes_hash_the_key_and_redact_every_string() -> None:
    redactor = Redactor()
    clean = redactor.attributes(
        {
            KAFKA_KEY_ATTRIBUTE: "+14155550116",
            "url.full": "https://u:p@api.8x8.com/v1/messages/14155550112?sig=abc",
            "vendor_error.correlation_id": "14155550113",
            "messaging.kafka.offset": 42,
            "vendor_error.transient": False,
            "tags": ["jane@example.com", "ok"],
        }
    )
    assert clean[KAFKA_KEY_ATTRIBUTE] == redactor.key(b"+14155550116")
    assert clean["url.full"] == f"https://api.8x8.com/v1/messages/{PHONE}?sig={SECRET}"
    assert clean["vendor_error.correlation_id"] == PHONE
    assert clean["messaging.kafka.offset"] == 42 and clean["vendor_error.transient"] is False
    assert clean["tags"] == ["[email]", "ok"]


def test_event_is_copied_only_when_something_changed() -> None:
    redactor = Redactor()
    clean = event_with()
    assert redactor.event(clean) is clean
    dirty = event_with(message="Invalid MSISDN:14155550105")
    safe = redactor.event(dirty)
    assert safe is not dirty and safe["message"] == f"Invalid MSISDN:{PHONE}"
    assert dirty["message"] == "Invalid MSISDN:14155550105"  # the finding is not modified
    assert safe["source"] is dirty["source"]


def test_finding_is_redacted_as_one_stage_before_every_sink() -> None:
    redactor = Redactor()
    clean = Finding(event=cast(Event, event_with()), url="https://sms.8x8.com/api/v1/messages")
    assert redactor.finding(clean) is clean
    dirty = Finding(
        event=cast(
            Event, event_with(message="Invalid MSISDN:14155550105", code="14155550119", known=False)
        ),
        url="https://sms.8x8.com/api/v1/messages/14155550112?sig=abc",
        http_method="POST",
    )
    safe = redactor.finding(dirty)
    assert safe.event["message"] == f"Invalid MSISDN:{PHONE}" and safe.event["code"] == PHONE
    assert safe.url == f"https://sms.8x8.com/api/v1/messages/{PHONE}?sig={SECRET}"
    assert safe.http_method == "POST" and dirty.url is not None and "14155550112" in dirty.url


def test_event_keeps_ids_fields_from_closed_sets_and_numbers() -> None:
    redactor = Redactor()
    event = event_with(
        timestamp="2024-05-03T08:30:00.123456789+00:00",
        correlation_id="00000000-1111-2222-3333-444455556666",
        span_id="0102030405060708",
        trace_id="12345678901234567890123456789012",
    )
    assert redactor.event(event) is event


def test_event_redacts_every_free_string_field() -> None:
    redactor = Redactor()
    event = event_with(
        code="jane@example.com",
        known=False,
        channel="14155550101",
        correlation_id="msisdn-14155550102",
        service="svc-jane@example.com",
        namespace="+14155550103",
        source={"file": "/var/log/14155550104/app.log", "line": 3},
        span_id="tel:+14155550105",
        future_field="to 14155550106",
    )
    dumped = orjson.dumps(redactor.event(event)).decode()
    assert "1415555" not in dumped and "jane" not in dumped
    assert redactor.event(event)["source"] == {"file": f"/var/log/{PHONE}/app.log", "line": 3}


def test_policy_pickles_with_its_salt_and_patterns() -> None:
    """The span exporter runs in a spawned child: it gets the same policy, the same hashes."""
    redactor = Redactor(patterns=[r"CUST-\d+"], secret_params=["token", "ticket"])
    redactor.text("warm the cache with +14155550123")
    copy = pickle.loads(pickle.dumps(redactor))
    assert copy._cache == {}  # the cache stays behind
    assert copy.key(b"k") == redactor.key(b"k")
    assert copy.text("CUST-1234 ?ticket=abc&page=2") == f"{SECRET} ?ticket={SECRET}&page=2"


def test_repeating_events_skip_to_their_ids_and_still_agree() -> None:
    """An event seen clean before is only checked for its ids: a new id that is a phone number
    is still caught, and the answer is the one a fresh policy gives."""
    warm, fresh = Redactor(), Redactor()
    first = event_with()
    assert warm.event(first) is first
    again = event_with(correlation_id="14155550118", trace_id="not-hex-14155550119")
    assert warm.event(again) == fresh.event(again)
    assert warm.event(again)["correlation_id"] == PHONE
    other_source = event_with(source={"topic": "jane@example.com", "partition": 1, "offset": 2})
    assert warm.event(other_source)["source"]["topic"] == "[email]"
    extra = {**first, "future_field": "+14155550120"}  # not in the contract: the slow path
    assert warm.event(extra)["future_field"] == PHONE


def test_cache_agrees_with_the_rules_and_stays_bounded() -> None:
    redactor = Redactor()
    values = [f"Invalid destination +1415555{n:04d} (code {n})" for n in range(5000)]
    for value in values:
        assert redactor.text(value) == redactor.rules.redact(value)
        assert redactor.text(value) == redactor.rules.redact(value)  # a hit, the same answer
    assert len(redactor._cache) <= 4096
