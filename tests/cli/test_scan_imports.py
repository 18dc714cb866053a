"""What `scan` imports: nothing it does not use. Each library is resident memory that every
scan pays (README, "Resident memory of `scan`"): pyparsing ~6 MiB (patterns are read
translated, parsers/decoding/grok.py), pydantic and yaml ~20 MiB (the catalog is read
compiled, catalog/compiled.py), the OpenTelemetry SDK and the Kafka clients (`run` only),
OpenSSL through hashlib, shtab (`--print-completion` only). Checked on the modules loaded,
not on a memory figure, so it fails on a regression and never on a busy machine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import ROOT

NOT_FOR_SCAN = (
    "pyparsing",
    "pydantic",
    "yaml",
    "opentelemetry",
    "kafka",
    "confluent_kafka",
    "hashlib",
    "shtab",
)
EXAMPLES = sorted((ROOT / "examples").glob("*.log"))


def modules_after_scan(*args: str) -> set[str]:
    """The top-level modules loaded once `vendor-errors scan ARGS...` is done (run in a new
    interpreter, its output to /dev/null)."""
    probe = (
        "import sys\n"
        "from vendor_errors.processor.cli import main\n"
        f"status = main(['scan', *{list(args)!r}, '--output', '/dev/null'])\n"
        "print(status, *sorted({name.split('.')[0] for name in sys.modules}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    status, *modules = done.stdout.split()
    assert status == "0", done.stderr
    return set(modules)


@pytest.mark.parametrize("output", ["jsonl", "table"])
def test_scan_of_an_empty_file_imports_no_library_it_does_not_use(
    tmp_path: Path, output: str
) -> None:
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    loaded = modules_after_scan(str(empty), "--format", output)
    assert "vendor_errors" in loaded and "orjson" in loaded  # the probe sees what scan loads
    assert loaded.isdisjoint(NOT_FOR_SCAN), sorted(loaded & set(NOT_FOR_SCAN))


def test_scanning_records_imports_none_either() -> None:
    """JSON, logfmt and text records of every layout kind the examples hold, vendor errors
    found: whatever the record path imports when it first needs it."""
    assert EXAMPLES
    loaded = modules_after_scan(*map(str, EXAMPLES), "--format", "table")
    assert loaded.isdisjoint(NOT_FOR_SCAN), sorted(loaded & set(NOT_FOR_SCAN))


def test_a_pattern_of_ones_own_is_parsed_with_pyparsing(tmp_path: Path) -> None:
    """The other side: pyparsing is what reads a user's pattern (so the probe can fail)."""
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    loaded = modules_after_scan(str(empty), "--pattern", "%{WORD:service} %{GREEDYDATA:message}")
    assert "pyparsing" in loaded
