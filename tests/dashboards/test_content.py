"""What the dashboards and rules promise, checked without a Prometheus: contract metrics only,
the taxonomy variables, annotations, runbooks, and the provisioning files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.dashboards.dashboard_queries import (
    CONTRACT_METRICS,
    DASHBOARD_FILES,
    DASHBOARDS,
    PROMETHEUS_SERIES,
    ROOT,
    load_dashboard,
    metric_names,
    panel_queries,
    panels,
    recorded_names,
    rules,
    variables,
)

RUNBOOK_PREFIX = "https://github.com/vendor-errors/vendor-errors/blob/main/docs/runbooks/"


def test_metric_names_are_read_from_expressions() -> None:
    expr = (
        'topk(20, sum by (vendor, code) (increase(vendor_errors_total{code="x y"}[$__range]))'
        " * on (vendor, code) group_left (message) vendor_errors:catalog_info:dedup"
        ' or label_replace(up offset 1h, "a", "b", "", "") > +Inf)'
    )
    assert metric_names(expr) == {
        "vendor_errors_total",
        "vendor_errors:catalog_info:dedup",
        "up",
    }


@pytest.mark.parametrize(
    "query", panel_queries(), ids=lambda q: f"{q.dashboard}:{q.panel}:{q.ref_id}"
)
def test_panel_reads_only_contract_metrics_and_recorded_series(query) -> None:
    allowed = CONTRACT_METRICS | PROMETHEUS_SERIES | recorded_names()
    names = metric_names(query.expr)
    assert names, f"no metric found in {query.expr!r}"
    assert names <= allowed, f"not in the contract nor recorded: {names - allowed}"


def test_rules_read_only_contract_metrics_and_recorded_series() -> None:
    allowed = CONTRACT_METRICS | PROMETHEUS_SERIES | recorded_names()
    for rule in rules():
        names = metric_names(rule["expr"])
        assert names <= allowed, f"{rule.get('record') or rule['alert']}: {names - allowed}"


def test_every_recorded_series_is_used() -> None:
    used = set()
    for query in panel_queries():
        used |= metric_names(query.expr)
    for rule in rules():
        used |= metric_names(rule["expr"])
    assert recorded_names() <= used, recorded_names() - used


def test_dashboards_have_unique_ids_and_the_datasource_variable() -> None:
    for name in DASHBOARD_FILES:
        board = load_dashboard(name)
        ids = [panel["id"] for panel in panels(board)]
        assert len(ids) == len(set(ids)), name
        assert board["uid"] == name.removesuffix(".json")
        assert variables(board)[0]["type"] == "datasource"
        for panel in panels(board):
            if panel["type"] != "row":
                assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
                assert panel["targets"], panel["title"]
                assert panel.get("description"), f"{panel['title']}: say what it answers"


def test_taxonomy_filters_by_vendor_channel_category_severity() -> None:
    board = load_dashboard("vendor-errors-taxonomy.json")
    names = [v["name"] for v in variables(board)]
    assert names == ["datasource", "vendor", "channel", "category", "severity"]
    for variable in variables(board)[1:]:
        assert variable["includeAll"] and variable["multi"] and variable["allValue"] == ".*"
    # Every error-rate panel honours every filter.
    for query in panel_queries():
        if query.dashboard == "vendor-errors-taxonomy.json":
            for name in ("vendor", "channel", "category", "severity"):
                assert f'{name}=~"${name}"' in query.expr, (query.panel, name)


def test_taxonomy_shows_firing_alerts_as_annotations() -> None:
    board = load_dashboard("vendor-errors-taxonomy.json")
    (annotation,) = board["annotations"]["list"]
    assert annotation["enable"]
    assert 'ALERTS{alertstate="firing", alertname=~"VendorErrors.*"' in annotation["expr"]


def test_top_codes_table_joins_the_catalog_message_and_remediation() -> None:
    board = load_dashboard("vendor-errors-taxonomy.json")
    (table,) = [p for p in panels(board) if p["title"].startswith("Top codes")]
    (target,) = table["targets"]
    assert target["instant"] and target["format"] == "table"
    assert "group_left (message, remediation)" in target["expr"]
    assert "vendor_errors:catalog_message:info" in target["expr"]


def test_every_alert_has_summary_description_and_an_existing_runbook() -> None:
    alerts = [rule for rule in rules() if "alert" in rule]
    assert {a["alert"] for a in alerts} == {
        "VendorErrorsNonRetryableSpike",
        "VendorErrorsNewNonRetryableCode",
        "VendorErrorsUnknownCode",
        "VendorErrorsProcessorAbsent",
        "VendorErrorsConsumerLagging",
        "VendorErrorsDeadLettering",
    }
    for alert in alerts:
        annotations = alert["annotations"]
        assert annotations["summary"] and annotations["description"], alert["alert"]
        assert annotations["runbook_url"] == f"{RUNBOOK_PREFIX}{alert['alert']}.md"
        runbook = ROOT / "docs" / "runbooks" / f"{alert['alert']}.md"
        text = runbook.read_text(encoding="utf-8")
        for section in ("## What it means", "## What to check", "## Who to call"):
            assert section in text, f"{runbook.name}: {section}"
        assert alert["labels"]["severity"] in {"critical", "warning"}


VENDOR_CODE_ALERTS = {"VendorErrorsNonRetryableSpike", "VendorErrorsNewNonRetryableCode"}


def test_vendor_alert_descriptions_name_vendor_code_and_message() -> None:
    for rule in rules():
        if rule.get("alert") in VENDOR_CODE_ALERTS:
            description = rule["annotations"]["description"]
            for label in ("vendor", "code", "message"):
                assert f"$labels.{label}" in description, (rule["alert"], label)
            assert "group_left (message, remediation)" in rule["expr"]


def test_runbook_index_lists_every_runbook() -> None:
    directory = ROOT / "docs" / "runbooks"
    index = (directory / "README.md").read_text(encoding="utf-8")
    for page in directory.glob("VendorErrors*.md"):
        assert f"]({page.name})" in index, page.name


def test_provisioning_files() -> None:
    provisioning = DASHBOARDS / "provisioning"
    sources = yaml.safe_load((provisioning / "datasources" / "vendor-errors.yaml").read_text())
    (source,) = sources["datasources"]
    assert sources["apiVersion"] == 1
    assert source["type"] == "prometheus" and source["isDefault"]
    assert re.match(r"https?://", source["url"])

    providers = yaml.safe_load((provisioning / "dashboards" / "vendor-errors.yaml").read_text())
    (provider,) = providers["providers"]
    assert provider["type"] == "file"
    assert Path(provider["options"]["path"]).is_absolute()
    readme = (provisioning / "README.md").read_text()
    assert provider["options"]["path"] in readme
