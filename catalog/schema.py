"""The data-file schema (pydantic), and errors that name the file, the entry and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

# CatalogError lives in model.py, which the loader imports without pydantic; importing it from
# here still works.
from vendor_errors.catalog.model import CATEGORIES, CHANNELS, SEVERITIES, CatalogError

# A vendor slug: the contract's (catalog.model.VENDORS), or one a data file adds.
Vendor = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_]{0,31}$")]
Category = Literal[CATEGORIES]  # type: ignore[valid-type]
Severity = Literal[SEVERITIES]  # type: ignore[valid-type]
Channel = Literal[CHANNELS]  # type: ignore[valid-type]
HttpStatus = Annotated[int, Field(ge=100, le=599)]
# Where a code or a wording was published, when not in the seed document: a public https page.
Url = Annotated[str, Field(pattern=r"^https://[^\s/]+\.[^\s/]+/\S*$", max_length=500)]


def _code_is_text(value: Any) -> Any:
    # YAML reads 7302 as an int; codes are strings everywhere else, so insist on quotes
    # rather than guess (a leading zero or "1e3" would be silently mangled).
    if not isinstance(value, str):
        raise ValueError(f'write the code as a quoted string, e.g. code: "{value}"')
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class WordingModel(_Strict):
    """Another wording of a code, published on another page than the entry's own source."""

    text: Annotated[str, Field(min_length=1)]
    source_url: Url


class EntryModel(_Strict):
    code: Annotated[str, Field(min_length=1, max_length=64)]
    message: Annotated[str, Field(min_length=1)]
    category: Category
    severity: Severity
    transient: bool
    remediation: Annotated[str, Field(min_length=1)]
    http_status: HttpStatus | None = None
    also: tuple[str | WordingModel, ...] = ()
    details: str | None = None
    note: str | None = None
    # Only in tables with `seed: false`: the page of this code when not the table's page.
    source_url: Url | None = None

    _code = field_validator("code", mode="before")(_code_is_text)


class TableModel(_Strict):
    table: Annotated[str, Field(min_length=1)]
    channel: Channel | None = None
    # A shared table's codes apply to every channel of the vendor (Webex Contact Policy).
    shared: bool = False
    # False: the codes come from the vendor's public page `source_url`, not the seed document.
    seed: bool = True
    source_url: Url | None = None
    # Looked up only when the record names this channel (Webex's synchronous API answers).
    explicit: bool = False
    # Explicit, and a code missing here is unknown: never looked up in the vendor's other
    # tables, whose numbers it reuses with other meanings (8x8's delivery receipts).
    standalone: bool = False
    entries: list[EntryModel]

    @model_validator(mode="after")
    def _sources(self) -> TableModel:
        if not self.seed and self.source_url is None:
            raise ValueError("a table with `seed: false` needs the `source_url` of its page")
        if self.seed:
            if self.source_url is not None:
                raise ValueError("`source_url` is for tables with `seed: false`")
            listed = [e.code for e in self.entries if e.source_url is not None]
            if listed:
                raise ValueError(
                    f"entry {listed[0]!r} has a `source_url` in a table of the seed document; "
                    "put codes published elsewhere in a table with `seed: false`"
                )
        return self

    @model_validator(mode="after")
    def _lookup_rules(self) -> TableModel:
        if (self.explicit or self.standalone) and (self.channel is None or self.shared):
            raise ValueError(
                "`explicit` and `standalone` are for the table of one channel (not null, not "
                "shared)"
            )
        return self

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


# -- the recognition block: how a vendor shows in log records -----------------------------------

