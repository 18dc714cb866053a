"""The fixture corpus: realistic records of every vendor, envelope form and look-alike, each
with the events it must give (vendor, code, channel, transient, http_status), nothing more."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from vendor_errors.parsers.decoding.records import iter_records
from vendor_errors.parsers.extract import Extractor
from vendor_errors.parsers.result import Finding

CORPUS_DIR = Path(__file__).parent / "corpus"
VENDORS = ("dynamics365", "salesforce", "pipedrive", "8x8", "webex")


def _load() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for path in sorted(CORPUS_DIR.glob("*.yaml")):
        cases.extend(yaml.safe_load(path.read_text(encoding="utf-8")))
    return cases


CASES = _load()


def _key(event: dict[str, Any]) -> list[Any]:
    return [
        event["vendor"],
        event["code"],
        event["channel"],
        event["transient"],
        event["http_status"],
    ]


def test_corpus_is_large_and_covers_every_vendor() -> None:
    assert len(CASES) >= 400
    ids = [case["id"] for case in CASES]
    assert len(ids) == len(set(ids)), "duplicate ids"
    expected_vendors = {row[0] for case in CASES for row in case["expect"]}
    assert expected_vendors == set(VENDORS)
    assert sum(1 for case in CASES if not case["expect"]) >= 100  # look-alikes, precision


def _sourced() -> set[str]:
    """Ids of the records whose comment names what they imitate and their source URL."""
    sourced = set()
    for path in sorted(CORPUS_DIR.glob("*.yaml")):
        comment: list[str] = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("#"):
                comment.append(line)
            elif line.startswith("- id: "):
                text = " ".join(comment)
                if "imitates:" in text and re.search(r"source: *\S", text):
                    sourced.add(line[len("- id: ") :].strip())
                comment = []
            elif not line.strip():
                continue
    return sourced


# Issue 13's categories, each a family of records (ids by prefix), with at least this many.
CATEGORIES = {
    "Webex statuses as status/statusCode + description": (("b-webex/status",), 15),
    "maps and objects as languages print them": (("a-literals/",), 60),
    "bodies cut short": (("a-truncated/",), 20),
    "HTTP client exception texts": (("a-client-exceptions/",), 50),
    "8x8 delivery receipts": (("b-8x8/dr-",), 25),
    "Salesforce members besides errorCode": (("b-salesforce/route-", "b-salesforce/session-"), 8),
    "platform and shipper wrappers": (("a-wrappers/",), 50),
    "precision": (("b-precision/",), 50),
}


def test_every_category_has_sourced_records() -> None:
    sourced = _sourced()
    assert len(sourced) >= 400
    for category, (prefixes, least) in CATEGORIES.items():
        found = [i for i in sourced if i.startswith(prefixes)]
        assert len(found) >= least, (category, len(found))
    # Precision: look-alikes and accepted answers give nothing; every vendor's wording is
    # checked as the event's message somewhere.
    negatives = [c for c in CASES if c["id"] in sourced and not c["expect"]]
    assert len(negatives) >= 80
    worded = {
        c["expect"][0][0]
        for c in CASES
        if c["id"] in sourced and c["expect"] and "message" in (c.get("fields") or {})
    }
    assert worded == set(VENDORS)


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_record_gives_exactly_the_expected_events(
    case: dict[str, Any], extractor: Extractor
) -> None:
    source = {"file": "corpus.log", "line": 7}
    result = extractor.extract(case["record"].encode("utf-8"), source)
    assert [_key(f.event) for f in result.findings] == case["expect"]
    assert result.outcome == ("error_found" if case["expect"] else "no_error")
    fields = case.get("fields") or {}
    per_event = fields if isinstance(fields, list) else [fields] * bool(fields)
    for finding, wanted in zip(result.findings, per_event, strict=False):
        for name, value in wanted.items():
            assert finding.event[name] == value, name
    for finding in result.findings:
        assert finding.event["source"] is source
    if "url" in case:
        assert result.findings[0].url == case["url"]


def test_str_input_gives_the_same_events(extractor: Extractor) -> None:
    for case in CASES:
        as_bytes = extractor.extract(case["record"].encode("utf-8"), {})
        as_text = extractor.extract(case["record"], {})
        # A record without a time of its own is stamped with "now", which may tick between the
        # two calls; compare that one field only when the record supplied it.
        assert [_stable(f) for f in as_text.findings] == [_stable(f) for f in as_bytes.findings], (
            case["id"]
        )


def _stable(finding: Finding) -> dict[str, object]:
    if finding.time_unix_nano is not None:
        return finding.event
    return {k: v for k, v in finding.event.items() if k != "timestamp"}


def test_a_file_of_the_corpus_groups_back_into_its_records(extractor: Extractor) -> None:
    """Written one after another, multi-line records come back whole, numbered by first line."""
    lines: list[str] = []
    starts: list[int] = []
    for case in CASES:
        starts.append(len(lines) + 1)
        lines.extend(case["record"].split("\n"))
    data = ("\n".join(lines) + "\n").encode("utf-8")
    records = list(iter_records(io.BytesIO(data)))
    assert [line for line, _ in records] == starts
    assert [data.decode("utf-8") for _, data in records] == [case["record"] for case in CASES]
