"""The privacy policy wired into the processor (docs/privacy.md): the redaction stage after
extraction, what each sink adds on its own (keys, labels, headers), the logs of every process.

Each sink is tested on findings that did not go through the stage: its own calls are the
backstop, and a test through the stage alone could not tell them missing.
"""

from __future__ import annotations

import io
import logging
import sys
import threading
from collections import Counter
from typing import Any, cast

import pytest
from prometheus_client import generate_latest
from vendor_errors import catalog
from vendor_errors.parsers import Event, Finding, Result
from vendor_errors.processor import child as child_module
from vendor_errors.processor import logs
from vendor_errors.processor.child import Child, Inbox
from vendor_errors.processor.privacy import KAFKA_KEY_ATTRIBUTE, PHONE, SECRET, Redactor
from vendor_errors.processor.privacy.stage import RedactedTransform
from vendor_errors.processor.protocols import Found, Record, Undecodable, Work
from vendor_errors.processor.services import ServiceMap, ServiceTransform
from vendor_errors.processor.sinks.dead_letter import DeadLetterSink
from vendor_errors.processor.sinks.metrics import OTHER, Metrics
from vendor_errors.processor.sinks.spans import describe
from vendor_errors.processor.transform import Transform

from tests.processor.fakes import FakeExtractor, event
from tests.processor.test_services import Records

# -- the redaction stage ------------------------------------------------------------------------


class Quoting(FakeExtractor):
    """`err:<code>`, and the message quotes the recipient after `|` (`err:1300|+1415...`)."""

    def extract(self, raw: bytes | str, source: dict[str, Any]) -> Result:
        value = raw if isinstance(raw, bytes) else raw.encode()
        code, _, quoted = value[4:].decode().partition("|")
        found = event(code, source["topic"], source["partition"], source["offset"])
        if quoted:
            found["message"] = f"Invalid destination {quoted}"
        url = f"https://sms.8x8.com/api/v1/messages/{quoted}" if quoted else None
        return Result("error_found", [Finding(found, url=url)])


def test_the_stage_redacts_each_finding_after_the_service_is_filled_in() -> None:
    inner = ServiceTransform(Quoting(), ServiceMap({}, "x-service"))
    stage = RedactedTransform(inner, Redactor())
    records = Records(
        "app-logs",
        [b"err:14155550119", b"err:1300|tel:14155550105", b"err:1300"],
        [[("x-service", b"jane@example.com")], [], []],
    )
    _, noted = stage.parse_many(records)
    phone_code, quoting, clean = (result.findings[0] for _, result in noted)
    assert phone_code.event["code"] == PHONE  # an unknown code that is a recipient
    assert phone_code.event.get("service") == "[email]"  # filled from the header, then redacted
    assert quoting.event["message"] == f"Invalid destination tel:{PHONE}"
    assert quoting.url == f"https://sms.8x8.com/api/v1/messages/tel:{PHONE}"
    assert clean.event["message"] == "Invalid destination" and clean.url is None


def test_the_stage_keeps_clean_findings_and_redacts_single_records_too() -> None:
    shared = Finding(event("1300", "t", 0, 0))

    class Same(FakeExtractor):
        def extract(self, raw: bytes | str, source: dict[str, Any]) -> Result:
            return Result("error_found", [shared])

    stage = RedactedTransform(Transform(Same()), Redactor())
    _, noted = stage.parse_many(Records("t", [b"x"], [[]]))
    assert noted[0][1].findings[0] is shared  # nothing to hide: no copy
    single = RedactedTransform(Transform(Quoting()), Redactor()).parse(
        b"err:x|+14155550123", "t", 0, 1
    )
    assert single.findings[0].event["message"] == f"Invalid destination {PHONE}"


def test_the_stage_passes_a_catalog_reload_on() -> None:
    extractor = FakeExtractor()
    stage = RedactedTransform(Transform(extractor), Redactor())
    loaded = catalog.load()
    stage.use_catalog(loaded)
    assert extractor.catalog is loaded


# -- what each sink adds ------------------------------------------------------------------------


def raw_finding(**fields: Any) -> Finding:
    """A finding as the parsers make it, before the redaction stage."""
    found = event("1300", "app-logs", 2, 41)
    found.update(cast(Event, fields))
    return Finding(
        found,
        url="https://sms.8x8.com/api/v1/messages?access_key=AKIAEXAMPLE1&to=14155550112",
        http_method="POST",
    )


def test_a_span_hashes_the_key_and_redacts_each_attribute_it_sets() -> None:
    redactor = Redactor()
    finding = raw_finding(
        code="14155550119",
        known=False,
        correlation_id="14155550118",
        service="jane@example.com",
        message="Invalid MSISDN:14155550105",
    )
    described = describe(finding, "logs-14155550170", 2, 41, b"+14155550116", None, "g", redactor)
    assert described is not None
    attributes = described.attributes
    assert attributes["vendor_error.code"] == attributes["error.type"] == PHONE
    assert attributes["vendor_error.correlation_id"] == PHONE
    assert attributes["vendor_error.service"] == "[email]"
    assert attributes["messaging.destination.name"] == f"logs-{PHONE}"
    assert attributes["url.full"] == (
        f"https://sms.8x8.com/api/v1/messages?access_key={SECRET}&to={PHONE}"
    )
    assert attributes[KAFKA_KEY_ATTRIBUTE] == redactor.key(b"+14155550116")
    assert described.message == f"Invalid MSISDN:{PHONE}"
    assert "1415555" not in repr(attributes) and "jane" not in repr(attributes)


