"""What the dashboards and rules ask Prometheus: every panel expression, every variable,
and the metric names each expression reads. Shared by the static and the live tests."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = ROOT / "dashboards"
DASHBOARD_FILES = ("vendor-errors-taxonomy.json", "vendor-errors-processor.json")
RULES_FILE = DASHBOARDS / "rules" / "vendor-errors.rules.yaml"
RULE_TESTS = sorted((DASHBOARDS / "rules" / "tests").glob("*.yaml"))

# The processor's contract metrics as Prometheus sees them (a histogram is its three
# series), the catalog info series the processor exports for joins, and the two series
# Prometheus makes itself: scrape health and alert state.
CONTRACT_METRICS = frozenset(
    {
        "vendor_errors_total",
        "vendor_errors_records_total",
        "vendor_errors_consumer_lag",
        "vendor_errors_process_duration_seconds_bucket",
        "vendor_errors_process_duration_seconds_sum",
        "vendor_errors_process_duration_seconds_count",
        "vendor_errors_catalog_info",
    }
)
# Decided with the processor (issue 16): spans shed under memory pressure, and the standard
# process collector's resident memory.
PROCESS_METRICS = frozenset(
    {
        "vendor_errors_spans_shed_total",
        "process_resident_memory_bytes",
        "vendor_errors_child_resident_memory_bytes",
    }
)
PROMETHEUS_SERIES = frozenset({"up", "ALERTS"})

_KEYWORDS = frozenset(
    {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right"}
    | {"offset", "bool", "Inf", "NaN", "atan2"}
)


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str
    panel: str
    ref_id: str
    expr: str
    instant: bool


def load_dashboard(name: str) -> dict[str, Any]:
    return dict(json.loads((DASHBOARDS / name).read_text(encoding="utf-8")))


def panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, including those inside collapsed rows."""
    for panel in board.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def panel_queries() -> list[PanelQuery]:
    found = []
    for name in DASHBOARD_FILES:
        for panel in panels(load_dashboard(name)):
            for target in panel.get("targets", []):
                found.append(
                    PanelQuery(
                        name,
                        panel["title"],
                        target["refId"],
                        target["expr"],
                        bool(target.get("instant")),
                    )
                )
    return found


def variables(board: dict[str, Any]) -> list[dict[str, Any]]:
    return list(board.get("templating", {}).get("list", []))


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def recorded_names() -> frozenset[str]:
    return frozenset(rule["record"] for rule in rules() if "record" in rule)


def substitute(expr: str, values: dict[str, str], rate_interval: str = "1m") -> str:
    """Grafana's substitution of the dashboard's and the built-in variables."""
    expr = expr.replace("$__rate_interval", rate_interval)
    expr = expr.replace("$__interval", "15s").replace("$__range", "1h")
    for name in sorted(values, key=len, reverse=True):
        expr = expr.replace(f"${{{name}}}", values[name]).replace(f"${name}", values[name])
    if "$" in expr.replace("$labels", ""):
        raise ValueError(f"unsubstituted variable in {expr!r}")
    return expr


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (a lexical scan, enough for our queries)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\boffset\s+\S+", " ", text)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        word = match.group()
        if word in _KEYWORDS or text[match.end() :].lstrip().startswith("("):
            continue
        names.add(word)
    return names
