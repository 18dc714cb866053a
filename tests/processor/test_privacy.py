"""Redaction rules: what is personal data or a secret, and what must come through untouched.

The other privacy tests: test_privacy_cases.py (the chaos run's probes, by kind and output),
test_privacy_properties.py (generated numbers and addresses in every position),
test_privacy_outputs.py (each output: events, spans, labels, logs, dead-letter headers).
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any

import pytest
import yaml
from vendor_errors import catalog
from vendor_errors.parsers import Extractor
from vendor_errors.processor.config import ConfigError, load_settings
from vendor_errors.processor.privacy import (
    EMAIL,
    MAX_TEXT_CHARS,
    PHONE,
    SECRET,
    PatternError,
    Redactor,
    compile_pattern,
    redact_text,
)
from vendor_errors.processor.settings import PrivacySettings

CORPUS = Path(__file__).parents[1] / "parsers" / "corpus"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Invalid destination +14155550123", f"Invalid destination {PHONE}"),
        ("number (415) 555-0123 is blocked", f"number {PHONE} is blocked"),
        ("+44 20 7946 0958 opted out", f"{PHONE} opted out"),
        ("+44 (0) 20 7946 0958 opted out", f"{PHONE} opted out"),
        ("to 14155550123.", f"to {PHONE}."),
        ("Invalid MSISDN:14155550105", f"Invalid MSISDN:{PHONE}"),
        ("tel:14155550105 tel:+1-415-555-0105", f"tel:{PHONE} tel:{PHONE}"),
        ("to=14155550105,14155550106", f"to={PHONE},{PHONE}"),
        ("https://h/v1/messages/14155550112", f"https://h/v1/messages/{PHONE}"),
        ("msisdn_14155550123 msisdn14155550124", f"msisdn_{PHONE} msisdn{PHONE}"),
        ("020 7946 0958 / 06 12 34 56 78 / 030/1234567", f"{PHONE} / {PHONE} / {PHONE}"),
        ("0044 20 7946 0958, 07911 123456", f"{PHONE}, {PHONE}"),
        ("1-415-555-0123 and 415.555.0123", f"{PHONE} and {PHONE}"),
        ("+14155550123 1002 30005", f"{PHONE} 1002 30005"),
        ("on 01.02.2024 0711 123456", f"on 01.02.2024 {PHONE}"),
        ("to %2B14155550123 (encoded)", f"to {PHONE} (encoded)"),
        ("tel:＋14155550123", f"tel:{PHONE}"),
        ("contact bob.smith+x@example.co.uk now", f"contact {EMAIL} now"),
        ("https://h/p?to=%2B14155550123&cc=a%40b.io", f"https://h/p?to={PHONE}&cc={EMAIL}"),
        ("https://h/p?to=%2B1%20415%20555%200123", f"https://h/p?to={PHONE}"),
        ("josé.müller@exämple.com", EMAIL),
        ("用户@例子.广告 / jane@xn--exmple-cua.com", f"{EMAIL} / {EMAIL}"),
        ("उपयोगकर्ता@उदाहरण.कॉम", EMAIL),
        ('{"to": "j\\u00f6s\\u00e9@ex\\u00e4mple.com"}', f'{{"to": "{EMAIL}"}}'),
        ("cut short: jane.doe.sixteen@example", f"cut short: {EMAIL}"),
        ("ends with jane.doe@", f"ends with {EMAIL}"),
        ("sip:+14155550123@sip.example.com", f"sip:{EMAIL}"),
        ('to "jane doe"@example.com and jane@[192.0.2.1]', f"to {EMAIL} and {EMAIL}"),
        ("whatsapp:+14155550112 / sms:+14155550113", f"whatsapp:{PHONE} / sms:{PHONE}"),
        ("to 0014155550123 (+ 1 415 555 0123)", f"to {PHONE} ({PHONE})"),
        ("to +١٤١٥٥٥٥٠١٢٣ / １４１５５５５０１２３", f"to {PHONE} / {PHONE}"),
    ],
)
def test_personal_data_is_replaced(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://user:pa55@api.8x8.com/sms", "https://api.8x8.com/sms"),
        (
            "https://api.8x8.com/sms?access_key=AK&secret_key=SK&x-api-key=XK&hmac=HH&page=2",
            f"https://api.8x8.com/sms?access_key={SECRET}&secret_key={SECRET}"
            f"&x-api-key={SECRET}&hmac={SECRET}&page=2",
        ),
        (
            "GET /v1/x?AWSAccessKeyId=AKIA&X-Amz-Signature=ab12&Expires=1714648800",
            f"GET /v1/x?AWSAccessKeyId={SECRET}&X-Amz-Signature={SECRET}&Expires=1714648800",
        ),
        (
            "cb https://h/cb?token=t0k&sig=s1g returned 410",
            f"cb https://h/cb?token={SECRET}&sig={SECRET} returned 410",
        ),
        ("?code=4/0AX4XfWh&state=xyz", f"?code={SECRET}&state=xyz"),
        ("#access_token=ya29.a0&expires_in=3599", f"#access_token={SECRET}&expires_in=3599"),
        ("password=hunter2 api_key: abc123", f"password={SECRET} api_key: {SECRET}"),
        ('"client_secret": "s3cr3t"', f'"client_secret": "{SECRET}"'),
        ("Authorization: Bearer abcDEF123456", f"Authorization: {SECRET} {SECRET}"),
        ("header Basic dXNlcjpwYXNz", f"header Basic {SECRET}"),
        ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", f"jwt {SECRET}"),
    ],
)
def test_secrets_are_replaced(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Error 30005: unknown destination",
        "Error 1002 30005 7302 RATE_LIMIT_EXCEEDED 1002/30005 2018336",
        "code 10004 at 2024-01-02 12:30:45Z",
        "on 01/02/2024 09:00, 31.12.2024 23:59",
        "request 123e4567-e89b-12d3-a456-426614174000 failed",
        "ids 00000000-1111-2222-3333-444455556666 77777777-8888-4999-aaaa-bbbb",
        "span 0102030405060708 at 1714885860000000000 ns",
        "at 1714648800123 (1714648800), build 20240503",
        "2024-05-05T05:14:00.001234567Z 2024-05-03T08:30:00.123456789+00:00",
        "trace 4bf92f3577b34da6a3ce929d12345678",
        "HRESULT 0x80040265 (-2147220891)",
        "http_503 after 1200 ms; took 12345678ns, 10000000 ms",
        "java.lang.Object@1b6d3586",
        "Basic authentication failed; Bearer token expired",
        "error code=1002, duplicate key: 30005, code: 7302",
        "see https://docs.example.com/errors?id=1002&lang=en#codes",
        "version 10.0.19041.1234 at 192.168.100.200:8080",
        "The recipient's phone number is not a WhatsApp phone number.",
    ],
)
def test_codes_ids_dates_and_prose_are_kept(text: str) -> None:
    assert redact_text(text) == text


def test_catalog_messages_and_codes_come_through_whole() -> None:
    """No catalog message loses a word; no catalog code is taken for personal data, even
    treated as unknown (a code label, an event code)."""
    redactor = Redactor()
    entries = list(catalog.load()._entries.values())
    assert len(entries) > 500
    for entry in entries:
        assert redactor.text(entry.message) == entry.message, entry
        assert redactor.code(entry.code, known=False) == entry.code, entry
        assert redactor.code(entry.code, known=True) == entry.code


def _corpus_events() -> list[tuple[str, dict[str, Any], str | None]]:
    extractor = Extractor(catalog.load(), include_status=True)
    events = []
    for path in sorted(glob.glob(str(CORPUS / "*.yaml"))):
        for case in yaml.safe_load(Path(path).read_text(encoding="utf-8")):
            result = extractor.extract(case["record"], {"file": "corpus.log", "line": 1})
            events += [(case["id"], dict(f.event), f.url) for f in result.findings]
    return events


def test_corpus_events_come_through_unchanged() -> None:
    """The parser corpus (real vendor shapes) carries no recipient in its events: redaction
    changes none of them, ids and URLs included."""
    redactor = Redactor()
    events = _corpus_events()
    assert len(events) > 100
    for case, event, url in events:
        redacted = redactor.event(event)
        if case == "b-8x8/dr-smpp-deliver-sm-text":
            # An SMPP message id of ten digits ("id:0123456789") cannot be told from a national
            # phone number: it is hidden, by design (privacy first); nothing else changes.
            assert redacted["correlation_id"] == "[phone]"
            assert {**redacted, "correlation_id": event["correlation_id"]} == event
            continue
        assert redacted is event, case
        assert redactor.url(url) == url, case


def test_long_text_is_cut_after_redaction() -> None:
    assert len(redact_text("x" * 10_000)) == MAX_TEXT_CHARS + 1
    head = "y" * (MAX_TEXT_CHARS - 6)  # the cut falls 5 characters into the item
    assert redact_text(head + " +17775550123") == head + " [phon…"
    assert redact_text(head + " jane.doe.sixteen@example.com") == head + " [emai…"
    assert redact_text("short", limit=3) == "sho…"


def test_very_long_text_is_precut_without_leaking_the_precut_item() -> None:
    redactor = Redactor()
    # Long addresses shrink to [email]; the pre-cut then moves towards the window: redone whole.
    many = " ".join(f"someone.with.a.long.name{n}@example.com" for n in range(2000))
    clean = redactor.text(many + " +14155550123") or ""
    assert "@" not in clean and len(clean) == MAX_TEXT_CHARS + 1
    huge = "z " * 1_000_000 + "+14155550123"
    assert redactor.text(huge) == ("z " * 1_000_000)[:MAX_TEXT_CHARS] + "…"


def test_disabled_keeps_text_but_still_limits_length() -> None:
    redactor = Redactor(enabled=False)
    assert redactor.text("to +14155550123") == "to +14155550123"
    assert len(redactor.text("y" * 5000) or "") == MAX_TEXT_CHARS + 1
    event: dict[str, Any] = {"code": "14155550123", "known": False, "message": "m" * 5000}
    safe = redactor.event(event)
    assert safe["code"] == "14155550123" and len(safe["message"]) == MAX_TEXT_CHARS + 1


def test_unknown_codes_that_are_personal_data_become_one_label() -> None:
    redactor = Redactor()
    assert redactor.code("14155550119", known=False) == PHONE
    assert redactor.code("+44 20 7946 0958", known=False) == PHONE
    assert redactor.code("jane120@example.com", known=False) == EMAIL
    assert redactor.code("E_14155550119", known=False) == f"E_{PHONE}"
    assert redactor.code("14155550119", known=True) == "14155550119"  # the catalog's word


def test_extra_patterns_and_secret_parameters() -> None:
    redactor = Redactor(
        patterns=[r"\bCUST-\d{4,}\b", r"(?i)iban:\s*\w+"],
        secret_params=["ticket"],
    )
    assert redactor.text("customer CUST-123456 iban: DE89370400440532013000") == (
        f"customer {SECRET} {SECRET}"
    )
    # The list replaces the built-in one: `sig` is no longer a secret, `ticket` is; names
    # ending in token, secret, password, ... always are.
    assert redactor.text("?ticket=abc&sig=def&my_token=ghi") == (
        f"?ticket={SECRET}&sig=def&my_token={SECRET}"
    )
    assert redactor.text("?TICKET=abc&Ticket=def") == f"?TICKET={SECRET}&Ticket={SECRET}"


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [("a(", "not a valid regular expression"), ("x*", "matches the empty string")],
)
def test_bad_patterns_are_refused_with_the_reason(pattern: str, problem: str) -> None:
    with pytest.raises(PatternError, match=problem):
        compile_pattern(pattern)
    with pytest.raises(ValueError, match=problem):
        PrivacySettings(patterns=["ok", pattern])


def test_settings_build_the_policy(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "privacy:\n"
        "  patterns: ['ACME-\\d+']\n"
        "  extra_secret_params: [ticket]\n"
        "  kafka_key: redact\n"
        "  key_salt: s3cret\n",
        encoding="utf-8",
    )
    settings = load_settings(path, environ={})
    redactor = Redactor.from_settings(settings.privacy)
    assert redactor.text("ACME-42 ?ticket=a&token=b") == f"{SECRET} ?ticket={SECRET}&token={SECRET}"
    assert redactor.key(b"+14155550116") == SECRET
    assert "s3cret" not in settings.model_dump_json()  # `run --check` prints the settings
    assert "s3cret" not in repr(settings)
    salted = Redactor.from_settings(PrivacySettings(key_salt="s3cret"))
    assert salted.key(b"k") == Redactor(key_salt="s3cret").key(b"k")


def test_a_bad_pattern_stops_the_start_naming_the_setting(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("privacy:\n  patterns: ['ok', '(unclosed']\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"privacy\.patterns.*\[1\].*not a valid regular"):
        load_settings(path, environ={})
    path.write_text("privacy:\n  secret_params: [token, ' ']\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"privacy\.secret_params.*empty"):
        load_settings(path, environ={})


def test_secret_parameters_from_the_environment() -> None:
    settings = load_settings(None, environ={"VENDOR_ERRORS_PRIVACY__SECRET_PARAMS": "ticket,sig"})
    redactor = Redactor.from_settings(settings.privacy)
    assert redactor.text("?ticket=a&sig=b&key=c") == f"?ticket={SECRET}&sig={SECRET}&key=c"
