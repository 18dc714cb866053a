"""The rules with Prometheus' own tool: `promtool check rules` and the unit tests of
dashboards/rules/tests (a spike that fires, a steady state, a blip, a fresh install and a new
deployment that do not page wrongly, a new code, one service and many, unknown codes, the
processor's health). Also parses every panel query, and the rules generated with other options."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from dashboards import generate
from dashboards import rules as rule_code
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
    for case in (
        "steady",
        "blip",
        "new code",
        "one service",
        "many services",
        "first minute",
        "two deployments",
    ):
        assert case in text, case


@pytest.mark.parametrize("test_file", RULE_TESTS, ids=lambda p: p.name)
def test_promtool_test_rules(test_file: Path) -> None:
    done = promtool("test", "rules", test_file.name, cwd=test_file.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_every_panel_query_parses(tmp_path: Path) -> None:
    """Each query, variables substituted, as a recording rule: promtool parses them all."""
    queries = panel_queries()
    values = {"vendor": ".*", "channel": ".*", "category": ".*", "severity": ".*", "service": ".*"}
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


def test_rules_with_other_options_check(tmp_path: Path) -> None:
    """A cluster label, a processor selector and a runbook prefix of one's own still give rules
    promtool accepts, with the options applied everywhere."""
    options = rule_code.Options(
        runbook_url="https://git.example.com/sre/runbooks/",
        cluster_label="k8s_cluster",
        processor_selector='job="ve", namespace="observability"',
    )
    path = tmp_path / "custom.rules.yaml"
    path.write_text(generate.render_rules(options), encoding="utf-8")
    done = promtool("check", "rules", path)
    assert done.returncode == 0, done.stdout + done.stderr
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"\bcluster\b", text.replace("--cluster-label", ""))
    assert "k8s_cluster, namespace, job" in text
    assert 'up{job="ve", namespace="observability"}' in text
    assert "https://git.example.com/sre/runbooks/VendorErrorsDeadLettering.md" in text
