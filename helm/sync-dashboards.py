#!/usr/bin/env python3
"""Copy the dashboards and alert rules of dashboards/ into the Helm chart.

dashboards/ is the one source of truth. Helm's .Files can only read files inside the
chart, so the chart keeps byte-for-byte copies under helm/vendor-errors/files/; this
script writes them, and `--check` (run by the tests) fails when they have drifted.

    python helm/sync-dashboards.py           # update the copies
    python helm/sync-dashboards.py --check   # exit 1 if a copy differs, is missing or is stale
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHART_FILES = Path("helm/vendor-errors/files")
RULES = Path("dashboards/rules/vendor-errors.rules.yaml")


@dataclass(frozen=True)
class Pair:
    source: Path
    copy: Path


def expected_pairs(root: Path) -> list[Pair]:
    """Every file of dashboards/ that the chart needs, with where its copy goes."""
    dashboards = sorted((root / "dashboards").glob("*.json"))
    if not dashboards:
        raise FileNotFoundError(f"{root / 'dashboards'}: no *.json dashboards")
    if not (root / RULES).is_file():
        raise FileNotFoundError(f"{root / RULES}: not found")
    pairs = [Pair(path, root / CHART_FILES / "dashboards" / path.name) for path in dashboards]
    pairs.append(Pair(root / RULES, root / CHART_FILES / "rules" / RULES.name))
    return pairs


def stale_copies(root: Path, pairs: list[Pair]) -> list[Path]:
    """Copies in the chart whose source was removed or renamed."""
    wanted = {pair.copy for pair in pairs}
    present = [
        *(root / CHART_FILES / "dashboards").glob("*.json"),
        *(root / CHART_FILES / "rules").glob("*.yaml"),
    ]
    return sorted(path for path in present if path not in wanted)


def differences(root: Path) -> list[str]:
    problems = []
    pairs = expected_pairs(root)
    for pair in pairs:
        if not pair.copy.is_file():
            problems.append(f"missing: {pair.copy.relative_to(root)}")
        elif pair.copy.read_bytes() != pair.source.read_bytes():
            problems.append(
                f"differs: {pair.copy.relative_to(root)} != {pair.source.relative_to(root)}"
            )
    problems.extend(f"stale: {path.relative_to(root)}" for path in stale_copies(root, pairs))
    return problems


def sync(root: Path) -> list[str]:
    changed = []
    pairs = expected_pairs(root)
    for pair in pairs:
        content = pair.source.read_bytes()
        if not pair.copy.is_file() or pair.copy.read_bytes() != content:
            pair.copy.parent.mkdir(parents=True, exist_ok=True)
            pair.copy.write_bytes(content)
            changed.append(f"wrote {pair.copy.relative_to(root)}")
    for path in stale_copies(root, pairs):
        path.unlink()
        changed.append(f"removed {path.relative_to(root)}")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report drift; exit 1 if any")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    args = parser.parse_args(argv)
    try:
        if args.check:
            problems = differences(args.root)
            for problem in problems:
                print(problem, file=sys.stderr)
            if problems:
                print("run: python helm/sync-dashboards.py", file=sys.stderr)
            return 1 if problems else 0
        for line in sync(args.root):
            print(line)
    except FileNotFoundError as error:
        print(f"sync-dashboards: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
