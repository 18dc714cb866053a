"""A vendor is one data block and one module: docs/parsing.md's worked example, run as written.

The example's data file and recogniser module are read out of docs/parsing.md ("Adding a
vendor"), put next to the shipped data and on the import path, and the extractor built on
that catalog finds the new vendor's errors by its host, its body shape, its header, its name
in a logger and its alias; the shipped catalog finds none of them.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from vendor_errors import catalog
from vendor_errors.catalog import CatalogError, rules
from vendor_errors.catalog.loader import DATA_DIR
from vendor_errors.parsers import Extractor
from vendor_errors.parsers.fast.prefilter import Needles
from vendor_errors.parsers.recognisers.registry import Registry

DOC = Path(__file__).resolve().parents[2] / "docs" / "parsing.md"
PACKAGE = "acme_sms_from_the_docs"
MODULE = f"{PACKAGE}.acme_sms"  # a dotted name: a module outside parsers/recognisers/


def _example() -> tuple[str, str]:
    """The YAML and Python blocks of the docs' "Adding a vendor" section."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Adding a vendor") :]
    section = section[: section.index("\n## ", 1)]
    (data,) = re.findall(r"```yaml\n(.*?)```", section, re.S)
    (module,) = re.findall(r"```python\n(.*?)```", section, re.S)
    return data, module


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data, module = _example()
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    # The docs' module would live in parsers/recognisers/; here it is a module of its own.
    assert "recogniser: acme_sms " in data
    (target / "acmesms.yaml").write_text(data.replace("acme_sms ", f"{MODULE} ", 1))
    (tmp_path / PACKAGE).mkdir()
    (tmp_path / PACKAGE / "__init__.py").write_text("")
    (tmp_path / PACKAGE / "acme_sms.py").write_text(module)
    monkeypatch.syspath_prepend(str(tmp_path))
    return target


RECORDS = {
    "host": b'{"level":"error","url":"https://api.acmesms.example/v1/send","status":404,'
    b'"body":{"fault":{"code":"AS-101","text":"Unknown destination","ref":"r-1"}}}',
    "shape": b'{"level":"error","response":{"fault":{"code":"AS-429",'
    b'"text":"Throughput exceeded","ref":"r-2"}}}',
    "header": b'{"level":"warn","headers":{"X-Acme-Trace":"t-9"},"status":503,"msg":"send failed"}',
    "logger": b"2024-05-01 12:00:00,123 ERROR [com.shop.AcmeSmsClient] send failed: HTTP 429",
    "alias": b'{"vendor":"Acme","level":"error","body":{"code":"AS-101"}}',
}
EXPECTED = {
    "host": ("AS-101", "recipient", False, "r-1"),
    "shape": ("AS-429", "rate_limit", True, "r-2"),
    "header": ("http_503", "unavailable", True, "t-9"),
    "logger": ("http_429", "rate_limit", True, None),
    "alias": ("AS-101", "recipient", False, None),
}


def _found(extractor: Extractor, raw: bytes) -> list[tuple[Any, ...]]:
    findings = extractor.extract(raw, {"file": "acme.log", "line": 1}).findings
    return [
        (
            f.event["vendor"],
            f.event["code"],
            f.event["category"],
            f.event["transient"],
            f.event["correlation_id"],
        )
        for f in findings
    ]


def test_the_new_vendor_is_loaded_and_registered(data_dir: Path) -> None:
    loaded = catalog.load(data_dir=data_dir)
    assert [info.vendor for info in loaded.vendors][-1] == "acmesms"  # after the contract's
    assert loaded.lookup("acmesms", "AS-429").transient is True
    assert loaded.lookup("acmesms", "http_503").known  # the generic HTTP entries come along
    assert rules.problems(loaded) == []
    registry = Registry.build(loaded.vendors)
    assert registry.vendors[-1] == "acmesms"
    assert registry.directory.vendor_of_host("eu.acmesms.example") == "acmesms"
    assert {"cmesms", "acme-trace"} <= set(Needles(loaded.vendors).needles)


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_the_extractor_finds_the_new_vendors_errors(data_dir: Path, name: str) -> None:
    extractor = Extractor(catalog.load(data_dir=data_dir))
    assert _found(extractor, RECORDS[name]) == [("acmesms", *EXPECTED[name])]
    # The batch entry point, too.
    _quiet, noted = extractor.extract_many(
        [b'{"msg":"ok"}', RECORDS[name]], lambda i: {"file": "acme.log", "line": i}
    )
    assert [index for index, _ in noted] == [1]


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_the_shipped_catalog_knows_no_such_vendor(name: str) -> None:
    assert all(found[0] != "acmesms" for found in _found(Extractor(catalog.load()), RECORDS[name]))


def test_a_block_naming_a_missing_module_fails_at_start_up(data_dir: Path) -> None:
    path = data_dir / "acmesms.yaml"
    path.write_text(path.read_text().replace(MODULE, "no_such_recogniser"))
    with pytest.raises(CatalogError, match=r"acmesms\.yaml: recognition\.recogniser: cannot"):
        Extractor(catalog.load(data_dir=data_dir))


def test_a_block_the_prefilter_does_not_cover_is_rejected(data_dir: Path) -> None:
    path = data_dir / "acmesms.yaml"
    path.write_text(path.read_text().replace("[cmesms, cmeSms, CMESMS]", "[cmesms]"))
    with pytest.raises(CatalogError, match="prefilter misses name 'acmesms' spelled 'ACMESMS'"):
        catalog.load(data_dir=data_dir)


def test_two_vendors_claiming_one_host_are_rejected(data_dir: Path) -> None:
    path = data_dir / "acmesms.yaml"
    path.write_text(path.read_text().replace("hosts: [acmesms.example]", "hosts: [sms.8x8.com]"))
    with pytest.raises(CatalogError, match=r"host 'sms\.8x8\.com' overlaps 8x8's host '8x8\.com'"):
        catalog.load(data_dir=data_dir)


def test_a_header_every_log_may_have_is_no_vendors(data_dir: Path) -> None:
    path = data_dir / "acmesms.yaml"
    text = path.read_text().replace("correlation: [X-Acme-Trace]", "correlation: [X-Request-Id]")
    spellings = "[request-id, Request-Id, REQUEST-ID]"
    path.write_text(text.replace("[acme-trace, Acme-Trace, ACME-TRACE]", spellings))
    with pytest.raises(CatalogError, match=r"'X-Request-Id' is a field every log may have"):
        Extractor(catalog.load(data_dir=data_dir))
