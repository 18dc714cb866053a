"""What the dashboards and rules promise, checked without a Prometheus: contract metrics only,
the taxonomy variables, annotations, runbooks, and the provisioning files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from dashboards import rules as rule_code
from tests.dashboards.dashboard_queries import (
    CONTRACT_METRICS,
    DASHBOARD_FILES,
    DASHBOARDS,
    PROCESS_METRICS,
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

RUNBOOK_PREFIX = rule_code.DEFAULT_RUNBOOK_URL + "/"
ALLOWED = CONTRACT_METRICS | PROCESS_METRICS | PROMETHEUS_SERIES


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
    allowed = ALLOWED | recorded_names()
    names = metric_names(query.expr)
    assert names, f"no metric found in {query.expr!r}"
    assert names <= allowed, f"not in the contract nor recorded: {names - allowed}"


def test_rules_read_only_contract_metrics_and_recorded_series() -> None:
    allowed = ALLOWED | recorded_names()
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


TAXONOMY_FILTERS = ("vendor", "channel", "category", "severity", "service")


def test_taxonomy_filters_by_vendor_channel_category_severity_service() -> None:
    board = load_dashboard("vendor-errors-taxonomy.json")
    names = [v["name"] for v in variables(board)]
    assert names == ["datasource", *TAXONOMY_FILTERS]
    for variable in variables(board)[1:]:
        assert variable["includeAll"] and variable["multi"] and variable["allValue"] == ".*"
    # Every error-rate panel honours every filter.
    for query in panel_queries():
        if query.dashboard == "vendor-errors-taxonomy.json":
            for name in TAXONOMY_FILTERS:
                assert f'{name}=~"${name}"' in query.expr, (query.panel, name)


def test_taxonomy_shows_the_services_hit() -> None:
    board = load_dashboard("vendor-errors-taxonomy.json")
    by_title = {panel["title"]: panel for panel in panels(board)}
    over_time = by_title["Services hit: error rate by service and vendor"]
    assert over_time["type"] == "timeseries"
    (target,) = over_time["targets"]
    assert "sum by (vendor, service)" in target["expr"]
    assert "{{service}}" in target["legendFormat"] and "{{vendor}}" in target["legendFormat"]
    in_range = by_title["Services hit in range"]
    assert in_range["type"] == "table"
    assert "sum by (vendor, service)" in in_range["targets"][0]["expr"]


def test_processor_dashboard_shows_memory_and_spans_shed() -> None:
    board = load_dashboard("vendor-errors-processor.json")
    exprs = {
        panel["title"]: panel["targets"][0]["expr"] for panel in panels(board) if "targets" in panel
    }
    memory = exprs["Memory (resident set) per processor"]
    # The whole pod: the poll loop's process plus its helper processes (0 when none run).
    assert metric_names(memory) == {
        "process_resident_memory_bytes",
        "vendor_errors_child_resident_memory_bytes",
    }
    assert "+ on (instance)" in memory
    shed = exprs["Spans shed /s"]
    assert "vendor_errors_spans_shed_total" in metric_names(shed)
    # 0, not "No data", while a processor exports no such counter yet (or never shed).
    assert "* 0" in shed


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
    # One row per code and service: the table shows which services see each code.
    assert "sum by (vendor, code, channel, service," in target["expr"]
    organize = table["transformations"][0]["options"]
    assert organize["includeByName"]["service"]


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


def test_vendor_alert_descriptions_name_vendor_code_message_and_services() -> None:
    for rule in rules():
        if rule.get("alert") in VENDOR_CODE_ALERTS:
            description = rule["annotations"]["description"]
            for label in ("vendor", "code", "message"):
                assert f"$labels.{label}" in description, (rule["alert"], label)
            assert "group_left (message, remediation)" in rule["expr"]
            # A `service` label when one service sees the code; the summary lists them else.
            assert "group_left (service)" in rule["expr"]
            assert "$labels.service" in rule["annotations"]["summary"]
            assert "| query" in rule["annotations"]["summary"]
            assert "| query" in description


DEPLOYMENT = ("cluster", "namespace", "job")


def test_recorded_series_keep_the_deployment_labels() -> None:
    for rule in rules():
        if "record" in rule:
            grouping = re.findall(r"\b(?:by|on) \(([^)]*)\)", rule["expr"])
            assert grouping, rule["record"]
            for labels in grouping:
                names = [name.strip() for name in labels.split(",")]
                assert names[:3] == list(DEPLOYMENT), (rule["record"], labels)


def test_runbook_routing_example_routes_on_service() -> None:
    """The Alertmanager example of the runbooks names real alerts and routes on `service`.
    (Checked by hand with `amtool config routes test`; no Alertmanager in the test set-up.)"""
    page = (ROOT / "docs" / "runbooks" / "VendorErrorsNonRetryableSpike.md").read_text()
    (block,) = re.findall(r"```yaml\n(.*?)```", page, re.DOTALL)
    config = yaml.safe_load(block)
    alerts = {rule["alert"] for rule in rules() if "alert" in rule}
    receivers = {receiver["name"] for receiver in config["receivers"]}
    assert config["route"]["receiver"] in receivers
    for route in config["route"]["routes"]:
        assert route["receiver"] in receivers
        matchers: dict[str, str] = {}
        for matcher in route["matchers"]:
            name, _, value = re.split(r'(=~|=)"', matcher.removesuffix('"'), maxsplit=1)
            matchers[name] = value
        assert set(matchers["alertname"].split("|")) <= VENDOR_CODE_ALERTS & alerts
        assert matchers["service"]


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
