#!/usr/bin/env python3
"""Write the `config` part of the chart's values.schema.json from the processor's settings model.

The processor's pydantic `Settings` (processor/config.py) is the one source of truth of its
configuration file. `config.*` in the chart's values is that file, minus what the chart sets
from its own values (Kafka connection, catalog overlay, metrics port, tracing): this script
turns the model into the JSON Schema of `config`, so a typo or a wrong type fails
`helm install`/`helm template` instead of the pod. Run it after changing the settings:

    python helm/values-schema.py           # rewrite properties.config of values.schema.json
    python helm/values-schema.py --check   # exit 1 (and print a diff) if it is out of date

Every other part of values.schema.json is edited by hand; this script leaves it as it is.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from vendor_errors.processor.settings import Settings

CHART = Path(__file__).resolve().parent / "vendor-errors"


def _from(values: str) -> str:
    return f"set by the chart from {values}"


# Settings the chart writes from its own values (templates/_helpers.tpl, "vendor-errors.config"),
# and what to use instead. They are refused under `config`, so that one setting never has
# two places. Keys of these sections not listed here pass through from `config`.
CHART_OWNED: dict[str, dict[str, str]] = {
    "kafka": {
        "bootstrap_servers": _from("kafka.bootstrapServers"),
        "topics": _from("kafka.topics"),
        "group_id": _from("kafka.groupId"),
        "client_id": _from("kafka.clientId"),
        "auto_offset_reset": _from("kafka.autoOffsetReset"),
        "max_poll_records": _from("kafka.maxPollRecords"),
        "session_timeout_ms": _from("kafka.sessionTimeoutMs"),
        "security_protocol": _from("kafka.securityProtocol"),
        # A variable in the pod, not the file: it has to win over the image's ENV.
        "client": _from("kafka.client"),
        "sasl_mechanism": _from("kafka.sasl.mechanism"),
        "sasl_username": _from("kafka.existingSecret and kafka.sasl.usernameKey (never in values)"),
        "sasl_password": _from("kafka.existingSecret and kafka.sasl.passwordKey (never in values)"),
        "ssl_cafile": _from("kafka.tls.caKey"),
        "ssl_certfile": _from("kafka.tls.certKey"),
        "ssl_keyfile": _from("kafka.tls.keyKey"),
        "ssl_check_hostname": _from("kafka.tls.checkHostname"),
        # Static membership needs one id per pod; every replica reads the same config file.
        "group_instance_id": "not settable through the chart: one id per pod, and all replicas "
        "share this file",
    },
    "catalog": {
        "overlay": _from("catalog.overlay or catalog.existingConfigMap"),
        "reload_interval_seconds": _from("catalog.reloadIntervalSeconds"),
    },
    "metrics": {
        "host": "not settable through the chart: it listens on all addresses (the Service and "
        "the probes need it)",
        "port": _from("metrics.port"),
        "max_unknown_codes_per_vendor": _from("metrics.maxUnknownCodesPerVendor"),
        "lag_interval_seconds": _from("metrics.lagIntervalSeconds"),
        "otlp": _from("otlp.enabled and otlp.metrics"),
    },
    "tracing": {"enabled": _from("otlp.enabled and otlp.traces")},
}
# JSON Schema keywords whose value is a schema, a list of schemas, or a map of schemas.
_SCHEMA = ("items", "additionalProperties", "not", "contains", "propertyNames", "if", "then")
_SCHEMA_LISTS = ("anyOf", "allOf", "oneOf")
_SCHEMA_MAPS = ("properties", "patternProperties")


def _inline(node: Any, definitions: dict[str, Any]) -> Any:
    """Draft-07 with no $ref: titles and formats dropped (pydantic's `path` is no standard
    format), references replaced by what they name, tuples as `items` lists."""
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = definitions[node["$ref"].rsplit("/", 1)[-1]]
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return _inline(merged, definitions)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("title", "format", "$defs"):
            continue
        if key in _SCHEMA:
            out[key] = _inline(value, definitions)
        elif key in _SCHEMA_LISTS:
            out[key] = [_inline(item, definitions) for item in value]
        elif key in _SCHEMA_MAPS:
            out[key] = {name: _inline(item, definitions) for name, item in value.items()}
        elif key == "prefixItems":
            out["items"] = [_inline(item, definitions) for item in value]
        else:
            out[key] = value
    return out


def config_schema(model: type[BaseModel] = Settings) -> dict[str, Any]:
    """The schema of the chart's `config` value for a settings model."""
    full = model.model_json_schema(mode="validation")
    sections = _inline(full, full.get("$defs", {}))["properties"]
    for section, owned in CHART_OWNED.items():
        if section not in sections:
            raise ValueError(f"the settings have no section {section!r}: update CHART_OWNED")
        properties = sections[section].setdefault("properties", {})
        for key, instead in owned.items():
            if key not in properties:
                raise ValueError(
                    f"the settings have no {section}.{key}: update CHART_OWNED and the chart's "
                    'template "vendor-errors.config"'
                )
            # Helm prints the failed keyword, not the description: a const that says where the
            # setting lives reads as `value must be "(set by the chart from kafka.groupId)"`.
            properties[key] = {"const": f"({instead})", "description": instead}
    return {
        "type": "object",
        "additionalProperties": False,
        "description": (
            "The processor's configuration file (docs/configuration.md), generated from its "
            "settings model by helm/values-schema.py. Settings the chart derives from other "
            "values are refused here."
        ),
        "properties": sections,
    }


def render(schema_text: str, model: type[BaseModel] = Settings) -> str:
    schema = json.loads(schema_text)
    schema["properties"]["config"] = config_schema(model)
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the schema is stale")
    parser.add_argument("--chart", type=Path, default=CHART, help="chart directory")
    args = parser.parse_args(argv)
    path = args.chart / "values.schema.json"
    current = path.read_text(encoding="utf-8")
    try:
        wanted = render(current)
    except ValueError as error:
        print(f"values-schema: {error}", file=sys.stderr)
        return 2
    if wanted == current:
        return 0
    if args.check:
        diff = difflib.unified_diff(
            current.splitlines(keepends=True),
            wanted.splitlines(keepends=True),
            fromfile=f"{path.name} (committed)",
            tofile=f"{path.name} (from the settings model)",
        )
        sys.stdout.writelines(diff)
        print(f"{path}: out of date; run python helm/values-schema.py", file=sys.stderr)
        return 1
    path.write_text(wanted, encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
