"""Write the dashboards' JSON from their code, or with --check fail when the committed JSON
differs from what the code generates (CI runs the check, so the two never drift).

    python dashboards/generate.py           # rewrite dashboards/*.json
    python dashboards/generate.py --check   # exit 1 and print a diff on any difference
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: make the repository root importable instead of this directory.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.cog.encoder import JSONEncoder

from dashboards import processing, taxonomy

DIRECTORY = Path(__file__).resolve().parent
DASHBOARDS: dict[str, Callable[[], Dashboard]] = {
    "vendor-errors-taxonomy.json": taxonomy.build,
    "vendor-errors-processor.json": processing.build,
}


def render(build: Callable[[], Dashboard]) -> str:
    return json.dumps(build().build(), cls=JSONEncoder, indent=2, sort_keys=True) + "\n"


def rendered() -> dict[str, str]:
    """File name -> the JSON the code generates."""
    return {name: render(build) for name, build in DASHBOARDS.items()}


def differences(directory: Path | None = None) -> list[str]:
    """Unified diffs between the committed files and the generated JSON; empty when equal."""
    diffs = []
    for name, text in rendered().items():
        path = (directory or DIRECTORY) / name
        committed = path.read_text(encoding="utf-8") if path.exists() else ""
        if committed != text:
            diff = difflib.unified_diff(
                committed.splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"{name} (committed)",
                tofile=f"{name} (generated)",
            )
            diffs.append("".join(diff) or f"{name}: missing\n")
    return diffs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 if the JSON is out of date"
    )
    args = parser.parse_args(argv)
    if args.check:
        diffs = differences()
        for diff in diffs:
            sys.stdout.write(diff)
        if diffs:
            print(
                "dashboards: the committed JSON is out of date; "
                "run `python dashboards/generate.py`",
                file=sys.stderr,
            )
            return 1
        return 0
    for name, text in rendered().items():
        (DIRECTORY / name).write_text(text, encoding="utf-8")
        print(f"wrote dashboards/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
