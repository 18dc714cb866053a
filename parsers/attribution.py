"""Which vendor an error belongs to, from several signals in a fixed order of precedence.

1. explicit fields: `vendor`, `provider`, `integration`, logger/caller/component names;
2. URL hosts: a vendor's domains (`*.8x8.com`, `*.webexconnect.io`, ...);
3. vendor headers: `x-ms-correlation-id` (Dynamics 365), `Sforce-Limit-Info` (Salesforce);
   (names, hosts and headers are the vendors' `recognition` data, catalog/data/<vendor>.yaml,
   looked up by parsers.decoding.directory while the envelope is read);
4. body shape: a vendor's distinctive error body (parsers/recognisers/*.py, `shape`);
5. the vendor named in the record's free text, as a whole word;
6. code ranges: the code is listed by exactly one vendor's catalog - and, when no other signal
   narrowed the choice, the body's message agrees with that vendor's wording for the code.

The first level that names exactly one vendor decides. A level naming several vendors narrows
the choice to them and the next levels break the tie; if nothing breaks it, or no level names a
vendor, the error is not reported: no evidence, no guess.

Levels 1-3 read the envelope only (`by_fields`, once per record); levels 4-6 read the body
(`by_body`), given the vendors whose shape the recognisers found in it. Attribution asks
nothing back of the recognisers: the data flows one way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from vendor_errors.catalog import Catalog
from vendor_errors.parsers.decoding.context import Envelope
from vendor_errors.parsers.decoding.directory import Directory
from vendor_errors.parsers.recognisers.base import code_of, message_of

_WORD = re.compile(r"[a-z0-9]+")
# Words too common in error messages to show agreement.
_STOP = frozenset(
    {
        *("a", "an", "the", "is", "are", "was", "were", "be", "been", "not", "no", "of", "to"),
        *("for", "in", "on", "at", "or", "and", "with", "by", "this", "that", "it", "its"),
        *("isn", "t", "doesn", "don", "can", "cannot", "wasn"),
    }
)


def words(message: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(message.lower()) if w not in _STOP)


@dataclass(frozen=True, slots=True)
class CodeIndex:
    """Which vendors list each code, and their wordings: built once per catalog object."""

    vendors: dict[str, frozenset[str]]
    wordings: dict[tuple[str, str], tuple[frozenset[str], ...]]

    @classmethod
    def build(cls, catalog: Catalog) -> CodeIndex:
        vendors: dict[str, set[str]] = {}
        wordings: dict[tuple[str, str], list[frozenset[str]]] = {}
        for entry in catalog:
            if entry.code.startswith("http_"):
                continue
            vendors.setdefault(entry.code, set()).add(entry.vendor)
            wordings.setdefault((entry.vendor, entry.code), []).extend(
                words(text) for text in (entry.message, *entry.also)
            )
        return cls(
            {code: frozenset(found) for code, found in vendors.items()},
            {key: tuple(found) for key, found in wordings.items()},
        )

    def listing(self, code: str | None) -> frozenset[str]:
        """Vendors listing the code; 3-digit numbers are left out (they read as HTTP statuses)."""
        if code is None or (code.isdigit() and len(code) < 4):
            return frozenset()
        return self.vendors.get(code) or self.vendors.get(code.upper()) or frozenset()

    def agrees(self, vendor: str, code: str, message: str | None) -> bool:
        """The message says what the vendor's catalog says for this code."""
        if not message:
            return False
        said = words(message)
        if not said:
            return False
        for wording in self.wordings.get((vendor, code), ()):
            if not wording:
                continue
            common = len(said & wording)
            if common / len(said | wording) >= 0.5 or (
                common >= 2 and common >= 0.8 * min(len(said), len(wording))
            ):
                return True
        return False


def _narrow(choice: frozenset[str] | None, level: Iterable[str]) -> tuple[str | None, Any]:
    """(the vendor, if this level decides; the choice left)."""
    found = frozenset(level) if choice is None else choice.intersection(level)
    if len(found) == 1:
        return next(iter(found)), found
    return None, (found or choice)


def named_vendors(env: Envelope, directory: Directory) -> frozenset[str]:
    """Vendors named in the record's free text (read once, when attribution needs them)."""
    named = env.named
    if named is None:
        found: set[str] = set()
        for text in env.prose:
            found |= directory.vendors_in_text(text)
        named = env.named = frozenset(found)
    return named


def by_fields(env: Envelope) -> tuple[str | None, frozenset[str] | None]:
    """Levels 1-3, the same for every body of the record: (the vendor if they decide, the
    choice they leave; None when no level names a vendor)."""
    choice: frozenset[str] | None = None
    for level in (env.explicit_vendors, env.host_vendors, env.header_vendors):
        if level:
            if choice is None and len(level) == 1:  # the usual case: one vendor named
                return next(iter(level)), None
            vendor, choice = _narrow(choice, level)
            if vendor is not None:
                return vendor, choice
    return None, choice


def by_body(
    env: Envelope,
    choice: frozenset[str] | None,
    shapes: Sequence[str],
    body: dict[str, Any],
    index: CodeIndex,
    directory: Directory,
) -> str | None:
    """Levels 4-6 for one body, when the fields left `choice` (`by_fields`): the vendors whose
    shape the body has (`shapes`, from the recognisers), the vendors named in prose, the code
    ranges. None when the evidence is not there."""
    if shapes:
        vendor, choice = _narrow(choice, shapes)
        if vendor is not None:
            return vendor
    named = named_vendors(env, directory)
    if named:
        vendor, choice = _narrow(choice, named)
        if vendor is not None:
            return vendor
    code, message = code_of(body), message_of(body)
    listed = index.listing(code)
    if choice is None:
        agreeing = [v for v in listed if code is not None and index.agrees(v, code, message)]
        return agreeing[0] if len(agreeing) == 1 else None
    narrowed = choice & listed
    if len(narrowed) == 1:
        return next(iter(narrowed))
    if code is not None:
        agreeing = [v for v in (narrowed or choice) if index.agrees(v, code, message)]
        if len(agreeing) == 1:
            return agreeing[0]
    return None


def attribute_record(env: Envelope, directory: Directory) -> str | None:
    """The vendor of a failed call with no error body (an `http_<status>` event)."""
    vendor, choice = by_fields(env)
    if vendor is not None or not env.prose:
        return vendor
    if env.urls and not env.host_vendors:
        return None  # the status is of a call to a host of no vendor's; the name is context
    vendor, choice = _narrow(choice, named_vendors(env, directory))
    return vendor
