"""The layout of the installed package: no import cycle, no module over 450 lines, and the
parsers' stages importing only downstream (docs/parsing.md, "Layout").

The import graph is read from the source (ast), not from running it: every `import` and
`from ... import` of a module counts, at module level, in functions and under
`if TYPE_CHECKING:` alike (a cycle hidden in a function is still a cycle of the design).
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGES = ("vendor_errors.catalog", "vendor_errors.parsers", "vendor_errors.processor")
MAX_LINES = 450

# The parsers' stages, upstream first: a module may import its own stage and upstream ones.
# `fast.memo` is the exception: the one bounded memo, which every stage uses.
STAGES = (
    "vendor_errors.parsers.result",
    "vendor_errors.parsers.decoding",
    "vendor_errors.parsers.recognisers",
    "vendor_errors.parsers.attribution",
    "vendor_errors.parsers.enrichment",
    "vendor_errors.parsers.stages",
    "vendor_errors.parsers.general",
    "vendor_errors.parsers.fast",
    "vendor_errors.parsers.extract",
    "vendor_errors.parsers",  # the package itself: the public API
)
ANYWHERE = "vendor_errors.parsers.fast.memo"


def _modules() -> dict[str, Path]:
    """Every module of the installed package, by name, with its file."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        spec = importlib.util.find_spec(package)
        assert spec is not None and spec.submodule_search_locations, package
        for root in map(Path, spec.submodule_search_locations):
            for path in root.rglob("*.py"):
                if "__pycache__" in path.parts:
                    continue
                parts = path.relative_to(root).with_suffix("").parts
                if parts[-1] == "__init__":
                    parts = parts[:-1]
                found[".".join((package, *parts))] = path
    return found


MODULES = _modules()


def _imported(name: str, path: Path) -> Iterator[str]:
    """The modules of the package that `name` imports (what each import statement names)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from a.b import c`: the module a.b.c if there is one, else a.b itself.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:  # `import a.b.c` where a.b.c is no module
                target = target.rpartition(".")[0]
            if target:
                yield target


GRAPH = {name: sorted(set(_imported(name, path)) - {name}) for name, path in MODULES.items()}


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(graph[target])))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_the_graph_is_read() -> None:
    assert len(MODULES) > 50
    assert "vendor_errors.parsers.decoding.fields" in GRAPH["vendor_errors.parsers.extract"] or (
        "vendor_errors.parsers.decoding.raw" in GRAPH["vendor_errors.parsers.extract"]
    )
    # A function-level import counts (processor/commands/run.py imports parsers in run()).
    assert "vendor_errors.parsers" in GRAPH["vendor_errors.processor.commands.run"]


def test_the_cycle_finder_finds_cycles() -> None:
    graph = {"a": ["b"], "b": ["c"], "c": ["a", "d"], "d": [], "e": ["e"]}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_no_import_cycle() -> None:
    assert _cycles(GRAPH) == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_over_the_limit(name: str) -> None:
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{MODULES[name]}: {lines} lines (limit {MAX_LINES})"


def _stage(name: str) -> int | None:
    """The rank of the most specific stage the module belongs to."""
    matches = [
        (len(stage), rank)
        for rank, stage in enumerate(STAGES)
        if name == stage or name.startswith(stage + ".")
    ]
    return max(matches)[1] if matches else None


def test_the_parsers_stages_import_only_upstream() -> None:
    upstream_only = []
    for name, targets in GRAPH.items():
        rank = _stage(name)
        if rank is None:
            continue
        for target in targets:
            other = _stage(target)
            if target != ANYWHERE and other is not None and other > rank:
                upstream_only.append(f"{name} imports {target}")
    assert upstream_only == []


def test_the_processor_uses_the_parsers_public_api_only() -> None:
    deep = [
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        if name.startswith("vendor_errors.processor")
        for target in targets
        if target.startswith("vendor_errors.parsers.")
    ]
    assert deep == []


def test_the_catalog_knows_no_parser_and_the_parsers_no_processor() -> None:
    wrong = [
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        for target in targets
        if (
            name.startswith("vendor_errors.catalog")
            and not target.startswith("vendor_errors.catalog")
        )
        or (
            name.startswith("vendor_errors.parsers")
            and target.startswith("vendor_errors.processor")
        )
    ]
    assert wrong == []
