"""The compiled catalog (catalog/compiled.py): committed current, equal to the YAML it is made
from, never read once the YAML has changed, and what `scan` loads without pydantic or yaml."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest
from vendor_errors import catalog
from vendor_errors.catalog import compile as compiler
from vendor_errors.catalog import compiled
from vendor_errors.catalog.files import parse_data_dir
from vendor_errors.catalog.loader import DATA_DIR, load_entries


def test_committed_artifact_is_what_the_data_files_compile_to() -> None:
    diffs = compiler.differences()
    assert not diffs, f"run `{compiler.COMMAND}`:\n" + "".join(diffs)[:4000]


def test_the_artifact_loads_what_the_yaml_loads() -> None:
    from_artifact = compiled.read(DATA_DIR)
    assert from_artifact is not None
    from_yaml = parse_data_dir(DATA_DIR)
    for name, ours, theirs in zip(from_yaml._fields, from_artifact, from_yaml, strict=True):
        assert ours == theirs, name
    # Every field of every entry, `source` and the vendor blocks' files included.
    assert [e.as_dict() for e in from_artifact.entries] == [e.as_dict() for e in from_yaml.entries]
    assert len(from_artifact.entries) == len(from_yaml.entries) > 900


def test_an_edited_data_file_is_read_from_the_yaml(data_copy: Path) -> None:
    assert compiled.read(data_copy) is not None  # the copy's artifact is current
    path = data_copy / "pipedrive.yaml"
    path.write_text(path.read_text().replace("Back off until", "Wait until"))
    assert compiled.read(data_copy) is None
    entry = catalog.load(data_dir=data_copy).get("pipedrive", "RATE_LIMIT_EXCEEDED")
    assert entry is not None and entry.remediation.startswith("Wait until")


def test_a_broken_data_file_fails_though_an_artifact_is_there(data_copy: Path) -> None:
    path = data_copy / "pipedrive.yaml"
    path.write_text(path.read_text().replace("category: rate_limit", "category: ratelimit"))
    assert (data_copy / compiled.ARTIFACT).exists()
    with pytest.raises(catalog.CatalogError, match="field 'category'"):
        catalog.load(data_dir=data_copy)


def test_an_artifact_of_another_format_is_not_read(data_copy: Path) -> None:
    path = data_copy / compiled.ARTIFACT
    path.write_bytes(path.read_bytes().replace(b'"format":1,', b'"format":0,', 1))
    assert compiled.read(data_copy) is None
    assert len(catalog.load(data_dir=data_copy)) == len(catalog.load())


def test_validate_reads_the_yaml_whatever_the_artifact(data_copy: Path) -> None:
    # An artifact that lies (made current by hand) is still not what `catalog lint` checks.
    path = data_copy / compiled.ARTIFACT
    path.write_bytes(path.read_bytes().replace(b'"Back off until', b'"Lie until', 1))
    assert load_entries(data_copy) == compiled.read(data_copy)
    validated = catalog.load(data_dir=data_copy, validate=True)
    entry = validated.get("pipedrive", "RATE_LIMIT_EXCEEDED")
    assert entry is not None and entry.remediation.startswith("Back off until")


def test_compile_writes_a_current_artifact(data_copy: Path) -> None:
    path = data_copy / "webex.yaml"
    path.write_text(path.read_text().replace("Rate limit exceeded", "Rate limit hit", 1))
    assert compiler.differences(data_copy)
    assert compiler.main([str(data_copy)]) == 0
    assert not compiler.differences(data_copy)
    loaded = compiled.read(data_copy)
    assert loaded is not None
    assert any(entry.message == "Rate limit hit" for entry in loaded.entries)


def test_compile_refuses_broken_files(data_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = data_copy / "pipedrive.yaml"
    path.write_text(path.read_text().replace("category: rate_limit", "category: ratelimit"))
    before = (data_copy / compiled.ARTIFACT).read_bytes()
    assert compiler.main([str(data_copy)]) == 1
    assert "field 'category'" in capsys.readouterr().err
    assert (data_copy / compiled.ARTIFACT).read_bytes() == before


def test_scan_start_up_imports_neither_pydantic_nor_yaml() -> None:
    """What the artifact is for: scan's start-up (catalog, extractor, command line) pays for
    no validation library. An overlay still brings them in, to validate it."""
    code = (
        "import sys\n"
        "from vendor_errors import catalog\n"
        "from vendor_errors.parsers import Extractor\n"
        "from vendor_errors.processor import cli\n"
        "cli.build_parser()\n"
        "Extractor(catalog.load())\n"
        "print(sorted(m for m in ('pydantic', 'yaml') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_lint_asks_for_a_compile_when_the_artifact_is_stale(
    data_copy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from vendor_errors.processor.commands import catalog as command

    monkeypatch.setattr(command, "DATA_DIR", data_copy)
    assert command._lint(argparse.Namespace(overlay=None)) == 0
    path = data_copy / "pipedrive.yaml"
    path.write_text(path.read_text().replace("Back off until", "Wait until"))
    assert command._lint(argparse.Namespace(overlay=None)) == 1
    assert f"run `{compiler.COMMAND}`" in capsys.readouterr().err
