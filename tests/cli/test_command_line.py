"""The command line as a user meets it: --version, 'did you mean', clear errors, completion."""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from vendor_errors.processor.config import ConfigError, load_settings

from tests.cli import vendor_errors


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    done = vendor_errors(*args)
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


def test_version_is_the_installed_distributions() -> None:
    done = cli("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"vendor-errors {importlib.metadata.version('vendor-errors')}"


@pytest.mark.parametrize(
    ("args", "prog", "suggested"),
    [
        (["--verison"], "vendor-errors", "did you mean --version?"),
        (["scna"], "vendor-errors", "did you mean scan?"),
        (["scan", "--vendr", "webex"], "vendor-errors scan", "did you mean --vendor?"),
        (["scan", "--folow", "x.log"], "vendor-errors scan", "did you mean --follow?"),
        (["scan", "--since=1h", "--formt=table"], "vendor-errors scan", "did you mean --format?"),
        (["scan", "--format", "jsnl"], "vendor-errors scan", "did you mean jsonl?"),
        (["run", "--chek"], "vendor-errors run", "did you mean --check?"),
        (["catalog", "lnt"], "vendor-errors catalog", "did you mean lint?"),
    ],
)
def test_mistyped_names_get_the_closest_suggested(
    args: list[str], prog: str, suggested: str
) -> None:
    done = cli(*args)
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"{prog}: error: "), done.stderr
    assert suggested in last


def test_nothing_close_suggests_nothing_and_no_command_is_explained() -> None:
    done = cli("scan", "--zzzzzz")
    assert done.returncode == 2
    assert "unrecognized arguments: --zzzzzz" in done.stderr
    assert "did you mean" not in done.stderr
    bare = cli()
    assert bare.returncode == 2
    assert "a COMMAND is required: one of scan, run, catalog" in bare.stderr


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", "out of range: a record limit is between 1KiB"),
        ("-5", "is not a size"),
        ("2GiB", "out of range"),
        ("lots", "is not a size"),
    ],
)
def test_max_record_bytes_is_validated(value: str, expected: str) -> None:
    done = cli("scan", "--max-record-bytes", value, "-")
    assert done.returncode == 2
    assert "argument --max-record-bytes" in done.stderr and expected in done.stderr


def test_config_keys_get_the_closest_setting_suggested(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text("kafka:\n  bootstrap_server: [b:9092]\nmetrcs:\n  port: 1\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    message = str(caught.value)
    assert "kafka.bootstrap_server: unknown setting" in message
    assert "did you mean kafka.bootstrap_servers?" in message
    assert "did you mean metrics?" in message
    with pytest.raises(ConfigError, match=r"did you mean VENDOR_ERRORS_KAFKA__TOPICS\?"):
        load_settings(None, environ={"VENDOR_ERRORS_KAFKA__TOPIC": "x"})
    with pytest.raises(ConfigError, match=r"did you mean VENDOR_ERRORS_METRICS__PORT\?"):
        load_settings(None, environ={"VENDOR_ERRORS_METRIC__PORT": "1"})


def test_yaml_errors_name_the_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text("kafka:\n  topics: app-logs\n   group_id: x\n")
    done = cli("run", "--check", "--config", str(path))
    assert done.returncode == 2
    assert f"{path}:3:" in done.stderr
    assert "not valid YAML: mapping values are not allowed here" in done.stderr
    assert "<unicode string>" not in done.stderr


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completion_completes_commands_options_and_vendors(tmp_path: Path) -> None:
    done = cli("--print-completion", "bash")
    assert done.returncode == 0
    script = tmp_path / "vendor-errors.bash"
    script.write_text(done.stdout)

    def complete(*words: str) -> list[str]:
        probe = (
            f"source {script}; COMP_WORDS=(vendor-errors {' '.join(words)}); "
            f'COMP_CWORD={len(words)}; COMP_LINE="vendor-errors {" ".join(words)}"; '
            'COMP_POINT=${#COMP_LINE}; _shtab_vendor_errors; printf "%s\\n" "${COMPREPLY[@]}"'
        )
        answer = subprocess.run(
            ["bash", "-c", probe], capture_output=True, text=True, timeout=30, check=True
        )
        return answer.stdout.split()

    assert complete("sc") == ["scan"]
    assert set(complete("scan", "--fo")) == {"--follow", "--format"}
    assert complete("scan", "--vendor", "we") == ["webex"]
    assert "--print-completion" in cli("--help").stdout


def test_completion_offers_the_shells_shtab_supports() -> None:
    import shtab
    from vendor_errors.processor.cli import SHELLS

    assert set(SHELLS) <= set(shtab.SUPPORTED_SHELLS)
    for shell in SHELLS:
        done = cli("--print-completion", shell)
        assert done.returncode == 0 and "vendor-errors" in done.stdout, shell
    done = cli("--print-completion", "nushell")
    assert done.returncode == 2
    assert "invalid choice: 'nushell'" in done.stderr


def test_commands_other_than_completion_do_not_import_shtab() -> None:
    probe = (
        "import sys; from vendor_errors.processor import cli; cli.build_parser(); "
        "print('shtab' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
