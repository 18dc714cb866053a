"""mypy (default strictness, pyproject.toml's [tool.mypy]) passes on the whole package.

Installed, the folders catalog/, parsers/ and processor/ are `vendor_errors.catalog`, ... (a
namespace package mapped by package-dir), which mypy cannot see through the editable install's
import hook: it checks a tree of links laid out like the installed package instead.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_passes_on_the_package(tmp_path: Path) -> None:
    package = tmp_path / "vendor_errors"
    package.mkdir()
    for part in ("catalog", "parsers", "processor"):
        (package / part).symlink_to(ROOT / part, target_is_directory=True)
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
         "--cache-dir", str(tmp_path / ".mypy_cache"), "-p", "vendor_errors"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success" in done.stdout
