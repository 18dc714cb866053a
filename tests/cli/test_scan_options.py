"""scan's options, run as a user runs them (a subprocess) on records with known times and
vendors; the option types and the table's layout in-process."""

from __future__ import annotations

import argparse
import os
import pty
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import orjson
import pytest
from vendor_errors import catalog
from vendor_errors.parsers import Event, Finding, Result
from vendor_errors.processor.scan import options
from vendor_errors.processor.scan.selection import Selection
from vendor_errors.processor.scan.summary import Summary
from vendor_errors.processor.scan.table import WIDTH, render

from tests.cli import ROOT, scan

EXAMPLES = sorted((ROOT / "examples").glob("*.log"))


def record(when: str | None, code: int = 1300, service: str | None = None) -> bytes:
    """An 8x8 error record (404, code `code`) logged at `when` (None: a record with no time)."""
    fields: dict[str, Any] = {} if when is None else {"ts": when}
    if service is not None:
        fields["service"] = service
    fields |= {
        "url": "https://sms.8x8.com/api/v1/messages",
        "status": 404,
        "body": {"code": code, "message": "Not found", "errorId": "e"},
    }
    return orjson.dumps(fields) + b"\n"


def events(done: subprocess.CompletedProcess[bytes]) -> list[dict[str, Any]]:
    assert done.returncode == 0, done.stderr
    return [orjson.loads(line) for line in done.stdout.splitlines()]


@pytest.fixture
def timed_log(tmp_path: Path) -> Path:
    log = tmp_path / "timed.log"
    log.write_bytes(
        record("2024-05-01T10:00:00Z")
        + record("2024-05-01T11:00:00Z")
        + record("2024-05-01T12:00:00Z")
        + record(None)
    )
    return log


# -- --since / --until ------------------------------------------------------------------------


def test_since_and_until_select_by_the_records_time(timed_log: Path) -> None:
    since = events(scan("--since", "2024-05-01T11:00:00Z", str(timed_log)))
    assert [e["source"]["line"] for e in since] == [2, 3]
    until = events(scan("--until", "2024-05-01 12:00", str(timed_log)))  # no offset: UTC
    assert [e["source"]["line"] for e in until] == [1, 2]
    both = scan("--since", "2024-05-01T10:30+00:00", "--until", "2024-05-01T13:00:00+01:00",
                str(timed_log))  # fmt: skip
    assert [e["source"]["line"] for e in events(both)] == [2]
    # The record with no time cannot be placed in the window: left out, and the user told.
    assert b"1 errors left out by --since/--until: their records carry no time" in both.stderr
    assert len(events(scan(str(timed_log)))) == 4  # no window: every error


