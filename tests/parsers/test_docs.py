"""The parsers' pages link only inside the repository: users read them without the team's
workspace (the event's definition is docs/events.md, not a file outside the project)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "docs" / "parsing.md", ROOT / "docs" / "events.md"]
_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_links_stay_in_the_repository(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert "../shared" not in text
    for target in _LINK.findall(text):
        if re.match(r"[a-z]+://", target):
            continue  # a public page, not a file of ours
        resolved = (page.parent / target).resolve()
        assert resolved.is_relative_to(ROOT), target
        assert resolved.exists(), target


def test_the_event_page_names_every_field_of_the_schema() -> None:
    from vendor_errors.parsers import event_schema

    text = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    for field in event_schema()["properties"]:
        assert f"| `{field}` |" in text, field
