"""Reading the processor's settings (docs/configuration.md): one YAML file, then the environment
over it, into `Settings` (processor/settings.py, the models).

Every setting has an environment variable, `VENDOR_ERRORS_` + its path in upper case joined by
`__` (`VENDOR_ERRORS_KAFKA__BOOTSTRAP_SERVERS`). Validation happens once, at start; an error
names the setting (and the variable or file it came from) so a bad deployment fails loudly.
"""

from __future__ import annotations

import os
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from vendor_errors.processor.settings import Settings
from vendor_errors.processor.suggestions import closest

ENV_PREFIX = "VENDOR_ERRORS_"
# Where `vendor-errors run` looks for the file when --config is not given.
ENV_CONFIG_FILE = "VENDOR_ERRORS_CONFIG"


class ConfigError(ValueError):
    """The configuration is invalid; the message names every offending setting."""


def _cross_checks(settings: Settings) -> list[tuple[str, str]]:
    """Rules that span settings, reported against the setting that has to change."""
    problems: list[tuple[str, str]] = []
    kafka = settings.kafka
    if kafka.security_protocol.startswith("SASL_"):
        for name in ("sasl_mechanism", "sasl_username", "sasl_password"):
            if getattr(kafka, name) in (None, ""):
                problems.append(
                    (f"kafka.{name}", f"required with security_protocol {kafka.security_protocol}")
                )
    if (kafka.ssl_certfile is None) != (kafka.ssl_keyfile is None):
        missing = "ssl_keyfile" if kafka.ssl_keyfile is None else "ssl_certfile"
        problems.append((f"kafka.{missing}", "a client certificate needs certfile and keyfile"))
    for name in ("enriched_topic", "dead_letter_topic"):
        topic = getattr(settings.output, name)
        if topic is not None and kafka.consumes(topic):
            problems.append((f"output.{name}", f"{topic!r} is also in kafka.topics (a loop)"))
    return problems


# -- loading ----------------------------------------------------------------------------------


def _field_type(section: str, name: str) -> Any:
    model = Settings.model_fields[section].annotation
    assert isinstance(model, type) and issubclass(model, BaseModel)
    return model.model_fields[name].annotation


def _is_list(annotation: Any) -> bool:
    return typing.get_origin(annotation) is list


def _is_optional(annotation: Any) -> bool:
    return type(None) in typing.get_args(annotation)


def _variable_hint(path: list[str], wrong: int, names: list[str]) -> str:
    """'did you mean VENDOR_ERRORS_KAFKA__TOPICS?' when one of `names` is close to
    `path[wrong]` (the unknown section or setting), else the names to choose from."""
    match = closest(path[wrong], names)
    if match is None:
        return f"one of {', '.join(names)}"
    path = [*path[:wrong], match, *path[wrong + 1 :]]
    return f"did you mean {ENV_PREFIX}{'__'.join(path).upper()}?"


def environment_overrides(environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Settings from `VENDOR_ERRORS_SECTION__NAME` variables, and which variable set each one."""
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for variable, raw in environ.items():
        if not variable.startswith(ENV_PREFIX) or variable == ENV_CONFIG_FILE:
            continue
        path = variable[len(ENV_PREFIX) :].lower().split("__")
        if len(path) == 1:
            continue  # not a setting (e.g. VENDOR_ERRORS_CACHE, used by the test tools)
        if len(path) != 2:
            raise ConfigError(
                f"{variable}: not a setting (expected {ENV_PREFIX}SECTION__NAME, "
                f"e.g. {ENV_PREFIX}KAFKA__BOOTSTRAP_SERVERS)"
            )
        section, name = path
        section_model = Settings.model_fields.get(section)
        if section_model is None:
            hint = _variable_hint([section, name], 0, list(Settings.model_fields))
            raise ConfigError(f"{variable}: unknown section {section!r} ({hint})")
        section_type = section_model.annotation
        assert isinstance(section_type, type) and issubclass(section_type, BaseModel)
        if name not in section_type.model_fields:
            hint = _variable_hint([section, name], 1, list(section_type.model_fields))
            raise ConfigError(f"{variable}: unknown setting {section}.{name} ({hint})")
        annotation = _field_type(section, name)
        value: Any = raw
        if _is_list(annotation):
            value = [item.strip() for item in raw.split(",") if item.strip()]
        elif _is_optional(annotation) and raw.strip().lower() in ("", "null", "none"):
            value = None
        values.setdefault(section, {})[name] = value
        origins[f"{section}.{name}"] = variable
    return values, origins


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _yaml_error(path: Path, error: yaml.YAMLError) -> str:
    """'FILE:LINE:COLUMN: not valid YAML: what, where' (PyYAML's own text names no file)."""
    if not isinstance(error, yaml.MarkedYAMLError) or error.problem_mark is None:
        return f"{path}: not valid YAML: {error}"
    mark = error.problem_mark
    what = error.problem or "not valid YAML"
    context = ""
    if error.context and error.context_mark is not None:
        context = f" ({error.context} at line {error.context_mark.line + 1})"
    return f"{path}:{mark.line + 1}:{mark.column + 1}: not valid YAML: {what}{context}"


def _read_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration file: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(_yaml_error(path, exc)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping of sections")
    return data


def _describe(problems: list[tuple[str, str]], origins: dict[str, str], path: Path | None) -> str:
    lines = []
    for location, message in problems:
        origin = origins.get(location) or (str(path) if path is not None else None)
        hint = _suggestion(location.split(".")) if message == "unknown setting" else ""
        lines.append(f"{location}: {message}" + (f" (from {origin})" if origin else "") + hint)
    return "invalid configuration:\n  " + "\n  ".join(lines)


def _suggestion(location: list[str]) -> str:
    """'; did you mean kafka.bootstrap_servers?' for an unknown key, when one is close."""
    model: type[BaseModel] = Settings
    for part in location[:-1]:
        field = model.model_fields.get(part)
        annotation = field.annotation if field is not None else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return ""
        model = annotation
    match = closest(location[-1], model.model_fields)
    if match is None:
        return ""
    return f"; did you mean {'.'.join([*location[:-1], match])}?"


def _pydantic_problems(error: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"])
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown setting"
        elif item["type"] == "literal_error":
            expected = item.get("ctx", {}).get("expected", "")
            message = f"must be one of {expected}"
        elif message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        problems.append((location, message))
    return problems


def load_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read `path` (optional), apply the environment over it, validate everything."""
    environ = os.environ if environ is None else environ
    if path is None and environ.get(ENV_CONFIG_FILE):
        path = environ[ENV_CONFIG_FILE]
    file_path = Path(path) if path is not None else None
    data = _read_file(file_path) if file_path is not None else {}
    overrides, origins = environment_overrides(environ)
    try:
        settings = Settings.model_validate(_merge(data, overrides))
    except ValidationError as exc:
        raise ConfigError(_describe(_pydantic_problems(exc), origins, file_path)) from None
    problems = _cross_checks(settings)
    if problems:
        raise ConfigError(_describe(problems, origins, file_path))
    return settings
