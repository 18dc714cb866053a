"""The shipped layouts translated ahead (parsers/decoding/grok.py, `patterns/layouts.json`):
committed current, what translating the .grok files gives, never read once they changed, and
what lets a process without patterns of its own run without pyparsing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from vendor_errors.parsers.decoding import grok, grok_compile


@pytest.fixture
def patterns_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "patterns"
    shutil.copytree(grok.PATTERN_DIR, copy)
    return copy


def test_committed_artifact_is_what_the_grok_files_translate_to() -> None:
    committed = (grok.PATTERN_DIR / grok.ARTIFACT).read_bytes()
    assert committed == grok_compile.render_artifact(), f"run `{grok.COMPILE}`"


def test_the_artifact_is_what_translation_gives() -> None:
    from_artifact = grok.read_artifact()
    assert from_artifact is not None
    assert from_artifact == grok.translate_shipped()
    assert [layout.name for layout in from_artifact] == list(grok.LAYOUTS)


def test_an_edited_grok_file_is_translated_again(patterns_copy: Path) -> None:
    assert grok.read_artifact(patterns_copy) is not None  # the copy's artifact is current
    path = patterns_copy / "base.grok"
    path.write_text(path.read_text() + "EXTRA [a-z]+\n")
    assert grok.read_artifact(patterns_copy) is None
    assert grok_compile.main([str(patterns_copy)]) == 0
    assert grok.read_artifact(patterns_copy) is not None


def test_an_artifact_of_another_format_is_not_read(patterns_copy: Path) -> None:
    path = patterns_copy / grok.ARTIFACT
    path.write_bytes(path.read_bytes().replace(b'"format":1,', b'"format":0,', 1))
    assert grok.read_artifact(patterns_copy) is None


def test_compile_refuses_a_broken_layout(
    patterns_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (patterns_copy / grok.ARTIFACT).read_bytes()
    with (patterns_copy / "layouts.grok").open("a") as layouts:
        layouts.write("BROKEN %{NO_SUCH_BASE:x} %{GREEDYDATA:message}\n")
    assert grok_compile.main([str(patterns_copy)]) == 1
    assert "unknown base pattern %{NO_SUCH_BASE}" in capsys.readouterr().err
    assert (patterns_copy / grok.ARTIFACT).read_bytes() == before


def test_users_patterns_come_before_the_translated_ones() -> None:
    layouts = grok.Layouts.default(["%{NOTSPACE:service} | %{GREEDYDATA:message}"])
    match = layouts.match("sms-gw | 2024-05-01T12:00:00Z ERROR boom")
    assert match is not None and match.layout == "custom_1"
    assert match.fields == {"service": "sms-gw", "message": "2024-05-01T12:00:00Z ERROR boom"}
    shipped = grok.Layouts.default().match("2024-05-01T12:00:00Z ERROR boom")
    assert shipped is not None and shipped.layout != "custom_1"


def _modules_after(code: str) -> set[str]:
    probe = code + "\nimport sys\nprint(' '.join(sorted(m.split('.')[0] for m in sys.modules)))\n"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_an_extractor_without_patterns_does_not_import_pyparsing() -> None:
    build = "from vendor_errors import catalog\nfrom vendor_errors.parsers import Extractor\n"
    assert "pyparsing" not in _modules_after(build + "Extractor(catalog.load())")
    # A pattern of the user's own is parsed with it (and the probe can see that).
    mine = "Extractor(catalog.load(), patterns=['%{WORD:service} %{GREEDYDATA:message}'])"
    assert "pyparsing" in _modules_after(build + mine)
