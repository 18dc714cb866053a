"""Fixtures for the chart tests: a pinned helm (built once, cached) and rendered value sets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helm.manifests import Manifests, values_file
from tests.support.helm import BUILD_TIMEOUT_SECONDS, Helm, helm_binary


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Whichever helm test runs first pays for building helm (minutes, once per machine).
    here = Path(__file__).parent
    for item in items:
        if here not in item.path.parents or not item.get_closest_marker("helm"):
            continue
        if not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(BUILD_TIMEOUT_SECONDS + 120))


@pytest.fixture(scope="session")
def helm(tmp_path_factory: pytest.TempPathFactory) -> Helm:
    return Helm(helm_binary(), tmp_path_factory.mktemp("helm-home"))


@pytest.fixture(scope="session")
def render(helm: Helm) -> Callable[[str], Manifests]:
    """Render a value set of ci/ once per session."""
    cache: dict[str, Manifests] = {}

    def rendered(name: str) -> Manifests:
        if name not in cache:
            cache[name] = helm.template(values_files=[values_file(name)])
        return cache[name]

    return rendered
