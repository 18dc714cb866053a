"""Tests of the command line as users run it (tests/cli/), and the helper they share."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def vendor_errors(
    *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """`vendor-errors ARGS...` in a subprocess from the repository root, output captured."""
    return subprocess.run(
        [sys.executable, "-m", "vendor_errors.processor.cli", *args],
        cwd=ROOT,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        timeout=120,
        check=False,
        env=env,
    )


def scan(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return vendor_errors("scan", *args, stdin=stdin)
