"""`scan --follow`'s reader (processor/scan/follow.py), driven step by step on real files.

The loop asks `stopped(timeout)` between polls; here that callback is the test's script: each
call runs the next step (append, rotate, truncate ...) and the loop polls right after it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from vendor_errors.parsers import iter_records
from vendor_errors.processor.scan.follow import follow


class Recorder:
    """The scan callback: every record read, as (file, line, text), plus the notes."""

    def __init__(self) -> None:
        self.records: list[tuple[str, int, str]] = []
        self.notes: list[str] = []

    def scan(self, stream: BinaryIO, name: str, line_base: int) -> None:
        for line, data in iter_records(stream):
            self.records.append((Path(name).name, line + line_base, data.decode()))


def run_script(
    paths: list[Path], steps: list[Callable[[], None]], recorder: Recorder, **timing: float
) -> None:
    queue = list(steps)

    def stopped(timeout: float) -> bool:
        if not queue:
            return True
        queue.pop(0)()
        return False

    timing = {"poll_seconds": 0, "settle_seconds": 0, "max_wait_seconds": 0} | timing
    follow([str(p) for p in paths], recorder.scan, recorder.notes.append, stopped, **timing)


def append(path: Path, data: bytes) -> Callable[[], None]:
    def step() -> None:
        with path.open("ab") as out:
            out.write(data)

    return step


def test_reads_what_is_there_then_what_is_appended(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(b"one\ntwo\n")
    recorder = Recorder()
    run_script([log], [append(log, b"three\n"), lambda: None, append(log, b"four\n")], recorder)
    assert recorder.records == [
        ("app.log", 1, "one"),
        ("app.log", 2, "two"),
        ("app.log", 3, "three"),
        ("app.log", 4, "four"),
    ]
    assert recorder.notes == []


def test_a_multi_line_record_written_at_once_is_grouped(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(b"")
    trace = b'2024-05-01 12:00:00 ERROR send failed: {\n  "code": 1300\n}\n2024-05-01 12:00:01 ok\n'
    recorder = Recorder()
    run_script([log], [append(log, trace)], recorder)
    assert [(line, text.count("\n")) for _, line, text in recorder.records] == [(1, 2), (4, 0)]


def test_a_line_is_read_only_once_complete(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(b"")
    recorder = Recorder()
    # Half a line, then a poll that must not take it, then the rest of it.
    steps = [append(log, b'{"msg": "half'), lambda: None, append(log, b' and half"}\n')]
    run_script([log], steps, recorder, max_wait_seconds=60)
    assert recorder.records == [("app.log", 1, '{"msg": "half and half"}')]


def test_a_last_line_without_newline_is_read_when_the_scan_stops(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(b"first\nno newline yet")
    recorder = Recorder()
    run_script([log], [lambda: None], recorder, max_wait_seconds=60)
    assert recorder.records == [("app.log", 1, "first"), ("app.log", 2, "no newline yet")]


def test_rotation_by_rename_reads_the_old_file_to_its_end_then_the_new_one(
    tmp_path: Path,
) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(b"a1\n")
    recorder = Recorder()

    def rotate() -> None:
        with log.open("ab") as out:
            out.write(b"a2\n")  # written after the last poll, just before the rename
        log.rename(tmp_path / "app.log.1")
        log.write_bytes(b"b1\n")

    run_script([log], [rotate, append(log, b"b2\n")], recorder)
    assert recorder.records == [
        ("app.log", 1, "a1"),
        ("app.log", 2, "a2"),
        ("app.log", 1, "b1"),
        ("app.log", 2, "b2"),
    ]
    assert any("rotated" in note for note in recorder.notes)


def test_a_removed_file_is_waited_for_and_read_when_it_appears(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(b"a1\n")
    recorder = Recorder()
    steps = [
        lambda: log.rename(tmp_path / "app.log.1"),
        lambda: None,  # no file under the name for a while: waited for, noted once
        lambda: None,
        lambda: log.write_bytes(b"b1\n"),
        lambda: None,
    ]
    run_script([log], steps, recorder)
    assert recorder.records == [("app.log", 1, "a1"), ("app.log", 1, "b1")]
    assert len(recorder.notes) == 2, recorder.notes
    assert "moved or removed" in recorder.notes[0]
    assert "appeared" in recorder.notes[1]


def test_truncation_reads_again_from_the_start(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(b"old 1\nold 2\nold 3\n")
    recorder = Recorder()

    def truncate() -> None:  # logrotate's copytruncate
        with log.open("r+b") as out:
            out.truncate(0)
            out.write(b"new 1\n")

    run_script([log], [truncate, append(log, b"new 2\n")], recorder)
    assert recorder.records[3:] == [("app.log", 1, "new 1"), ("app.log", 2, "new 2")]
    assert any("truncated" in note for note in recorder.notes)


def test_a_path_missing_at_start_is_waited_for(tmp_path: Path) -> None:
    log = tmp_path / "later.log"
    recorder = Recorder()
    run_script([log], [lambda: None, lambda: log.write_bytes(b"hello\n"), lambda: None], recorder)
    assert recorder.records == [("later.log", 1, "hello")]
    assert "No such file" in recorder.notes[0] and "appeared" in recorder.notes[1]


def test_new_data_waits_until_the_file_is_quiet(tmp_path: Path) -> None:
    """With a settle time, data just written is left for a later poll (a record may still be
    being written); at stop, everything is read."""
    log = tmp_path / "app.log"
    log.write_bytes(b"")
    recorder = Recorder()
    seen: list[int] = []

    def check() -> None:
        seen.append(len(recorder.records))

    steps = [append(log, b"x\n"), check, check]
    run_script([log], steps, recorder, settle_seconds=60, max_wait_seconds=60)
    assert seen == [0, 0]
    assert recorder.records == [("app.log", 1, "x")]


def test_several_files_are_followed_together(tmp_path: Path) -> None:
    one, two = tmp_path / "one.log", tmp_path / "two.log"
    one.write_bytes(b"1a\n")
    two.write_bytes(b"2a\n")
    recorder = Recorder()
    run_script([one, two], [append(two, b"2b\n"), append(one, b"1b\n")], recorder)
    assert sorted(recorder.records) == [
        ("one.log", 1, "1a"),
        ("one.log", 2, "1b"),
        ("two.log", 1, "2a"),
        ("two.log", 2, "2b"),
    ]
