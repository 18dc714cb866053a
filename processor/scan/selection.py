"""Which events the user asked for: `--since`/`--until`, `--vendor`, `--service`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from vendor_errors.parsers import Finding
from vendor_errors.processor.scan.options import rfc3339


def service_of(finding: Finding) -> str | None:
    """The event's `service`: None before the parsers emitted it, or when the record had none."""
    service = cast(Mapping[str, object], finding.event).get("service")
    return service if isinstance(service, str) and service else None


@dataclass(frozen=True, slots=True)
class Selection:
    """A test on each event. Times are the record's own (Unix nanoseconds, `since` included,
    `until` not); an event whose record has no time of its own cannot be placed, so a time
    window leaves it out (and counts it: the user is told)."""

    since: int | None = None
    until: int | None = None
    vendors: frozenset[str] | None = None
    services: frozenset[str] | None = None  # lower case: compared regardless of case

    @property
    def active(self) -> bool:
        return self != Selection()

    @property
    def timed(self) -> bool:
        return self.since is not None or self.until is not None

    def keeps(self, finding: Finding) -> bool:
        if self.vendors is not None and finding.event["vendor"] not in self.vendors:
            return False
        if self.services is not None:
            service = service_of(finding)
            if service is None or service.lower() not in self.services:
                return False
        if self.since is not None or self.until is not None:
            nanos = finding.time_unix_nano
            if nanos is None:
                return False
            if self.since is not None and nanos < self.since:
                return False
            if self.until is not None and nanos >= self.until:
                return False
        return True

    def describe(self) -> str:
        """The selection in words, for the table's heading: 'vendor webex; since ...'."""
        parts = []
        if self.vendors is not None:
            parts.append("vendor " + ", ".join(sorted(self.vendors)))
        if self.services is not None:
            parts.append("service " + ", ".join(sorted(self.services)))
        if self.since is not None:
            parts.append(f"since {rfc3339(self.since)}")
        if self.until is not None:
            parts.append(f"until {rfc3339(self.until)}")
        return "; ".join(parts)
