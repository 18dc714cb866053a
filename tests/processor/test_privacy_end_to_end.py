"""The privacy probes of issue 16 through `vendor-errors run`, a real broker, a real OTLP receiver.

Records carrying each kind of leak the chaos run found go in; the enriched topic, the spans the
receiver got, the /metrics scrape, the processor's own stderr and the dead-letter headers come
out. With the default settings none of the probes may be in any of them; with `privacy.redact:
false` (the control) each probe shows up where it was published before, which proves the probes
reach those outputs at all, except Kafka keys, which are hashed whatever the setting.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import orjson
import pytest
from kafka import KafkaProducer
from vendor_errors.processor.privacy import Redactor

from tests.processor.kafka_tools import (
    Offsets,
    ProcessorProcess,
    any_port,
    environment,
    http_get,
    read_all,
    wait_until,
)
from tests.processor.otlp_receiver import OtlpReceiver

pytestmark = pytest.mark.kafka

PAD = "Message could not be delivered to the recipient. " * 25
SALT = "privacy-e2e-salt"
# Where a probe shows when redaction is off.
ENRICHED, SPANS, METRICS, LOGS, DEAD_LETTERS = (
    "enriched topic",
    "spans",
    "metrics",
    "logs",
    "dead-letter headers",
)
# In the names of the input topic and the consumer group, which the processor logs at start and
# puts in span attributes and metric labels.
TOPIC_PROBE, GROUP_PROBE = "14155550170", "14155550171"


def cut_by_the_parser(item: str, keep: int) -> str:
    """A vendor message whose first 1000 characters (what the parser keeps) end `keep`
    characters into `item`."""
    message = PAD[: 1000 - keep - 1] + " " + item + " and the rest of the vendor's message"
    assert message[:1000].endswith(" " + item[:keep])
    return message


def eight_by_eight(
    message: str,
    *,
    code: object = 1300,
    url: str = "https://sms.8x8.com/api/v1/subaccounts/acme/messages",
    error_id: str = "a3f1c2d4-0000-4000-8000-000000000001",
) -> bytes:
    """A service's log record quoting an 8x8 SMS API error body."""
    return orjson.dumps(
        {
            "timestamp": "2025-03-01T10:00:00.250Z",
            "level": "error",
            "logger": "notify.sms",
            "message": "SMS send failed",
            "http": {"method": "POST", "url": url, "status_code": 400},
            "response": {"code": code, "message": message, "errorId": error_id},
        }
    )


class Probe(NamedTuple):
    record: bytes
    secrets: tuple[str, ...]  # none may be published, in whole or in part
    shown: str  # where the control run publishes the first secret ("" for Kafka keys: nowhere)
    key: bytes | None = None


