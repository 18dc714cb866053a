"""`catalog show` reads names as people type them and lists ambiguous codes; `catalog search`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from vendor_errors import catalog
from vendor_errors.catalog.search import search
from vendor_errors.processor.commands import catalog_show

CLI = [sys.executable, "-m", "vendor_errors.processor.cli"]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, check=False, timeout=60)


@pytest.fixture(scope="module")
def shipped() -> catalog.Catalog:
    return catalog.load()


# -- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "vendor"),
    [
        ("WEBEX", "webex"),
        ("Webex Connect", "webex"),
        ("imiconnect", "webex"),
        ("8X8", "8x8"),
        ("Salesforce", "salesforce"),
        ("Dynamics 365", "dynamics365"),
        ("microsoft", "dynamics365"),
    ],
)
def test_vendor_names_in_any_spelling(shipped: catalog.Catalog, typed: str, vendor: str) -> None:
    assert catalog_show.resolve_vendor(shipped, typed) == vendor


@pytest.mark.parametrize(
    ("vendor", "typed", "channel"),
    [
        ("webex", "SMS", "sms"),
        ("webex", "In-App", "in_app"),
        ("webex", "WhatsApp", "whatsapp"),
        ("webex", "API", "api"),
        ("8x8", "Delivery-Receipt", "delivery_receipt"),
        ("8x8", "chatapps_delivery_receipt", "chatapps_delivery_receipt"),
    ],
)
def test_channel_names_in_any_spelling(
    shipped: catalog.Catalog, vendor: str, typed: str, channel: str
) -> None:
    assert catalog_show.resolve_channel(shipped, vendor, typed) == channel


def test_a_typo_gets_did_you_mean(shipped: catalog.Catalog) -> None:
    with pytest.raises(catalog_show.UnknownName, match="did you mean 'webex'"):
        catalog_show.resolve_vendor(shipped, "webx")
    with pytest.raises(catalog_show.UnknownName, match="did you mean 'whatsapp'"):
        catalog_show.resolve_channel(shipped, "webex", "whatsap")
    with pytest.raises(catalog_show.UnknownName, match="not per channel"):
        catalog_show.resolve_channel(shipped, "salesforce", "sms")


def test_cli_names_errors_exit_2() -> None:
    result = run_cli("catalog", "show", "Webx", "7302")
    assert result.returncode == 2
    assert "did you mean 'webex'" in result.stderr and not result.stdout


# -- show ----------------------------------------------------------------------------------


def test_show_is_case_insensitive() -> None:
    result = run_cli("catalog", "show", "WEBEX", "7302", "--channel", "SMS")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("webex/sms 7302") and "Rate limit exceeded" in result.stdout


def test_a_code_of_several_channels_is_listed_not_picked() -> None:
    result = run_cli("catalog", "show", "webex", "7010")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert "has 8 meanings" in lines[0]
    listed = {line.split()[0] for line in lines[1:] if line.startswith("  ")}
    assert {"apple", "mms", "whatsapp", "api"} <= listed
    assert "Source IP is not in the allowed list" in result.stdout


def test_the_listing_as_json() -> None:
    result = run_cli("catalog", "show", "webex", "1002", "--format", "json")
    rows = json.loads(result.stdout)
    assert {(row["channel"], row["category"]) for row in rows} == {
        ("voice_logbook", "delivery"),
        ("api", "status"),
    }


def test_a_bare_http_status_resolves_to_its_entry() -> None:
    result = run_cli("catalog", "show", "pipedrive", "429")
    assert result.returncode == 0
    assert result.stdout.startswith("pipedrive http_429") and "rate_limit" in result.stdout
    # 8x8 also returns 429 as a body code: both meanings are listed.
    both = run_cli("catalog", "show", "8x8", "429")
    assert "http_429" in both.stdout and "Quota exceeded" in both.stdout


def test_a_code_kept_only_in_an_explicit_table_is_shown_with_its_rule() -> None:
    result = run_cli("catalog", "show", "webex", "7012")
    assert result.returncode == 0
    assert result.stdout.startswith("webex/api 7012")
    assert "only when the record is read as api" in result.stdout
    assert "not in the seed documents" in result.stdout


def test_unknown_code_exit_3() -> None:
    assert run_cli("catalog", "show", "8x8", "6", "--channel", "delivery_receipt").returncode == 3


# -- search --------------------------------------------------------------------------------


def test_search_ranks_the_closest_wording_first(shipped: catalog.Catalog) -> None:
    hits = search(shipped, "template paused", limit=3)
    assert [(h.entry.vendor, h.entry.code) for h in hits[:2]] == [
        ("8x8", "1035"),
        ("webex", "7869"),
    ]


def test_search_finds_longer_words_and_typos(shipped: catalog.Catalog) -> None:
    assert any(h.entry.message == "Throttling error" for h in search(shipped, "throttl"))
    top = search(shipped, "recipent blocked", limit=1)[0]
    assert top.entry.message.startswith("Recipient blocked")


def test_search_finds_codes(shipped: catalog.Catalog) -> None:
    assert {(h.entry.channel, h.entry.code) for h in search(shipped, "7302")} == {
        ("sms", "7302"),
        ("instagram", "7302"),
    }


def test_search_reads_remediation_too(shipped: catalog.Catalog) -> None:
    # "back-off" is our advice, not any vendor's wording.
    top = search(shipped, "back-off", limit=5)
    assert len(top) == 5
    for hit in top:
        assert "back" not in hit.entry.message.lower()
        assert "back-off" in hit.entry.remediation.lower() + (hit.entry.details or "").lower()


def test_search_nothing_matches(shipped: catalog.Catalog) -> None:
    assert search(shipped, "zzqxv") == []
    assert search(shipped, "  ,, ") == []


def test_search_cli_prints_vendor_channel_code_message() -> None:
    result = run_cli("catalog", "search", "invalid", "msisdn", "--vendor", "8X8", "--limit", "2")
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0].split()
    assert first[:4] == ["8x8/-", "1002", "Invalid", "MSISDN"] or first[1] == "3003"
    assert len(result.stdout.splitlines()) == 2
    none = run_cli("catalog", "search", "zzqxv")
    assert none.returncode == 1 and "no catalog entry matches" in none.stderr


def test_help_explains_with_examples() -> None:
    for action in ("show", "search", "draft"):
        result = run_cli("catalog", action, "--help")
        assert result.returncode == 0 and "example" in result.stdout
