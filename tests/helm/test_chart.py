"""helm lint --strict, Kubernetes schema validation, and what the chart refuses to render."""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from tests.helm.manifests import VALUE_SETS, Manifests, values_file
from tests.support.helm import CHART, ROOT, Helm, HelmError

pytestmark = pytest.mark.helm

DASHBOARDS = sorted((ROOT / "dashboards").glob("*.json"))

# The supported Kubernetes minors when this was written (1.35 to 1.37): oldest and newest.
KUBERNETES_VERSIONS = ("1.35.0", "1.37.0")

# Custom resources: kubernetes-validate ships only the core API schemas. Their shape is
# checked by the structural tests of test_monitoring.py and test_keda.py instead.
CRD_KINDS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
    ("keda.sh/v1alpha1", "ScaledObject"),
    ("keda.sh/v1alpha1", "TriggerAuthentication"),
}


def test_value_sets_cover_the_issue() -> None:
    assert set(VALUE_SETS) >= {"default", "all-enabled", "sasl", "keda"}


@pytest.mark.parametrize("name", VALUE_SETS)
def test_lint_strict(helm: Helm, name: str) -> None:
    output = helm.lint([values_file(name)])
    assert "0 chart(s) failed" in output
    # Lint only logs a template's `fail` (and `required`); the chart must not hit one.
    assert "funcMap fail" not in output and "funcMap required" not in output


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("name", VALUE_SETS)
def test_core_kinds_validate_strictly(
    render: Callable[[str], Manifests], name: str, version: str
) -> None:
    validated = 0
    for doc in render(name):
        if (doc["apiVersion"], doc["kind"]) in CRD_KINDS:
            continue
        # Strict: unknown fields are errors, as `kubernetes-validate --strict` reports them.
        kubernetes_validate.validate(doc, version, strict=True)
        validated += 1
    assert validated >= 5


def test_kubernetes_validate_cli(helm: Helm, tmp_path: Path) -> None:
    """The command line as a user would run it: only the CRD kinds lack a schema."""
    rendered = tmp_path / "all-enabled.yaml"
    rendered.write_text(helm.template_text(values_files=[values_file("all-enabled")]))
    command = shutil.which("kubernetes-validate")
    assert command, "kubernetes-validate missing: pip install -e '.[test]'"
    args = [command, "--strict", "--quiet", "-k", KUBERNETES_VERSIONS[-1], str(rendered)]
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    warned = {line.split("kind ")[1].split(" ")[0] for line in result.stdout.splitlines() if line}
    assert warned == {kind for _, kind in CRD_KINDS}, result.stdout


def test_all_enabled_renders_every_kind(render: Callable[[str], Manifests]) -> None:
    kinds = {(doc["apiVersion"], doc["kind"]) for doc in render("all-enabled")}
    assert kinds >= CRD_KINDS | {
        ("apps/v1", "Deployment"),
        ("v1", "ConfigMap"),
        ("v1", "Service"),
        ("v1", "ServiceAccount"),
        ("policy/v1", "PodDisruptionBudget"),
        ("networking.k8s.io/v1", "NetworkPolicy"),
        ("v1", "Pod"),  # the helm test hook
    }


def test_defaults_render_no_custom_resources(render: Callable[[str], Manifests]) -> None:
    kinds = {(doc["apiVersion"], doc["kind"]) for doc in render("default")}
    assert not kinds & CRD_KINDS


def test_every_resource_is_labelled_and_namespaced(render: Callable[[str], Manifests]) -> None:
    for doc in render("all-enabled"):
        labels = doc["metadata"]["labels"]
        assert labels["app.kubernetes.io/instance"] == "vendor-errors", doc["kind"]
        assert labels["app.kubernetes.io/managed-by"] == "Helm", doc["kind"]
        assert labels["team"] == "sre", doc["kind"]  # commonLabels
        assert doc["metadata"]["namespace"] in {"observability", "monitoring"}, doc["kind"]


REJECTED: list[tuple[dict[str, Any], str]] = [
    ({"kafka": {"securityProtocol": "SASL_SSL", "sasl": {"mechanism": "PLAIN"}}}, "existingSecret"),
    ({"kafka": {"securityProtocol": "SASL_PLAINTEXT", "existingSecret": "s"}}, "mechanism"),
    ({"kafka": {"securityProtocol": "TLS"}}, "securityProtocol"),
    ({"kafka": {"bootstrapServers": []}}, "bootstrapServers"),
    ({"kafka": {"bootstrapServers": ["no-port"]}}, "bootstrapServers"),
    ({"kafka": {"sasl": {"mechanism": "GSSAPI"}}}, "mechanism"),
    ({"kafka": {"securityProtocol": "SSL", "tls": {"certKey": "tls.crt"}}}, "existingSecret"),
    (
        {"kafka": {"securityProtocol": "SSL", "existingSecret": "s", "tls": {"certKey": "c"}}},
        "keyKey",
    ),
    ({"otlp": {"enabled": True}}, "endpoint"),
    ({"config": {"kafka": {"group_id": "x"}}}, "kafka"),
    ({"config": {"log": {"level": "LOUD"}}}, "level"),
    ({"replicas": 3}, "replicas"),
    ({"terminationGracePeriodSeconds": 10}, "terminationGracePeriodSeconds"),
    ({"keda": {"enabled": True, "minReplicaCount": 5, "maxReplicaCount": 2}}, "minReplicaCount"),
    ({"serviceMonitor": {"interval": "often"}}, "interval"),
    ({"prometheusRule": {"clusterLabel": "k8s-cluster"}}, "clusterLabel"),
    ({"prometheusRule": {"runbookUrl": "runbooks/"}}, "runbookUrl"),
    ({"networkPolicy": {"metricsFrom": [{"podSelecter": {}}]}}, "podSelecter"),
]


@pytest.mark.parametrize(("values", "named"), REJECTED, ids=[r[1] for r in REJECTED])
def test_bad_values_fail_naming_the_setting(helm: Helm, values: dict[str, Any], named: str) -> None:
    with pytest.raises(HelmError) as failure:
        helm.template(values)
    assert named in str(failure.value)


def test_packaged_chart_carries_dashboards_and_rules(helm: Helm, tmp_path: Path) -> None:
    """What `helm package` ships (and a chart repository serves) renders on its own."""
    helm.run("package", str(CHART), "--destination", str(tmp_path))
    (archive,) = tmp_path.glob("vendor-errors-*.tgz")
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert "vendor-errors/files/rules/vendor-errors.rules.yaml" in names
    assert {f"vendor-errors/files/dashboards/{p.name}" for p in DASHBOARDS} <= names
    assert "vendor-errors/values.schema.json" in names
    assert not [name for name in names if name.startswith("vendor-errors/ci/")]
    manifests = helm.template(
        {"prometheusRule": {"enabled": True}, "dashboards": {"enabled": True}}, chart=archive
    )
    kinds = [doc["kind"] for doc in manifests]
    assert "PrometheusRule" in kinds
    assert kinds.count("ConfigMap") == 1 + len(DASHBOARDS)