INVALID = "Invalid destination"
PROBES: dict[str, Probe] = {
    "msisdn-after-colon": Probe(
        eight_by_eight("Invalid MSISDN:14155550105"), ("4155550105",), ENRICHED
    ),
    "number-after-slash": Probe(
        eight_by_eight("POST /v1/sms/14155550106 rejected"), ("4155550106",), ENRICHED
    ),
    "number-after-tel": Probe(
        eight_by_eight("tel:14155550107 is not reachable"), ("4155550107",), SPANS
    ),
    "number-after-equals": Probe(
        eight_by_eight("delivery failed to=14155550108 status=undeliverable"),
        ("4155550108",),
        ENRICHED,
    ),
    "number-in-url-path": Probe(
        eight_by_eight(INVALID, url="https://sms.8x8.com/api/v1/messages/14155550112"),
        ("4155550112",),
        SPANS,
    ),
    "number-in-url-query": Probe(
        eight_by_eight(INVALID, url="https://sms.8x8.com/api/v1/messages?to=%2B14155550113&page=2"),
        ("4155550113",),
        SPANS,
    ),
    "kafka-key-phone": Probe(eight_by_eight(INVALID), ("4155550116",), "", b"+14155550116"),
    "kafka-key-email": Probe(
        eight_by_eight(INVALID), ("jane117", "jane117@example.com"), "", b"jane117@example.com"
    ),
    "number-cut-by-the-parser": Probe(
        eight_by_eight(cut_by_the_parser("+17775550123", 7)), ("177755",), ENRICHED
    ),
    "msisdn-cut-by-the-parser": Probe(
        eight_by_eight(cut_by_the_parser("MSISDN:19995550123", 13)), ("199955",), ENRICHED
    ),
    "email-cut-by-the-parser": Probe(
        eight_by_eight(cut_by_the_parser("jane.doe.sixteen@example.com", 24)),
        ("jane.doe.sixteen",),
        ENRICHED,
    ),
    "url-in-message-token-and-sig": Probe(
        eight_by_eight(
            "callback https://hooks.example.com/cb?token=tok9f8e7d6c&sig=sig1a2b3c4d returned 410"
        ),
        ("tok9f8e7d6c", "sig1a2b3c4d"),
        ENRICHED,
    ),
    "url-full-secret-parameters": Probe(
        eight_by_eight(
            INVALID,
            url="https://sms.8x8.com/api/v1/messages?access_key=AKIAEXAMPLE1"
            "&secret_key=wJalrXUtnFEMI&x-api-key=k3y0f8x8&hmac=9c1185a5c5e9fc54&page=2",
        ),
        ("AKIAEXAMPLE1", "wJalrXUtnFEMI", "k3y0f8x8", "9c1185a5c5e9fc54"),
        SPANS,
    ),
    "idn-email": Probe(
        eight_by_eight("Recipient jösé.müller@exämple.de bounced"), ("jösé.müller",), ENRICHED
    ),
    "idn-email-all-unicode": Probe(
        eight_by_eight("收件人 用户@例子.广告 无效"), ("用户@",), ENRICHED
    ),
    "phone-as-correlation-id": Probe(
        eight_by_eight(INVALID, error_id="14155550118"), ("4155550118",), ENRICHED
    ),
    "phone-as-unknown-code": Probe(
        eight_by_eight("Unknown error", code="14155550119"), ("4155550119",), METRICS
    ),
    "email-as-unknown-code": Probe(
        eight_by_eight("Unknown error", code="jane120@example.com"), ("jane120",), METRICS
    ),
    "e164-with-spaces": Probe(
        eight_by_eight("Recipient +44 20 7946 0958 has opted out"), ("7946 0958",), ENRICHED
    ),
    "national-number": Probe(
        eight_by_eight("number (415) 555-0121 is not a mobile number"), ("555-0121",), ENRICHED
    ),
}
# Poison records (not UTF-8): dead letters, with the record's own headers.
JUNK = b"\xff\xfe\x00 not a log record \x80" * 8
DEAD_LETTER_HEADERS = [("x-recipient", b"+14155550180"), ("x-contact", b"jane.dlq@example.com")]
DEAD_LETTER_KEY = b"+14155550181"
EVERY_SECRET = (
    *(secret for probe in PROBES.values() for secret in probe.secrets),
    "4155550180",
    "jane.dlq",
    TOPIC_PROBE,
    GROUP_PROBE,
)


class Published(NamedTuple):
    outputs: dict[str, str]  # what each output published, as text
    span_keys: list[str]  # messaging.kafka.message.key of every span that has one
    dead_letter_keys: list[bytes | None]


def produce_probes(bootstrap: str, topic: str) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        for probe in PROBES.values():
            producer.send(topic, probe.record, key=probe.key)
        producer.send(topic, JUNK, key=DEAD_LETTER_KEY, headers=DEAD_LETTER_HEADERS)
        producer.flush(timeout=60)
    finally:
        producer.close()


def run_processor(
    bootstrap: str, new_topic: Callable[..., str], log: Path, **settings: str
) -> Published:
    """`vendor-errors run` over the probes until it caught up, then stopped (spans flushed)."""
    topic = new_topic(f"logs-{TOPIC_PROBE}")
    enriched, dlq, group = new_topic("enriched"), new_topic("dlq", 1), f"grp-{GROUP_PROBE}"
    group += "-" + topic.rpartition("-")[2]  # a group of its own each run
    produce_probes(bootstrap, topic)
    receiver = OtlpReceiver()
    env = environment(
        bootstrap,
        topic,
        group,
        any_port(),
        OUTPUT__ENRICHED_TOPIC=enriched,
        OUTPUT__DEAD_LETTER_TOPIC=dlq,
        TRACING__ENABLED="true",
        PRIVACY__KEY_SALT=SALT,
        **settings,
    )
    env.update(
        OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
        OTEL_BSP_SCHEDULE_DELAY="200",
    )
    process = ProcessorProcess(env, log).start()
    try:
        process.wait_ready()
        with Offsets(bootstrap) as offsets:
            wait_until(lambda: offsets.caught_up(group, topic), 60, "the probes processed")
        status, scraped = http_get(process.port, "/metrics")
        assert status == 200, process.logs()
        process.signal(signal.SIGTERM)
        assert process.wait(30) == 0, process.logs()
    finally:
        process.stop()
        receiver.close()
    spans = receiver.spans
    assert len(spans) == len(PROBES), process.logs()
    enriched_records = read_all(bootstrap, enriched)
    assert len(enriched_records) == len(PROBES)
    dead = read_all(bootstrap, dlq)
    assert [r.value for r in dead] == [JUNK]  # as it was: it can be replayed
    return Published(
        {
            ENRICHED: "\n".join(
                f"{(r.key or b'').decode()} {r.value.decode()}" for r in enriched_records
            ),
            SPANS: orjson.dumps(spans).decode(),
            METRICS: scraped,
            LOGS: log.read_text(encoding="utf-8", errors="replace"),
            DEAD_LETTERS: "\n".join(
                f"{name}: {(value or b'').decode('utf-8', 'replace')}"
                for record in dead
                for name, value in record.headers
            ),
        },
        [
            span["attributes"]["messaging.kafka.message.key"]
            for span in spans
            if "messaging.kafka.message.key" in span["attributes"]
        ],
        [record.key for record in dead],
    )


