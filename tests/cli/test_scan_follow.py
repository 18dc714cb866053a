"""`vendor-errors scan --follow`, run as a user runs it: a log written, rotated and truncated
under it; events appear as the records are logged; Ctrl-C (SIGINT) or SIGTERM ends it."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

import orjson

ROOT = Path(__file__).resolve().parents[2]


def record(code: int, second: int) -> bytes:
    return (
        orjson.dumps(
            {
                "ts": f"2024-05-01T12:00:{second:02d}Z",
                "url": "https://sms.8x8.com/api/v1/messages",
                "status": 404,
                "body": {"code": code, "message": "Not found", "errorId": f"e{second}"},
            }
        )
        + b"\n"
    )


class Follow:
    """`scan --follow ...` in the background; its stdout lines as they come."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "vendor_errors.processor.cli", "scan", "--follow", *args],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.lines: queue.Queue[bytes] = queue.Queue()
        assert self.process.stdout is not None
        self.pump = threading.Thread(target=self._pump, args=(self.process.stdout,), daemon=True)
        self.pump.start()

    def _pump(self, stream: IO[bytes]) -> None:
        for line in stream:
            self.lines.put(line)

    def events(self, count: int, timeout: float = 30) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        found = []
        while len(found) < count:
            try:
                found.append(orjson.loads(self.lines.get(timeout=deadline - time.monotonic())))
            except (queue.Empty, ValueError):
                raise AssertionError(f"only {len(found)} of {count} events came") from None
        return found

    def stop(self, signum: int = signal.SIGINT) -> tuple[int, bytes]:
        self.process.send_signal(signum)
        try:
            self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()
        self.pump.join(timeout=30)  # every line it printed is in self.lines
        assert self.process.stderr is not None
        return self.process.returncode, self.process.stderr.read()


def test_follow_reads_appends_rotation_and_truncation(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(b"starting\n" + record(1300, 0))
    follow = Follow("--format", "jsonl", str(log))
    try:
        first = follow.events(1)
        assert [(e["code"], e["source"]["line"]) for e in first] == [("1300", 2)]

        with log.open("ab") as out:  # appended while followed
            out.write(b"noise\n" + record(3038, 1))
        assert [(e["code"], e["source"]["line"]) for e in follow.events(1)] == [("3038", 4)]

        log.rename(tmp_path / "app.log.1")  # rotation: a new file under the name
        log.write_bytes(record(1001, 2))
        assert [(e["code"], e["source"]["line"]) for e in follow.events(1)] == [("1001", 1)]

        with log.open("r+b") as out:  # copytruncate
            out.truncate(0)
        time.sleep(1.0)
        with log.open("ab") as out:
            out.write(record(1300, 3))
        assert [(e["code"], e["source"]["line"]) for e in follow.events(1)] == [("1300", 1)]
    finally:
        status, stderr = follow.stop()
    assert status == 0, stderr
    notes = stderr.decode()
    assert "app.log: replaced (rotated); following the new file" in notes
    assert "app.log: truncated; reading it from the start" in notes


def test_follow_to_an_output_file_replaces_it_only_when_stopped(tmp_path: Path) -> None:
    log, target = tmp_path / "app.log", tmp_path / "events.jsonl"
    log.write_bytes(record(1300, 0))
    target.write_bytes(b"the previous run's events\n")
    follow = Follow("--output", str(target), str(log))
    try:
        time.sleep(2.0)
        with log.open("ab") as out:
            out.write(record(3038, 1))
        time.sleep(2.0)
        assert target.read_bytes() == b"the previous run's events\n"  # never half-written
    finally:
        status, stderr = follow.stop(signal.SIGTERM)
    assert status == 0, stderr
    assert [orjson.loads(line)["code"] for line in target.read_bytes().splitlines()] == [
        "1300",
        "3038",
    ]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["app.log", "events.jsonl"]


def test_follow_prints_the_table_when_stopped(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(record(1300, 0) + record(1300, 5))
    follow = Follow("--format", "table", str(log))
    time.sleep(2.0)
    status, stderr = follow.stop()
    assert status == 0, stderr
    table = b"".join(_drain(follow)).decode()
    assert "2 records in 1 input: 2 vendor errors" in table
    assert "Errors from 2024-05-01T12:00:00Z to 2024-05-01T12:00:05Z" in table


def _drain(follow: Follow) -> list[bytes]:
    lines = []
    while not follow.lines.empty():
        lines.append(follow.lines.get_nowait())
    return lines
