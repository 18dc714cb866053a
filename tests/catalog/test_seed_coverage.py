"""The catalog holds every code of every table of the five vendor documents, with their words.

The documents are read by the grammars in `seed_tables.py`; the row counts below were taken by
reading each document, so a grammar that skips rows fails here before it hides a gap.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pytest
import yaml
from vendor_errors import catalog
from vendor_errors.catalog.loader import DATA_DIR
from vendor_errors.catalog.loader import load as load_catalog

from tests.catalog.seed_tables import (
    DOCUMENTS,
    SeedFormatError,
    SeedRow,
    SeedTables,
    load_seed_tables,
    seeds_dir,
)

Key = tuple[str, str | None, str]

_SMS_US = (
    "In addition to the existing SMS error codes, client tenants hosted in the United States "
    "and Canada regions have these additional error codes for SMS:"
)

# Rows per table, counted by hand in each document (duplicates within a table included).
EXPECTED_COUNTS: dict[str, dict[str, int]] = {
    "dynamics365": {"HTTP Status Codes": 6, "Error codes in response body": 16},
    "salesforce": {"Client Errors": 104, "Service Errors": 6, "Other Errors": 1},
    "pipedrive": {"Expected error codes for the messaging extension's endpoints": 6},
    "8x8": {"HTTP Error Codes": 12, "JSON Code Property Values": 74},
    "webex": {
        "Common Error Codes across Channels": 12,
        "Apple Messages for Business": 19,
        "Email": 13,
        "Google Business Messages (Deprecated)": 22,
        "In-App Messaging and Live Chat": 28,
        "Instagram": 16,
        "MMS": 63,
        "Messenger": 13,
        "Push": 45,
        "RCS": 25,
        "SMS": 18,
        _SMS_US: 11,
        "Voice": 17,
        "Voice - Logbook Error Codes": 20,
        "WhatsApp": 69,
        "Contact Policy-integrated Error Codes": 9,
    },
}


@pytest.fixture(scope="module")
def seeds() -> SeedTables:
    return load_seed_tables()


@pytest.fixture(scope="module")
def shipped() -> catalog.Catalog:
    return catalog.load()


# -- the coverage check ----------------------------------------------------------------------


def _words(text: str) -> str:
    return " ".join(text.split())


def uncovered(cat: catalog.Catalog, rows: Iterable[SeedRow]) -> list[Key]:
    """Keys of document rows the catalog has no entry for from that document, in order."""
    missing: dict[Key, None] = {}
    for row in rows:
        entry = cat.get(row.vendor, row.code, row.channel)
        # A generic http.yaml entry under the same key does not cover the vendor's own row.
        if entry is None or entry.source.document != row.document:
            missing[row.key] = None
    return list(missing)


def wrong_messages(cat: catalog.Catalog, rows: Iterable[SeedRow]) -> list[str]:
    """Rows whose entry has neither the document's message nor it among `also`."""
    problems = []
    for row in rows:
        entry = cat.get(row.vendor, row.code, row.channel)
        if entry is None or row.message is None:
            continue
        wordings = {_words(entry.message), *(_words(text) for text in entry.also)}
        if _words(row.message) not in wordings:
            problems.append(
                f"{row.key} ({row.table}): document says {row.message!r}, "
                f"catalog has {entry.message!r} also {list(entry.also)}"
            )
    return problems


# -- the grammars find every row ---------------------------------------------------------------


@pytest.mark.parametrize("vendor", list(EXPECTED_COUNTS))
def test_rows_per_table(seeds: SeedTables, vendor: str) -> None:
    counts = Counter(row.table for row in seeds.for_vendor(vendor))
    assert dict(counts) == EXPECTED_COUNTS[vendor]
    assert {row.document for row in seeds.for_vendor(vendor)} == {DOCUMENTS[vendor]}


def test_rows_without_a_description(seeds: SeedTables) -> None:
    blank = [row.key for row in seeds.rows if row.message is None]
    assert blank == [("webex", "gbm", "7307"), ("webex", "voice_logbook", "3003")]


def test_the_only_range_rule(seeds: SeedTables) -> None:
    assert [(r.vendor, r.channel, r.series, r.message) for r in seeds.ranges] == [
        ("webex", "voice_logbook", (1000, 2000, 3000), "Call dropped due to internal error")
    ]


def test_rows_are_read_as_written(seeds: SeedTables) -> None:
    by_key = {(row.table, row.code): row.message for row in seeds.rows}
    assert by_key["HTTP Error Codes", "http_422"] == "422 Unprocessable Entity"
    assert by_key["JSON Code Property Values", "1000"] == "Invalid parameter"
    assert (
        by_key["Other Errors", "500"]
        == "An internal server error occured. Please contact Salesforce Support."
    )
    assert by_key["Client Errors", "15110"] == (
        r"Enter a valid workItemId \<workItemId\> for the MessagingSession ID."
    )
    assert by_key[
        "Expected error codes for the messaging extension's endpoints", "ACCOUNT_SUSPENDED"
    ] == (
        "Allows Pipedrive to display messages and appropriate UI to the user informing them "
        "about their account being suspended."
    )
    assert by_key["Contact Policy-integrated Error Codes", "9000"] == "Contact policy not enabled"


