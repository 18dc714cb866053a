"""The committed dashboard JSON and rule file are exactly what dashboards/generate.py makes of
the code; the rule file's YAML says what the code says."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dashboards import generate, rules
from tests.dashboards.dashboard_queries import DASHBOARD_FILES, ROOT

GENERATED = (*DASHBOARD_FILES, generate.RULES_FILE)


def test_committed_json_is_what_the_code_generates() -> None:
    diffs = generate.differences()
    assert not diffs, "run `python dashboards/generate.py`:\n" + "".join(diffs)[:4000]


def test_generator_generates_the_fixed_file_names() -> None:
    assert sorted(generate.rendered()) == sorted(GENERATED)


CUSTOM = rules.Options(
    runbook_url="https://git.example.com/runbooks",
    cluster_label="k8s_cluster",
    processor_selector='job="vendor-errors", namespace="observability"',
)


@pytest.mark.parametrize("options", [rules.Options(), CUSTOM], ids=["default", "custom"])
def test_rule_file_loads_back_to_the_code(options: rules.Options) -> None:
    """The hand-made YAML (folded annotations, block expressions) means exactly the rules."""
    loaded = yaml.safe_load(generate.render_rules(options))
    assert loaded == {"groups": [group.as_dict() for group in rules.groups(options)]}


def test_bad_cluster_label_is_refused() -> None:
    with pytest.raises(ValueError, match="not a label name"):
        rules.Options(cluster_label="k8s-cluster")


def test_rules_only_with_options(tmp_path: Path) -> None:
    out = tmp_path / "my.rules.yaml"
    done = subprocess.run(
        [
            sys.executable,
            "dashboards/generate.py",
            "--rules-only",
            "--output",
            str(out),
            "--runbook-url",
            CUSTOM.runbook_url,
            "--cluster-label",
            CUSTOM.cluster_label,
            "--processor-selector",
            CUSTOM.processor_selector,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8") == generate.render_rules(CUSTOM)
    # The committed files are untouched.
    assert generate.differences() == []


def test_check_fails_on_a_hand_edit(tmp_path: Path) -> None:
    for name in GENERATED:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
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
    for name in GENERATED:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "dashboards" / name, tmp_path / name)
    (tmp_path / DASHBOARD_FILES[1]).unlink()
    rule_file = tmp_path / generate.RULES_FILE
    rule_file.write_text(rule_file.read_text().replace("for: 5m", "for: 1m"))
    monkeypatch.setattr(generate, "DIRECTORY", tmp_path)
    assert generate.main(["--check"]) == 1
    assert "out of date" in capsys.readouterr().err

    assert generate.main([]) == 0  # rewrites the files
    assert generate.main(["--check"]) == 0
    assert "for: 1m" not in rule_file.read_text()
