"""A pinned Helm, built from source with the Go toolchain and cached, plus render helpers.

The first build takes a few minutes; later runs reuse
${VENDOR_ERRORS_CACHE:-~/.cache/vendor-errors}/helm/<version>/bin/helm.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

HELM_VERSION = "v4.3.1"
HELM_MODULE = "helm.sh/helm/v4/cmd/helm"
BUILD_TIMEOUT_SECONDS = 1200
ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "vendor-errors"


class HelmError(RuntimeError):
    """helm exited non-zero; the message carries its output."""


def cache_dir() -> Path:
    base = os.environ.get("VENDOR_ERRORS_CACHE") or Path.home() / ".cache" / "vendor-errors"
    return Path(base) / "helm" / HELM_VERSION


def helm_binary() -> Path:
    """The cached helm binary, built with `go install` the first time."""
    directory = cache_dir()
    binary = directory / "bin" / "helm"
    if binary.is_file():
        return binary
    go = shutil.which("go")
    if go is None:
        raise RuntimeError(f"building helm {HELM_VERSION} needs the Go toolchain (`go`) on PATH")
    directory.mkdir(parents=True, exist_ok=True)
    # Two test processes may start at once: one builds, the other waits for it.
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if binary.is_file():
            return binary
        env = {**os.environ, "GOBIN": str(directory / "bin"), "CGO_ENABLED": "0"}
        result = subprocess.run(
            [go, "install", "-trimpath", f"{HELM_MODULE}@{HELM_VERSION}"],
            env=env,
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_SECONDS,
            check=False,
        )
        if result.returncode != 0 or not binary.is_file():
            raise RuntimeError(f"go install {HELM_MODULE}@{HELM_VERSION} failed:\n{result.stderr}")
    return binary


def helm_env(home: Path) -> dict[str, str]:
    """Keep helm away from the user's repositories, plugins and kube config."""
    return {
        **os.environ,
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
        "KUBECONFIG": str(home / "kubeconfig"),
    }


class Helm:
    def __init__(self, binary: Path, home: Path) -> None:
        self.binary = binary
        self.home = home

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(self.binary), *args],
            env=helm_env(self.home),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise HelmError(f"helm {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
        return result

    def lint(self, values_files: Sequence[Path] = (), chart: Path = CHART) -> str:
        args = ["lint", "--strict", str(chart)]
        for path in values_files:
            args += ["--values", str(path)]
        result = self.run(*args)
        return result.stdout + result.stderr

    def template_text(
        self,
        values: Mapping[str, Any] | None = None,
        values_files: Sequence[Path] = (),
        release: str = "vendor-errors",
        namespace: str = "observability",
        chart: Path = CHART,
        extra_args: Sequence[str] = (),
    ) -> str:
        args = ["template", release, str(chart), "--namespace", namespace]
        for path in values_files:
            args += ["--values", str(path)]
        if values:
            text = yaml.safe_dump(dict(values))
            digest = hashlib.sha256(text.encode()).hexdigest()[:16]
            inline = self.home / f"values-{digest}.yaml"
            inline.write_text(text)
            args += ["--values", str(inline)]
        args += list(extra_args)
        return self.run(*args).stdout

    def template(self, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        """Rendered manifests as dicts, empty documents left out."""
        text = self.template_text(*args, **kwargs)
        return [doc for doc in yaml.safe_load_all(text) if doc]
