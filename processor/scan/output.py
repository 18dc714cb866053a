"""`--output FILE`: the file appears complete or not at all.

Everything goes to a temporary file beside FILE (same directory, so same file system), which
is flushed to disk and renamed over FILE when the scan ends; a scan that fails or is
interrupted leaves FILE as it was. A reader never sees half an output.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO


class AtomicFile:
    """A binary file written under a temporary name, renamed to `path` by `commit()`."""

    def __init__(self, path: str | Path) -> None:
        import tempfile  # only with --output: with its imports, ~1 MiB for every other scan

        self.path = Path(path)
        directory = self.path.parent
        fd, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=directory)
        self.temporary = Path(temporary)
        # mkstemp makes it private (0600); the output gets a new file's usual mode instead.
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        self.stream: BinaryIO = os.fdopen(fd, "wb")

    def write(self, data: bytes | bytearray) -> int:
        return self.stream.write(data)

    def flush(self) -> None:
        self.stream.flush()

    def commit(self) -> None:
        self.stream.flush()
        os.fsync(self.stream.fileno())
        self.stream.close()
        os.replace(self.temporary, self.path)
        # The rename is durable only once the directory is written too.
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def discard(self) -> None:
        if not self.stream.closed:
            self.stream.close()
        self.temporary.unlink(missing_ok=True)


def check_target(output: str, inputs: list[str]) -> str | None:
    """Why `output` cannot be written, or None: its directory must exist, and it must not
    be one of the inputs (the rename would replace the log being read)."""
    target = Path(output)
    if not target.parent.is_dir():
        return f"--output: directory {str(target.parent)!r} does not exist"
    if target.is_dir():
        return f"--output: {output!r} is a directory"
    if target.exists():
        for path in inputs:
            if path != "-" and os.path.exists(path) and os.path.samefile(path, target):
                return f"--output: {output!r} is also an input; write the events elsewhere"
    return None
