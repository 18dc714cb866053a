"""ServiceMonitor, PrometheusRule and dashboard ConfigMaps, checked against dashboards/.

kubernetes-validate has no schemas for the Prometheus Operator CRDs, so their shape is
checked here: the fields the operator requires and the ones this chart promises.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from dashboards import generate, rules
from tests.helm.manifests import Manifests, by_kind, one
from tests.support.helm import ROOT, Helm, HelmError
from tests.support.prometheus import promtool

pytestmark = pytest.mark.helm

Render = Callable[[str], Manifests]
RULES = ROOT / "dashboards" / "rules" / "vendor-errors.rules.yaml"
DASHBOARDS = sorted((ROOT / "dashboards").glob("*.json"))


def source_groups() -> list[dict[str, Any]]:
    return yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]


def test_service_monitor(render: Render) -> None:
    manifests = render("all-enabled")
    monitor = one(manifests, "ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    service = one(manifests, "Service")
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= service["metadata"]["labels"].items()
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {port["name"] for port in service["spec"]["ports"]}
    assert endpoint["path"] == "/metrics"
    assert endpoint["interval"] == "30s"
    assert endpoint["relabelings"][0]["targetLabel"] == "node"
    # The alert VendorErrorsProcessorAbsent matches job=~".*vendor-errors.*".
    job = service["metadata"]["labels"][monitor["spec"]["jobLabel"]]
    assert "vendor-errors" in job


def test_service_monitor_in_another_namespace_selects_the_release_namespace(helm: Helm) -> None:
    manifests = helm.template({"serviceMonitor": {"enabled": True, "namespace": "monitoring"}})
    monitor = one(manifests, "ServiceMonitor")
    assert monitor["metadata"]["namespace"] == "monitoring"
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": ["observability"]}


def test_prometheus_rule_equals_the_dashboards_rules(helm: Helm) -> None:
    rule = one(helm.template({"prometheusRule": {"enabled": True}}), "PrometheusRule")
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["spec"]["groups"] == source_groups()


def test_prometheus_rule_extra_labels(render: Render) -> None:
    rule = one(render("all-enabled"), "PrometheusRule")
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    expected = source_groups()
    for group in expected:
        for entry in group["rules"]:
            if "alert" in entry:
                # The rule's own labels (severity) win over additionalRuleLabels.
                entry["labels"] = {"team": "sre", **entry.get("labels", {})}
    assert rule["spec"]["groups"] == expected


def test_prometheus_rule_options_do_what_the_generator_does(helm: Helm, tmp_path: Path) -> None:
    """runbookUrl, clusterLabel and processorSelector give exactly the rules that
    `dashboards/generate.py --runbook-url/--cluster-label/--processor-selector` writes, and
    promtool accepts them."""
    options = rules.Options(
        runbook_url="https://git.example.com/sre/runbooks/",
        cluster_label="k8s_cluster",
        processor_selector='job="vendor-errors", namespace="observability"',
    )
    values = {
        "prometheusRule": {
            "enabled": True,
            "runbookUrl": options.runbook_url,
            "clusterLabel": options.cluster_label,
            "processorSelector": options.processor_selector,
        }
    }
    rule = one(helm.template(values), "PrometheusRule")
    expected = yaml.safe_load(generate.render_rules(options))["groups"]
    assert rule["spec"]["groups"] == expected
    path = tmp_path / "rendered.rules.yaml"
    path.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}), encoding="utf-8")
    done = promtool("check", "rules", path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_prometheus_rule_disabled_must_name_an_alert(helm: Helm) -> None:
    values = {
        "prometheusRule": {"enabled": True, "disabled": {"VendorErrorsConsumerLagHigh": True}}
    }
    with pytest.raises(HelmError, match="VendorErrorsConsumerLagHigh is not an alert"):
        helm.template(values)


def test_network_policy_opens_only_the_metrics_port(render: Render, helm: Helm) -> None:
    manifests = render("all-enabled")
    policy = one(manifests, "NetworkPolicy")
    deployment = one(manifests, "Deployment")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    (metrics, *extra) = policy["spec"]["ingress"]
    assert not extra
    assert metrics["ports"] == [{"port": "http-metrics", "protocol": "TCP"}]
    # The configured peer, and the chart's own `helm test` pod.
    test_pod = one(manifests, "Pod")["metadata"]["labels"]
    (prometheus, tester) = metrics["from"]
    assert prometheus["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "monitoring"
    }
    assert tester["podSelector"]["matchLabels"].items() <= test_pod.items()
    assert not tester["podSelector"]["matchLabels"].items() <= pod_labels.items()
    # Without peers the port is open to every pod, and egress is not restricted.
    open_policy = one(helm.template({"networkPolicy": {"enabled": True}}), "NetworkPolicy")
    assert open_policy["spec"]["policyTypes"] == ["Ingress"]
    assert open_policy["spec"]["ingress"] == [
        {"ports": [{"port": "http-metrics", "protocol": "TCP"}]}
    ]
    assert not by_kind(render("default"), "NetworkPolicy")


def test_prometheus_rule_disabled_alerts(helm: Helm) -> None:
    alerts = [r["alert"] for g in source_groups() for r in g["rules"] if "alert" in r]
    dropped = alerts[0]
    rule = one(
        helm.template({"prometheusRule": {"enabled": True, "disabled": {dropped: True}}}),
        "PrometheusRule",
    )
    rendered = [r.get("alert") for g in rule["spec"]["groups"] for r in g["rules"]]
    assert dropped not in rendered
    assert set(alerts) - {dropped} <= set(rendered)


def test_dashboards_are_the_files_of_dashboards(render: Render) -> None:
    assert DASHBOARDS, "dashboards/*.json missing"
    config_maps = [
        doc
        for doc in by_kind(render("all-enabled"), "ConfigMap")
        if doc["metadata"]["labels"].get("grafana_dashboard") == "1"
    ]
    shipped = {key: value for doc in config_maps for key, value in doc["data"].items()}
    assert sorted(shipped) == [path.name for path in DASHBOARDS]
    for path in DASHBOARDS:
        assert json.loads(shipped[path.name]) == json.loads(path.read_text(encoding="utf-8"))
    for doc in config_maps:
        assert doc["metadata"]["namespace"] == "monitoring"
        assert doc["metadata"]["annotations"] == {"grafana_folder": "Vendor errors"}
        assert len(doc["metadata"]["name"]) <= 63
        # The API server refuses ConfigMaps over 1 MiB.
        assert len(json.dumps(doc)) < 1024 * 1024


def test_optional_pieces_are_off_by_default(render: Render) -> None:
    manifests = render("default")
    assert not by_kind(manifests, "ServiceMonitor")
    assert not by_kind(manifests, "PrometheusRule")
    labelled = [
        d for d in by_kind(manifests, "ConfigMap") if "grafana_dashboard" in d["metadata"]["labels"]
    ]
    assert not labelled
