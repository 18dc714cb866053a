"""`vendor-errors scan`, run as a user runs it (a subprocess), on the shipped examples."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from vendor_errors.parsers import event_schema

from tests.cli import ROOT, scan

EXAMPLES = sorted((ROOT / "examples").glob("*.log"))
# The event as docs/events.md and its JSON Schema define it (the contract's fields, no more).
CONTRACT_FIELDS = set(event_schema()["properties"])


@pytest.fixture(scope="module")
def jsonl() -> list[dict]:
    done = scan(*map(str, EXAMPLES))  # not a terminal: jsonl is the default
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""  # no progress line when stderr is not a terminal
    return [orjson.loads(line) for line in done.stdout.splitlines()]


def test_examples_exist_and_hold_every_vendor(jsonl: list[dict]) -> None:
    assert len(EXAMPLES) >= 3
    assert {event["vendor"] for event in jsonl} == {
        "dynamics365",
        "salesforce",
        "pipedrive",
        "8x8",
        "webex",
    }


def test_jsonl_events_are_exactly_the_contract(jsonl: list[dict]) -> None:
    for event in jsonl:
        assert set(event) == CONTRACT_FIELDS
        assert set(event["source"]) == {"file", "line"}
        assert event["category"] != "status"
        assert event["timestamp"].endswith("Z")


def test_source_line_is_the_first_line_of_the_record(jsonl: list[dict]) -> None:
    lines = {str(path): path.read_text().split("\n") for path in EXAMPLES}
    for event in jsonl:
        first = lines[event["source"]["file"]][event["source"]["line"] - 1]
        assert first.strip(), event
        # A record starts with a JSON object, a timestamp, an IP, a logfmt key or a priority.
        assert first[0] in "{[<0123456789" or "=" in first.split(" ")[0], first


def test_table_summary(tmp_path: Path) -> None:
    done = scan("--format", "table", *map(str, EXAMPLES))
    assert done.returncode == 0
    table = done.stdout.decode()
    assert "vendor errors in" in table
    for heading in ("VENDOR", "CATEGORY", "SEVERITY", "TOP CODES", "Transient"):
        assert heading in table
    assert "-> " in table  # remediation under each top code


def test_stdin_gzip_and_missing_files(tmp_path: Path) -> None:
    record = (
        b'{"ts":"2024-05-01T12:00:00.000Z","url":"https://sms.8x8.com/x","status":404,'
        b'"body":{"code":1300,"message":"Not found","errorId":"e"}}\n'
    )
    from_stdin = scan("-", stdin=record)
    assert [orjson.loads(x)["source"] for x in from_stdin.stdout.splitlines()] == [
        {"file": "-", "line": 1}
    ]
    packed = tmp_path / "rotated.log.1"
    packed.write_bytes(gzip.compress(b"noise\n" + record))
    done = scan(str(tmp_path / "missing.log"), str(packed))
    assert done.returncode == 1
    assert b"missing.log" in done.stderr
    assert [orjson.loads(x)["source"]["line"] for x in done.stdout.splitlines()] == [2]


def test_include_status_and_bad_pattern() -> None:
    delivered = (
        b'{"deliveryInfo":{"code":"7500","Description":"Delivered","deliveryChannel":"SMS"}}\n'
    )
    assert scan("-", stdin=delivered).stdout == b""
    with_status = scan("--include-status", "-", stdin=delivered).stdout
    assert orjson.loads(with_status)["category"] == "status"
    bad = scan("--pattern", "%{NOPE:x}", "-", stdin=b"")
    assert bad.returncode == 2 and b"NOPE" in bad.stderr


def test_undecodable_records_are_counted(tmp_path: Path) -> None:
    junk = tmp_path / "junk.log"
    junk.write_bytes(b"plain line\n" + bytes(range(128, 256)) * 4 + b"\n" + b"x" * 5000 + b"\n")
    done = scan("--format", "table", "--max-record-bytes", "4096", str(junk))
    table = done.stdout.decode()
    assert "3 records" in table and "2 undecodable" in table
    assert "invalid utf-8: 1" in table and "record too large: 1" in table


def test_a_reader_that_leaves_early_is_not_an_error() -> None:
    """`vendor-errors scan ... | head -1`: no "Broken pipe" per file, exit status 0."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vendor_errors.processor.cli",
            "scan",
            "--format",
            "jsonl",
            *map(str, EXAMPLES),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()  # what `head -1` does after its line
    status = process.wait(timeout=60)
    assert orjson.loads(first)["vendor"]
    assert status == 0
    assert b"Broken pipe" not in process.stderr.read()
