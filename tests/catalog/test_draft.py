"""`catalog draft`: unknown codes in logs -> an overlay to fill in -> `catalog lint` passes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from vendor_errors import catalog
from vendor_errors.catalog.draft import Draft

CLI = [sys.executable, "-m", "vendor_errors.processor.cli"]
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, check=False, input=stdin, timeout=120
    )


def _record(code: int, message: str, status: int = 400) -> str:
    # The 8x8 error body as its API reference documents it, logged by a service as JSON.
    body = (
        f'{{"code":{code},"message":"{message}",'
        '"errorId":"12121212-3434-5656-7878-909090909090","timestamp":"2024-05-02T10:25:00.00Z"}'
    )
    return (
        f'{{"ts":"2024-05-02T10:25:00.000Z","level":"error","msg":"8x8 rejected the message",'
        f'"url":"https://sms.8x8.com/api/v1/subaccounts/acme/messages","status":{status},'
        f'"body":{body}}}\n'
    )


def _fill(entry: dict[str, object]) -> None:
    entry.update(
        category="not_found",
        severity="error",
        transient=False,
        remediation="Check the ID against the vendor's documentation.",
    )


# -- the draft itself --------------------------------------------------------------------------


def test_one_entry_per_code_with_wordings_and_counts() -> None:
    draft = Draft()
    base = {"vendor": "8x8", "channel": None, "http_status": 404, "known": False}
    for message in ("Contact not found", "Contact not found", "Contact missing"):
        assert draft.add({**base, "code": "4018", "message": message}, "a.log:1")
    draft.add({**base, "code": "4019", "message": "Other", "http_status": None}, "a.log:9")
    assert not draft.add({**base, "code": "1002", "message": "Invalid MSISDN", "known": True})

    doc = yaml.safe_load(draft.render(["a.log"], 10))
    first, second = doc["entries"]
    assert (first["vendor"], first["code"], first["channel"]) == ("8x8", "4018", None)
    assert first["message"] == "Contact not found"  # the most frequent wording
    assert first["seen"] == {
        "count": 3,
        "first": "a.log:1",
        "http_statuses": [404],
        "messages": [
            {"text": "Contact not found", "count": 2},
            {"text": "Contact missing", "count": 1},
        ],
    }
    assert first["category"] == "unknown"
    assert first["severity"] is None and first["transient"] is None
    assert first["remediation"] is None
    assert second["code"] == "4019" and "http_statuses" not in second["seen"]


def test_the_draft_says_what_to_fill_in() -> None:
    draft = Draft()
    draft.add({"vendor": "webex", "channel": "sms", "code": "7999", "known": False}, "x:1")
    text = draft.render(["x"], 1)
    assert "category: unknown     # FILL IN" in text
    assert "severity:             # FILL IN: info | warning | error | critical" in text
    assert "vendor-errors catalog lint --overlay" in text
    entry = yaml.safe_load(text)["entries"][0]
    assert entry["channel"] == "sms" and entry["message"] is None  # no wording seen: none made up


def test_a_channel_the_catalog_has_no_table_for_is_kept_as_a_comment() -> None:
    draft = Draft()
    draft.add({"vendor": "webex", "channel": "telegram", "code": "7999", "known": False})
    text = draft.render([], 1)
    assert 'seen on channel "telegram"' in text
    assert yaml.safe_load(text)["entries"][0]["channel"] is None


def test_nothing_unknown_gives_an_empty_overlay(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text(Draft().render(["a.log"], 5), encoding="utf-8")
    assert yaml.safe_load(path.read_text())["entries"] == []
    catalog.load(path)  # a valid overlay


# -- draft -> fill -> lint ---------------------------------------------------------------------


def test_draft_fill_lint(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text(
        _record(4018, "Contact +14155550123 not found", 404)
        + _record(4018, "Contact +14155550124 not found", 404)
        + _record(1002, "Invalid MSISDN")  # known: not drafted
        + "plain text with no vendor error\n",
        encoding="utf-8",
    )
    out = tmp_path / "overlay.yaml"
    drafted = run_cli("catalog", "draft", "--from", str(log), "-o", str(out))
    assert drafted.returncode == 0, drafted.stderr
    assert "1 unknown code(s) in 2 event(s)" in drafted.stderr
    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    (entry,) = doc["entries"]
    assert (entry["vendor"], entry["code"]) == ("8x8", "4018")
    # Phone numbers are redacted before they reach a file people share; both wordings merge.
    assert entry["seen"]["messages"] == [{"text": "Contact [phone] not found", "count": 2}]

    unfilled = run_cli("catalog", "lint", "--overlay", str(out))
    assert unfilled.returncode == 1
    assert "a new code needs field(s) severity, transient, remediation" in unfilled.stderr

    _fill(entry)
    out.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    filled = run_cli("catalog", "lint", "--overlay", str(out))
    assert filled.returncode == 0, filled.stderr
    assert catalog.load(out).lookup("8x8", "4018").known

    # The next draft, given that overlay, has nothing left to ask.
    again = run_cli("catalog", "draft", "--from", str(log), "--overlay", str(out))
    assert again.returncode == 0 and yaml.safe_load(again.stdout)["entries"] == []


def test_every_unfilled_entry_is_named_at_once(tmp_path: Path) -> None:
    draft = Draft()
    for code in ("4018", "4019"):
        draft.add({"vendor": "8x8", "code": code, "message": "m", "known": False})
    path = tmp_path / "draft.yaml"
    path.write_text(draft.render([], 2), encoding="utf-8")
    result = run_cli("catalog", "lint", "--overlay", str(path))
    assert result.returncode == 1
    assert "'4018'" in result.stderr and "'4019'" in result.stderr


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="examples/ not in this tree")
def test_draft_on_the_examples(tmp_path: Path) -> None:
    logs = sorted(str(p) for p in EXAMPLES.glob("*.log"))
    out = tmp_path / "examples.yaml"
    result = run_cli("catalog", "draft", "--from", *logs, "--output", str(out))
    assert result.returncode == 0, result.stderr
    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    shipped = catalog.load()
    assert doc["entries"], "examples/ holds unknown codes on purpose"
    keys = [(e["vendor"], e["channel"], e["code"]) for e in doc["entries"]]
    assert len(keys) == len(set(keys))  # one entry per (vendor, channel, code)
    for vendor, channel, code in keys:
        assert not shipped.lookup(vendor, code, channel).known
    for entry in doc["entries"]:
        _fill(entry)
    out.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    assert run_cli("catalog", "lint", "--overlay", str(out)).returncode == 0


def test_gzip_and_stdin_are_read(tmp_path: Path) -> None:
    import gzip

    packed = tmp_path / "app.log.gz"
    packed.write_bytes(gzip.compress(_record(4018, "Contact not found").encode()))
    result = run_cli(
        "catalog", "draft", "--from", str(packed), "-", stdin=_record(4020, "Other thing")
    )
    assert result.returncode == 0, result.stderr
    codes = {e["code"] for e in yaml.safe_load(result.stdout)["entries"]}
    assert codes == {"4018", "4020"}


def test_an_existing_output_is_kept_without_force(tmp_path: Path) -> None:
    out = tmp_path / "mine.yaml"
    out.write_text("entries: []\n", encoding="utf-8")
    log = tmp_path / "a.log"
    log.write_text(_record(4018, "Contact not found"), encoding="utf-8")
    refused = run_cli("catalog", "draft", "--from", str(log), "-o", str(out))
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert out.read_text() == "entries: []\n"
    forced = run_cli("catalog", "draft", "--from", str(log), "-o", str(out), "--force")
    assert forced.returncode == 0 and "4018" in out.read_text()


def test_an_unreadable_file_is_reported_and_the_rest_drafted(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text(_record(4018, "Contact not found"), encoding="utf-8")
    result = run_cli("catalog", "draft", "--from", str(tmp_path / "missing.log"), str(log))
    assert result.returncode == 1
    assert "missing.log" in result.stderr
    assert "4018" in result.stdout
