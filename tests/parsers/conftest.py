from __future__ import annotations

import pytest
from vendor_errors import catalog
from vendor_errors.parsers.extract import Extractor


@pytest.fixture(scope="session")
def shipped_catalog() -> catalog.Catalog:
    return catalog.load()


@pytest.fixture(scope="session")
def extractor(shipped_catalog: catalog.Catalog) -> Extractor:
    return Extractor(shipped_catalog)
