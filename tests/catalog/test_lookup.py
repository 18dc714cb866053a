"""Lookup order of catalog/README.md: channel, vendor-wide, shared, ranges, HTTP, fallback."""

from __future__ import annotations

import time

import pytest
from vendor_errors import catalog
from vendor_errors.catalog import Catalog


@pytest.fixture(scope="module")
def shipped() -> Catalog:
    return catalog.load()


def test_loading_the_shipped_catalog_is_fast(shipped: Catalog) -> None:
    # Not a benchmark: a guard against loading turning pathological (e.g. the pure-Python YAML
    # loader on every reload). The issue asks for "well under a second".
    started = time.perf_counter()
    catalog.load()
    assert time.perf_counter() - started < 1.0


def test_every_vendor_has_entries(shipped: Catalog) -> None:
    assert {entry.vendor for entry in shipped} == set(catalog.VENDORS)


def test_channel_specific_entry_wins_over_common(shipped: Catalog) -> None:
    common = shipped.lookup("webex", "7000")
    apple = shipped.lookup("webex", "7000", channel="apple")
    assert common.channel is None and common.message == "Invalid JSON"
    assert apple.channel == "apple"
    assert apple.message == "Invalid input details(JSON not correct)"


def test_channel_falls_back_to_vendor_common_table(shipped: Catalog) -> None:
    # 7001 "Authentication failed" is only in the common table; SMS does not list it.
    entry = shipped.lookup("webex", "7001", channel="sms")
    assert entry.known and entry.channel is None
    assert entry.category == "authentication" and not entry.transient


def test_same_number_means_different_things_per_channel(shipped: Catalog) -> None:
    sms = shipped.lookup("webex", "7302", channel="sms")
    assert sms.channel == "sms" and sms.category == "rate_limit" and sms.transient
    apple_queued = shipped.lookup("webex", "1001", channel="apple")
    voice = shipped.lookup("webex", "1001", channel="voice_logbook")
    assert apple_queued.category == "status" and not apple_queued.is_error
    assert voice.channel == "voice_logbook" and voice.is_error


def test_shared_contact_policy_codes_apply_to_every_channel(shipped: Catalog) -> None:
    entry = shipped.lookup("webex", "9002", channel="whatsapp")
    assert entry.known and entry.channel == "contact_policy"
    assert entry.category == "policy"


def test_code_without_channel_finds_a_channel_listing(shipped: Catalog) -> None:
    entry = shipped.lookup("webex", "7871")  # WhatsApp only
    assert entry.known and entry.channel == "whatsapp"


def test_voice_logbook_series_range(shipped: Catalog) -> None:
    listed = shipped.lookup("webex", "2002", channel="voice_logbook")
    assert listed.matched_by == "exact" and listed.message == "No answer from end user"
    ranged = shipped.lookup("webex", "2999", channel="voice_logbook")
    assert ranged.known and ranged.matched_by == "range" and ranged.code == "2999"
    assert ranged.message == "Call dropped due to internal error"
    # The range belongs to the voice logbook: another channel does not match it.
    assert not shipped.lookup("webex", "2999", channel="sms").known
    assert not shipped.lookup("webex", "4000", channel="voice_logbook").known


def test_documented_http_status_entries(shipped: Catalog) -> None:
    entry = shipped.lookup("dynamics365", None, http_status=429)
    assert entry.code == "http_429" and entry.known
    assert entry.category == "rate_limit" and entry.transient
    assert shipped.lookup("dynamics365", "http_503").category == "unavailable"


def test_generic_http_entries_fill_what_a_document_lacks(shipped: Catalog) -> None:
    # Pipedrive's document has no 503; the generic RFC 9110 entry applies.
    entry = shipped.lookup("pipedrive", None, http_status=503)
    assert entry.known and entry.code == "http_503" and entry.transient
    assert entry.source.document.startswith("RFC")


def test_8x8_success_statuses_are_not_errors(shipped: Catalog) -> None:
    entry = shipped.lookup("8x8", "http_200")
    assert entry.category == "status" and not entry.is_error


def test_body_code_keeps_document_http_status(shipped: Catalog) -> None:
    entry = shipped.lookup("dynamics365", "30013")
    assert entry.http_status == 404 and entry.category == "not_found"


def test_alphabetic_codes_match_case_insensitively(shipped: Catalog) -> None:
    assert shipped.lookup("pipedrive", "rate_limit_exceeded").code == "RATE_LIMIT_EXCEEDED"


@pytest.mark.parametrize(
    ("status", "message", "category", "transient"),
    [
        (503, None, "unavailable", True),
        (401, None, "authentication", False),
        (None, "Request timed out upstream", "timeout", True),
        (None, "Too many requests for this sender", "rate_limit", True),
        (None, "Recipient not found", "not_found", False),
        (None, "Invalid destination parameter", "validation", False),
        (None, None, "unknown", False),
        (418, "Invalid teapot", "validation", False),
        (599, None, "internal", True),
    ],
)
def test_unknown_codes_get_a_fallback_classification(
    shipped: Catalog, status: int | None, message: str | None, category: str, transient: bool
) -> None:
    entry = shipped.lookup("8x8", "987654", http_status=status, message=message)
    assert not entry.known
    assert entry.code == "987654"
    assert (entry.category, entry.transient) == (category, transient)
    if message:
        assert entry.message == message


def test_unknown_code_keeps_the_channel_it_was_seen_on(shipped: Catalog) -> None:
    entry = shipped.lookup("webex", "7999", channel="sms")
    assert not entry.known and entry.channel == "sms"