Host = Annotated[str, Field(pattern=r"^(?:[a-z0-9-]+\.)+[a-z]{2,}$")]
Name = Annotated[str, Field(pattern=r"^[a-z0-9]{3,32}$")]
Alias = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9 ._-]{0,63}$")]
Header = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{1,63}$")]
# Needles hold no blank and no newline: the batch prefilter relies on it (parsers/fast/batch.py).
Needle = Annotated[str, Field(pattern=r"^\S{3,32}$")]
Spelling = Annotated[str, Field(pattern=r"^[a-z0-9]{1,40}$")]
Module = Annotated[str, Field(pattern=r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$")]


def _unique(values: list[str], what: str) -> list[str]:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} {value!r} is listed twice")
        seen.add(value)
    return values


class HeadersModel(_Strict):
    vendor_only: list[Header] = []  # headers only this vendor sends
    correlation: list[Header] = []  # headers carrying its request id


class PrefilterModel(_Strict):
    names: Annotated[list[Needle], Field(min_length=1)]
    headers: list[Needle] = []


class RemapModel(_Strict):
    channel: Channel
    from_: Annotated[int, Field(alias="from", ge=0)]
    to: Annotated[int, Field(ge=0)]
    use: Channel

    @model_validator(mode="after")
    def _ordered(self) -> RemapModel:
        if self.to < self.from_:
            raise ValueError(f"remap 'to' ({self.to}) is below 'from' ({self.from_})")
        return self


class ChannelsModel(_Strict):
    aliases: dict[Channel, Annotated[list[Spelling], Field(min_length=1)]]
    remap: list[RemapModel] = []

    @model_validator(mode="after")
    def _one_channel_per_spelling(self) -> ChannelsModel:
        owner: dict[str, str] = {}
        for channel, spellings in self.aliases.items():
            for spelling in spellings:
                if owner.setdefault(spelling, channel) != channel:
                    raise ValueError(
                        f"spelling {spelling!r} is given for channels {owner[spelling]!r} and "
                        f"{channel!r}"
                    )
        return self


class RecognitionModel(_Strict):
    """How the vendor shows in log records (docs/parsing.md, "Adding a vendor")."""

    recogniser: Module
    hosts: Annotated[list[Host], Field(min_length=1)]
    names: Annotated[list[Name], Field(min_length=1)]
    aliases: list[Alias] = []
    headers: HeadersModel = HeadersModel()
    prefilter: PrefilterModel
    channels: ChannelsModel | None = None

    _hosts = field_validator("hosts")(lambda v: _unique(v, "host"))
    _names = field_validator("names")(lambda v: _unique(v, "name"))

    @model_validator(mode="after")
    def _prefilter_covers_names_and_headers(self) -> RecognitionModel:
        # A name or header the prefilter cannot see hides the vendor's records from the parser.
        needles = (*self.prefilter.names, *self.prefilter.headers)
        headers = (*self.headers.vendor_only, *self.headers.correlation)
        for kind, words in (("name", self.names), ("header", headers)):
            for word in words:
                for form in dict.fromkeys((word, word.lower(), word.upper())):
                    if not any(needle in form for needle in needles):
                        raise ValueError(
                            f"the prefilter misses {kind} {word!r} spelled {form!r}: add a "
                            "spelling to prefilter.names or prefilter.headers"
                        )
        return self


class VendorFileModel(_Strict):
    vendor: Vendor
    document: Annotated[str, Field(min_length=1)]
    title: str = ""
    recognition: RecognitionModel
    tables: list[TableModel]
    ranges: list[RangeModel] = []


class HttpFileModel(_Strict):
    """`http.yaml`: generic `http_<status>` entries for vendors whose file lacks its own."""

    document: str
    table: str
    entries: list[EntryModel]


class SeenWordingModel(_Strict):
    text: str
    count: Annotated[int, Field(ge=1)]


class SeenModel(_Strict):
    """Evidence from the logs, written by `vendor-errors catalog draft`."""

    count: Annotated[int, Field(ge=1)]
    messages: list[SeenWordingModel] = []
    http_statuses: list[HttpStatus] = []
    first: str | None = None  # FILE:LINE of the first record


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
    source_url: Url | None = None  # where the meaning was found
    seen: SeenModel | None = None  # what `catalog draft` saw in the logs; lookups ignore it

    _code = field_validator("code", mode="before")(_code_is_text)

    @field_validator("vendor")
    @classmethod
    def _a_loaded_vendor(cls, value: str, info: ValidationInfo) -> str:
        # The loader passes the vendors of its data files (validate(..., vendors=...)).
        known = (info.context or {}).get("vendors")
        if known is not None and value not in known:
            raise ValueError(f"unknown vendor {value!r}; the catalog has {', '.join(known)}")
        return value


class OverlayFileModel(_Strict):
    entries: list[OverlayEntryModel]


def _describe(data: Any, loc: tuple[int | str, ...]) -> str:
    """Turn a pydantic location into words: table 'SMS' entry 3 (code '7302') field 'category';
    in the recognition block, the path of the field: recognition.headers.correlation[0]."""
    if loc and loc[0] == "recognition":
        path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
        return path.lstrip(".").replace(".from_", ".from")
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


def validate(
    model: type[BaseModel], data: Any, path: Path | str, vendors: tuple[str, ...] | None = None
) -> Any:
    """Validate one loaded YAML document, raising CatalogError with every problem listed.
    `vendors`: the vendors an overlay may name (those of the data files)."""
    try:
        return model.model_validate(data, context={"vendors": vendors})
    except ValidationError as exc:
        problems = [
            f"{path}: {_describe(data, tuple(err['loc']))}: {err['msg']}" for err in exc.errors()
        ]
        raise CatalogError("\n".join(problems)) from None