def test_a_span_with_redaction_off_still_hashes_the_key() -> None:
    redactor = Redactor(False)
    described = describe(raw_finding(), "t", 0, 1, b"+14155550116", None, "g", redactor)
    assert described is not None
    assert described.attributes[KAFKA_KEY_ATTRIBUTE] == redactor.key(b"+14155550116")
    assert "14155550112" in described.attributes["url.full"]  # published as found
    hidden = Redactor(kafka_key="redact")
    described = describe(raw_finding(), "t", 0, 1, b"+14155550116", None, "g", hidden)
    assert described is not None and described.attributes[KAFKA_KEY_ATTRIBUTE] == SECRET


def test_recipients_taken_for_codes_share_one_label_value() -> None:
    metrics = Metrics(catalog.load(), max_unknown_codes_per_vendor=2, redactor=Redactor())
    try:
        codes = [f"1415555{n:04d}" for n in range(10)] + ["ZZ1", "ZZ2"]
        topic = "jane@example.com"
        events = [
            {**event(code, topic, 0, n), "service": "svc jane@example.com"}
            for n, code in enumerate(codes)
        ]
        found = [
            Found(Finding(cast(Event, e)), topic, 0, n, None, None) for n, e in enumerate(events)
        ]
        metrics.write(Work({topic: Counter(error_found=12)}, found))
        scraped = generate_latest(metrics.registry).decode()
    finally:
        metrics.close()
    labels = {line.split('code="')[1].split('"')[0] for line in scraped.splitlines()
              if line.startswith("vendor_errors_total{")}  # fmt: skip
    # The recipients take one of the two slots: a real unknown code still gets the other.
    assert labels == {PHONE, "ZZ1", OTHER}
    assert 'topic="[email]"' in scraped and 'service="svc [email]"' in scraped
    assert "1415555" not in scraped and "jane" not in scraped


def test_dead_letters_keep_value_and_key_and_redact_every_header() -> None:
    record = Record(
        b"\xff+14155550180",
        b"+14155550181",
        [("x-to", b"jane@example.com"), ("bin", b"\x00\xff")],
        None,
    )
    work = Work(undecodable=[Undecodable(record, "near +14155550182", "logs", 0, 7)])
    DeadLetterSink("dlq", Redactor()).write(work)
    (output,) = work.outputs
    assert (output.value, output.key) == (record.value, record.key)  # replayable as it was
    assert output.headers is not None
    headers = dict(output.headers)
    assert headers["x-to"] == b"[email]" and headers["bin"] == b"\x00\xff"
    assert headers["vendor-errors.reason"] == b"near [phone]"
    assert headers["vendor-errors.offset"] == b"7"


# -- logs ---------------------------------------------------------------------------------------


def logs_a_recipient(inbox: Inbox) -> None:
    logging.getLogger("child-test").warning("sending to %s for %s", "+14155550123", "CUST-4711")
    raise ValueError("bounced: jane@example.com")


@pytest.mark.parametrize("given", ["explicitly", "by configure"])
def test_a_child_process_logs_through_the_parents_policy(
    given: str, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    redactor = Redactor(patterns=[r"CUST-\d+"])  # not the default policy: the settings'
    monkeypatch.setattr(child_module, "LOG_REDACTOR", None)
    if given == "by configure":
        child_module.configure(child_module.TERM_GRACE_SECONDS, log_redactor=redactor)
    helper = Child(
        "logs", logs_a_recipient, (), capacity=1, log_level="INFO",
        redactor=redactor if given == "explicitly" else None,
    )  # fmt: skip
    helper.join(30)
    assert not helper.is_alive()
    helper.stop(1)
    err = capfd.readouterr().err
    assert f"sending to {PHONE} for {SECRET}" in err
    assert "ValueError: bounced: [email]" in err  # the crash too: logged, not printed raw
    assert "4155550123" not in err and "jane@" not in err and "4711" not in err


def test_a_child_process_logs_as_found_when_redaction_is_off(
    capfd: pytest.CaptureFixture[str],
) -> None:
    helper = Child(
        "logs", logs_a_recipient, (), capacity=1, log_level="INFO", redactor=Redactor(False)
    )
    helper.join(30)
    helper.stop(1)
    err = capfd.readouterr().err
    assert "+14155550123" in err and "jane@example.com" in err


def test_uncaught_exceptions_in_threads_are_logged_redacted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))  # restored after the test
    monkeypatch.setattr(root, "level", root.level)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    stream = io.StringIO()
    try:
        logs.configure("INFO", stream)  # no policy given: the default one
        logging.getLogger("t").warning("to %s", "+14155550123")

        def fails() -> None:
            raise RuntimeError("no route to tel:14155550124")

        thread = threading.Thread(target=fails, name="worker")
        thread.start()
        thread.join()
    finally:
        logging.captureWarnings(False)
    text = stream.getvalue()
    assert f"to {PHONE}" in text and f"RuntimeError: no route to tel:{PHONE}" in text
    assert '"thread_name":"worker"' in text and "1415555" not in text


# -- what the policy cannot do alone ------------------------------------------------------------


def test_an_address_the_parser_cuts_before_its_at_sign_is_not_published() -> None:
    import orjson
    from vendor_errors.parsers import Extractor

    pad = "Message could not be delivered to the recipient. " * 25
    message = pad[:990] + " jane.doe.sixteen@example.com and more"
    record = orjson.dumps({"response": {"code": 1300, "message": message, "errorId": "x"},
                           "http": {"url": "https://sms.8x8.com/api/v1/messages"}})  # fmt: skip
    stage = RedactedTransform(Transform(Extractor(catalog.load())), Redactor())
    (finding,) = stage.parse(record, "t", 0, 1).findings
    published = finding.event["message"] or ""
    assert len(published) >= 990  # the message, up to (or past) the cut
    assert "jane.doe" not in published  # the word the cut falls in is left out whole
