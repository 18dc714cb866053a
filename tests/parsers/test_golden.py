"""The differential check: `vendor-errors scan` prints byte for byte what it printed when the
golden files were made, on the examples, the fixture corpus and the benchmark's files.

Refactors and speed layers must not change output. When a change is *meant* to change it (a
new shape recognised, a catalog entry added), regenerate the files and review the diff:

    python -m tests.parsers.test_golden --update

Events of records without a time of their own carry the processing time; those are written
as `<processing-time>` on both sides.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
EXAMPLES = sorted((ROOT / "examples").glob("*.log"))
CORPUS = sorted((Path(__file__).parent / "corpus").glob("*.yaml"))
NOW = "<processing-time>"


def _inputs(workdir: Path) -> dict[str, list[Path]]:
    """Name -> the files one scan reads."""
    sys.path.insert(0, str(ROOT))
    from bench.bench_scan import generate

    corpus = workdir / "corpus.log"
    with corpus.open("w", encoding="utf-8") as out:
        for path in CORPUS:
            for case in yaml.safe_load(path.read_text(encoding="utf-8")):
                out.write(case["record"].rstrip("\n") + "\n\n")  # a blank line ends a record
    mixed, errors = workdir / "bench-5pct.log", workdir / "bench-errors.log"
    generate(mixed, 20_000, 0.05)
    generate(errors, 4_000, 1.0, seed=11)
    return {
        "examples": EXAMPLES,
        "corpus": [corpus],
        "bench-5pct": [mixed],
        "bench-errors": [errors],
    }


# (golden name, input name, extra options)
RUNS = [
    ("examples", "examples", []),
    ("examples-status", "examples", ["--include-status"]),
    ("corpus", "corpus", []),
    ("corpus-status", "corpus", ["--include-status"]),
    ("bench-5pct", "bench-5pct", []),
    ("bench-errors", "bench-errors", []),
]


def _scan(files: list[Path], options: list[str], cwd: Path) -> bytes:
    started = datetime.now(UTC) - timedelta(seconds=5)
    done = subprocess.run(
        [sys.executable, "-m", "vendor_errors.processor.cli", "scan", "--format", "jsonl",
         *options, *map(str, files)],
        capture_output=True, check=True, cwd=cwd,
    )  # fmt: skip
    lines = []
    for line in done.stdout.splitlines():
        event = orjson.loads(line)
        stamp = datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00"))
        if stamp >= started:
            event["timestamp"] = NOW
        lines.append(orjson.dumps(event))
    return b"".join(line + b"\n" for line in lines)


def _relative(files: list[Path], workdir: Path) -> list[Path]:
    """Paths as the events' `source.file` shows them: examples from the repository root,
    generated files from the work directory (so the output does not name a temp folder)."""
    return [
        f.relative_to(ROOT) if f.is_relative_to(ROOT) else f.relative_to(workdir) for f in files
    ]


def _outputs() -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        inputs = _inputs(workdir)
        outputs = {}
        for name, source, options in RUNS:
            files = inputs[source]
            cwd = ROOT if files[0].is_relative_to(ROOT) else workdir
            outputs[name] = _scan(_relative(files, workdir), options, cwd)
        return outputs


@pytest.fixture(scope="module")
def outputs() -> dict[str, bytes]:
    return _outputs()


@pytest.mark.parametrize("name", [run[0] for run in RUNS])
def test_scan_output_is_unchanged(name: str, outputs: dict[str, bytes]) -> None:
    expected = gzip.decompress((GOLDEN / f"{name}.jsonl.gz").read_bytes())
    actual = outputs[name]
    if actual != expected:
        want, got = expected.splitlines(), actual.splitlines()
        first = next(
            (i for i, (a, b) in enumerate(zip(want, got, strict=False)) if a != b),
            min(len(want), len(got)),
        )
        pytest.fail(
            f"{name}: {len(got)} events, {len(want)} expected; first difference at event "
            f"{first + 1}:\n  expected {want[first:][:1]}\n  actual   {got[first:][:1]}"
            "\n(intended? python -m tests.parsers.test_golden --update, and review the diff)"
        )
    assert actual.count(b"\n") > 0


def test_golden_files_are_not_trivial() -> None:
    counts = {
        path.name: gzip.decompress(path.read_bytes()).count(b"\n")
        for path in GOLDEN.glob("*.jsonl.gz")
    }
    assert len(counts) == len(RUNS)
    assert counts["bench-errors.jsonl.gz"] >= 4_000
    assert counts["examples-status.jsonl.gz"] > counts["examples.jsonl.gz"] > 100


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python -m tests.parsers.test_golden --update")
    GOLDEN.mkdir(exist_ok=True)
    for name, data in _outputs().items():
        # mtime=0: the same output gives the same file, so git shows no change.
        (GOLDEN / f"{name}.jsonl.gz").write_bytes(gzip.compress(data, 9, mtime=0))
        print(name, data.count(b"\n"), "events")
