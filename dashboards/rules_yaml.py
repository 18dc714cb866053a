"""Prometheus rule groups as plain data, and the YAML text of a rule file: block scalars for
expressions, folded text for long annotations, the rule's explanation as a comment above it.
`as_dict` is what the text must load back to (a test holds the two equal)."""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass, field
from typing import Any

WIDTH = 100
_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._/:-]*$")


@dataclass(frozen=True)
class Record:
    name: str
    expr: str
    comment: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"record": self.name, "expr": self.expr + "\n"}


@dataclass(frozen=True)
class Alert:
    name: str
    expr: str
    severity: str
    summary: str
    description: str
    runbook_url: str
    duration: str = ""
    comment: str = ""
    labels: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        rule: dict[str, Any] = {"alert": self.name, "expr": self.expr + "\n"}
        if self.duration:
            rule["for"] = self.duration
        rule["labels"] = {"severity": self.severity, **self.labels}
        rule["annotations"] = {
            "summary": self.summary,
            "description": self.description,
            "runbook_url": self.runbook_url,
        }
        return rule


@dataclass(frozen=True)
class Group:
    name: str
    rules: list[Record | Alert]

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "rules": [rule.as_dict() for rule in self.rules]}


def _quoted(value: str) -> str:
    if _PLAIN.match(value) and ": " not in value and not value.endswith(":"):
        return value
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML double-quoted one


def _scalar(key: str, value: str, indent: int) -> list[str]:
    """`key: value` on one line when it fits, else folded (`>-`) over several lines."""
    pad = " " * indent
    line = f"{pad}{key}: {_quoted(value)}"
    foldable = " " in value and value == " ".join(value.split())
    if len(line) <= WIDTH or not foldable:
        return [line]
    wrapped = textwrap.wrap(
        value,
        width=WIDTH - indent - 2,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [f"{pad}{key}: >-", *(f"{pad}  {part}" for part in wrapped)]


def _comment(text: str, indent: int) -> list[str]:
    pad = " " * indent
    return [f"{pad}# {part}" for part in textwrap.wrap(text, width=WIDTH - indent - 2)]


def _block(key: str, text: str, indent: int) -> list[str]:
    pad = " " * indent
    return [f"{pad}{key}: |", *(f"{pad}  {line}".rstrip() for line in text.splitlines())]


def _rule(rule: Record | Alert) -> list[str]:
    lines = _comment(rule.comment, 6) if rule.comment else []
    if isinstance(rule, Record):
        return [*lines, f"      - record: {rule.name}", *_block("expr", rule.expr, 8)]
    lines += [f"      - alert: {rule.name}", *_block("expr", rule.expr, 8)]
    if rule.duration:
        lines.append(f"        for: {rule.duration}")
    lines.append("        labels:")
    for name, value in {"severity": rule.severity, **rule.labels}.items():
        lines.append(f"          {name}: {_quoted(value)}")
    lines.append("        annotations:")
    lines += _scalar("summary", rule.summary, 10)
    lines += _scalar("description", rule.description, 10)
    lines += _scalar("runbook_url", rule.runbook_url, 10)
    return lines


def render(groups: list[Group], header: str) -> str:
    lines = [f"# {line}".rstrip() for line in header.strip().splitlines()]
    lines.append("groups:")
    for index, group in enumerate(groups):
        if index:
            lines.append("")
        lines += [f"  - name: {group.name}", "    rules:"]
        for position, rule in enumerate(group.rules):
            if position and isinstance(rule, Alert):
                lines.append("")
            lines += _rule(rule)
    return "\n".join(lines) + "\n"
