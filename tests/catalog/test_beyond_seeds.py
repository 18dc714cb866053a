"""Codes published outside the seed documents: sourced, marked, and looked up in their own tables.

catalog/README.md, "Beyond the seed documents" and "Lookup", states what these tests hold.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from vendor_errors import catalog
from vendor_errors.catalog import Catalog, CatalogError


@pytest.fixture(scope="module")
def shipped() -> Catalog:
    return catalog.load()


# -- sourced and marked ----------------------------------------------------------------------


def test_non_seed_codes_per_vendor(shipped: Catalog) -> None:
    sourced = Counter(entry.vendor for entry in shipped if entry.source_url is not None)
    assert sourced == {"salesforce": 13, "pipedrive": 1, "8x8": 164, "webex": 40}


def test_every_non_seed_code_names_its_page(shipped: Catalog) -> None:
    for entry in shipped:
        if entry.source_url is not None:
            assert not entry.seed
            assert entry.source_url.startswith("https://")
            assert entry.source.document == entry.source_url
        elif entry.source.document.endswith(".txt"):  # a seed document
            assert entry.seed, entry
        for text, url in entry.also_sources:
            assert text in entry.also and url.startswith("https://")


def test_export_shows_the_marker_and_the_source(shipped: Catalog) -> None:
    row = shipped.lookup("salesforce", "10099").as_dict()
    assert row["seed"] is False
    assert str(row["source_url"]).endswith("/ERRORCODES.md")
    assert shipped.lookup("salesforce", "10001").as_dict()["seed"] is True


def test_new_wordings_of_seed_codes_keep_the_seed_entry(shipped: Catalog) -> None:
    entry = shipped.lookup("salesforce", "500")
    assert entry.seed and "occured" in entry.message  # the seed's text stays the message
    assert "An internal server error occurred. Please contact Salesforce Support." in entry.also
    assert dict(entry.also_sources)[
        "An internal server error occurred. Please contact Salesforce Support."
    ].endswith("/ERRORCODES.md")


def test_codes_without_vendor_text_are_left_out(shipped: Catalog) -> None:
    # errorReason values the spec lists without a meaning: no message to give, so no entry.
    for code in ("SESSION_NOT_FOUND", "CUSTOMER_ERROR", "NO_ACCESS", "END_SESSION_FAILED"):
        assert not shipped.lookup("salesforce", code).known
    reason = shipped.lookup("salesforce", "CONVERSATION_PRECONDITION_FAILED")
    assert reason.known and reason.message == "Conversation precondition failed. Please retry."


# -- the receipt tables ------------------------------------------------------------------------


def test_sms_receipt_codes_are_looked_up_in_their_table(shipped: Catalog) -> None:
    entry = shipped.lookup("8x8", "15", channel="delivery_receipt")
    assert entry.known and entry.channel == "delivery_receipt"
    assert (entry.message, entry.category) == ("Invalid destination", "recipient")


def test_a_receipt_code_never_falls_back_to_the_api_table(shipped: Catalog) -> None:
    # 1002 is "Invalid MSISDN" in the API table; the SMS receipt table has no 1002.
    assert shipped.lookup("8x8", "1002").message == "Invalid MSISDN"
    receipt = shipped.lookup("8x8", "1002", channel="delivery_receipt")
    assert not receipt.known and receipt.channel == "delivery_receipt"
    chat = shipped.lookup("8x8", "1002", channel="chatapps_delivery_receipt")
    assert chat.known and chat.message == "Rate limit exceeded" and chat.transient
    # An HTTP status is the call's, whatever the channel: its entries stay vendor-wide.
    assert shipped.lookup("8x8", "http_429", channel="delivery_receipt").known


def test_the_undocumented_receipt_code_6_is_unknown(shipped: Catalog) -> None:
    assert not shipped.lookup("8x8", "6", channel="delivery_receipt").known
    assert shipped.lookup("8x8", "7", channel="delivery_receipt").known


def test_no_channel_never_lands_in_a_receipt_table(shipped: Catalog) -> None:
    assert not shipped.lookup("8x8", "15").known
    assert not shipped.lookup("8x8", "1054").known  # chat-apps receipts only
    assert shipped.lookup("8x8", "1000").message == "Invalid parameter"  # the API table's


def test_viber_sent_is_a_status(shipped: Catalog) -> None:
    entry = shipped.lookup("8x8", "2000", channel="chatapps_delivery_receipt")
    assert entry.category == "status" and not entry.is_error
    assert shipped.lookup("8x8", "2000").category == "internal"  # API 2000 Internal Error


# -- the Webex API answers ---------------------------------------------------------------------


def test_webex_api_answers_only_when_asked_for(shipped: Catalog) -> None:
    queued = shipped.lookup("webex", "1001", channel="api")
    assert queued.category == "status" and not queued.is_error
    partial = shipped.lookup("webex", "1002", channel="api")
    assert partial.category == "status" and partial.message == "Partial success"
    # No channel: never the api table (1002 stays the voice logbook's rejected call).
    assert shipped.lookup("webex", "1002").channel == "voice_logbook"
    assert not shipped.lookup("webex", "7012").known  # Profile API batch limit, api only
    assert shipped.lookup("webex", "7012", channel="api").category == "payload_too_large"


def test_webex_api_falls_back_to_the_common_table(shipped: Catalog) -> None:
    entry = shipped.lookup("webex", "7001", channel="api")
    assert entry.known and entry.channel is None and entry.category == "authentication"
    # The API's 7010 is an allow-list refusal, the channels' 7010 a provider exception.
    assert shipped.lookup("webex", "7010", channel="api").category == "authorization"
    assert shipped.lookup("webex", "7010", channel="mms").category == "delivery"


def test_the_voice_logbook_range_is_not_an_api_answer(shipped: Catalog) -> None:
    assert not shipped.lookup("webex", "1500", channel="api").known
    assert shipped.lookup("webex", "1500").matched_by == "range"


def test_channels_are_in_the_metric_label_guard() -> None:
    for channel in ("api", "delivery_receipt", "chatapps_delivery_receipt"):
        assert channel in catalog.CHANNELS


# -- the schema holds it -----------------------------------------------------------------------


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_non_seed_table_needs_its_page(data_copy: Path) -> None:
    path = data_copy / "pipedrive.yaml"
    text = path.read_text(encoding="utf-8")
    url_line = next(line for line in text.splitlines() if line.startswith("    source_url:"))
    _edit(path, url_line + "\n", "")
    with pytest.raises(CatalogError, match="needs the `source_url`"):
        catalog.load(data_dir=data_copy)


def test_a_seed_table_has_no_page(data_copy: Path) -> None:
    _edit(
        data_copy / "pipedrive.yaml",
        "    channel: null\n    entries:",
        '    channel: null\n    source_url: "https://example.org/x"\n    entries:',
    )
    with pytest.raises(CatalogError, match="`source_url` is for tables with `seed: false`"):
        catalog.load(data_dir=data_copy)


def test_a_source_url_must_be_a_web_page(data_copy: Path) -> None:
    _edit(data_copy / "pipedrive.yaml", 'source_url: "https://', 'source_url: "file:///')
    with pytest.raises(CatalogError, match="source_url"):
        catalog.load(data_dir=data_copy)


def test_every_table_of_a_channel_has_the_same_lookup_rules(data_copy: Path) -> None:
    path = data_copy / "8x8.yaml"
    text = path.read_text(encoding="utf-8")
    table = next(line for line in text.splitlines() if "standalone: true" in line)
    path.write_text(
        text
        + "  - table: extra\n    channel: delivery_receipt\n    seed: false\n"
        + '    source_url: "https://example.org/receipts"\n    entries: []\n',
        encoding="utf-8",
    )
    assert table  # the shipped receipt tables are standalone
    with pytest.raises(CatalogError, match="same lookup rules"):
        catalog.load(data_dir=data_copy)


def test_explicit_needs_a_channel(data_copy: Path) -> None:
    _edit(
        data_copy / "pipedrive.yaml", "    seed: false\n", "    seed: false\n    explicit: true\n"
    )
    with pytest.raises(CatalogError, match="table of one channel"):
        catalog.load(data_dir=data_copy)
