"""Helpers to pick resources out of rendered manifests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.helm import CHART

Manifests = list[dict[str, Any]]

# The value sets of helm/vendor-errors/ci/ (chart-testing's convention): defaults,
# everything enabled, SASL with an existing Secret, KEDA on.
VALUE_SETS = sorted(
    path.name.removesuffix("-values.yaml") for path in (CHART / "ci").glob("*-values.yaml")
)


def values_file(name: str) -> Path:
    return CHART / "ci" / f"{name}-values.yaml"


def by_kind(manifests: Manifests, kind: str) -> list[dict[str, Any]]:
    return [doc for doc in manifests if doc["kind"] == kind]


def one(manifests: Manifests, kind: str) -> dict[str, Any]:
    found = by_kind(manifests, kind)
    assert len(found) == 1, f"expected one {kind}, got {len(found)}"
    return found[0]


def pod_spec(manifests: Manifests) -> dict[str, Any]:
    return one(manifests, "Deployment")["spec"]["template"]["spec"]


def container(manifests: Manifests) -> dict[str, Any]:
    (processor,) = [c for c in pod_spec(manifests)["containers"] if c["name"] == "processor"]
    return processor


def env(manifests: Manifests) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in container(manifests).get("env", [])}


def volumes(manifests: Manifests) -> dict[str, dict[str, Any]]:
    return {volume["name"]: volume for volume in pod_spec(manifests)["volumes"]}


def mounts(manifests: Manifests) -> dict[str, dict[str, Any]]:
    return {mount["name"]: mount for mount in container(manifests)["volumeMounts"]}
