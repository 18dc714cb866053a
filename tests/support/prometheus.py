"""Prometheus for tests: `promtool` to check and unit-test the rules, and a real `prometheus`
server on 127.0.0.1 that scrapes the processor and evaluates the rules.

The binaries come from PATH, else from the Debian package `prometheus` (installed once with
apt-get as root; the installed package is the cache). The package may try to start its
service; without an init system it does not, and the tests only use the binaries.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

START_TIMEOUT_S = 60.0
INSTALL_LOCK = Path(tempfile.gettempdir()) / "vendor-errors-prometheus-install.lock"


class PrometheusUnavailable(RuntimeError):
    """promtool/prometheus are not on PATH and could not be installed."""


def _log(message: str) -> None:
    print(f"[prometheus] {message}", file=sys.stderr, flush=True)


def _install_debian_package() -> None:
    if shutil.which("apt-get") is None:
        raise PrometheusUnavailable(
            "promtool/prometheus are not on PATH and this is not a Debian-like system "
            "(no apt-get): install Prometheus 2.x so that both are on PATH"
        )
    if os.geteuid() != 0:
        raise PrometheusUnavailable(
            "promtool/prometheus are not on PATH; installing the Debian package needs root: "
            "run `apt-get install prometheus` (or put the Prometheus binaries on PATH)"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", "prometheus"],
    ):
        _log(" ".join(command))
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-20:])
            raise PrometheusUnavailable(f"`{' '.join(command)}` failed:\n{tail}")


def ensure_installed() -> tuple[Path, Path]:
    """(promtool, prometheus), installing the Debian package when either is missing."""
    with INSTALL_LOCK.open("a") as lock:
        # Parallel test workers: one installs, the others wait and then find the binaries.
        fcntl.flock(lock, fcntl.LOCK_EX)
        found = shutil.which("promtool"), shutil.which("prometheus")
        if None in found:
            _install_debian_package()
            found = shutil.which("promtool"), shutil.which("prometheus")
        if None in found:
            raise PrometheusUnavailable(
                "the Debian package `prometheus` installed, but promtool/prometheus are "
                "still not on PATH"
            )
    return Path(found[0]), Path(found[1])


def promtool(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    tool, _ = ensure_installed()
    return subprocess.run(
        [str(tool), *map(str, args)], cwd=cwd, capture_output=True, text=True, check=False
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrometheusError(RuntimeError):
    """The server did not start, or a query failed."""


class PrometheusServer:
    """A throw-away Prometheus: its own storage directory, 127.0.0.1 only, stopped on exit.

    `targets` are host:port of /metrics endpoints scraped as job `job`; `rule_files` are
    loaded and evaluated every `interval` (also the scrape interval).
    """

    def __init__(
        self,
        targets: Sequence[str],
        rule_files: Sequence[Path] = (),
        *,
        job: str = "vendor-errors",
        interval: str = "1s",
    ) -> None:
        self.targets = list(targets)
        self.rule_files = [Path(p).resolve() for p in rule_files]
        self.job = job
        self.interval = interval
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._directory = Path(tempfile.mkdtemp(prefix="vendor-errors-prometheus-"))
        self._log = self._directory / "prometheus.log"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> PrometheusServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _config(self) -> dict[str, Any]:
        return {
            "global": {"scrape_interval": self.interval, "evaluation_interval": self.interval},
            "rule_files": [str(p) for p in self.rule_files],
            "scrape_configs": [
                {
                    "job_name": self.job,
                    "scrape_interval": self.interval,
                    "scrape_timeout": self.interval,
                    "static_configs": [{"targets": self.targets}],
                }
            ],
        }

    def start(self) -> None:
        _, binary = ensure_installed()
        config = self._directory / "prometheus.yml"
        config.write_text(yaml.safe_dump(self._config(), sort_keys=False), encoding="utf-8")
        command = [
            str(binary),
            f"--config.file={config}",
            f"--storage.tsdb.path={self._directory / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--web.enable-lifecycle",
        ]
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise PrometheusError(f"prometheus exited at start:\n{self.log_tail()}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as answer,
            ):
                if answer.status == 200:
                    return
            time.sleep(0.2)
        self.close()
        raise PrometheusError(f"prometheus not ready in {START_TIMEOUT_S:.0f}s:\n{self.log_tail()}")

    def close(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        shutil.rmtree(self._directory, ignore_errors=True)

    def log_tail(self, lines: int = 40) -> str:
        if not self._log.exists():
            return "(no log)"
        return "\n".join(self._log.read_text(errors="replace").splitlines()[-lines:])

    def api(self, path: str, **params: str | Sequence[str]) -> Any:
        """GET /api/v1/<path>; the `data` of a successful answer, else PrometheusError."""
        query = urllib.parse.urlencode(params, doseq=True)
        url = f"{self.url}/api/v1/{path}?{query}"
        try:
            with urllib.request.urlopen(url, timeout=30) as answer:
                body = json.loads(answer.read())
        except urllib.error.HTTPError as error:
            body = json.loads(error.read() or b"{}")
        if body.get("status") != "success":
            raise PrometheusError(f"{path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        params = {"query": expr} | ({"time": f"{at:.3f}"} if at is not None else {})
        return list(self.api("query", **params)["result"])

    def query_range(
        self, expr: str, start: float, end: float, step: str = "1s"
    ) -> list[dict[str, Any]]:
        params = {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": step}
        return list(self.api("query_range", **params)["result"])

    def label_values(self, label: str, match: str | None = None) -> list[str]:
        params = {"match[]": [match]} if match else {}
        return list(self.api(f"label/{label}/values", **params))

    def targets_up(self) -> bool:
        active = self.api("targets")["activeTargets"]
        return bool(active) and all(t["health"] == "up" for t in active)

    def rule_health(self) -> Iterator[tuple[str, str, str]]:
        """(rule name, health, last error) of every loaded rule."""
        for group in self.api("rules")["groups"]:
            for rule in group["rules"]:
                yield rule["name"], rule["health"], rule.get("lastError", "")
