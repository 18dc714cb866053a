"""No helper process outlives the processor, however it ends; stop signals are honoured within
the bound, while starting and with a collector that never answers."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from vendor_errors.processor import child as child_module
from vendor_errors.processor.child import Child, Inbox

from tests.processor.kafka_tools import (
    REPO,
    Offsets,
    ProcessorProcess,
    any_port,
    environment,
    produce,
    wait_until,
)
from tests.processor.otlp_receiver import HungCollector, OtlpReceiver
from tests.processor.samples import error_record
from tests.processor.test_child import echo, stuck


def stuck_without_parent_signal(inbox: Inbox) -> None:
    """A child on a system without PR_SET_PDEATHSIG: only the parent-pid watch can end it."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(1, 0, 0, 0, 0)  # PR_SET_PDEATHSIG, none
    stuck(inbox)


def running(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie waiting for init to reap it is not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (children, and theirs)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return {p for p in found if running(p)}


def wait_gone(pids: set[int], seconds: float) -> float:
    """How long it took for all of `pids` to end (fails past `seconds`)."""
    started = time.monotonic()
    wait_until(lambda: not any(running(pid) for pid in pids), seconds, f"{pids} to end")
    return time.monotonic() - started


# -- the helper itself --------------------------------------------------------------------


PARENT = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {repo!r})
    from vendor_errors.processor.child import Child
    from tests.processor.test_lifecycle import stuck_without_parent_signal
    from tests.processor.test_child import stuck
    children = [
        Child("stuck", stuck, (), capacity=1, log_level="WARNING"),
        Child("no-pdeathsig", stuck_without_parent_signal, (), capacity=1, log_level="WARNING"),
    ]
    for child in children:
        child.answer(60)
    print(" ".join(str(child.pid) for child in children), flush=True)
    time.sleep(600)
    """
)


def test_children_end_when_the_parent_is_killed() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT.format(repo=str(REPO))],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        by_signal, by_watch = (int(pid) for pid in parent.stdout.readline().split())
        assert running(by_signal) and running(by_watch)
        parent.kill()
        parent.wait(10)
        # The kernel's parent-death signal: at once; the parent-pid watch: within a second.
        assert wait_gone({by_signal}, 2.0) < 1.0
        assert wait_gone({by_watch}, 4.0) < 3.0
    finally:
        parent.kill()


def test_a_child_sent_sigterm_serves_its_parent_then_exits_within_the_grace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(child_module, "TERM_GRACE_SECONDS", 2.0)
    helper = Child("echo", echo, ("re: ",), capacity=8, log_level="WARNING")
    try:
        assert helper.offer(1) and helper.answer(30) == "re: 1"
        assert helper.pid is not None
        os.kill(helper.pid, signal.SIGTERM)  # e.g. a process-group signal from an init system
        time.sleep(0.5)
        assert helper.offer(2) and helper.answer(5) == "re: 2"  # the parent may still flush
        helper.join(5)
        assert not helper.is_alive()
    finally:
        helper.stop(1.0)


def test_kill_all_leaves_no_child(monkeypatch: pytest.MonkeyPatch) -> None:
    helpers = [Child("stuck", stuck, (), capacity=1, log_level="WARNING") for _ in range(2)]
    pids = {helper.pid for helper in helpers}
    assert all(pid is not None for pid in pids)
    assert {pid for _, pid in child_module.living()} >= pids
    child_module.kill_all()
    assert not any(helper.is_alive() for helper in helpers)
    assert not {pid for _, pid in child_module.living()} & pids


# -- `vendor-errors run` ------------------------------------------------------------------


def start(env: dict[str, str], log: Path) -> ProcessorProcess:
    process = ProcessorProcess(env, log).start()
    return process


@pytest.mark.kafka
def test_sigkill_of_the_processor_leaves_no_process_behind(
    kafka_bootstrap: str, new_topic: Callable[..., str], tmp_path: Path
) -> None:
    receiver = OtlpReceiver()
    env = environment(
        kafka_bootstrap,
        new_topic("logs"),
        "sigkill-children",
        any_port(),
        OUTPUT__ENRICHED_TOPIC=new_topic("enriched"),
        TRACING__ENABLED="true",
    )
    env["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.endpoint
    process = start(env, tmp_path / "run.log")
    try:
        process.wait_ready()
        assert process.proc is not None
        below = descendants(process.proc.pid)
        assert len(below) >= 2, process.logs()  # the producer and the span exporter, at least
        process.kill()
        took = wait_gone(below, 10.0)
        print(f"every helper process gone {took:.2f}s after SIGKILL of the processor")
    finally:
        process.stop()
        receiver.close()


@pytest.mark.kafka
def test_sigterm_with_a_hung_collector_exits_0_within_the_bound(
    kafka_bootstrap: str, new_topic: Callable[..., str], tmp_path: Path
) -> None:
    collector = HungCollector()
    topic, group, bound = new_topic("logs"), "hung-collector", 10.0
    produce(kafka_bootstrap, topic, [error_record(i)[0] for i in range(3000)])
    env = environment(
        kafka_bootstrap,
        topic,
        group,
        any_port(),
        OUTPUT__ENRICHED_TOPIC=new_topic("enriched"),
        TRACING__ENABLED="true",
        SHUTDOWN__TIMEOUT_SECONDS=str(bound),
    )
    env["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.endpoint
    process = start(env, tmp_path / "run.log")
    try:
        process.wait_ready()
        with Offsets(kafka_bootstrap) as offsets:
            wait_until(lambda: offsets.caught_up(group, topic), 60, "the backlog done")
        wait_until(lambda: collector.accepted >= 1, 10, "an export hanging at the collector")
        assert process.proc is not None
        below = descendants(process.proc.pid)
        started = time.monotonic()
        process.signal(signal.SIGTERM)
        code = process.wait(bound + 10)
        took = time.monotonic() - started
        log = process.logs()
        assert code == 0, log
        assert took < bound, f"took {took:.1f}s"
        assert '"message":"processor stopped","committed":true' in log
        # The spans the collector never took are counted and said once.
        assert log.count("the collector did not take them within the shutdown bound") == 1, log
        wait_gone(below, 3.0)
    finally:
        process.stop()
        collector.close()


def test_sigterm_while_connecting_to_kafka_stops_at_once(tmp_path: Path) -> None:
    receiver = OtlpReceiver()
    closed_port = any_port()  # nothing listens there
    env = environment(f"127.0.0.1:{closed_port}", "logs", "g", any_port(), TRACING__ENABLED="true")
    env["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.endpoint
    process = start(env, tmp_path / "run.log")
    try:
        time.sleep(4)  # connecting (the producer waits for the cluster)
        assert process.proc is not None and process.proc.poll() is None, process.logs()
        below = descendants(process.proc.pid)
        started = time.monotonic()
        process.signal(signal.SIGTERM)
        code = process.wait(30)
        took = time.monotonic() - started
        assert code == 0, process.logs()
        assert took < 5, f"took {took:.1f}s"
        assert "stopped while starting" in process.logs()
        wait_gone(below, 3.0)
    finally:
        process.stop()
        receiver.close()


def test_a_taken_metrics_port_names_the_port_and_the_setting(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = environment("127.0.0.1:9", "logs", "g", port)
        process = start(env, tmp_path / "run.log")
        code = process.wait(60)
    log = process.logs()
    assert code == 1, log
    assert f"port {port} on 127.0.0.1 is already in use" in log
    assert "metrics.port" in log and "VENDOR_ERRORS_METRICS__PORT" in log
