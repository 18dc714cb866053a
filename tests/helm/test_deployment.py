"""The Deployment: security context, probes, Secret references, config and overlay mounts."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helm.manifests import (
    VALUE_SETS,
    Manifests,
    by_kind,
    container,
    env,
    mounts,
    one,
    pod_spec,
    volumes,
)
from tests.support.helm import ROOT, Helm

pytestmark = pytest.mark.helm

Render = Callable[[str], Manifests]


def processor_config(manifests: Manifests) -> dict[str, Any]:
    (config_map,) = [doc for doc in by_kind(manifests, "ConfigMap") if "config.yaml" in doc["data"]]
    return yaml.safe_load(config_map["data"]["config.yaml"])


@pytest.mark.parametrize("name", VALUE_SETS)
def test_pod_is_restricted(render: Render, name: str) -> None:
    manifests = render(name)
    pod = pod_spec(manifests)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] > 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    context = container(manifests)["securityContext"]
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"]
    assert "add" not in context["capabilities"]
    assert context["runAsNonRoot"] is True
    assert context.get("privileged", False) is False
    # A read-only root needs a writable /tmp.
    assert mounts(manifests)["tmp"]["mountPath"] == "/tmp"
    assert "emptyDir" in volumes(manifests)["tmp"]


@pytest.mark.parametrize("name", VALUE_SETS)
def test_probes_hit_the_metrics_port(render: Render, name: str) -> None:
    manifests = render(name)
    processor = container(manifests)
    ports = {port["name"]: port["containerPort"] for port in processor["ports"]}
    assert ports == {"http-metrics": 9464}
    expected = {
        "startupProbe": "/healthz",
        "livenessProbe": "/healthz",
        "readinessProbe": "/readyz",
    }
    for probe, path in expected.items():
        assert processor[probe]["httpGet"] == {"path": path, "port": "http-metrics"}, probe
    # The startup probe gives the process time; liveness does not kill a slow starter.
    startup = processor["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 30


@pytest.mark.parametrize("name", VALUE_SETS)
def test_resources_are_set(render: Render, name: str) -> None:
    resources = container(render(name))["resources"]
    assert {"cpu", "memory"} <= resources["requests"].keys()
    assert "memory" in resources["limits"]


def test_runs_the_processor_with_the_mounted_config(render: Render) -> None:
    manifests = render("default")
    processor = container(manifests)
    # The image's ENTRYPOINT is `vendor-errors`; the args replace its CMD (`run`).
    assert processor["args"] == ["run", "--config", "/etc/vendor-errors/config/config.yaml"]
    assert "command" not in processor
    assert mounts(manifests)["config"]["mountPath"] == "/etc/vendor-errors/config"
    assert volumes(manifests)["config"]["configMap"]["name"] == "vendor-errors"
    assert processor["image"] == "vendor-errors:0.1.0"


def test_image_digest_wins_over_tag(render: Render) -> None:
    image = container(render("all-enabled"))["image"]
    assert re.fullmatch(
        r"registry\.example\.com/observability/vendor-errors@sha256:[0-9a-f]{64}", image
    )


def test_config_follows_the_documented_format(render: Render) -> None:
    """Every key the chart writes is one docs/configuration.md documents."""
    documented = documented_config()
    for name in VALUE_SETS:
        config = processor_config(render(name))
        for section, settings in config.items():
            assert section in documented, f"{name}: unknown section {section}"
            unknown = set(settings) - set(documented[section])
            assert not unknown, f"{name}: {section} has undocumented {sorted(unknown)}"


def documented_config() -> dict[str, dict[str, Any]]:
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    # The first YAML block is the complete reference; later ones are examples.
    block = re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)[0]
    return yaml.safe_load(block)


def test_default_config(render: Render) -> None:
    config = processor_config(render("default"))
    assert config["kafka"]["bootstrap_servers"] == ["kafka:9092"]
    assert config["kafka"]["topics"] == ["app-logs"]
    assert config["kafka"]["group_id"] == "vendor-errors"
    assert config["kafka"]["security_protocol"] == "PLAINTEXT"
    assert "sasl_mechanism" not in config["kafka"]
    assert "ssl_cafile" not in config["kafka"]
    assert config["metrics"]["port"] == 9464
    assert config["metrics"]["host"] == "0.0.0.0"
    assert config["tracing"]["enabled"] is False  # no OTLP endpoint configured
    assert "overlay" not in config["catalog"]
    assert config["shutdown"]["timeout_seconds"] == 20


def test_kafka_client_is_librdkafka_unless_set(render: Render, helm: Helm) -> None:
    """A variable, so that it wins over the image's default (the same variable, Dockerfile)."""
    variables = env(render("default"))
    assert variables["VENDOR_ERRORS_KAFKA__CLIENT"] == {
        "name": "VENDOR_ERRORS_KAFKA__CLIENT",
        "value": "librdkafka",
    }
    assert "client" not in processor_config(render("default"))["kafka"]
    chosen = env(helm.template({"kafka": {"client": "kafka-python"}}))
    assert chosen["VENDOR_ERRORS_KAFKA__CLIENT"]["value"] == "kafka-python"


