"""Overlays merge over the shipped catalog; broken files give errors naming file, entry, field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from vendor_errors import catalog
from vendor_errors.catalog import CatalogError

CLI = [sys.executable, "-m", "vendor_errors.processor.cli"]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_overlay_overrides_fields_of_an_existing_entry(tmp_path: Path) -> None:
    overlay = write(
        tmp_path / "overlay.yaml",
        """
entries:
  - {vendor: 8x8, code: "1100", severity: critical, note: "bulk limits page us"}
""",
    )
    shipped = catalog.load().lookup("8x8", "1100")
    merged = catalog.load(overlay).lookup("8x8", "1100")
    assert merged.severity == "critical" and merged.note == "bulk limits page us"
    assert (merged.message, merged.category) == (shipped.message, shipped.category)


def test_overlay_adds_a_new_code(tmp_path: Path) -> None:
    overlay = write(
        tmp_path / "overlay.yaml",
        """
entries:
  - vendor: webex
    channel: sms
    code: "7999"
    message: Carrier filtered
    category: policy
    severity: error
    transient: false
    remediation: Ask the carrier.
""",
    )
    entry = catalog.load(overlay).lookup("webex", "7999", channel="sms")
    assert entry.known and entry.message == "Carrier filtered"
    assert entry.source.table == "overlay"


def test_overlay_new_code_without_required_fields_is_rejected(tmp_path: Path) -> None:
    overlay = write(tmp_path / "o.yaml", 'entries:\n  - {vendor: webex, code: "7999"}\n')
    with pytest.raises(CatalogError) as raised:
        catalog.load(overlay)
    text = str(raised.value)
    assert str(overlay) in text and "entry 0" in text and "category" in text


def test_overlay_with_a_bad_value_names_the_field(tmp_path: Path) -> None:
    overlay = write(
        tmp_path / "o.yaml", 'entries:\n  - {vendor: 8x8, code: "1100", severity: catastrophic}\n'
    )
    with pytest.raises(CatalogError) as raised:
        catalog.load(overlay)
    assert "entry 0 ('1100') field 'severity'" in str(raised.value)


def test_broken_data_file_error_names_file_table_entry_and_field(data_copy: Path) -> None:
    path = data_copy / "pipedrive.yaml"
    path.write_text(path.read_text().replace("category: rate_limit", "category: ratelimit"))
    with pytest.raises(CatalogError) as raised:
        catalog.load(data_dir=data_copy)
    text = str(raised.value)
    assert "pipedrive.yaml" in text
    assert "entry 4 ('RATE_LIMIT_EXCEEDED') field 'category'" in text
    assert "table 0" in text


def test_unquoted_numeric_code_is_rejected(data_copy: Path) -> None:
    path = data_copy / "dynamics365.yaml"
    path.write_text(path.read_text().replace('code: "30005"', "code: 30005", 1))
    with pytest.raises(CatalogError, match="quoted string"):
        catalog.load(data_dir=data_copy)


def test_duplicate_code_in_one_channel_is_rejected(data_copy: Path) -> None:
    path = data_copy / "pipedrive.yaml"
    text = path.read_text()
    line = next(x for x in text.splitlines() if '"NOT_FOUND"' in x)
    path.write_text(text.replace(line, line + "\n" + line))
    with pytest.raises(CatalogError, match="NOT_FOUND"):
        catalog.load(data_dir=data_copy)


def test_invalid_yaml_is_reported_with_the_file(data_copy: Path) -> None:
    write(data_copy / "webex.yaml", "vendor: webex\ntables: [\n")
    with pytest.raises(CatalogError, match=r"webex\.yaml: not valid YAML"):
        catalog.load(data_dir=data_copy)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, check=False)


def test_lint_passes_on_the_shipped_catalog() -> None:
    result = run_cli("catalog", "lint")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: ")


def test_lint_fails_on_a_broken_overlay(tmp_path: Path) -> None:
    overlay = write(tmp_path / "o.yaml", 'entries:\n  - {vendor: nosuch, code: "1"}\n')
    result = run_cli("catalog", "lint", "--overlay", str(overlay))
    assert result.returncode == 1
    assert "field 'vendor'" in result.stderr


def test_lint_enforces_the_classification_rules(tmp_path: Path) -> None:
    # A rate limit that is not transient breaks catalog/README.md's rules unless a note says why.
    overlay = write(
        tmp_path / "o.yaml",
        'entries:\n  - {vendor: pipedrive, code: "RATE_LIMIT_EXCEEDED", transient: false}\n',
    )
    result = run_cli("catalog", "lint", "--overlay", str(overlay))
    assert result.returncode == 1
    assert "RATE_LIMIT_EXCEEDED" in result.stderr and "transient" in result.stderr


def test_show_prints_the_meaning_and_exit_status_tells_known() -> None:
    known = run_cli("catalog", "show", "webex", "7302", "--channel", "sms")
    assert known.returncode == 0
    assert "Rate limit exceeded" in known.stdout and "retry helps: yes" in known.stdout
    unknown = run_cli("catalog", "show", "8x8", "999999")
    assert unknown.returncode == 3 and "not in the catalog" in unknown.stdout


def test_export_json_lists_every_entry_with_contract_fields() -> None:
    import orjson

    result = run_cli("catalog", "export", "--format", "json")
    assert result.returncode == 0
    rows = orjson.loads(result.stdout)
    assert len(rows) == len(catalog.load())
    required = {"vendor", "channel", "code", "http_status", "message", "category", "severity",
                "transient"}  # fmt: skip
    assert all(required <= row.keys() for row in rows)
    assert {row["vendor"] for row in rows} == set(catalog.VENDORS)


def test_export_csv_has_a_header_and_a_row_per_entry() -> None:
    import csv
    import io

    result = run_cli("catalog", "export", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == len(catalog.load())
    assert {row["transient"] for row in rows} == {"true", "false"}


def test_reload_reuses_parsed_data_until_a_file_changes(data_copy: Path) -> None:
    from vendor_errors.catalog.loader import load_entries

    first = load_entries(data_copy)
    assert load_entries(data_copy) is first  # an overlay reload does not re-parse the data
    path = data_copy / "pipedrive.yaml"
    path.write_text(path.read_text().replace("Back off until", "Wait until"))
    changed = load_entries(data_copy)
    assert changed is not first
    entry = next(e for e in changed[0] if e.code == "RATE_LIMIT_EXCEEDED")
    assert entry.remediation.startswith("Wait until")
