"""The catalog, re-loaded when its overlay file changes, without a restart.

Checked from the poll loop between batches, so a swap never lands in the middle of one. A broken
overlay is logged and ignored: the processor keeps the catalog it has until the file is fixed.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from vendor_errors import catalog
from vendor_errors.catalog.loader import Catalog
from vendor_errors.catalog.schema import CatalogError

log = logging.getLogger(__name__)

Loader = Callable[[Path | None], Catalog]


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        info = os.stat(path)  # follows symlinks: a ConfigMap update swaps the link target
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size, info.st_ino)


class CatalogWatcher:
    def __init__(
        self, overlay: Path | None, interval_seconds: float, loader: Loader | None = None
    ) -> None:
        self.overlay = overlay
        self.interval = interval_seconds
        self._load: Loader = loader or (lambda path: catalog.load(overlay=path))
        self._stamp = _stamp(overlay) if overlay is not None else None
        # Raises CatalogError at start: a broken overlay must stop a fresh deployment.
        self.current = self._load(overlay)
        self._next_check = time.monotonic() + interval_seconds

    def poll(self) -> Catalog | None:
        """The new catalog when the overlay changed (and is valid) since the last look."""
        if self.overlay is None or time.monotonic() < self._next_check:
            return None
        self._next_check = time.monotonic() + self.interval
        stamp = _stamp(self.overlay)
        if stamp == self._stamp:
            return None
        self._stamp = stamp
        if stamp is None:
            log.warning(
                "catalog overlay disappeared; keeping the loaded catalog",
                extra={"overlay": str(self.overlay)},
            )
            return None
        try:
            loaded = self._load(self.overlay)
        except CatalogError as exc:
            log.error(
                "catalog overlay is invalid; keeping the loaded catalog",
                extra={"overlay": str(self.overlay), "error": str(exc)},
            )
            return None
        self.current = loaded
        extra = {"overlay": str(self.overlay), "entries": len(loaded)}
        log.info("catalog overlay re-loaded", extra=extra)
        return loaded
