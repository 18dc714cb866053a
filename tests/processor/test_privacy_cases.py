"""The privacy probes of issue 16, one named test per kind of leak and output.

An outside chaos run found phone numbers, e-mail addresses and URL secrets in the enriched topic
and the spans. Each kind it found is here, pushed through every output it can reach (enriched
event, span, metric labels, the processor's logs, dead-letter headers); the test names say
which, e.g. `test_probe[msisdn-after-colon/span]`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest
from vendor_errors.processor.privacy import MAX_TEXT_CHARS, Redactor

from tests.processor.test_privacy_outputs import OUTPUTS

PAD = "Message could not be delivered to the recipient. " * 45  # the cut falls after it


def straddling(item: str, cut_inside: int) -> str:
    """A message whose 2048-character cut falls `cut_inside` characters into `item`."""
    head = PAD[: MAX_TEXT_CHARS - cut_inside - 1] + " "
    assert len(head) + cut_inside == MAX_TEXT_CHARS
    return head + item + " and more text after it"


def cut_upstream(item: str, keep: int) -> str:
    """A vendor message the parser cut at 1000 characters, `keep` characters into `item`."""
    message = PAD[: 1000 - keep - 1] + " " + item[:keep]
    assert len(message) == 1000
    return message


class Probe(NamedTuple):
    fields: dict[str, Any]  # what the record gave: event fields, plus `url` and `key`
    secrets: tuple[str, ...]  # none of these may be published, in whole or cut
    outputs: tuple[str, ...]


ALL = ("enriched-event", "span", "log", "dead-letter-headers")
PROBES: dict[str, Probe] = {
    "msisdn-after-colon": Probe({"message": "Invalid MSISDN:14155550105"}, ("4155550105",), ALL),
    "number-after-slash": Probe(
        {"message": "POST /v1/sms/14155550106 rejected"}, ("4155550106",), ALL
    ),
    "number-after-tel": Probe(
        {"message": "tel:14155550107 is not reachable"}, ("4155550107",), ALL
    ),
    "number-after-equals": Probe(
        {"message": "delivery failed to=14155550108 status=undeliverable"}, ("4155550108",), ALL
    ),
    "number-in-url-path": Probe(
        {"url": "https://api.us.webexconnect.io/v1/messages/14155550112"},
        ("4155550112",),
        ("span", "log"),
    ),
    "number-in-url-query": Probe(
        {"url": "https://sms.8x8.com/api/v1/messages?to=%2B14155550113&page=2"},
        ("4155550113",),
        ("span", "log"),
    ),
    "kafka-key-phone": Probe({"key": b"+14155550116"}, ("4155550116",), ("span", "log")),
    "kafka-key-email": Probe(
        {"key": b"jane117@example.com"}, ("jane117", "example.com"), ("span", "log")
    ),
    "number-split-by-cut": Probe(
        {"message": straddling("+17775550123", 7)}, ("177755", "7775550123"), ALL
    ),
    "email-split-by-cut": Probe(
        {"message": straddling("jane.doe.sixteen@example.com", 24)},
        ("jane.doe.sixteen", "@example"),
        ALL,
    ),
    # The parser keeps the first 1000 characters of a vendor message (parsers/vendors/base.py):
    # what reaches the policy may end inside a number or an address.
    "number-cut-upstream": Probe({"message": cut_upstream("+17775550123", 7)}, ("177755",), ALL),
    "msisdn-cut-upstream": Probe(
        {"message": cut_upstream("MSISDN:14155550123", 13)}, ("141555",), ALL
    ),
    "email-cut-upstream": Probe(
        {"message": cut_upstream("jane.doe.sixteen@example.com", 24)},
        ("jane.doe.sixteen",),
        ALL,
    ),
    "url-in-message-token-and-sig": Probe(
        {
            "message": "callback https://hooks.example.com/cb?token=tok9f8e7d6c&sig=sig1a2b3c4d "
            "returned 410"
        },
        ("tok9f8e7d6c", "sig1a2b3c4d"),
        ALL,
    ),
    "url-full-access-key": Probe(
        {"url": "https://api.8x8.com/v1/sms?access_key=AKIAEXAMPLE1&page=2"},
        ("AKIAEXAMPLE1",),
        ("span", "log"),
    ),
    "url-full-secret-key": Probe(
        {"url": "https://api.8x8.com/v1/sms?secret_key=wJalrXUtnFEMI&page=2"},
        ("wJalrXUtnFEMI",),
        ("span", "log"),
    ),
    "url-full-x-api-key": Probe(
        {"url": "https://api.8x8.com/v1/sms?x-api-key=k3y0f8x8&page=2"},
        ("k3y0f8x8",),
        ("span", "log"),
    ),
    "url-full-hmac": Probe(
        {"url": "https://api.8x8.com/v1/sms?hmac=9c1185a5c5e9fc54612808977ee8f548b2258d31"},
        ("9c1185a5c5e9fc54612808977ee8f548b2258d31",),
        ("span", "log"),
    ),
    "url-full-credentials": Probe(
        {"url": "https://acme:hunter2@api.8x8.com/v1/sms"}, ("acme:", "hunter2"), ("span", "log")
    ),
    "idn-email-unicode-local": Probe(
        {"message": "Recipient jösé.müller@example.com bounced"}, ("jösé", "müller"), ALL
    ),
    "idn-email-unicode-domain": Probe(
        {"message": "Recipient jane@exämple.de bounced"}, ("jane", "exämple"), ALL
    ),
    "idn-email-punycode": Probe(
        {"message": "Recipient jane@xn--exmple-cua.de bounced"}, ("jane", "xn--exmple"), ALL
    ),
    "idn-email-all-unicode": Probe(
        {"message": "收件人 用户@例子.广告 无效"}, ("用户", "例子"), ALL
    ),
    "idn-email-devanagari": Probe(
        {"message": "Invalid address उपयोगकर्ता@उदाहरण.कॉम"}, ("उपयोगकर्ता", "उदाहरण"), ALL
    ),
    "phone-as-correlation-id": Probe(
        {"correlation_id": "14155550118"}, ("4155550118",), ("enriched-event", "span", "log")
    ),
    "phone-inside-unknown-code": Probe(
        {"code": "14155550119", "known": False, "message": "Unknown error"},
        ("4155550119",),
        ("enriched-event", "span", "metric-labels", "log"),
    ),
    "email-as-unknown-code": Probe(
        {"code": "jane120@example.com", "known": False, "message": "Unknown error"},
        ("jane120", "example.com"),
        ("enriched-event", "span", "metric-labels", "log"),
    ),
    "e164-in-message": Probe(
        {"message": "Recipient +44 20 7946 0958 has opted out"}, ("7946", "0958"), ALL
    ),
    "national-number-in-message": Probe(
        {"message": "number (415) 555-0121 is not a mobile number"}, ("555-0121",), ALL
    ),
}
CASES = [
    pytest.param(name, output, id=f"{name}/{output}")
    for name, probe in PROBES.items()
    for output in probe.outputs
]


@pytest.mark.parametrize(("name", "output"), CASES)
def test_probe(name: str, output: str) -> None:
    probe = PROBES[name]
    published = OUTPUTS[output](Redactor(), **probe.fields)
    for secret in probe.secrets:
        assert secret not in published, f"{secret!r} reached {output}: {published[:300]}"


@pytest.mark.parametrize(("name", "output"), CASES)
def test_probe_is_published_when_redaction_is_off(name: str, output: str) -> None:
    """The probes are real: without the policy the same output carries them (keys excepted)."""
    probe = PROBES[name]
    if "key" in probe.fields:
        pytest.skip("keys are hashed whatever the setting")
    published = OUTPUTS[output](Redactor(False), **probe.fields)
    assert any(secret in published for secret in probe.secrets), published[:300]


def test_there_is_a_named_case_for_every_kind_the_chaos_run_found() -> None:
    assert len(CASES) >= 31
    kinds = {name.split("-")[0] for name in PROBES}
    assert {"msisdn", "number", "kafka", "url", "idn", "phone", "email"} <= kinds
