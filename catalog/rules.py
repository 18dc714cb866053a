"""Consistency checks of the classification rules in catalog/README.md, run by `catalog lint`.

Schema validation (catalog/schema.py) proves each field is well-formed; these rules prove the
fields agree with each other. An entry that breaks a rule on purpose must say why in `note`.
"""

from __future__ import annotations

from collections.abc import Iterable

from vendor_errors.catalog.model import VENDORS, Entry

# Retrying the same request gives the same answer for these (README: "not transient").
NEVER_TRANSIENT = frozenset(
    {"authentication", "authorization", "validation", "not_found", "conflict",
     "payload_too_large", "unsupported", "configuration", "status"}
)  # fmt: skip
ALWAYS_TRANSIENT = frozenset({"rate_limit", "unavailable"})


def problems(entries: Iterable[Entry]) -> list[str]:
    found: list[str] = []
    vendors: set[str] = set()
    for entry in entries:
        vendors.add(entry.vendor)
        where = f"{entry.vendor} {entry.channel + ' ' if entry.channel else ''}{entry.code!r}"
        if entry.category == "status" and (entry.severity != "info" or entry.transient):
            found.append(f"{where}: a lifecycle status must be severity info, not transient")
        if entry.severity == "info" and entry.category != "status":
            found.append(f"{where}: severity info is for lifecycle statuses (category status)")
        if entry.note:
            continue  # a documented exception to the rules below
        if entry.transient and entry.category in NEVER_TRANSIENT:
            found.append(
                f"{where}: category {entry.category} is not transient by the rules; "
                "add a `note` if this code is an exception"
            )
        if not entry.transient and entry.category in ALWAYS_TRANSIENT:
            found.append(
                f"{where}: category {entry.category} is transient by the rules; "
                "add a `note` if this code is an exception"
            )
    missing = [vendor for vendor in VENDORS if vendor not in vendors]
    if missing:
        found.append(f"no catalog data for vendor(s): {', '.join(missing)}")
    return found
