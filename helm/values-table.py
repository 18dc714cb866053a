#!/usr/bin/env python3
"""Write the values table of the chart's README.md from the `# --` comments of values.yaml.

A comment "# -- text" (continued on following "#" lines) documents the key right under
it, in the style of helm-docs. The table goes between the README's
<!-- values-table:start --> and <!-- values-table:end --> markers.

    python helm/values-table.py           # rewrite the table
    python helm/values-table.py --check   # exit 1 if README.md is out of date
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CHART = Path(__file__).resolve().parent / "vendor-errors"
START = "<!-- values-table:start -->"
END = "<!-- values-table:end -->"
KEY = re.compile(r"^(?P<indent>\s*)(?P<key>[A-Za-z0-9_.\-]+):(\s|$)")
DOC = re.compile(r"^\s*# -- ?(?P<text>.*)$")
CONTINUATION = re.compile(r"^\s*#\s?(?P<text>.*)$")


@dataclass(frozen=True)
class Row:
    key: str
    value: Any
    description: str


def documented_keys(text: str) -> dict[str, str]:
    """Dotted key path -> description, for every key under a `# --` comment."""
    docs: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    pending: list[str] | None = None
    sequence_indent: int | None = None
    for line in text.splitlines():
        if doc := DOC.match(line):
            pending = [doc["text"].strip()]
            continue
        if pending is not None and line.strip().startswith("#"):
            more = CONTINUATION.match(line)
            pending.append(more["text"].strip() if more else "")
            continue
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        if sequence_indent is not None and indent > sequence_indent:
            continue  # inside a list item: not a values key
        sequence_indent = None
        if line.lstrip().startswith("- "):
            sequence_indent = indent
            continue
        match = KEY.match(line)
        if not match:
            continue
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, match["key"]))
        path = ".".join(key for _, key in stack)
        if pending is not None:
            docs[path] = " ".join(part for part in pending if part)
            pending = None
    return docs


def lookup(values: dict[str, Any], path: str) -> Any:
    node: Any = values
    for part in path.split("."):
        node = node[part]
    return node


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return "null"


def rows(values_text: str) -> list[Row]:
    values = yaml.safe_load(values_text)
    return [
        Row(key, lookup(values, key), description)
        for key, description in documented_keys(values_text).items()
    ]


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(values_text: str) -> str:
    lines = ["| Key | Type | Default | Description |", "| --- | --- | --- | --- |"]
    for row in rows(values_text):
        default = cell(json.dumps(row.value, separators=(", ", ": ")))
        kind = type_name(row.value)
        lines.append(f"| `{row.key}` | {kind} | `{default}` | {cell(row.description)} |")
    return "\n".join(lines)


def render_readme(readme: str, values_text: str) -> str:
    before, start, rest = readme.partition(START)
    _, end, after = rest.partition(END)
    if not start or not end:
        raise ValueError(f"README.md: markers {START} and {END} not found")
    return f"{before}{START}\n{table(values_text)}\n{END}{after}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if README.md is stale")
    parser.add_argument("--chart", type=Path, default=CHART, help="chart directory")
    args = parser.parse_args(argv)
    readme_path = args.chart / "README.md"
    readme = readme_path.read_text(encoding="utf-8")
    wanted = render_readme(readme, (args.chart / "values.yaml").read_text(encoding="utf-8"))
    if wanted == readme:
        return 0
    if args.check:
        print(f"{readme_path}: values table out of date; run helm/values-table.py", file=sys.stderr)
        return 1
    readme_path.write_text(wanted, encoding="utf-8")
    print(f"wrote {readme_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
