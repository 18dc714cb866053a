"""What a repeated line's result is made of: constants, and fields filled from its tokens.

parsers.fast.repeats analyses a line twice with two sets of stand-ins for its tokens;
`derive` compares the two results. A field equal in both is a constant of the line. A field
that differs must be explained by the stand-ins: the event's time read from one time token
(`record_time`, as the general path reads it), or a string holding stand-ins (each as spelled,
or in lower case, as trace ids are read) at the same places between the same text, in the
fields that copy ids: the event's message, trace, span and correlation ids, the finding's URL
and server address. Anything else that differs means the line's tokens are more than copied:
no recipe. A recipe applied to a record's own tokens gives its result (`Recipe.apply`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from vendor_errors.parsers.decoding.times import clock, rfc3339
from vendor_errors.parsers.result import Finding, Origin, Outcome, Result

# The fields a token may be copied into.
COPIED = frozenset({"message", "trace_id", "span_id", "correlation_id"})

# A field's value from tokens: literal text and (token index, lower case?) in turn.
Pieces = tuple[str | tuple[int, bool], ...]
Times = list[tuple[str, int] | None]


class _Finding:
    __slots__ = ("base", "copied", "flags", "method", "nanos", "now", "server", "time", "url")

    def __init__(self, found: Finding) -> None:
        self.base: dict[str, Any] = dict(found.event)
        # Event fields filled from tokens: a token's index when it is the field as it is.
        self.copied: list[tuple[str, Pieces | int]] = []
        self.time: int | None = None  # the token the event's time is read from
        self.now = False  # no time of the record: the time it is analysed
        self.nanos = found.time_unix_nano
        self.url: str | Pieces | None = found.url
        self.server: str | Pieces | None = found.server_address
        self.method = found.http_method
        self.flags = found.trace_flags


class Recipe:
    """A line's result, for any record of the line."""

    __slots__ = ("findings", "outcome")

    def __init__(self, outcome: Outcome, findings: list[_Finding]) -> None:
        self.outcome = outcome
        self.findings = findings

    def apply(self, tokens: Sequence[str], times: Times, source: Origin) -> Result:
        findings: list[Finding] = []
        stamp: str | None = None
        for recipe in self.findings:
            event: Any = recipe.base.copy()
            event["source"] = source
            nanos = recipe.nanos
            if recipe.time is not None:
                event["timestamp"], nanos = times[recipe.time]  # type: ignore[misc]
            elif recipe.now:
                if stamp is None:
                    stamp = rfc3339(datetime.now(UTC))  # as the general path stamps it
                event["timestamp"] = stamp
            for key, pieces in recipe.copied:
                event[key] = tokens[pieces] if pieces.__class__ is int else _fill(pieces, tokens)  # type: ignore[index,arg-type]
            url, server = recipe.url, recipe.server
            findings.append(
                Finding(
                    event,
                    url if url is None or url.__class__ is str else _fill(url, tokens),  # type: ignore[arg-type]
                    server if server is None or server.__class__ is str else _fill(server, tokens),  # type: ignore[arg-type]
                    recipe.method,
                    nanos,
                    recipe.flags,
                )
            )
        return Result(self.outcome, findings)

    def gives(self, tokens: Sequence[str], times: Times, result: Result) -> bool:
        """The recipe, applied to a record's tokens, gives the record's own result."""
        if result.outcome != self.outcome or result.reason is not None:
            return False
        source = result.findings[0].event["source"] if result.findings else {"file": "", "line": 0}
        made = self.apply(tokens, times, source)
        if len(made.findings) != len(result.findings):
            return False
        for mine, theirs in zip(made.findings, result.findings, strict=True):
            event, expected = dict(mine.event), dict(theirs.event)
            if mine.time_unix_nano is None and theirs.time_unix_nano is None:
                event["timestamp"] = expected["timestamp"]  # "now": a moment apart
            if list(event.items()) != list(expected.items()):
                return False
            if (mine.url, mine.server_address, mine.http_method, mine.time_unix_nano) != (
                theirs.url,
                theirs.server_address,
                theirs.http_method,
                theirs.time_unix_nano,
            ) or mine.trace_flags != theirs.trace_flags:
                return False
        return True


