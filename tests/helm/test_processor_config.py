"""The processor itself accepts what the chart renders: config file, environment, mounted files.

The pod's filesystem is rebuilt under tmp_path: every ConfigMap or Secret volume the processor
mounts becomes a directory with its files, and the config's paths are moved there.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from vendor_errors import catalog
from vendor_errors.processor.config import load_settings
from vendor_errors.processor.settings import Settings

from tests.helm.manifests import VALUE_SETS, Manifests, by_kind, env, mounts, volumes

pytestmark = pytest.mark.helm

Render = Callable[[str], Manifests]


def pod_filesystem(manifests: Manifests, root: Path) -> None:
    """Write the files of the processor's ConfigMap and Secret mounts under root."""
    config_maps = {doc["metadata"]["name"]: doc["data"] for doc in by_kind(manifests, "ConfigMap")}
    all_volumes = volumes(manifests)
    for name, mount in mounts(manifests).items():
        volume = all_volumes[name]
        directory = root / mount["mountPath"].lstrip("/")
        directory.mkdir(parents=True, exist_ok=True)
        if "configMap" in volume:
            data = config_maps[volume["configMap"]["name"]]
            items = volume["configMap"].get("items") or [{"key": k, "path": k} for k in data]
            for item in items:
                (directory / item["path"]).write_text(data[item["key"]])
        elif "secret" in volume:
            for item in volume["secret"]["items"]:
                (directory / item["path"]).write_text(f"-----BEGIN {item['key']}-----\n")


def relocated_config(manifests: Manifests, root: Path) -> Path:
    path = root / "etc/vendor-errors/config/config.yaml"
    text = path.read_text().replace("/etc/vendor-errors/", f"{root}/etc/vendor-errors/")
    relocated = root / "config.yaml"
    relocated.write_text(text)
    return relocated


def pod_environment(manifests: Manifests) -> dict[str, str]:
    """The VENDOR_ERRORS_* variables as the kubelet would set them (Secrets: stand-in values)."""
    environment: dict[str, str] = {}
    for name, item in env(manifests).items():
        if not name.startswith("VENDOR_ERRORS_"):
            continue
        ref = item.get("valueFrom", {}).get("secretKeyRef")
        environment[name] = f"from-{ref['name']}-{ref['key']}" if ref else item["value"]
    return environment


def load(manifests: Manifests, root: Path) -> Settings:
    pod_filesystem(manifests, root)
    return load_settings(relocated_config(manifests, root), pod_environment(manifests))


@pytest.mark.parametrize("name", VALUE_SETS)
def test_processor_loads_the_rendered_config(render: Render, tmp_path: Path, name: str) -> None:
    manifests = render(name)
    settings = load(manifests, tmp_path)
    rendered: dict[str, Any] = yaml.safe_load(
        (tmp_path / "etc/vendor-errors/config/config.yaml").read_text()
    )
    assert settings.kafka.bootstrap_servers == rendered["kafka"]["bootstrap_servers"]
    assert settings.kafka.security_protocol == rendered["kafka"]["security_protocol"]
    assert settings.metrics.port == 9464
    if settings.kafka.security_protocol.startswith("SASL_"):
        # The credentials reached the processor through the Secret-backed variables.
        assert settings.kafka.sasl_username == "from-vendor-errors-kafka-" + (
            "user" if name == "sasl" else "username"
        )
        assert settings.kafka.sasl_password is not None
        assert settings.kafka.sasl_password.startswith("from-vendor-errors-kafka-")


def test_the_example_overlay_loads_into_the_catalog(render: Render, tmp_path: Path) -> None:
    manifests = render("all-enabled")
    settings = load(manifests, tmp_path)
    assert settings.catalog.overlay is not None
    loaded = catalog.load(overlay=settings.catalog.overlay)
    assert loaded.lookup("webex", "7302", channel="sms").severity == "critical"


def test_empty_output_topic_turns_it_off(helm: Any, tmp_path: Path) -> None:
    manifests = helm.template({"config": {"output": {"dead_letter_topic": ""}}})
    settings = load(manifests, tmp_path)
    assert settings.output.dead_letter_topic is None
    assert settings.output.enriched_topic is None