def test_since_a_time_ago(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    log = tmp_path / "recent.log"
    hours_ago, minutes_ago = now - timedelta(hours=3), now - timedelta(minutes=50)
    log.write_bytes(record(hours_ago.isoformat()) + record(minutes_ago.isoformat()))
    assert [e["source"]["line"] for e in events(scan("--since", "2h", str(log)))] == [2]
    assert [e["source"]["line"] for e in events(scan("--until", "1h", str(log)))] == [1]
    assert events(scan("--since", "10m", str(log))) == []


def test_point_in_time_spellings() -> None:
    now = 1_714_564_800 * 10**9  # 2024-05-01T12:00:00Z
    at = options.point_in_time
    assert at("2024-05-01T12:00:00Z", now) == now
    assert at("2024-05-01T14:00:00+02:00", now) == now
    assert at("2024-05-01 12:00", now) == now
    assert at("2024-05-01", now) == now - 12 * 3600 * 10**9
    assert at("now", now) == now
    assert at("90s", now) == now - 90 * 10**9
    assert at("2h", now) == at("120m", now) == at("2 hours", now) == now - 7200 * 10**9
    assert at("1.5d", now) == now - 36 * 3600 * 10**9
    assert at("1w", now) == now - 7 * 86_400 * 10**9
    for bad in ("yesterday", "2h ago", "-1h", "12:00 tomorrow"):
        with pytest.raises(argparse.ArgumentTypeError, match="is not a time"):
            at(bad, now)


def test_since_after_until_is_refused(timed_log: Path) -> None:
    done = scan("--since", "1h", "--until", "2h", str(timed_log))
    assert done.returncode == 2 and b"--since must be earlier than --until" in done.stderr


# -- --vendor / --service ------------------------------------------------------------------


def test_vendor_selects_any_case_and_names_and_suggests() -> None:
    every = events(scan(*map(str, EXAMPLES)))
    webex = events(scan("--vendor", "WEBEX", *map(str, EXAMPLES)))
    assert webex and {e["vendor"] for e in webex} == {"webex"}
    assert webex == [e for e in every if e["vendor"] == "webex"]
    two = events(scan("--vendor", "webex", "--vendor", "D365", *map(str, EXAMPLES)))
    assert {e["vendor"] for e in two} == {"webex", "dynamics365"}
    bad = scan("--vendor", "salesfrce", "-", stdin=b"")
    assert bad.returncode == 2
    assert b"unknown vendor 'salesfrce' (did you mean salesforce?)" in bad.stderr
    assert b"one of dynamics365, salesforce, pipedrive, 8x8, webex" in bad.stderr


def test_service_selects_when_events_carry_services(tmp_path: Path) -> None:
    log = tmp_path / "services.log"
    log.write_bytes(
        record("2024-05-01T10:00:00Z", service="checkout")
        + record("2024-05-01T10:00:01Z", service="billing")
        + record("2024-05-01T10:00:02Z")
    )
    every = events(scan(str(log)))
    if "service" not in every[0]:
        pytest.skip("the parsers do not emit `service` yet (issue 14)")
    chosen = events(scan("--service", "Checkout", str(log)))
    assert [e["source"]["line"] for e in chosen] == [1]
    misspelt = scan("--service", "chekout", str(log))
    assert events(misspelt) == []
    assert b"no error was logged by service 'chekout' (did you mean checkout?)" in misspelt.stderr


# -- the table -------------------------------------------------------------------------------


def test_table_fits_80_columns_and_shows_the_time_range(timed_log: Path) -> None:
    table = scan("--format", "table", str(timed_log)).stdout.decode()
    assert "Errors from 2024-05-01T10:00:00Z to 2024-05-01T12:00:00Z" in table
    assert "(1 without a time)" in table
    examples = scan("--format", "table", *map(str, EXAMPLES)).stdout.decode()
    for text in (table, examples):
        assert max(len(line) for line in text.splitlines()) <= WIDTH, text


def test_top_lists_n_codes_and_implies_the_table(tmp_path: Path) -> None:
    done = scan("--top", "3", *map(str, EXAMPLES))  # stdout is no terminal, yet a table
    assert done.returncode == 0
    table = done.stdout.decode()
    assert "TOP CODES (3 of " in table
    rows = [line for line in table.splitlines() if line[:7].strip().replace(",", "").isdigit()]
    assert len(rows) == 3
    refused = scan("--top", "3", "--format", "jsonl", "-", stdin=b"")
    assert refused.returncode == 2 and b"--top" in refused.stderr


def finding(vendor: str, code: str, service: str | None, nanos: int | None = None) -> Finding:
    event = {
        "vendor": vendor, "code": code, "channel": None, "http_status": 429,
        "message": "a vendor message " * 12, "category": "rate_limit", "severity": "warning",
        "transient": True, "known": False, "timestamp": "2024-05-01T12:00:00.000Z",
        "trace_id": None, "span_id": None, "correlation_id": None, "service": service,
        "namespace": None, "source": {"file": "x.log", "line": 1},
    }  # fmt: skip
    return Finding(event=cast(Event, event), time_unix_nano=nanos)


def test_service_breakdown_appears_when_events_carry_services() -> None:
    cat = catalog.load()
    summary = Summary()
    for service, count in (("checkout", 5), ("billing-" + "x" * 40, 3), (None, 2)):
        for _ in range(count):
            summary.add(Result("error_found", [finding("webex", "http_429", service)]))
    summary.add(Result("error_found", [finding("8x8", "A" * 60, "checkout", 10**18)]))
    table = render(summary, cat)
    lines = table.splitlines()
    assert max(map(len, lines)) <= WIDTH, table
    header = lines.index(next(line for line in lines if line.startswith("SERVICE")))
    assert lines[header + 1].split()[:2] == ["checkout", "6"]
    assert lines[header + 1].endswith("webex 5, 8x8 1")
    assert lines[header + 2].startswith("billing-xxxx") and "…" in lines[header + 2]
    assert lines[header + 3].split()[:2] == ["(none)", "2"]
    assert "services: checkout 5, billing-" in table
    assert "AAAA…" in table  # a code too long for its column is cut, visibly
    assert "[not in the catalog] a vendor message" in table


def test_no_service_breakdown_without_services() -> None:
    summary = Summary()
    summary.add(Result("error_found", [finding("webex", "http_429", None)]))
    assert "SERVICE" not in render(summary, catalog.load())


def test_selection_is_named_in_the_table() -> None:
    summary = Summary(Selection(vendors=frozenset({"8x8"})))
    summary.add(Result("error_found", [finding("webex", "http_429", None)]))
    summary.add(Result("error_found", [finding("8x8", "1300", None)]))
    table = render(summary, catalog.load())
    assert "2 vendor errors in 2 records" in table
    assert "Selected (vendor 8x8): 1 of 2" in table


# -- output and stderr -----------------------------------------------------------------------


def test_output_file_holds_what_stdout_would(tmp_path: Path) -> None:
    target = tmp_path / "events.jsonl"
    done = scan("--output", str(target), *map(str, EXAMPLES))
    assert done.returncode == 0 and done.stdout == b""
    # Events of records without a time carry the processing time: compare all but that.
    written = [orjson.loads(line) | {"timestamp": ""} for line in target.read_bytes().splitlines()]
    assert written == [event | {"timestamp": ""} for event in events(scan(*map(str, EXAMPLES)))]
    assert sorted(os.listdir(tmp_path)) == ["events.jsonl"]  # no temporary file left
    table = tmp_path / "summary.txt"
    assert scan("-o", str(table), "--format", "table", *map(str, EXAMPLES)).returncode == 0
    assert table.read_text().startswith("1,680 records in 3 inputs")


def test_output_is_refused_over_an_input_or_in_a_missing_directory(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(record("2024-05-01T10:00:00Z"))
    same = scan("--output", str(log), str(log))
    assert same.returncode == 2 and b"is also an input" in same.stderr
    assert log.read_bytes() == record("2024-05-01T10:00:00Z")
    missing = scan("--output", str(tmp_path / "nope" / "x.jsonl"), str(log))
    assert missing.returncode == 2 and b"does not exist" in missing.stderr


def test_undecodable_records_are_summed_up_on_stderr_in_jsonl(tmp_path: Path) -> None:
    junk = tmp_path / "junk.log"
    junk.write_bytes(b"plain line\n" + bytes(range(128, 256)) * 4 + b"\n" + b"x" * 5000 + b"\n")
    done = scan("--format", "jsonl", "--max-record-bytes", "4KiB", str(junk))
    assert done.returncode == 0 and done.stdout == b""
    assert done.stderr.decode().splitlines() == [
        "vendor-errors scan: 2 of 3 records undecodable (invalid utf-8: 1, record too large: 1)"
    ]


def test_a_note_when_it_waits_on_a_terminal() -> None:
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "vendor_errors.processor.cli", "scan", "--format", "jsonl"],
        cwd=ROOT,
        stdin=secondary,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    os.close(secondary)
    try:
        time.sleep(1.0)
        os.write(primary, record("2024-05-01T10:00:00Z") + b"\x04")  # a record, then Ctrl-D
        out, err = process.communicate(timeout=60)
    finally:
        os.close(primary)
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert b"reading log records from the terminal; end with Ctrl-D" in err
    assert orjson.loads(out.splitlines()[0])["code"] == "1300"
    piped = scan("--format", "jsonl", "-", stdin=record("2024-05-01T10:00:00Z"))
    assert piped.stderr == b""  # no note when stdin is a pipe


def test_record_bytes_spellings() -> None:
    assert options.record_bytes("4096") == 4096
    assert options.record_bytes("64KiB") == options.record_bytes("64k" + "i") == 65536
    assert options.record_bytes("2M") == 2_000_000
    assert options.record_bytes("1GiB") == 1 << 30
    for bad in ("1023", "0", "2GiB", "10 parsecs"):
        with pytest.raises(argparse.ArgumentTypeError):
            options.record_bytes(bad)
