"""The Kafka broker's jars, fetched once from Maven Central, and the JVM that runs them.

Jars live under ``${VENDOR_ERRORS_CACHE:-~/.cache/vendor-errors}/kafka-<version>/libs``, beside
class-data-sharing archives that take seconds off each JVM start.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

KAFKA_VERSION = "4.1.2"
SCALA_VERSION = "2.13"
# Kafka's own distribution binds slf4j 1.7 to log4j2 with this bridge; without it the broker
# logs nothing at all, and a failed start would leave no clue.
LOG4J_VERSION = "2.25.3"


class KafkaBrokerError(RuntimeError):
    """The broker could not be provided: tool missing, download failed, or it did not come up."""


def cache_root() -> Path:
    configured = os.environ.get("VENDOR_ERRORS_CACHE")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "vendor-errors"


def progress(message: str) -> None:
    print(f"[kafka-broker] {message}", file=sys.stderr, flush=True)


def _pom(version: str) -> str:
    return textwrap.dedent(
        f"""\
        <project xmlns="http://maven.apache.org/POM/4.0.0">
          <modelVersion>4.0.0</modelVersion>
          <groupId>local.vendor-errors</groupId>
          <artifactId>kafka-broker-classpath</artifactId>
          <version>1</version>
          <packaging>pom</packaging>
          <dependencies>
            <dependency>
              <groupId>org.apache.kafka</groupId>
              <artifactId>kafka_{SCALA_VERSION}</artifactId>
              <version>{version}</version>
            </dependency>
            <dependency>
              <groupId>org.apache.logging.log4j</groupId>
              <artifactId>log4j-slf4j-impl</artifactId>
              <version>{LOG4J_VERSION}</version>
            </dependency>
          </dependencies>
        </project>
        """
    )


def ensure_jars(version: str = KAFKA_VERSION) -> Path:
    """Return the directory holding the broker's jars, downloading them once if needed."""
    home = cache_root() / f"kafka-{version}"
    libs = home / "libs"
    marker = home / ".complete"
    if marker.exists():
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise KafkaBrokerError(
            "Maven ('mvn') is not on PATH; it is needed once to fetch the Kafka broker jars "
            "from Maven Central (apt-get install maven), or set KAFKA_BOOTSTRAP_SERVERS to use "
            "an existing broker."
        )
    home.mkdir(parents=True, exist_ok=True)
    # Two pytest processes on a fresh machine must not both half-fill the same directory.
    with open(home / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists():
            return libs
        staging = Path(tempfile.mkdtemp(prefix="resolve-", dir=home))
        try:
            (staging / "pom.xml").write_text(_pom(version))
            progress(f"fetching Apache Kafka {version} jars with Maven (once) into {libs} ...")
            started = time.monotonic()
            proc = subprocess.run(
                [
                    mvn,
                    "-B",
                    "-q",
                    "-f",
                    str(staging / "pom.xml"),
                    "dependency:copy-dependencies",
                    "-DincludeScope=runtime",
                    f"-DoutputDirectory={staging / 'libs'}",
                ],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                raise KafkaBrokerError(
                    f"mvn could not fetch org.apache.kafka:kafka_{SCALA_VERSION}:{version} "
                    f"(exit {proc.returncode}):\n{tail_text(proc.stdout + proc.stderr, 40)}"
                )
            if libs.exists():
                shutil.rmtree(libs)
            (staging / "libs").rename(libs)
            marker.write_text(version + "\n")
            progress(
                f"fetched {len(list(libs.glob('*.jar')))} jars in {time.monotonic() - started:.0f}s"
            )
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return libs


def find_java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise KafkaBrokerError(
            "Java is not installed (no 'java' on PATH, no JAVA_HOME); the Kafka broker needs "
            "Java 17+ (apt-get install openjdk-17-jre-headless), or set KAFKA_BOOTSTRAP_SERVERS."
        )
    return java


def tail_text(text: str, lines: int) -> str:
    return "\n".join(text.splitlines()[-lines:])


class ClassDataArchives:
    """JVM class-data-sharing archives in the jar cache: a few seconds off every JVM start.

    The first run of each role dumps its loaded classes at exit (-XX:ArchiveClassesAtExit);
    later runs map that archive. The JVM checks the archive itself and quietly ignores one that
    does not match (another JDK, another classpath), so a stale archive costs only the speed-up.
    """

    def __init__(self, directory: Path | None, java: str) -> None:
        self.directory = directory
        real = Path(java).resolve() if java else None
        stamp = f"{real}:{real.stat().st_mtime_ns}" if real and real.exists() else ""
        self._key = hashlib.sha1(stamp.encode()).hexdigest()[:12]
        self._pending: dict[str, Path] = {}

    def _archive(self, role: str) -> Path:
        assert self.directory is not None
        return self.directory / f"{role}-{self._key}.jsa"

    def options(self, role: str) -> list[str]:
        if self.directory is None or os.environ.get("KAFKA_BROKER_NO_CDS"):
            return []
        archive = self._archive(role)
        if archive.exists():
            return [f"-XX:SharedArchiveFile={archive}", "-Xlog:cds=off", "-Xlog:cds+dynamic=off"]
        self.directory.mkdir(parents=True, exist_ok=True)
        # A private name: two JVMs dumping at once must not write the same file.
        pending = self.directory / f".{role}-{self._key}-{os.getpid()}-{uuid.uuid4().hex[:6]}.jsa"
        self._pending[role] = pending
        return [f"-XX:ArchiveClassesAtExit={pending}", "-Xlog:cds=off", "-Xlog:cds+dynamic=off"]

    def collect(self, role: str, exited_cleanly: bool = True) -> None:
        """After the JVM exited: publish its archive, unless it was killed mid-dump."""
        pending = self._pending.pop(role, None)
        if pending is None:
            return
        if exited_cleanly and pending.exists() and pending.stat().st_size > 0:
            os.replace(pending, self._archive(role))
        else:
            pending.unlink(missing_ok=True)
