"""Coverage-guided fuzzing of the extractor and the record grouping (atheris / libFuzzer).

    pip install atheris
    python -m tests.parsers.fuzz_extract -max_total_time=300 -timeout=10 -rss_limit_mb=2048

The seed corpus is the fixture corpus (tests/parsers/corpus/*.yaml); libFuzzer mutates it. Any
exception, a record taking over `-timeout` seconds or memory over `-rss_limit_mb` is a finding
(libFuzzer writes the input to crash-*/timeout-*/oom-* and exits non-zero).
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

import atheris
import yaml
from vendor_errors import catalog

with atheris.instrument_imports(include=["parsers"]):  # coverage of the parser, not its deps
    from vendor_errors.parsers.decoding.records import iter_records
    from vendor_errors.parsers.extract import Extractor
    from vendor_errors.parsers.result import Result

CORPUS = Path(__file__).parent / "corpus"
OUTCOMES = {"error_found", "no_error", "undecodable"}
EXTRACTOR = Extractor(catalog.load(), max_record_bytes=64 * 1024)


def one_input(data: bytes) -> None:
    result = EXTRACTOR.extract(data, {"file": "fuzz", "line": 1})
    check(result)
    # The same bytes as a file: grouping, then every record.
    for line, record in iter_records(io.BytesIO(data), max_record_bytes=64 * 1024):
        assert line >= 1
        check(EXTRACTOR.extract(record, {"file": "fuzz", "line": line}))


def check(result: Result) -> None:
    assert result.outcome in OUTCOMES
    if result.outcome == "undecodable":
        assert result.reason and not result.reason.startswith("parser error"), result.reason
    for finding in result.findings:
        assert finding.event["vendor"] in catalog.VENDORS


def seeds() -> Path:
    directory = Path(tempfile.mkdtemp(prefix="vendor-errors-fuzz-"))
    for path in sorted(CORPUS.glob("*.yaml")):
        for index, case in enumerate(yaml.safe_load(path.read_text(encoding="utf-8"))):
            (directory / f"{path.stem}-{index}").write_bytes(case["record"].encode("utf-8"))
    return directory


def main(argv: list[str]) -> None:
    args = [arg for arg in argv if arg.startswith("-")]
    dirs = [arg for arg in argv[1:] if not arg.startswith("-")] or [str(seeds())]
    atheris.Setup([argv[0], *args, *dirs], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