# A row each grammar cannot read must stop the parse, not vanish.
BROKEN_ROWS = [
    ("dynamics365", "| 30004    |", "| 3OOO4    |"),
    ("dynamics365", "| 30016    | The message", "| 30016    | x | The message"),
    ("salesforce", "| 10004 |", "| 1OOO4 |"),
    ("pipedrive", '"code":"NOT_FOUND"', '"error":"NOT_FOUND"'),
    ("8x8", "429Too Many Requests,", "429Too Many Requests"),
    ("8x8", "1300Not found", "13OONot found"),
    ("webex", "7324 | Max TPS reached |", "73Z4 | Max TPS reached |"),
    ("webex", "7554 | SMTP Failures |", "7554 | SMTP | Failures | now |"),
    ("webex", "\nMMS\n", "\nMMS channel\n"),
]


@pytest.mark.parametrize(("vendor", "old", "new"), BROKEN_ROWS)
def test_an_unreadable_row_is_an_error(tmp_path: Path, vendor: str, old: str, new: str) -> None:
    for name in DOCUMENTS.values():
        # written, not copied: the seeds are read-only and copy() keeps the mode
        (tmp_path / name).write_bytes((seeds_dir() / name).read_bytes())
    document = tmp_path / DOCUMENTS[vendor]
    text = document.read_text(encoding="utf-8")
    assert text.count(old) == 1
    document.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(SeedFormatError, match=DOCUMENTS[vendor]):
        load_seed_tables(tmp_path)


# -- the catalog covers them -----------------------------------------------------------------


@pytest.mark.parametrize("vendor", list(EXPECTED_COUNTS))
def test_catalog_has_every_code(seeds: SeedTables, shipped: catalog.Catalog, vendor: str) -> None:
    assert uncovered(shipped, seeds.for_vendor(vendor)) == []


@pytest.mark.parametrize("vendor", list(EXPECTED_COUNTS))
def test_catalog_has_the_documents_words(
    seeds: SeedTables, shipped: catalog.Catalog, vendor: str
) -> None:
    assert wrong_messages(shipped, seeds.for_vendor(vendor)) == []


@pytest.mark.parametrize("vendor", list(EXPECTED_COUNTS))
def test_catalog_invents_no_codes(seeds: SeedTables, shipped: catalog.Catalog, vendor: str) -> None:
    documented = {row.key for row in seeds.for_vendor(vendor)}
    invented = [
        (entry.channel, entry.code)
        for entry in shipped
        if entry.vendor == vendor
        and entry.source.document == DOCUMENTS[vendor]
        and (entry.vendor, entry.channel, entry.code) not in documented
    ]
    assert invented == []


def test_voice_logbook_range_rule(seeds: SeedTables, shipped: catalog.Catalog) -> None:
    (rule,) = seeds.ranges
    documented = {row.code for row in seeds.rows if row.channel == rule.channel}
    for base in rule.series:
        # the first and the last code of the series the table does not list
        first = next(n for n in range(base, base + 1000) if str(n) not in documented)
        for code in (str(first), str(base + 999)):
            assert code not in documented
            entry = shipped.lookup("webex", code, channel=rule.channel)
            assert (entry.known, entry.matched_by) == (True, "range"), code
            assert _words(entry.message) == _words(rule.message)
    for outside in ("999", "4000"):
        assert shipped.lookup("webex", outside, channel=rule.channel).matched_by != "range"


# -- the check can fail ------------------------------------------------------------------------


def _delete_entry(data_dir: Path, row: SeedRow) -> None:
    path = data_dir / f"{row.vendor}.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    deleted = 0
    for table in doc["tables"]:
        if table.get("channel") != row.channel:
            continue
        kept = [entry for entry in table["entries"] if entry["code"] != row.code]
        deleted += len(table["entries"]) - len(kept)
        table["entries"] = kept
    assert deleted == 1, f"{row.key} is in {path.name} {deleted} times"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize("vendor", list(EXPECTED_COUNTS))
def test_a_removed_code_is_reported(
    seeds: SeedTables, shipped: catalog.Catalog, tmp_path: Path, vendor: str
) -> None:
    rows = seeds.for_vendor(vendor)
    victim = rows[len(rows) // 2]
    before = uncovered(shipped, seeds.rows)
    assert victim.key not in before, "the code to delete must be covered to begin with"

    data_dir = tmp_path / "data"
    shutil.copytree(DATA_DIR, data_dir)
    _delete_entry(data_dir, victim)
    after = uncovered(load_catalog(data_dir=data_dir), seeds.rows)

    assert [key for key in after if key not in before] == [victim.key]
    assert set(before) <= set(after)


def test_a_changed_message_is_reported(seeds: SeedTables, shipped: catalog.Catalog) -> None:
    victim = next(row for row in seeds.for_vendor("webex") if row.channel == "sms")
    entries = [
        dataclasses.replace(entry, message="Something else", also=())
        if (entry.vendor, entry.channel, entry.code) == victim.key
        else entry
        for entry in shipped
    ]
    problems = wrong_messages(catalog.Catalog(entries), seeds.rows)
    assert len(problems) == 1
    assert problems[0].startswith(str(victim.key))
