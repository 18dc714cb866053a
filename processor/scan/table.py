"""scan's table: a summary for a person, no line wider than 80 columns."""

from __future__ import annotations

import textwrap
from collections import Counter

from vendor_errors import catalog
from vendor_errors.processor.scan.options import rfc3339
from vendor_errors.processor.scan.summary import Summary, Totals

WIDTH = 80
TOP_CODES = 15
TOP_SERVICES = 10
INDENT = " " * 9  # under the CODE columns: where a code's message and remedy go
NO_SERVICE = "(none)"


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _wrap(text: str, indent: str = "", later: str | None = None, lines: int = 2) -> list[str]:
    """`text` as lines of at most WIDTH columns; past `lines` lines, cut with '…'."""
    return textwrap.wrap(
        " ".join(text.split()),
        WIDTH,
        initial_indent=indent,
        subsequent_indent=indent if later is None else later,
        max_lines=lines,
        placeholder=" …",
        break_on_hyphens=False,
    )


def _head(summary: Summary, totals: Totals) -> list[str]:
    undecodable = summary.outcomes["undecodable"]
    reasons = ", ".join(f"{r}: {n:,}" for r, n in summary.reasons.most_common())
    inputs = f"{summary.files} input" + ("" if summary.files == 1 else "s")
    lines = _wrap(
        f"{summary.records:,} records in {inputs}: {totals.errors + summary.left_out:,} vendor "
        f"errors in {summary.outcomes['error_found']:,} records; {undecodable:,} undecodable"
    )
    if undecodable:
        lines += _wrap(f"Undecodable ({reasons})", lines=3)
    selection = summary.selection
    if selection.active:
        untimed = summary.left_out_untimed
        lines += _wrap(
            f"Selected ({selection.describe()}): {totals.errors:,} of "
            f"{totals.errors + summary.left_out:,}"
            + (f"; {untimed:,} left out as their records carry no time" if untimed else ""),
            lines=3,
        )
    if summary.statuses:
        lines.append(
            f"{summary.statuses:,} lifecycle statuses (Delivered, Submitted, ...) included"
        )
    if summary.first is not None and summary.last is not None:
        none = f" ({summary.untimed:,} without a time)" if summary.untimed else ""
        span = f"{rfc3339(summary.first)} to {rfc3339(summary.last)}"
        lines += _wrap(f"Errors from {span}{none}")
    return lines


def render(summary: Summary, cat: catalog.Catalog, top: int = TOP_CODES) -> str:
    totals = summary.totals()
    errors = totals.errors
    lines = _head(summary, totals)
    add = lines.append
    if not errors:
        add("No vendor errors found." if not summary.left_out else "No vendor errors selected.")
        return "\n".join(lines) + "\n"
    transient = sum(totals.transient_by_vendor.values())
    add(
        f"Transient (may succeed if retried): {transient:,} of {errors:,} "
        f"({_percent(transient, errors)})"
    )
    add("")
    add(f"{'VENDOR':<14}{'ERRORS':>8}{'SHARE':>8}{'TRANSIENT':>11}")
    for vendor, count in totals.by_vendor.most_common():
        add(
            f"{vendor:<14}{count:>8,}{_percent(count, errors):>8}"
            f"{_percent(totals.transient_by_vendor[vendor], count):>11}"
        )
    if totals.by_service:
        lines += _services(summary, totals)
    add("")
    add(f"{'CATEGORY':<20}{'ERRORS':>8}{'SHARE':>8}    {'SEVERITY':<10}{'ERRORS':>8}")
    categories = totals.by_category.most_common()
    severities = [
        (s, totals.by_severity[s])
        for s in ("critical", "error", "warning", "info")
        if totals.by_severity[s]
    ]
    for row in range(max(len(categories), len(severities))):
        left = " " * 36
        if row < len(categories):
            name, count = categories[row]
            left = f"{name:<20}{count:>8,}{_percent(count, errors):>8}"
        right = ""
        if row < len(severities):
            right = f"    {severities[row][0]:<10}{severities[row][1]:>8,}"
        add((left + right).rstrip())
    add("")
    lines += _top_codes(summary, totals, cat, top)
    return "\n".join(lines) + "\n"


def _services(summary: Summary, totals: Totals) -> list[str]:
    """Errors by the service that logged them (events carry `service` when records say it)."""
    lines = ["", f"{'SERVICE':<24}{'ERRORS':>8}{'SHARE':>8}{'TRANSIENT':>11}  VENDORS"]
    rows = totals.by_service.most_common()
    unnamed = totals.errors - sum(totals.by_service.values())
    unnamed_transient = sum(totals.transient_by_vendor.values()) - sum(
        totals.transient_by_service.values()
    )
    shown = rows[:TOP_SERVICES]
    for service, count in shown:
        vendors = _counts(totals.vendors_by_service[service])
        lines.append(
            f"{_clip(service, 23):<24}{count:>8,}{_percent(count, totals.errors):>8}"
            f"{_percent(totals.transient_by_service[service], count):>11}  "
            f"{_clip(vendors, WIDTH - 53)}"
        )
    if len(rows) > len(shown):
        rest = sum(count for _, count in rows[len(shown) :])
        lines.append(f"... {len(rows) - len(shown):,} more services: {rest:,} errors")
    if unnamed:
        lines.append(
            f"{NO_SERVICE:<24}{unnamed:>8,}{_percent(unnamed, totals.errors):>8}"
            f"{_percent(unnamed_transient, unnamed):>11}"
        )
    return lines


def _counts(counter: Counter[str], most: int = 3) -> str:
    top = counter.most_common(most)
    more = len(counter) - len(top)
    return ", ".join(f"{_clip(name, 24)} {count:,}" for name, count in top) + (
        f", +{more} more" if more > 0 else ""
    )


def _top_codes(summary: Summary, totals: Totals, cat: catalog.Catalog, top: int) -> list[str]:
    kinds = summary.by_kind.most_common(top)
    distinct = len(totals.by_code)
    lines = [
        f"TOP CODES ({len(kinds)} of {distinct:,} distinct)"
        if distinct > len(kinds)
        else f"CODES ({distinct:,})",
        f"{'COUNT':>7}  {'VENDOR':<13}{'CODE (CHANNEL)':<26}{'CATEGORY':<18}{'SEVERITY':<9}RETRY",
    ]
    for key, count in kinds:
        vendor, code, channel, category, severity, is_transient = key
        event = summary.samples[key]
        entry = cat.lookup(vendor, code, channel, event["http_status"], event["message"])
        named = f"{code} ({channel})" if channel else code
        lines.append(
            f"{count:>7,}  {vendor:<13}{_clip(named, 25):<26}{_clip(category, 17):<18}"
            f"{severity:<9}{'yes' if is_transient else 'no'}"
        )
        message = ("" if event["known"] else "[not in the catalog] ") + event["message"]
        lines += _wrap(message, INDENT)
        lines += _wrap(entry.remediation, INDENT + "-> ", INDENT + "   ", lines=3)
        services = totals.services_by_kind.get(key)
        if services:
            lines += _wrap(f"services: {_counts(services)}", INDENT, lines=1)
    return lines
