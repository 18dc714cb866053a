"""`config.*` of the chart is checked by values.schema.json, generated from the processor's
settings model by helm/values-schema.py: the committed schema is current, a typo fails
`helm template`, every setting the model accepts passes, and a new setting needs one command."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ConfigDict, Field, create_model
from vendor_errors.processor.settings import Settings

from tests.helm.manifests import VALUE_SETS, by_kind
from tests.support.helm import CHART, ROOT, Helm, HelmError

SCRIPT = ROOT / "helm" / "values-schema.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("values_schema", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["values_schema"] = module
    spec.loader.exec_module(module)
    return module


values_schema = load_script()


def rendered_config(manifests: list[dict[str, Any]]) -> dict[str, Any]:
    (config_map,) = [d for d in by_kind(manifests, "ConfigMap") if "config.yaml" in d["data"]]
    return dict(yaml.safe_load(config_map["data"]["config.yaml"]))


def test_committed_schema_is_generated_from_the_settings() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr


def test_check_fails_on_a_stale_schema(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    chart.mkdir()
    schema = json.loads((CHART / "values.schema.json").read_text())
    del schema["properties"]["config"]["properties"]["log"]
    (chart / "values.schema.json").write_text(json.dumps(schema))
    args = [sys.executable, str(SCRIPT), "--chart", str(chart)]
    stale = subprocess.run([*args, "--check"], capture_output=True, text=True, check=False)
    assert stale.returncode == 1
    assert '"log"' in stale.stdout
    assert subprocess.run(args, capture_output=True, check=False).returncode == 0
    assert subprocess.run([*args, "--check"], capture_output=True, check=False).returncode == 0


def test_every_section_of_the_settings_is_in_the_schema() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())
    config = schema["properties"]["config"]
    assert config["additionalProperties"] is False
    assert set(config["properties"]) == set(Settings.model_fields)
    for section, field in Settings.model_fields.items():
        model = field.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        assert set(config["properties"][section]["properties"]) == set(model.model_fields)
        assert config["properties"][section]["additionalProperties"] is False
    assert '"$ref"' not in json.dumps(config)


class _ServiceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    from_header: str | None = None
    by_topic: dict[str, str] = Field(default_factory=dict)


class _GrownMetrics(BaseModel):
    model_config = ConfigDict(extra="forbid")
    host: str = "0.0.0.0"
    port: int = 9464
    max_unknown_codes_per_vendor: int = 50
    otlp: bool = False
    lag_interval_seconds: float = 15.0
    max_services: int = Field(default=200, ge=1)


def test_a_new_setting_is_one_regeneration_away() -> None:
    """Settings grown with a section and a key of a chart-owned section: both appear, the
    chart's own keys stay refused."""
    fields: dict[str, Any] = {
        name: (field.annotation, field) for name, field in Settings.model_fields.items()
    }
    fields["service"] = (_ServiceSettings, Field(default_factory=lambda: _ServiceSettings()))
    fields["metrics"] = (_GrownMetrics, Field(default_factory=lambda: _GrownMetrics()))
    grown = create_model("GrownSettings", **fields)
    config = values_schema.config_schema(grown)
    service = config["properties"]["service"]
    assert service["properties"]["by_topic"]["additionalProperties"] == {"type": "string"}
    metrics = config["properties"]["metrics"]["properties"]
    assert metrics["max_services"] == {"default": 200, "minimum": 1, "type": "integer"}
    assert "const" in metrics["port"]


def test_a_chart_owned_setting_that_disappears_is_an_error() -> None:
    class Shrunk(BaseModel):
        kafka: dict[str, Any] = Field(default_factory=dict)

    with pytest.raises(ValueError, match=r"no kafka\.bootstrap_servers: update CHART_OWNED"):
        values_schema.config_schema(Shrunk)


TYPOS: list[tuple[dict[str, Any], str]] = [
    ({"config": {"output": {"enriched_topik": "x"}}}, "enriched_topik"),
    ({"config": {"outptu": {"enriched_topic": "x"}}}, "outptu"),
    ({"config": {"privacy": {"redact": "yes"}}}, "redact"),
    ({"config": {"parsing": {"max_record_bytes": 10}}}, "max_record_bytes"),
    ({"config": {"shutdown": {"timeout_seconds": 0}}}, "timeout_seconds"),
    ({"config": {"log": {"level": "LOUD"}}}, "level"),
    ({"config": {"kafka": {"group_id": "x"}}}, "kafka.groupId"),
    ({"config": {"kafka": {"client": "kafka-python"}}}, "kafka.client"),
    ({"config": {"kafka": {"sasl_password": "hunter2"}}}, "kafka.existingSecret"),
    ({"config": {"metrics": {"port": 9000}}}, "metrics.port"),
    ({"config": {"tracing": {"enabled": True}}}, "otlp.enabled"),
]


@pytest.mark.helm
@pytest.mark.parametrize(("values", "named"), TYPOS, ids=[t[1] for t in TYPOS])
def test_a_typo_in_config_fails_helm_template(
    helm: Helm, values: dict[str, Any], named: str
) -> None:
    with pytest.raises(HelmError) as failure:
        helm.template(values)
    assert named in str(failure.value)


def model_defaults() -> dict[str, Any]:
    """Every setting the chart does not own, at the model's default; nulls left out (Helm
    deletes null values)."""
    dumped = Settings().model_dump(mode="json")
    config: dict[str, Any] = {}
    for section, settings in dumped.items():
        owned = values_schema.CHART_OWNED.get(section, {})
        kept = {k: v for k, v in settings.items() if k not in owned and v is not None}
        if kept:
            config[section] = kept
    return config


@pytest.mark.helm
def test_the_models_own_defaults_pass(helm: Helm) -> None:
    config = model_defaults()
    assert {"output", "privacy", "parsing", "shutdown", "log"} <= set(config)
    rendered = rendered_config(helm.template({"config": config}))
    for section, settings in config.items():
        for key, value in settings.items():
            assert rendered[section][key] == value, (section, key)


@pytest.mark.helm
@pytest.mark.parametrize("name", VALUE_SETS)
def test_the_chart_writes_only_the_settings_it_owns(render: Any, name: str) -> None:
    """Every key the template writes into a chart-owned section is refused under config."""
    rendered = rendered_config(render(name))
    for section, owned in values_schema.CHART_OWNED.items():
        written = set(rendered.get(section, {}))
        assert written <= set(owned), (section, written - set(owned))


@pytest.mark.helm
def test_settings_added_later_pass_through_chart_owned_sections(helm: Helm) -> None:
    """A key of kafka/metrics the chart does not set (say a later kafka.client) reaches the
    file beside the chart's own; here without the schema, which does not know it yet."""
    values = {"config": {"kafka": {"client": "librdkafka"}, "metrics": {"max_services": 100}}}
    manifests = helm.template(values, extra_args=["--skip-schema-validation"])
    rendered = rendered_config(manifests)
    assert rendered["kafka"]["client"] == "librdkafka"
    assert rendered["kafka"]["group_id"] == "vendor-errors"
    assert rendered["metrics"]["max_services"] == 100
    assert rendered["metrics"]["port"] == 9464