@pytest.fixture(scope="module")
def runs(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Published]]:
    """Both runs, redaction on (the default) and off, made once for the tests below."""
    import uuid

    from tests.support.kafka_broker import create_topic

    def new_topic(name: str = "topic", partitions: int = 3) -> str:
        unique = f"{name}-privacy-e2e-{uuid.uuid4().hex[:8]}"
        return create_topic(kafka_bootstrap, unique, partitions=partitions)

    logs = tmp_path_factory.mktemp("privacy-e2e")
    yield {
        "on": run_processor(kafka_bootstrap, new_topic, logs / "redact.log"),
        "off": run_processor(
            kafka_bootstrap, new_topic, logs / "no-redact.log", PRIVACY__REDACT="false"
        ),
    }


def leaks(published: Published) -> dict[str, list[str]]:
    return {
        output: found
        for output, text in published.outputs.items()
        if (found := [secret for secret in EVERY_SECRET if secret in text])
    }


def test_no_probe_reaches_any_output(runs: dict[str, Published]) -> None:
    published = runs["on"]
    assert leaks(published) == {}
    # The placeholders are there instead (the probes did reach the outputs).
    assert "[phone]" in published.outputs[ENRICHED] and "[email]" in published.outputs[ENRICHED]
    assert "[phone]" in published.outputs[SPANS] and "[redacted]" in published.outputs[SPANS]
    assert 'code="[phone]"' in published.outputs[METRICS]
    assert "logs-[phone]" in published.outputs[LOGS]
    assert "x-recipient: [phone]" in published.outputs[DEAD_LETTERS]


@pytest.mark.parametrize("name", sorted(PROBES))
def test_the_probe_is_published_where_the_setting_allows(
    runs: dict[str, Published], name: str
) -> None:
    """The control run: with `privacy.redact: false` the probe is there (keys excepted)."""
    probe = PROBES[name]
    off = runs["off"]
    if not probe.shown:  # a Kafka key: hashed whatever the setting
        assert not any(secret in off.outputs[SPANS] for secret in probe.secrets)
        return
    if name.endswith("-cut-by-the-parser"):
        # The parsers cut a long message at a blank: the word the cut falls in is left out
        # whole, whatever the setting (no fragment for redaction to miss). What comes before
        # the cut is published.
        assert not any(secret in off.outputs[probe.shown] for secret in probe.secrets)
        assert "Message could not be delivered" in off.outputs[probe.shown]
        return
    assert probe.secrets[0] in off.outputs[probe.shown], off.outputs[probe.shown][-3000:]


def test_the_control_run_shows_the_logs_and_dead_letter_probes(runs: dict[str, Published]) -> None:
    off = runs["off"].outputs
    assert TOPIC_PROBE in off[LOGS] and GROUP_PROBE in off[LOGS]
    assert GROUP_PROBE in off[SPANS]  # messaging.consumer.group.name
    assert "+14155550180" in off[DEAD_LETTERS] and "jane.dlq@example.com" in off[DEAD_LETTERS]


@pytest.mark.parametrize("run", ["on", "off"])
def test_keys_are_keyed_hashes_in_spans_whatever_the_setting(
    runs: dict[str, Published], run: str
) -> None:
    published = runs[run]
    expected = Redactor(key_salt=SALT)  # privacy.key_salt reached the span exporter's process
    hashes = {expected.key(key) for key in (b"+14155550116", b"jane117@example.com")}
    assert sorted(published.span_keys) == sorted(hashes)
    assert all(re.fullmatch(r"blake2b:[0-9a-f]{16}", key) for key in published.span_keys)


@pytest.mark.parametrize("run", ["on", "off"])
def test_dead_letters_keep_the_record_and_its_key(runs: dict[str, Published], run: str) -> None:
    """Value and key stay raw (replayable): the topic needs the input topics' access rules."""
    assert runs[run].dead_letter_keys == [DEAD_LETTER_KEY]