def derive(
    first: Result,
    first_tokens: list[str],
    second: Result,
    second_tokens: list[str],
    times: list[int],
) -> Recipe | None:
    """The recipe of a line from its results with two sets of stand-ins, if they differ only
    where the stand-ins explain it."""
    if first.outcome != second.outcome or first.reason is not None or second.reason is not None:
        return None
    if len(first.findings) != len(second.findings) or not first.findings:
        return None
    recipes = []
    for one, other in zip(first.findings, second.findings, strict=True):
        recipe = _Finding(one)
        a, b = one.event, other.event
        if list(a) != list(b):
            return None
        for key, value in a.items():
            theirs = b[key]  # type: ignore[literal-required]
            if key == "source":
                continue
            if key == "timestamp":
                if one.time_unix_nano is None and other.time_unix_nano is None:
                    recipe.now = True
                elif value != theirs or one.time_unix_nano != other.time_unix_nano:
                    recipe.time = _time_token(
                        (value, one.time_unix_nano),
                        (theirs, other.time_unix_nano),
                        first_tokens,
                        second_tokens,
                        times,
                    )
                    if recipe.time is None:
                        return None
                continue
            if value == theirs and value.__class__ is theirs.__class__:
                continue
            if key not in COPIED:
                return None
            pieces = _same_pieces(value, first_tokens, theirs, second_tokens)
            if pieces is None:
                return None
            whole = pieces[0]
            if len(pieces) == 1 and isinstance(whole, tuple) and not whole[1]:
                recipe.copied.append((key, whole[0]))  # one token as it is: no _fill
            else:
                recipe.copied.append((key, pieces))
        if (one.http_method, one.trace_flags) != (other.http_method, other.trace_flags):
            return None
        for name in ("url", "server"):
            mine = getattr(one, "url" if name == "url" else "server_address")
            theirs = getattr(other, "url" if name == "url" else "server_address")
            if mine != theirs:
                pieces = _same_pieces(mine, first_tokens, theirs, second_tokens)
                if pieces is None:
                    return None
                setattr(recipe, name, pieces)
        recipes.append(recipe)
    return Recipe(first.outcome, recipes)


def _time_token(
    one: tuple[Any, int | None],
    other: tuple[Any, int | None],
    first_tokens: list[str],
    second_tokens: list[str],
    times: list[int],
) -> int | None:
    for index in times:
        if clock(first_tokens[index]) == one and clock(second_tokens[index]) == other:
            return index
    return None


def _same_pieces(one: Any, first: list[str], other: Any, second: list[str]) -> Pieces | None:
    if one.__class__ is not str or other.__class__ is not str:
        return None
    mine = pieces_of(one, first)
    if mine is None or mine != pieces_of(other, second):
        return None
    return mine


def pieces_of(value: str, tokens: list[str]) -> Pieces | None:
    """`value` as text and tokens (None when it holds none)."""
    forms: dict[str, tuple[int, bool]] = {}
    for index, token in enumerate(tokens):
        forms.setdefault(token, (index, False))
        forms.setdefault(token.lower(), (index, True))
    found: list[tuple[int, int, tuple[int, bool]]] = []
    for form, ref in sorted(forms.items(), key=lambda item: -len(item[0])):
        start = value.find(form)
        while start >= 0:
            end = start + len(form)
            if not any(
                start < their_end and their_start < end for their_start, their_end, _ in found
            ):
                found.append((start, end, ref))
            start = value.find(form, end)
    if not found:
        return None
    found.sort()
    pieces: list[str | tuple[int, bool]] = []
    position = 0
    for start, end, ref in found:
        if start > position:
            pieces.append(value[position:start])
        pieces.append(ref)
        position = end
    if position < len(value):
        pieces.append(value[position:])
    return tuple(pieces)


def _fill(pieces: Pieces, tokens: Sequence[str]) -> str:
    out = []
    for piece in pieces:
        if isinstance(piece, str):
            out.append(piece)
        else:
            index, lower = piece
            out.append(tokens[index].lower() if lower else tokens[index])
    return "".join(out)
