"""A real single-node Apache Kafka broker (KRaft, combined mode) on 127.0.0.1 for tests and demos.

The broker jars come from Maven Central once (one `mvn dependency:copy-dependencies`) and are
cached under ``${VENDOR_ERRORS_CACHE:-~/.cache/vendor-errors}/kafka-<version>/``; later runs
start straight from the cache. ``KafkaBroker.stop()`` / ``.start()`` keep the ports and the
log dirs, so a test can take the broker away mid-run and bring the same one back.

With ``KAFKA_BOOTSTRAP_SERVERS`` set, :func:`broker_from_env` returns an :class:`ExternalKafka`
pointing there instead; it cannot be stopped or started.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import textwrap
import time
import uuid
from pathlib import Path
from typing import IO, Any

from tests.support.kafka_jars import (
    KAFKA_VERSION,
    ClassDataArchives,
    KafkaBrokerError,
    ensure_jars,
    find_java,
    progress,
    tail_text,
)

__all__ = [
    "KAFKA_VERSION",
    "BrokerRestartUnsupported",
    "ExternalKafka",
    "KafkaBroker",
    "KafkaBrokerError",
    "broker_from_env",
    "create_topic",
    "free_port",
]

START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 30.0
ENV_BOOTSTRAP = "KAFKA_BOOTSTRAP_SERVERS"


class BrokerRestartUnsupported(KafkaBrokerError):
    """stop()/start() on an external broker this process does not own."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def random_cluster_id() -> str:
    # Kafka's Uuid.randomUuid(): 16 random bytes, URL-safe base64 without padding, never
    # starting with '-' (it would read as a command-line flag).
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cid.startswith("-"):
            return cid


def _tail_file(path: Path, lines: int) -> str:
    try:
        return tail_text(path.read_text(errors="replace"), lines)
    except FileNotFoundError:
        return f"({path} does not exist)"


def _port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


def create_topic(
    bootstrap: str, name: str, partitions: int = 3, timeout_s: float = 30.0, **configs: str
) -> str:
    """Create ``name`` and wait until every partition has a leader, so producers never race it."""
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="tests-admin")
    try:
        admin.create_topics(
            {
                name: {
                    "num_partitions": partitions,
                    "replication_factor": 1,
                    "configs": dict(configs),
                }
            },
            timeout_ms=int(timeout_s * 1000),
            wait_for_metadata=True,
        )
    finally:
        admin.close()
    return name


