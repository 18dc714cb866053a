"""The KEDA ScaledObject and TriggerAuthentication (CRDs: checked structurally here)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.helm.manifests import Manifests, by_kind, env, one
from tests.support.helm import Helm

pytestmark = pytest.mark.helm

Render = Callable[[str], Manifests]


def test_scaled_object_targets_the_deployment(render: Render) -> None:
    manifests = render("keda")
    scaled = one(manifests, "ScaledObject")
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    deployment = one(manifests, "Deployment")
    assert scaled["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    assert "replicas" not in deployment["spec"]
    assert scaled["spec"]["minReplicaCount"] == 2
    assert scaled["spec"]["maxReplicaCount"] == 12
    assert scaled["spec"]["fallback"] == {"failureThreshold": 3, "replicas": 4}
    assert scaled["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]


def test_kafka_trigger_reads_the_processors_group(render: Render) -> None:
    scaled = one(render("keda"), "ScaledObject")
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "kafka"
    metadata = trigger["metadata"]
    # KEDA trigger metadata values are strings.
    assert all(isinstance(value, str) for value in metadata.values())
    assert metadata["bootstrapServers"] == "kafka.logging.svc:9093"
    assert metadata["consumerGroup"] == "vendor-errors-prod"
    assert metadata["topic"] == "app-logs"
    assert metadata["lagThreshold"] == "500"
    assert metadata["offsetResetPolicy"] == "earliest"
    assert metadata["allowIdleConsumers"] == "false"
    assert metadata["sasl"] == "scram_sha256"
    assert metadata["tls"] == "enable"


def test_trigger_authentication_uses_the_pods_secret(render: Render) -> None:
    manifests = render("keda")
    auth = one(manifests, "TriggerAuthentication")
    (trigger,) = one(manifests, "ScaledObject")["spec"]["triggers"]
    assert trigger["authenticationRef"] == {"name": auth["metadata"]["name"]}
    refs = {ref["parameter"]: (ref["name"], ref["key"]) for ref in auth["spec"]["secretTargetRef"]}
    assert refs == {
        "username": ("vendor-errors-kafka", "username"),
        "password": ("vendor-errors-kafka", "password"),
        "ca": ("vendor-errors-kafka", "ca.crt"),
        "cert": ("vendor-errors-kafka", "tls.crt"),
        "key": ("vendor-errors-kafka", "tls.key"),
    }
    password = env(manifests)["VENDOR_ERRORS_KAFKA__SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]
    assert (password["name"], password["key"]) == refs["password"]


def test_several_topics_leave_the_topic_out(render: Render) -> None:
    (trigger,) = one(render("all-enabled"), "ScaledObject")["spec"]["triggers"]
    assert "topic" not in trigger["metadata"]  # KEDA then sums the group's topics
    assert trigger["metadata"]["sasl"] == "plaintext"  # SASL PLAIN


def test_plaintext_needs_no_trigger_authentication(helm: Helm) -> None:
    manifests = helm.template({"keda": {"enabled": True}})
    assert not by_kind(manifests, "TriggerAuthentication")
    (trigger,) = one(manifests, "ScaledObject")["spec"]["triggers"]
    assert "authenticationRef" not in trigger
    assert "sasl" not in trigger["metadata"] and "tls" not in trigger["metadata"]
