"""Translate the shipped text layouts ahead: write `patterns/layouts.json` (grok.py reads it).

    python -m vendor_errors.parsers.decoding.grok_compile [DIR]

Run it after editing a .grok file; tests/parsers/test_grok_compiled.py fails until it is run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
from vendor_errors.parsers.decoding.grok import (
    ARTIFACT,
    COMPILE,
    FORMAT,
    PATTERN_DIR,
    GrokError,
    digest,
    read_definitions,
    translate_shipped,
)


def render_artifact(directory: Path = PATTERN_DIR) -> bytes:
    """The artifact for the .grok files of `directory`: one layout a line."""
    layouts = translate_shipped(
        read_definitions(directory / "layouts.grok"), read_definitions(directory / "base.grok")
    )
    head = {"format": FORMAT, "digest": digest(directory), "made_by": f"{COMPILE}: do not edit"}
    rows = b",\n".join(orjson.dumps(list(layout)) for layout in layouts)
    return orjson.dumps(head)[:-1] + b',"layouts":[\n' + rows + b"\n]}\n"


def write_artifact(directory: Path = PATTERN_DIR) -> bool:
    """Write the artifact of `directory`; whether it changed."""
    path = directory / ARTIFACT
    made = render_artifact(directory)
    if path.exists() and path.read_bytes() == made:
        return False
    path.write_bytes(made)
    return True


def main(argv: list[str] | None = None) -> int:
    """`python -m vendor_errors.parsers.decoding.grok_compile [DIR]`: (re)write it."""
    args = sys.argv[1:] if argv is None else argv
    directory = Path(args[0]) if args else PATTERN_DIR
    try:
        changed = write_artifact(directory)
    except GrokError as exc:
        print(f"{COMPILE}: {exc}", file=sys.stderr)
        return 1
    print(f"{directory / ARTIFACT}: {'written' if changed else 'already current'}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
