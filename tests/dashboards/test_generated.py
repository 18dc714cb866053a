"""The committed dashboard JSON is exactly what dashboards/generate.py makes of the code."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dashboards import generate
from tests.dashboards.dashboard_queries import DASHBOARD_FILES, ROOT


def test_committed_json_is_what_the_code_generates() -> None:
    diffs = generate.differences()
    assert not diffs, "run `python dashboards/generate.py`:\n" + "".join(diffs)[:4000]


def test_generator_generates_the_two_fixed_file_names() -> None:
    assert sorted(generate.rendered()) == sorted(DASHBOARD_FILES)


def test_check_fails_on_a_hand_edit(tmp_path: Path) -> None:
    for name in DASHBOARD_FILES:
        shutil.copy(ROOT / "dashboards" / name, tmp_path / name)
    assert generate.differences(tmp_path) == []

    edited = tmp_path / DASHBOARD_FILES[0]
    edited.write_text(edited.read_text().replace("Vendor errors /s", "Errors"), encoding="utf-8")
    diffs = generate.differences(tmp_path)
    assert len(diffs) == 1
    assert '-      "title": "Errors"' in diffs[0]
    assert '+      "title": "Vendor errors /s"' in diffs[0]


def test_script_check_exits_zero_on_the_committed_files() -> None:
    done = subprocess.run(
        [sys.executable, "dashboards/generate.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_script_check_exits_one_on_a_difference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in DASHBOARD_FILES:
        shutil.copy(ROOT / "dashboards" / name, tmp_path / name)
    (tmp_path / DASHBOARD_FILES[1]).unlink()
    monkeypatch.setattr(generate, "DIRECTORY", tmp_path)
    assert generate.main(["--check"]) == 1
    assert "out of date" in capsys.readouterr().err

    assert generate.main([]) == 0  # rewrites the files
    assert generate.main(["--check"]) == 0