def test_memory_follows_the_measurement(render: Render) -> None:
    """helm/vendor-errors/README.md, Memory: the request covers the pod's measured peak
    (~145 MiB), the limit is the bound kept through an outage with a hung collector."""
    resources = container(render("default"))["resources"]
    assert resources["requests"]["memory"] == "160Mi"
    assert resources["limits"]["memory"] == "256Mi"
    readme = (ROOT / "helm" / "vendor-errors" / "README.md").read_text()
    assert "a request of 160Mi and a limit of 256Mi" in readme


def test_sasl_credentials_come_from_the_existing_secret(render: Render) -> None:
    manifests = render("sasl")
    variables = env(manifests)
    username = variables["VENDOR_ERRORS_KAFKA__SASL_USERNAME"]["valueFrom"]["secretKeyRef"]
    password = variables["VENDOR_ERRORS_KAFKA__SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]
    assert username == {"name": "vendor-errors-kafka", "key": "user"}
    assert password == {"name": "vendor-errors-kafka", "key": "pass"}
    assert "value" not in variables["VENDOR_ERRORS_KAFKA__SASL_PASSWORD"]
    assert not by_kind(manifests, "Secret"), "the chart must not create the credentials Secret"
    config = processor_config(manifests)["kafka"]
    assert config["security_protocol"] == "SASL_SSL"
    assert config["sasl_mechanism"] == "SCRAM-SHA-512"
    assert "sasl_password" not in config and "sasl_username" not in config


def test_tls_files_are_mounted_from_the_same_secret(render: Render) -> None:
    manifests = render("keda")
    secret = volumes(manifests)["kafka-tls"]["secret"]
    assert secret["secretName"] == "vendor-errors-kafka"
    assert {item["path"]: item["key"] for item in secret["items"]} == {
        "ca.crt": "ca.crt",
        "tls.crt": "tls.crt",
        "tls.key": "tls.key",
    }
    directory = mounts(manifests)["kafka-tls"]["mountPath"]
    config = processor_config(manifests)["kafka"]
    assert config["ssl_cafile"] == f"{directory}/ca.crt"
    assert config["ssl_certfile"] == f"{directory}/tls.crt"
    assert config["ssl_keyfile"] == f"{directory}/tls.key"
    assert config["ssl_check_hostname"] is True


def test_plaintext_mounts_no_secret(render: Render) -> None:
    manifests = render("default")
    assert "kafka-tls" not in volumes(manifests)
    assert not [name for name in env(manifests) if "SASL" in name]


def test_overlay_reloads_without_restart(render: Render) -> None:
    manifests = render("all-enabled")
    # A directory mount: kubelet never refreshes subPath mounts.
    mount = mounts(manifests)["catalog-overlay"]
    assert "subPath" not in mount
    assert mount["mountPath"] != mounts(manifests)["config"]["mountPath"]
    volume = volumes(manifests)["catalog-overlay"]["configMap"]["name"]
    overlay = [doc for doc in by_kind(manifests, "ConfigMap") if doc["metadata"]["name"] == volume]
    assert len(overlay) == 1
    assert yaml.safe_load(overlay[0]["data"]["overlay.yaml"])["entries"][0]["vendor"] == "webex"
    config = processor_config(manifests)["catalog"]
    assert config["overlay"] == f"{mount['mountPath']}/overlay.yaml"


def test_overlay_change_keeps_pods_config_change_rolls_them(helm: Helm) -> None:
    def checksum(values: dict[str, Any]) -> str:
        deployment = one(helm.template(values), "Deployment")
        return deployment["spec"]["template"]["metadata"]["annotations"]["checksum/config"]

    overlay = 'entries: [{vendor: webex, code: "7302", severity: %s}]'
    first = checksum({"catalog": {"overlay": overlay % "critical"}})
    assert first == checksum({"catalog": {"overlay": overlay % "warning"}})
    assert first != checksum(
        {"catalog": {"overlay": overlay % "critical"}, "kafka": {"groupId": "other"}}
    )


def test_existing_overlay_config_map(helm: Helm) -> None:
    manifests = helm.template({"catalog": {"existingConfigMap": "team-overlay"}})
    assert volumes(manifests)["catalog-overlay"]["configMap"]["name"] == "team-overlay"
    assert not [d for d in by_kind(manifests, "ConfigMap") if "overlay.yaml" in d.get("data", {})]


def test_otlp_settings(render: Render) -> None:
    manifests = render("all-enabled")
    variables = env(manifests)
    assert (
        variables["OTEL_EXPORTER_OTLP_ENDPOINT"]["value"]
        == "http://otel-collector.observability:4318"
    )
    assert variables["OTEL_EXPORTER_OTLP_PROTOCOL"]["value"] == "http/protobuf"
    assert variables["OTEL_SERVICE_NAME"]["value"] == "vendor-errors"
    headers = variables["OTEL_EXPORTER_OTLP_HEADERS"]["valueFrom"]["secretKeyRef"]
    assert headers == {"name": "otlp-auth", "key": "headers"}
    attributes = variables["OTEL_RESOURCE_ATTRIBUTES"]["value"].split(",")
    assert "k8s.pod.name=$(K8S_POD_NAME)" in attributes
    assert "deployment.environment=production" in attributes
    # $(VAR) expansion only sees variables defined earlier in the list.
    names = list(variables)
    assert names.index("K8S_POD_NAME") < names.index("OTEL_RESOURCE_ATTRIBUTES")
    config = processor_config(manifests)
    assert config["tracing"]["enabled"] is True
    assert config["metrics"]["otlp"] is True


def test_grace_period_outlasts_the_shutdown_timeout(render: Render) -> None:
    for name in VALUE_SETS:
        manifests = render(name)
        grace = pod_spec(manifests)["terminationGracePeriodSeconds"]
        assert grace > processor_config(manifests)["shutdown"]["timeout_seconds"], name


def test_replicas_unless_keda(render: Render) -> None:
    assert one(render("default"), "Deployment")["spec"]["replicas"] == 1
    for name in ("keda", "all-enabled"):
        assert "replicas" not in one(render(name), "Deployment")["spec"], name


def test_service_and_pdb(render: Render) -> None:
    manifests = render("default")
    service = one(manifests, "Service")
    assert service["spec"]["ports"] == [
        {
            "name": "http-metrics",
            "port": 9464,
            "targetPort": "http-metrics",
            "protocol": "TCP",
            "appProtocol": "http",
        }
    ]
    selector = one(manifests, "Deployment")["spec"]["selector"]["matchLabels"]
    assert service["spec"]["selector"] == selector
    pdb = one(manifests, "PodDisruptionBudget")
    assert pdb["spec"]["maxUnavailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"] == selector


def test_topology_spread_gets_the_selector(render: Render) -> None:
    manifests = render("all-enabled")
    (constraint,) = pod_spec(manifests)["topologySpreadConstraints"]
    selector = one(manifests, "Deployment")["spec"]["selector"]["matchLabels"]
    assert constraint["labelSelector"] == {"matchLabels": selector}


def test_notes_point_to_metrics_and_dashboards(helm: Helm, tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text(
        yaml.safe_dump({"dashboards": {"enabled": True}, "serviceMonitor": {"enabled": True}})
    )
    # `helm template` drops NOTES.txt; `--dry-run=client` of install prints it.
    result = helm.run(
        "install",
        "vendor-errors",
        str(ROOT / "helm" / "vendor-errors"),
        "--namespace",
        "observability",
        "--dry-run=client",
        "--values",
        str(values),
    )
    notes = result.stdout.split("NOTES:", 1)[1]
    assert "port-forward service/vendor-errors 9464:9464" in notes
    assert "/metrics" in notes
    assert "ServiceMonitor observability/vendor-errors" in notes
    assert 'Grafana folder "Vendor errors"' in notes
    assert "vendor-errors-taxonomy.json" in notes
    assert "partition" in notes
