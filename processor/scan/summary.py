"""What scan counts as it reads: records by outcome, and each selected error by its kind."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from operator import itemgetter

from vendor_errors.parsers import Event, Finding, Result
from vendor_errors.processor.scan.selection import Selection, service_of

# (vendor, code, channel, category, severity, transient): what the table tells apart.
Kind = tuple[str, str, str | None, str, str, bool]
# An event's kind in one C call (add_findings runs once per error).
_KIND = itemgetter("vendor", "code", "channel", "category", "severity", "transient")
SEEN_SERVICES = 10_000
_NEVER = 1 << 126  # later than any time: "no time seen yet"


@dataclass
class Summary:
    selection: Selection = field(default_factory=Selection)
    records: int = 0
    files: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    by_kind: Counter[Kind] = field(default_factory=Counter)
    samples: dict[Kind, Event] = field(default_factory=dict)
    statuses: int = 0
    # Errors the selection left out, and of those the ones a time window could not place.
    left_out: int = 0
    left_out_untimed: int = 0
    # Selected errors: their records' time range (Unix ns; see first, last), how many had none.
    earliest: int = _NEVER
    latest: int = -_NEVER
    untimed: int = 0
    # (kind, service) -> events, for events that name their service.
    services: Counter[tuple[Kind, str]] = field(default_factory=Counter)
    # With --service: the services of the errors it left out (to suggest a spelling).
    services_seen: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.filtering = self.selection.active  # once: add_findings runs per error

    def add_quiet(self, records: int) -> None:
        """Records found to hold no vendor error without being looked at one by one."""
        self.records += records
        self.outcomes["no_error"] += records

    def add(self, result: Result) -> list[Finding]:
        self.records += 1
        self.outcomes[result.outcome] += 1
        if result.reason is not None:
            self.reasons[result.reason] += 1
        return self.add_findings(result) if result.findings else result.findings

    def add_findings(self, result: Result) -> list[Finding]:
        """Count the record's findings; return those the selection keeps (to print)."""
        findings = result.findings
        if self.filtering:
            findings = [finding for finding in findings if self._selected(finding)]
        by_kind, samples = self.by_kind, self.samples
        for finding in findings:
            event = finding.event
            if event["category"] == "status":
                self.statuses += 1
                continue
            key: Kind = _KIND(event)
            by_kind[key] += 1
            if key not in samples:
                samples[key] = event
            nanos = finding.time_unix_nano
            if nanos is None:
                self.untimed += 1
            else:
                if nanos < self.earliest:
                    self.earliest = nanos
                if nanos > self.latest:
                    self.latest = nanos
            # Read as a plain key: events gain `service` with issue 14 (None until then).
            service = event.get("service")  # type: ignore[typeddict-item,unused-ignore]
            if service:
                self.services[(key, str(service))] += 1
        return findings

    @property
    def first(self) -> int | None:
        """The earliest record time of the selected errors (Unix ns), None if none had one."""
        return self.earliest if self.earliest != _NEVER else None

    @property
    def last(self) -> int | None:
        return self.latest if self.latest != -_NEVER else None

    def _selected(self, finding: Finding) -> bool:
        if self.selection.keeps(finding):
            return True
        if self.selection.services is not None and len(self.services_seen) < SEEN_SERVICES:
            service = service_of(finding)
            if service is not None:
                self.services_seen.add(service)
        if finding.event["category"] != "status":
            self.left_out += 1
            if self.selection.timed and finding.time_unix_nano is None:
                self.left_out_untimed += 1
        return False

    def totals(self) -> Totals:
        totals = Totals()
        for (vendor, code, channel, category, severity, transient), count in self.by_kind.items():
            totals.errors += count
            totals.by_vendor[vendor] += count
            totals.transient_by_vendor[vendor] += count if transient else 0
            totals.by_category[category] += count
            totals.by_severity[severity] += count
            totals.by_code[(vendor, code, channel)] += count
        for (kind, service), count in self.services.items():
            totals.by_service[service] += count
            totals.transient_by_service[service] += count if kind[5] else 0
            totals.vendors_by_service.setdefault(service, Counter())[kind[0]] += count
            totals.services_by_kind.setdefault(kind, Counter())[service] += count
        return totals


@dataclass
class Totals:
    errors: int = 0
    by_vendor: Counter[str] = field(default_factory=Counter)
    transient_by_vendor: Counter[str] = field(default_factory=Counter)
    by_category: Counter[str] = field(default_factory=Counter)
    by_severity: Counter[str] = field(default_factory=Counter)
    by_code: Counter[tuple[str, str, str | None]] = field(default_factory=Counter)
    by_service: Counter[str] = field(default_factory=Counter)
    transient_by_service: Counter[str] = field(default_factory=Counter)
    vendors_by_service: dict[str, Counter[str]] = field(default_factory=dict)
    services_by_kind: dict[Kind, Counter[str]] = field(default_factory=dict)
