"""An envelope's vendor errors: recognised, attributed, judged by the catalog, made events.

For each candidate body of the envelope, in order: the vendor is decided by attribution
(parsers/attribution.py) from the record's fields, else from the shapes the recognisers find
in the body and what follows; that vendor's recogniser reads the error; the catalog judges it
(`verdict`, parsers.enrichment.verdict.judge or its memo); the event is built. A failed call
with no body of its own (a status of 400 or more) gives an `http_<status>` event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vendor_errors.parsers.attribution import CodeIndex, attribute_record, by_body, by_fields
from vendor_errors.parsers.decoding.context import Envelope
from vendor_errors.parsers.decoding.values import ERROR_LEVELS, is_library_code
from vendor_errors.parsers.enrichment.events import event_time, finding
from vendor_errors.parsers.enrichment.verdict import Verdict
from vendor_errors.parsers.recognisers.base import Reading
from vendor_errors.parsers.recognisers.registry import Registry
from vendor_errors.parsers.result import Finding, Origin, Result

# judge(catalog, include_status, ...) without its first two arguments (or its memo).
VerdictOf = Callable[
    [str, str | None, int | None, str | None, str | None, bool, bool], Verdict | None
]


class Findings:
    """The findings of envelopes, for one registry, catalog and verdict function."""

    __slots__ = ("_directory", "_index", "_registry", "_verdict")

    def __init__(self, registry: Registry, index: CodeIndex, verdict: VerdictOf) -> None:
        self._registry = registry
        self._directory = registry.directory
        self._index = index
        self._verdict = verdict

    def of(self, env: Envelope, source: Origin) -> Result:
        registry = self._registry
        findings: list[Finding] = []
        seen: dict[tuple[Any, ...], int] = {}
        vendors_seen: set[str] = set()
        when: tuple[str, int | None] | None = None
        asked = False
        decided: str | None = None
        choice: frozenset[str] | None = None
        for candidate in env.candidates:
            if candidate.origin == "request" and env.host_vendors:
                continue  # a body the record shows being sent to a vendor: not its answer
            if candidate.origin == "prose" and not _failed(env):
                continue  # "error code 30011" in the text of a call that went well
            if not asked:  # the record's fields: the same answer for every body
                decided, choice = by_fields(env)
                asked = True
            vendor = decided
            if vendor is None:
                shapes = registry.shapes(candidate)
                vendor = by_body(env, choice, shapes, candidate.body, self._index, self._directory)
                if vendor is None:
                    continue
            reading = registry.read(vendor, candidate)
            code = reading.code
            if (
                code is not None
                and is_library_code(code)
                and vendor not in self._index.listing(code)
            ):
                # The HTTP client's own code (ECONNRESET, ERR_BAD_REQUEST): no vendor's body.
                continue
            vendors_seen.add(vendor)
            when = when or event_time(env)
            found = self._finding(env, vendor, reading, source, when)
            if found is None:
                continue
            event = found.event
            key = (vendor, event["code"], event["channel"], event["message"])
            group = seen.setdefault(key, candidate.group)
            if group != candidate.group:
                continue  # the same body read twice (a field and its copy in the message)
            findings.append(found)
        if (
            env.status is not None
            and env.status >= 400
            # A failed call with no body of its own: only for a vendor no body was read for.
            and not (
                vendors_seen
                and vendors_seen.issuperset(env.explicit_vendors)
                and vendors_seen.issuperset(env.host_vendors)
                and vendors_seen.issuperset(env.header_vendors)
            )
        ):
            vendor = attribute_record(env, self._directory)
            if vendor is not None and vendor not in vendors_seen:
                reading = Reading(code=None, http_status=env.status)
                when = when or event_time(env)
                found = self._finding(env, vendor, reading, source, when)
                if found is not None:
                    findings.append(found)
        for found in findings:
            if found.event["category"] != "status":
                return Result("error_found", findings)
        return Result("no_error", findings)

    def _finding(
        self,
        env: Envelope,
        vendor: str,
        reading: Reading,
        source: Origin,
        when: tuple[str, int | None],
    ) -> Finding | None:
        channel = self._registry.channel(vendor, reading.channel, env.channel, reading.code)
        verdict = self._verdict(
            vendor,
            reading.code,
            reading.http_status or env.status,
            channel or reading.table,
            reading.message,
            reading.error_hint,
            env.level is not None and env.level in ERROR_LEVELS,
        )
        if verdict is None:
            return None
        if channel is None and verdict.channel is not None:
            verdict = verdict._replace(channel=None)  # read in a table, on no channel
        return finding(env, vendor, reading, verdict, source, when)


_WARNING_LEVELS = ERROR_LEVELS | {"warn", "warning", "wrn"}


def _failed(env: Envelope) -> bool:
    """The record says something failed: an HTTP status of 400 or more, or a warning or error
    level."""
    return (env.status is not None and env.status >= 400) or (
        env.level is not None and env.level in _WARNING_LEVELS
    )
