"""The data-file schema (pydantic), and errors that name the file, the entry and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from vendor_errors.catalog.model import CATEGORIES, CHANNELS, SEVERITIES, VENDORS

Vendor = Literal[VENDORS]  # type: ignore[valid-type]
Category = Literal[CATEGORIES]  # type: ignore[valid-type]
Severity = Literal[SEVERITIES]  # type: ignore[valid-type]
Channel = Literal[CHANNELS]  # type: ignore[valid-type]
HttpStatus = Annotated[int, Field(ge=100, le=599)]


class CatalogError(ValueError):
    """A data or overlay file is wrong; the message names the file, the entry and the field."""


def _code_is_text(value: Any) -> Any:
    # YAML reads 7302 as an int; codes are strings everywhere else, so insist on quotes
    # rather than guess (a leading zero or "1e3" would be silently mangled).
    if not isinstance(value, str):
        raise ValueError(f'write the code as a quoted string, e.g. code: "{value}"')
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class EntryModel(_Strict):
    code: Annotated[str, Field(min_length=1, max_length=64)]
    message: Annotated[str, Field(min_length=1)]
    category: Category
    severity: Severity
    transient: bool
    remediation: Annotated[str, Field(min_length=1)]
    http_status: HttpStatus | None = None
    also: tuple[str, ...] = ()
    details: str | None = None
    note: str | None = None

    _code = field_validator("code", mode="before")(_code_is_text)


class TableModel(_Strict):
    table: Annotated[str, Field(min_length=1)]
    channel: Channel | None = None
    # A shared table's codes apply to every channel of the vendor (Webex Contact Policy).
    shared: bool = False
    entries: list[EntryModel]

    @model_validator(mode="after")
    def _codes_unique(self) -> TableModel:
        seen: set[str] = set()
        for index, entry in enumerate(self.entries):
            if entry.code in seen:
                raise ValueError(
                    f"entry {index} (code {entry.code!r}) repeats a code of this table; "
                    "put the other wording in `also`"
                )
            seen.add(entry.code)
        return self


class RangeModel(_Strict):
    table: Annotated[str, Field(min_length=1)]
    channel: Channel | None = None
    from_: Annotated[int, Field(alias="from", ge=0)]
    to: Annotated[int, Field(ge=0)]
    message: Annotated[str, Field(min_length=1)]
    category: Category
    severity: Severity
    transient: bool
    remediation: Annotated[str, Field(min_length=1)]
    details: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> RangeModel:
        if self.to < self.from_:
            raise ValueError(f"range 'to' ({self.to}) is below 'from' ({self.from_})")
        return self


class VendorFileModel(_Strict):
    vendor: Vendor
    document: Annotated[str, Field(min_length=1)]
    title: str = ""
    tables: list[TableModel]
    ranges: list[RangeModel] = []


class HttpFileModel(_Strict):
    """`http.yaml`: generic `http_<status>` entries for vendors whose file lacks its own."""

    document: str
    table: str
    entries: list[EntryModel]


class OverlayEntryModel(_Strict):
    vendor: Vendor
    channel: Channel | None = None
    code: Annotated[str, Field(min_length=1, max_length=64)]
    message: str | None = None
    category: Category | None = None
    severity: Severity | None = None
    transient: bool | None = None
    remediation: str | None = None
    http_status: HttpStatus | None = None
    note: str | None = None

    _code = field_validator("code", mode="before")(_code_is_text)


class OverlayFileModel(_Strict):
    entries: list[OverlayEntryModel]


def _describe(data: Any, loc: tuple[int | str, ...]) -> str:
    """Turn a pydantic location into words: table 'SMS' entry 3 (code '7302') field 'category'."""
    words: list[str] = []
    node = data
    for part in loc:
        child = None
        if isinstance(node, dict):
            child = node.get(part if part != "from_" else "from")
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            child = node[part]
        if isinstance(part, int) and isinstance(child, dict):
            label = child.get("table") if "entries" in child else child.get("code")
            kind = "table" if "entries" in child else "entry"
            words.append(f"{kind} {part}" + (f" ({label!r})" if label is not None else ""))
        elif isinstance(part, str) and part not in {"tables", "entries", "ranges"}:
            words.append(f"field {'from' if part == 'from_' else part!r}")
        elif part == "ranges":
            words.append("ranges")
        node = child
    return " ".join(words) or "top level"


def validate(model: type[BaseModel], data: Any, path: Path | str) -> Any:
    """Validate one loaded YAML document, raising CatalogError with every problem listed."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{path}: {_describe(data, tuple(err['loc']))}: {err['msg']}" for err in exc.errors()
        ]
        raise CatalogError("\n".join(problems)) from None
