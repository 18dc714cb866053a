"""Redaction: phone numbers and e-mail addresses out; codes, ids and dates untouched."""

from __future__ import annotations

import pytest
from vendor_errors.processor.privacy import EMAIL, MAX_TEXT_CHARS, PHONE, Redactor, redact_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Invalid destination +14155550123", f"Invalid destination {PHONE}"),
        ("number (415) 555-0123 is blocked", f"number {PHONE} is blocked"),
        ("+44 20 7946 0958 opted out", f"{PHONE} opted out"),
        ("to 14155550123.", f"to {PHONE}."),
        ("contact bob.smith+x@example.co.uk now", f"contact {EMAIL} now"),
        ("https://h/p?to=%2B14155550123&cc=a%40b.io", f"https://h/p?to={PHONE}&cc={EMAIL}"),
    ],
)
def test_personal_data_is_replaced(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Error 30005: unknown destination",
        "code 10004 at 2024-01-02 12:30:45Z",
        "on 01/02/2024 09:00",
        "request 123e4567-e89b-12d3-a456-426614174000 failed",
        "HRESULT 0x80040265 (-2147220891)",
        "http_503 after 1200 ms",
    ],
)
def test_codes_ids_and_dates_are_kept(text: str) -> None:
    assert redact_text(text) == text


def test_long_text_is_cut() -> None:
    assert len(redact_text("x" * 10_000)) == MAX_TEXT_CHARS + 1


def test_event_copy_only_when_changed() -> None:
    redactor = Redactor(enabled=True)
    event = {"vendor": "8x8", "code": "1300", "message": "to +14155550123"}
    safe = redactor.event(event)
    assert safe["message"] == f"to {PHONE}"
    assert event["message"] == "to +14155550123"  # the finding itself is not modified
    clean = {"vendor": "8x8", "code": "1300", "message": "Invalid number"}
    assert redactor.event(clean) is clean


def test_disabled_keeps_text_but_still_limits_length() -> None:
    redactor = Redactor(enabled=False)
    assert redactor.text("to +14155550123") == "to +14155550123"
    assert len(redactor.text("y" * 5000) or "") == MAX_TEXT_CHARS + 1
