"""docs/events.md defines every field of the event's JSON Schema (links: tests/test_docs.py)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "docs" / "parsing.md", ROOT / "docs" / "events.md"]
_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_the_event_page_names_every_field_of_the_schema() -> None:
    from vendor_errors.parsers import event_schema

    text = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    for field in event_schema()["properties"]:
        assert f"| `{field}` |" in text, field