class KafkaBroker:
    """One local KRaft broker+controller. ``start()`` again after ``stop()`` keeps its data."""

    external = False
    can_restart = True
    restart_unsupported_reason = ""

    def __init__(
        self,
        version: str = KAFKA_VERSION,
        num_partitions: int = 3,
        workdir: str | Path | None = None,
        heap: str = "512m",
        extra_properties: dict[str, str] | None = None,
        port: int | None = None,
    ) -> None:
        self.version = version
        self.num_partitions = num_partitions
        self.heap = heap
        self.extra_properties = dict(extra_properties or {})
        self._owns_workdir = workdir is None
        self.workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="kafka-broker-"))
        self.data_dir = self.workdir / "data"
        self.logs_dir = self.workdir / "logs"
        self.port = port or free_port()
        self.controller_port = free_port()
        self._proc: subprocess.Popen[bytes] | None = None
        self._jvm_out: IO[bytes] | None = None
        self._formatted = False
        self._classpath: str | None = None
        self._cds = ClassDataArchives(None, "")
        atexit.register(self.close)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def server_log(self) -> Path:
        return self.logs_dir / "server.log"

    @property
    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def __enter__(self) -> KafkaBroker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Start the broker (formatting storage the first time) and wait until it serves clients."""
        if self.is_running:
            return
        java = find_java()
        if self._classpath is None:
            libs = ensure_jars(self.version)
            # An explicit, sorted list: the class-data archives are only valid for the exact
            # classpath they were dumped with, and a '*' expands in directory order.
            self._classpath = os.pathsep.join(str(jar) for jar in sorted(libs.glob("*.jar")))
            self._cds = ClassDataArchives(libs.parent / "cds", java)
        if not self._formatted:
            self._write_config()
            self._format_storage(java)
            self._formatted = True
        started = time.monotonic()
        self._jvm_out = open(self.logs_dir / "jvm.out", "ab")  # noqa: SIM115 - lives with the JVM
        self._proc = subprocess.Popen(
            [
                *self._java_cmd(java, "broker"),
                "kafka.Kafka",
                str(self.workdir / "server.properties"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._jvm_out,
            stderr=subprocess.STDOUT,
            # Own process group: a Ctrl-C in the demo's terminal reaches us, and we shut Kafka
            # down in order, instead of the JVM dying half-way through.
            start_new_session=True,
        )
        try:
            self._wait_ready(timeout_s)
        except BaseException:
            self.stop()
            raise
        progress(
            f"Kafka {self.version} ready on {self.bootstrap} in {time.monotonic() - started:.1f}s"
        )

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """SIGTERM (clean shutdown, data flushed), SIGKILL after ``timeout_s``. Keeps the data."""
        proc, self._proc = self._proc, None
        if proc is not None:
            self._cds.collect("broker", exited_cleanly=self._terminate(proc, timeout_s))
        if self._jvm_out is not None:
            self._jvm_out.close()
            self._jvm_out = None

    @staticmethod
    def _terminate(proc: subprocess.Popen[bytes], timeout_s: float) -> bool:
        """True when the JVM shut down on SIGTERM (only then is its class-data archive whole)."""
        if proc.poll() is not None:
            return False
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout_s)
            return True
        except subprocess.TimeoutExpired:
            progress(f"broker did not stop within {timeout_s:.0f}s; killing it")
            proc.kill()
            proc.wait()
            return False

    def restart(self, timeout_s: float = START_TIMEOUT_S) -> None:
        self.stop()
        self.start(timeout_s)

    def close(self) -> None:
        """Stop the broker and delete its data (if this object created the directory)."""
        self.stop()
        if self._owns_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        atexit.unregister(self.close)

    def log_tail(self, lines: int = 60) -> str:
        server_log = _tail_file(self.server_log, lines)
        jvm_out = _tail_file(self.logs_dir / "jvm.out", 20)
        return (
            f"--- {self.server_log} (last {lines} lines) ---\n{server_log}\n"
            f"--- JVM stdout/stderr ---\n{jvm_out}"
        )

    def _java_cmd(self, java: str, role: str) -> list[str]:
        assert self._classpath is not None
        return [
            java,
            f"-Xmx{self.heap}",
            "-Xms64m",
            "-XX:+UseSerialGC",  # two cores shared with the tests: no parallel GC threads
            *self._cds.options(role),
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.workdir / 'log4j2.properties'}",
            f"-Dkafka.logs.dir={self.logs_dir}",
            "-cp",
            self._classpath,
        ]

    def _properties(self) -> dict[str, str]:
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "listeners": (
                f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}"
            ),
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "controller.quorum.bootstrap.servers": f"127.0.0.1:{self.controller_port}",
            "log.dirs": str(self.data_dir),
            "num.partitions": str(self.num_partitions),
            "auto.create.topics.enable": "true",
            "delete.topic.enable": "true",
            "group.initial.rebalance.delay.ms": "0",
            # One node: every internal topic has one replica. Few partitions, because creating
            # the default 50 of __consumer_offsets costs seconds on the first group join.
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "4",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "4",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "share.coordinator.state.topic.num.partitions": "1",
            "min.insync.replicas": "1",
            "num.network.threads": "2",
            "num.io.threads": "2",
            "log.segment.bytes": str(64 * 1024 * 1024),
        }
        props.update(self.extra_properties)
        return props

    def _write_config(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        props = "".join(f"{key}={value}\n" for key, value in self._properties().items())
        (self.workdir / "server.properties").write_text(props)
        (self.workdir / "log4j2.properties").write_text(
            textwrap.dedent(
                """\
                status = warn
                appender.file.type = File
                appender.file.name = FILE
                appender.file.fileName = ${sys:kafka.logs.dir}/server.log
                appender.file.layout.type = PatternLayout
                appender.file.layout.pattern = [%d] %p %m (%c)%n
                rootLogger.level = INFO
                rootLogger.appenderRef.file.ref = FILE
                logger.kafka.name = kafka
                logger.kafka.level = INFO
                logger.request.name = kafka.request.logger
                logger.request.level = WARN
                """
            )
        )

    def _format_storage(self, java: str) -> None:
        # Kafka 4.x: a single combined node formats itself as the only initial controller.
        proc = subprocess.run(
            [
                *self._java_cmd(java, "storage-tool"),
                # A one-shot tool: the C1 compiler alone starts it twice as fast.
                "-XX:TieredStopAtLevel=1",
                "kafka.tools.StorageTool",
                "format",
                "--cluster-id",
                random_cluster_id(),
                "--config",
                str(self.workdir / "server.properties"),
                "--standalone",
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        self._cds.collect("storage-tool")
        if proc.returncode != 0:
            raise KafkaBrokerError(
                f"kafka-storage format failed (exit {proc.returncode}):\n"
                f"{tail_text(proc.stdout + proc.stderr, 40)}"
            )

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        last_error: object = "port not open yet"
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                code = None if self._proc is None else self._proc.returncode
                raise KafkaBrokerError(
                    f"Kafka broker exited during start (exit code {code}).\n{self.log_tail()}"
                )
            if _port_open(self.port):
                try:
                    self._probe_clients()
                    return
                except Exception as exc:  # any client error means "not ready yet"
                    last_error = exc
            time.sleep(0.25)
        raise KafkaBrokerError(
            f"Kafka broker on {self.bootstrap} not ready after {timeout_s:.0f}s "
            f"(last error: {last_error!r}).\n{self.log_tail()}"
        )

    def _probe_clients(self) -> None:
        """Ready = a kafka-python admin client can list topics and create one with a leader."""
        from kafka.admin import KafkaAdminClient
        from kafka.errors import TopicAlreadyExistsError

        admin = KafkaAdminClient(
            bootstrap_servers=self.bootstrap, client_id="readiness-probe", request_timeout_ms=5000
        )
        try:
            admin.list_topics()
            probe = "__readiness-probe"
            try:
                admin.create_topics(
                    {probe: {"num_partitions": 1, "replication_factor": 1}},
                    timeout_ms=5000,
                    wait_for_metadata=True,
                )
            except TopicAlreadyExistsError:  # after a restart
                admin.wait_for_topics([probe], timeout_ms=5000)
        finally:
            admin.close()


class ExternalKafka:
    """A broker given by KAFKA_BOOTSTRAP_SERVERS: used as is, never started or stopped."""

    external = True
    can_restart = False
    restart_unsupported_reason = (
        f"{ENV_BOOTSTRAP} points at an external broker; stopping/starting it is not ours to do"
    )
    is_running = True

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap

    def start(self, *args: Any, **kwargs: Any) -> None:
        raise BrokerRestartUnsupported(self.restart_unsupported_reason)

    def stop(self, *args: Any, **kwargs: Any) -> None:
        raise BrokerRestartUnsupported(self.restart_unsupported_reason)

    def restart(self, *args: Any, **kwargs: Any) -> None:
        raise BrokerRestartUnsupported(self.restart_unsupported_reason)

    def close(self) -> None:
        pass

    def log_tail(self, lines: int = 60) -> str:
        return f"(external broker {self.bootstrap}: no local log)"


def broker_from_env(**kwargs: Any) -> KafkaBroker | ExternalKafka:
    """The external broker if KAFKA_BOOTSTRAP_SERVERS is set, else a started local one."""
    external = os.environ.get(ENV_BOOTSTRAP, "").strip()
    if external:
        return ExternalKafka(external)
    broker = KafkaBroker(**kwargs)
    broker.start()
    return broker
