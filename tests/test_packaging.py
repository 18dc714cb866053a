"""Packaging: one import name installed, the data shipped, and the README's commands are CI's."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Repository folder -> installed package (pyproject.toml's package-dir).
PARTS = {"catalog": "vendor_errors.catalog", "parsers": "vendor_errors.parsers",
         "processor": "vendor_errors.processor"}  # fmt: skip


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
    )
    (built,) = out.glob("vendor_errors-*.whl")
    return built


def test_the_wheel_has_one_top_level_name(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/", 1)[0] for name in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"vendor_errors"}
    # A namespace package: no vendor_errors/__init__.py of its own to clash with.
    assert "vendor_errors/__init__.py" not in names


def test_the_wheel_ships_catalog_data_patterns_schema_and_the_command(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {p.name for p in (ROOT / "catalog" / "data").glob("*.yaml")}
    assert shipped and {f"vendor_errors/catalog/data/{name}" for name in shipped} <= names
    assert "vendor_errors/catalog/data/catalog.json" in names  # compiled: scan loads it
    assert "vendor_errors/catalog/README.md" in names
    grok = {p.name for p in (ROOT / "parsers" / "decoding" / "patterns").glob("*.grok")}
    assert grok and {f"vendor_errors/parsers/decoding/patterns/{name}" for name in grok} <= names
    assert "vendor_errors/parsers/decoding/patterns/layouts.json" in names  # read without pyparsing
    assert "vendor_errors/parsers/schemas/event.schema.json" in names  # docs/events.md
    assert "vendor_errors/processor/commands/scan.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "vendor-errors = vendor_errors.processor.cli:main" in text


def test_every_package_folder_is_in_the_wheel() -> None:
    """pyproject.toml lists the packages one by one (package-dir maps them): a new folder
    left out of the list would be missing from the wheel but present in editable installs."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        PARTS[init.relative_to(ROOT).parts[0]]
        + "".join(f".{part}" for part in init.parent.relative_to(ROOT).parts[1:])
        for folder in PARTS
        for init in (ROOT / folder).rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert listed == found
    assert config["tool"]["setuptools"]["package-dir"] == {v: k for k, v in PARTS.items()}


def test_the_installed_wheel_runs_without_the_repository(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
         str(wheel)],
        check=True,
    )  # fmt: skip
    # -I: no user site, no PYTHONPATH, no current directory; the dependencies come from this
    # interpreter's site-packages, vendor_errors from the target (the first assertion).
    code = (
        "import sys; sys.path[:0] = [sys.argv[1]]\n"
        "import vendor_errors.processor.cli as cli, vendor_errors.catalog as c\n"
        "assert cli.__file__.startswith(sys.argv[1]), cli.__file__\n"
        "print(len(c.load()), flush=True)\n"
        "sys.argv = ['vendor-errors', 'scan', '--format', 'jsonl', sys.argv[2]]\n"
        "sys.exit(cli.main(sys.argv[1:]))\n"
    )
    sample = tmp_path / "app.log"
    sample.write_text(
        '{"level":"error","url":"https://sms.8x8.com/api/v1/messages",'
        '"body":{"code":1002,"message":"Invalid MSISDN","errorId":"e-1"}}\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-I", "-c", code, str(target), str(sample)],
        capture_output=True, text=True, cwd=tmp_path, env={**env, "PYTHONNOUSERSITE": "1"},
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    count, event = done.stdout.splitlines()
    assert int(count) > 600
    assert '"vendor":"8x8","code":"1002"' in event


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)\n```", readme, re.DOTALL)
    test_command = next(b for b in blocks if "pytest" in b)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command.strip() in ci.splitlines()
