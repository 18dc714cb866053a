"""Every documented example renders: each `helm install` command and each YAML values block of
the chart's README and of the project README's "Deploy with Helm" section, each example in the
`# --` comments of values.yaml, and every alert name the docs mention exists.

Convention there: a ```yaml block is a values file; other YAML goes in ```text blocks."""

from __future__ import annotations

import importlib.util
import re
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.dashboards.dashboard_queries import rules
from tests.support.helm import CHART, ROOT, Helm

pytestmark = pytest.mark.helm

HELM_COMMANDS = ("install", "upgrade", "template")


def helm_section(path: Path) -> str:
    """The part of the project README about the chart (other sections hold other YAML)."""
    text = path.read_text(encoding="utf-8")
    section = re.search(r"^## Deploy with Helm\n(.*?)(?=^## )", text, re.DOTALL | re.MULTILINE)
    assert section, f"{path}: no '## Deploy with Helm' section"
    return section.group(1)


DOCUMENTS = {
    "helm/vendor-errors/README.md": (CHART / "README.md").read_text(encoding="utf-8"),
    "README.md#deploy-with-helm": helm_section(ROOT / "README.md"),
}


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.DOTALL)


def helm_commands(text: str) -> list[list[str]]:
    """`helm install|upgrade|template` commands of the shell blocks, continuations joined."""
    commands = []
    for block in code_blocks(text, "sh") + code_blocks(text, "console"):
        text = re.sub(r"\\\n\s*", " ", block)
        for line in text.splitlines():
            line = line.strip().removeprefix("$ ")
            if not line.startswith("helm "):
                continue
            words = shlex.split(line)
            if len(words) > 2 and words[0] == "helm" and words[1] in HELM_COMMANDS:
                commands.append(words)
    return commands


def as_template_args(words: list[str]) -> list[str]:
    """The flags of an install command, for `helm template` against this checkout's chart."""
    rest = [w for w in words[2:] if w not in ("--install", "--wait", "--create-namespace")]
    positional = [w for w in rest if not w.startswith("-")][:2]
    assert len(positional) == 2 and positional[1].endswith("helm/vendor-errors"), words
    flags = list(rest)
    for word in positional:
        flags.remove(word)
    return flags


EXAMPLE_COMMANDS = [
    (f"{name}:helm{index}", words)
    for name, text in DOCUMENTS.items()
    for index, words in enumerate(helm_commands(text))
]
EXAMPLE_VALUES = [
    (f"{name}:yaml{index}", block)
    for name, text in DOCUMENTS.items()
    for index, block in enumerate(code_blocks(text, "yaml"))
]


def test_the_readmes_have_examples() -> None:
    for name in DOCUMENTS:
        assert [c for c in EXAMPLE_COMMANDS if c[0].startswith(name)], name
    assert len(EXAMPLE_VALUES) >= 3


@pytest.mark.parametrize(("where", "words"), EXAMPLE_COMMANDS, ids=[c[0] for c in EXAMPLE_COMMANDS])
def test_readme_helm_command_renders(helm: Helm, where: str, words: list[str]) -> None:
    manifests = helm.template(extra_args=as_template_args(words))
    assert any(doc["kind"] == "Deployment" for doc in manifests)


@pytest.mark.parametrize(("where", "block"), EXAMPLE_VALUES, ids=[v[0] for v in EXAMPLE_VALUES])
def test_readme_values_block_renders(helm: Helm, tmp_path: Path, where: str, block: str) -> None:
    values = tmp_path / "values.yaml"
    values.write_text(block, encoding="utf-8")
    manifests = helm.template(values_files=[values])
    kinds = {doc["kind"] for doc in manifests}
    # An example that turns something on shows it.
    document = yaml.safe_load(block)
    if document.get("prometheusRule", {}).get("enabled"):
        assert "PrometheusRule" in kinds
    if document.get("networkPolicy", {}).get("enabled"):
        assert "NetworkPolicy" in kinds


def values_comment_examples() -> list[tuple[str, Any]]:
    """(key, example) for each `...` in a `# --` comment that is YAML of the key's kind (a
    mapping for a mapping, a list for a list): the examples a reader would paste."""
    spec = importlib.util.spec_from_file_location("values_table", ROOT / "helm" / "values-table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["values_table"] = module
    spec.loader.exec_module(module)
    text = (CHART / "values.yaml").read_text(encoding="utf-8")
    defaults = yaml.safe_load(text)
    found = []
    for key, description in module.documented_keys(text).items():
        default = module.lookup(defaults, key)
        for snippet in re.findall(r"`([^`]+)`", description):
            try:
                example = yaml.safe_load(snippet)
            except yaml.YAMLError:
                continue
            if isinstance(default, dict | list) and type(example) is type(default) and example:
                found.append((key, example))
    return found


COMMENT_EXAMPLES = values_comment_examples()


def test_values_comments_have_examples() -> None:
    keys = {key for key, _ in COMMENT_EXAMPLES}
    assert {"prometheusRule.disabled", "imagePullSecrets", "keda.fallback"} <= keys


@pytest.mark.parametrize(
    ("key", "example"), COMMENT_EXAMPLES, ids=[key for key, _ in COMMENT_EXAMPLES]
)
def test_values_comment_example_renders(helm: Helm, key: str, example: Any) -> None:
    values: dict[str, Any] = {}
    node = values
    *parents, leaf = key.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = example
    # Turn the feature on where the example only matters then.
    section = key.split(".")[0]
    if section in ("prometheusRule", "keda", "networkPolicy", "serviceMonitor", "dashboards"):
        values[section]["enabled"] = True
    helm.template(values)


ALERT_NAME = re.compile(r"\bVendorErrors[A-Z]\w+")


def test_docs_name_only_existing_alerts() -> None:
    alerts = {rule["alert"] for rule in rules() if "alert" in rule}
    documents = [
        CHART / "README.md",
        CHART / "values.yaml",
        CHART / "templates" / "NOTES.txt",
        ROOT / "README.md",
        *sorted((ROOT / "docs").rglob("*.md")),
    ]
    for document in documents:
        named = set(ALERT_NAME.findall(document.read_text(encoding="utf-8")))
        assert named <= alerts, (document.relative_to(ROOT), named - alerts)
