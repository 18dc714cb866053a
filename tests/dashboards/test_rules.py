"""The rules with Prometheus' own tool: `promtool check rules` and the unit tests of
dashboards/rules/tests (a spike that fires, a steady state, a blip and a new code that do not
page wrongly, unknown codes, the processor's health). Also parses every panel query."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.dashboards.dashboard_queries import (
    RULE_TESTS,
    RULES_FILE,
    panel_queries,
    rules,
    substitute,
)
from tests.support.prometheus import promtool

pytestmark = pytest.mark.prometheus


def test_promtool_check_rules() -> None:
    done = promtool("check", "rules", RULES_FILE)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(rules())} rules found" in done.stdout


def test_rule_tests_cover_fire_and_no_fire() -> None:
    text = "\n".join(path.read_text() for path in RULE_TESTS)
    for alert in (
        "VendorErrorsNonRetryableSpike",
        "VendorErrorsNewNonRetryableCode",
        "VendorErrorsUnknownCode",
        "VendorErrorsProcessorAbsent",
        "VendorErrorsConsumerLagging",
        "VendorErrorsDeadLettering",
    ):
        assert f"alertname: {alert}\n        exp_alerts:" in text, f"{alert} never fires"
    for case in ("steady", "blip", "new code"):
        assert case in text


@pytest.mark.parametrize("test_file", RULE_TESTS, ids=lambda p: p.name)
def test_promtool_test_rules(test_file: Path) -> None:
    done = promtool("test", "rules", test_file.name, cwd=test_file.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_every_panel_query_parses(tmp_path: Path) -> None:
    """Each query, variables substituted, as a recording rule: promtool parses them all."""
    queries = panel_queries()
    values = {"vendor": ".*", "channel": ".*", "category": ".*", "severity": ".*"}
    values |= {"topic": ".*", "job": ".*vendor-errors.*"}
    group = {
        "name": "dashboard-queries",
        "rules": [
            {"record": f"dashboard:query:{index}", "expr": substitute(q.expr, values)}
            for index, q in enumerate(queries)
        ],
    }
    path = tmp_path / "queries.yaml"
    path.write_text(yaml.safe_dump({"groups": [group]}), encoding="utf-8")
    done = promtool("check", "rules", path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(queries)} rules found" in done.stdout


def test_a_broken_query_does_not_parse(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    group = {"name": "g", "rules": [{"record": "x:y:z", "expr": "sum by (vendor (up)"}]}
    path.write_text(yaml.safe_dump({"groups": [group]}), encoding="utf-8")
    assert promtool("check", "rules", path).returncode != 0
