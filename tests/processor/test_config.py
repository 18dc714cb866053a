"""Settings: YAML file, environment over it, and errors that name the setting."""

from __future__ import annotations

from pathlib import Path

import pytest
from vendor_errors.processor.cli import main
from vendor_errors.processor.config import ConfigError, load_settings
from vendor_errors.processor.settings import Settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_defaults_match_the_documented_ones() -> None:
    settings = load_settings(environ={})
    assert settings.kafka.bootstrap_servers == ["127.0.0.1:9092"]
    assert settings.kafka.topics == ["app-logs"]
    assert settings.kafka.group_id == "vendor-errors"
    assert settings.output.dead_letter_topic == "vendor-errors-dlq"
    assert settings.output.enriched_topic is None
    assert settings.metrics.port == 9464
    assert settings.metrics.max_unknown_codes_per_vendor == 50
    assert settings.privacy.redact is True
    assert settings.shutdown.timeout_seconds == 20
    assert settings.parsing.max_record_bytes == 1 << 20


def test_every_setting_in_the_doc_exists_in_the_model() -> None:
    """docs/configuration.md's YAML block is a valid file with exactly the model's sections."""
    import yaml

    doc = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text()
    block = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    data = yaml.safe_load(block)
    assert set(data) == set(Settings.model_fields)
    for section, values in data.items():
        model = Settings.model_fields[section].annotation
        assert set(values) == set(model.model_fields), section  # type: ignore[union-attr]


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "kafka:\n  topics: [a]\n  group_id: from-file\nmetrics:\n  port: 1234\n",
    )
    settings = load_settings(
        path,
        environ={
            "VENDOR_ERRORS_KAFKA__TOPICS": "x, y ,z",
            "VENDOR_ERRORS_METRICS__OTLP": "true",
            "VENDOR_ERRORS_OUTPUT__DEAD_LETTER_TOPIC": "",
            "VENDOR_ERRORS_CACHE": "/not/a/setting",  # other tools' variables are left alone
        },
    )
    assert settings.kafka.topics == ["x", "y", "z"]
    assert settings.kafka.group_id == "from-file"
    assert settings.metrics.port == 1234
    assert settings.metrics.otlp is True
    assert settings.output.dead_letter_topic is None


def test_config_file_from_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "kafka:\n  group_id: g1\n")
    assert load_settings(environ={"VENDOR_ERRORS_CONFIG": str(path)}).kafka.group_id == "g1"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        (
            {"VENDOR_ERRORS_KAFKA__SECURITY_PROTOCOL": "TLS"},
            "kafka.security_protocol: must be one of 'PLAINTEXT', 'SSL', 'SASL_PLAINTEXT' or "
            "'SASL_SSL' (from VENDOR_ERRORS_KAFKA__SECURITY_PROTOCOL)",
        ),
        (
            {"VENDOR_ERRORS_KAFKA__MAX_POLL_RECORDS": "many"},
            "kafka.max_poll_records: Input should be a valid integer",
        ),
        ({"VENDOR_ERRORS_METRICS__PORT": "70000"}, "metrics.port: Input should be less"),
        ({"VENDOR_ERRORS_KAFKA__TOPICS": ""}, "kafka.topics: List should have at least 1 item"),
        ({"VENDOR_ERRORS_KAFKA__TOPIC": "x"}, "unknown setting kafka.topic"),
        ({"VENDOR_ERRORS_KAFKAS__TOPICS": "x"}, "unknown section 'kafkas'"),
        (
            {"VENDOR_ERRORS_KAFKA__SECURITY_PROTOCOL": "SASL_SSL"},
            "kafka.sasl_mechanism: required with security_protocol SASL_SSL",
        ),
        (
            {"VENDOR_ERRORS_KAFKA__TOPICS": "logs", "VENDOR_ERRORS_OUTPUT__ENRICHED_TOPIC": "logs"},
            "output.enriched_topic: 'logs' is also in kafka.topics",
        ),
        (
            {"VENDOR_ERRORS_KAFKA__SSL_CAFILE": "/nonexistent/ca.pem"},
            "kafka.ssl_cafile: file '/nonexistent/ca.pem' does not exist",
        ),
        (
            {"VENDOR_ERRORS_CATALOG__OVERLAY": "/nonexistent/overlay.yaml"},
            "catalog.overlay: file '/nonexistent/overlay.yaml' does not exist",
        ),
    ],
)
def test_errors_name_the_setting(environ: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ=environ)
    assert expected in str(caught.value)


def test_file_errors_name_the_file_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, "kafka:\n  group_idd: x\nlog:\n  level: loud\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    message = str(caught.value)
    assert f"kafka.group_idd: unknown setting (from {path})" in message
    assert "log.level: must be one of" in message


def test_not_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(write(tmp_path, "kafka: [\n"), environ={})
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_settings(write(tmp_path, "- a\n"), environ={})


def test_sasl_scram_complete() -> None:
    settings = load_settings(
        environ={
            "VENDOR_ERRORS_KAFKA__SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "VENDOR_ERRORS_KAFKA__SASL_MECHANISM": "SCRAM-SHA-512",
            "VENDOR_ERRORS_KAFKA__SASL_USERNAME": "svc",
            "VENDOR_ERRORS_KAFKA__SASL_PASSWORD": "hunter2",
        }
    )
    from vendor_errors.processor.kafka_python.options import connection_options

    options = connection_options(settings.kafka)
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "svc"
    assert options["sasl_plain_password"] == "hunter2"
    assert "hunter2" not in repr(settings)


def test_run_rejects_bad_configuration(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write(tmp_path, "kafka:\n  auto_offset_reset: oldest\n")
    assert main(["run", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "kafka.auto_offset_reset: must be one of 'earliest' or 'latest'" in err


def test_run_check_prints_settings_without_secrets(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VENDOR_ERRORS_KAFKA__SASL_PASSWORD", "hunter2")
    assert main(["run", "--check"]) == 0
    out = capsys.readouterr().out
    assert '"group_id": "vendor-errors"' in out
    assert "hunter2" not in out


def test_run_check_rejects_a_bad_text_pattern(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "parsing:\n  patterns: ['%{NO_SUCH_PATTERN:code}']\n")
    assert main(["run", "--check", "--config", str(path)]) == 2
    assert "parsing.patterns: " in capsys.readouterr().err


def test_run_check_rejects_a_bad_overlay(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("entries:\n  - vendor: nobody\n    code: '1'\n")
    path = write(tmp_path, f"catalog:\n  overlay: {overlay}\n")
    assert main(["run", "--check", "--config", str(path)]) == 2
    assert "catalog.overlay: " in capsys.readouterr().err
