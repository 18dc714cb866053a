"""The chart's generated parts stay in sync: dashboards/rules copies, the README values table,
the schema. No helm needed."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.helm import CHART, ROOT

SYNC = ROOT / "helm" / "sync-dashboards.py"
TABLE = ROOT / "helm" / "values-table.py"


def run(script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, check=False
    )


def test_chart_copies_match_dashboards() -> None:
    result = run(SYNC, "--check")
    assert result.returncode == 0, result.stderr


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of dashboards/ and the chart's files/, to break on purpose."""
    shutil.copytree(ROOT / "dashboards", tmp_path / "dashboards")
    shutil.copytree(CHART / "files", tmp_path / "helm" / "vendor-errors" / "files")
    return tmp_path


def test_check_fails_when_a_copy_differs(tree: Path) -> None:
    assert run(SYNC, "--check", "--root", str(tree)).returncode == 0
    rules = tree / "dashboards" / "rules" / "vendor-errors.rules.yaml"
    rules.write_text(rules.read_text() + "\n# changed\n")
    result = run(SYNC, "--check", "--root", str(tree))
    assert result.returncode == 1
    assert "differs: helm/vendor-errors/files/rules/vendor-errors.rules.yaml" in result.stderr


def test_check_fails_on_missing_and_stale_copies(tree: Path) -> None:
    (dashboard,) = sorted((tree / "dashboards").glob("*.json"))[:1]
    renamed = dashboard.with_name("vendor-errors-renamed.json")
    dashboard.rename(renamed)
    result = run(SYNC, "--check", "--root", str(tree))
    assert result.returncode == 1
    assert f"missing: helm/vendor-errors/files/dashboards/{renamed.name}" in result.stderr
    assert f"stale: helm/vendor-errors/files/dashboards/{dashboard.name}" in result.stderr
    # Syncing repairs both.
    assert run(SYNC, "--root", str(tree)).returncode == 0
    assert run(SYNC, "--check", "--root", str(tree)).returncode == 0
    assert not (tree / "helm/vendor-errors/files/dashboards" / dashboard.name).exists()


def test_missing_source_is_an_error(tmp_path: Path) -> None:
    result = run(SYNC, "--check", "--root", str(tmp_path))
    assert result.returncode == 2
    assert "dashboards" in result.stderr


def test_readme_values_table_is_current() -> None:
    result = run(TABLE, "--check")
    assert result.returncode == 0, result.stderr


def test_readme_check_fails_when_values_change(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    chart.mkdir()
    shutil.copy(CHART / "README.md", chart / "README.md")
    values = (CHART / "values.yaml").read_text()
    (chart / "values.yaml").write_text(
        values.replace("maxPollRecords: 2000", "maxPollRecords: 800")
    )
    assert run(TABLE, "--check", "--chart", str(chart)).returncode == 1
    assert run(TABLE, "--chart", str(chart)).returncode == 0
    assert "| `kafka.maxPollRecords` | int | `800` |" in (chart / "README.md").read_text()


def leaf_paths(node: Any, prefix: str = "") -> list[str]:
    if isinstance(node, dict) and node:
        return [p for key, value in node.items() for p in leaf_paths(value, f"{prefix}{key}.")]
    return [prefix.rstrip(".")]


def test_every_value_is_documented() -> None:
    """Each value has a `# --` comment on itself or on an enclosing key."""
    spec = importlib.util.spec_from_file_location("values_table", TABLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["values_table"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    text = (CHART / "values.yaml").read_text()
    documented = set(module.documented_keys(text))
    undocumented = [
        path
        for path in leaf_paths(yaml.safe_load(text))
        if not any(path == key or path.startswith(f"{key}.") for key in documented)
    ]
    assert not undocumented


def schema_paths(schema: dict[str, Any], prefix: str = "") -> set[str]:
    paths = set()
    for key, sub in schema.get("properties", {}).items():
        paths.add(f"{prefix}{key}")
        paths |= schema_paths(sub, f"{prefix}{key}.")
    return paths


def test_schema_is_self_contained_and_covers_every_value() -> None:
    text = (CHART / "values.schema.json").read_text()
    schema = json.loads(text)
    refs = [line for line in text.splitlines() if '"$ref"' in line]
    assert refs and all('"$ref": "#/' in line for line in refs), "only local $ref allowed"
    assert schema["additionalProperties"] is False
    known = schema_paths(schema)
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    for key, value in values.items():
        assert key in known, key
        if (
            isinstance(value, dict)
            and schema["properties"][key].get("additionalProperties") is False
        ):
            for child in value:
                assert f"{key}.{child}" in known, f"{key}.{child}"
