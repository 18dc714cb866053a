"""Read every code table of the five vendor documents in ../shared/seeds, with pyparsing.

Each document writes its tables differently (markdown pipe tables, a readme.io table with the
code inside a JSON example, rows with no separator between code and text, headed plain pipe
tables), so each gets a small grammar of its own. Rows are lines, so the grammars match spaces
and newlines themselves (`leave_whitespace`). A table row a grammar cannot read is an error
naming the document and the line: when a document changes, the coverage test must fail
loudly rather than skip the row. The documents are parsed once per process (`load_seed_tables`
is cached).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyparsing as pp

# The seed file of each vendor, as ../shared/CONTRACT.md lists them.
DOCUMENTS: dict[str, str] = {
    "dynamics365": "000_012ca0724d8f704b.txt",
    "salesforce": "001_8e3051a0047bfb8f.txt",
    "pipedrive": "002_7a748ac9e0e2f59a.txt",
    "8x8": "003_f8b45e4bbb5a22e1.txt",
    "webex": "004_70a425674b7fdb01.txt",
}

# Webex table headings -> channel slugs (CONTRACT.md); None for the vendor-wide table.
WEBEX_CHANNELS: dict[str, str | None] = {
    "Common Error Codes across Channels": None,
    "Apple Messages for Business": "apple",
    "Email": "email",
    "Google Business Messages (Deprecated)": "gbm",
    "In-App Messaging and Live Chat": "in_app",
    "Instagram": "instagram",
    "MMS": "mms",
    "Messenger": "messenger",
    "Push": "push",
    "RCS": "rcs",
    "SMS": "sms",
    "In addition to the existing SMS error codes, client tenants hosted in the United States "
    "and Canada regions have these additional error codes for SMS:": "sms",
    "Voice": "voice",
    "Voice - Logbook Error Codes": "voice_logbook",
    "WhatsApp": "whatsapp",
    "Contact Policy-integrated Error Codes": "contact_policy",
}


class SeedFormatError(ValueError):
    """A seed document does not have the shape its grammar expects."""


@dataclass(frozen=True, slots=True)
class SeedRow:
    """One row of a code table: the code as the catalog keys it, and the document's message."""

    vendor: str
    channel: str | None
    table: str
    code: str
    message: str | None  # None where the document leaves the description empty
    document: str

    @property
    def key(self) -> tuple[str, str | None, str]:
        return (self.vendor, self.channel, self.code)


@dataclass(frozen=True, slots=True)
class SeedRange:
    """A rule for a whole range of codes ("Other 1000, 2000, 3000 series")."""

    vendor: str
    channel: str | None
    table: str
    series: tuple[int, ...]
    message: str
    document: str


@dataclass(frozen=True, slots=True)
class SeedTables:
    rows: tuple[SeedRow, ...]
    ranges: tuple[SeedRange, ...]

    def for_vendor(self, vendor: str) -> tuple[SeedRow, ...]:
        return tuple(row for row in self.rows if row.vendor == vendor)


def seeds_dir() -> Path:
    """The seed documents: $VENDOR_ERRORS_SEEDS, else ../shared/seeds next to the repository."""
    override = os.environ.get("VENDOR_ERRORS_SEEDS")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2].parent / "shared" / "seeds"


def load_seed_tables(directory: Path | None = None) -> SeedTables:
    return _load((directory or seeds_dir()).resolve())


@functools.cache
def _load(directory: Path) -> SeedTables:
    rows: list[SeedRow] = []
    ranges: list[SeedRange] = []
    for vendor, name in DOCUMENTS.items():
        path = directory / name
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SeedFormatError(f"{path}: cannot read: {exc.strerror}") from None
        if not text.endswith("\n"):  # every grammar ends its lines with "\n"
            text += "\n"
        grammar, read = _READERS[vendor]
        try:
            parsed = grammar().parse_string(text)
        except pp.ParseBaseException as exc:
            raise SeedFormatError(f"{path}:{exc.lineno}: {exc.msg}\n    {exc.line!r}") from None
        for item in read(parsed, name):
            (ranges if isinstance(item, SeedRange) else rows).append(item)
    return SeedTables(tuple(rows), tuple(ranges))


# -- shared pieces -------------------------------------------------------------------------

_strip = pp.token_map(str.strip)
EOL = pp.Suppress(pp.Regex(r"[ \t]*\n"))
CELL = pp.Regex(r"[^|\n]*").add_parse_action(_strip)
PIPE = pp.Suppress("|")


def _drop_closing_pipe(tokens: pp.ParseResults) -> None:
    # "a | b |" reads as cells a, b, "": the empty last cell is the closing pipe.
    if len(tokens) > 1 and tokens[-1] == "":
        del tokens[-1]


def _cells(first: pp.ParserElement) -> pp.ParserElement:
    """A pipe-separated line whose first cell is `first`, as a group of stripped cells."""
    row = first + pp.ZeroOrMore(PIPE + CELL) + EOL
    return pp.Group(row.add_parse_action(_drop_closing_pipe))


# -- 000 dynamics365 and 001 salesforce: markdown ----------------------------------------------


@functools.cache
def _markdown() -> pp.ParserElement:
    heading = pp.Regex(r"#{1,6}[ \t]+(?P<title>[^\n]*?)[ \t]*\n")
    prose = pp.Suppress(pp.Regex(r"(?![#|])[^\n]*\n"))  # anything but headings and table lines
    header = _cells(PIPE + CELL)
    separator = pp.Suppress(pp.Regex(r"\|(?:[ \t]*:?-+:?[ \t]*\|)+[ \t]*\n"))
    row = _cells(PIPE + pp.Regex(r"[ \t]*\d+[ \t]*").add_parse_action(_strip))
    # After the separator every line starting with "|" must be a row: a stray one is fatal.
    table = pp.Group(
        header("header")
        + separator
        - pp.Group(pp.OneOrMore(row))("rows")
        + (~pp.Literal("|")).set_name("no table row the grammar cannot read")
    )
    section = pp.Group(heading + pp.ZeroOrMore(table("tables*") | prose))
    document = pp.ZeroOrMore(prose) + pp.ZeroOrMore(section)("sections") + pp.StringEnd()
    return document.leave_whitespace()


# header -> how a row maps to (code, message)
_MARKDOWN_TABLES: dict[tuple[str, ...], Callable[[list[str]], tuple[str, str]]] = {
    ("Status Code", "Meaning", "Description"): lambda cells: (f"http_{cells[0]}", cells[1]),
    ("Error Code", "Error Message", "HTTP Code"): lambda cells: (cells[0], cells[1]),
    ("Error Code", "Description"): lambda cells: (cells[0], cells[1]),
}


def _read_markdown(vendor: str) -> Callable[[pp.ParseResults, str], Iterator[SeedRow]]:
    def read(parsed: pp.ParseResults, document: str) -> Iterator[SeedRow]:
        for section in parsed.get("sections", []):
            for table in section.get("tables", []):
                header = tuple(table["header"])
                to_code = _MARKDOWN_TABLES.get(header)
                if to_code is None:
                    raise SeedFormatError(f"{document}: unknown table header {header}")
                for cells in table["rows"]:
                    if len(cells) != len(header):
                        raise SeedFormatError(
                            f"{document}: table {section['title']!r}: row {list(cells)} has "
                            f"{len(cells)} cells, the header {len(header)}"
                        )
                    code, message = to_code(list(cells))
                    yield SeedRow(vendor, None, section["title"], code, message, document)

    return read


# -- 002 pipedrive: readme.io table, the code inside a JSON payload example -------------------


@functools.cache
def _pipedrive() -> pp.ParserElement:
    # "## " then an empty line, then the heading text (readme.io's anchor markup).
    heading = pp.Regex(r"##[ \t]*\n\n(?P<title>[^\n]+?)[ \t]*\n")
    table_header = pp.Suppress(pp.Regex(r"Status\| Payload example[ \t]*\n---\|---[ \t]*\n"))
    status = pp.Regex(r"\*\*(?P<status>\d{3}) - (?P<reason>[^*\n]+)\*\*[ \t]*\n[ \t]*\n")
    # The description: lines without a pipe, the last one ending in "| `{...}`".
    description = pp.Regex(r"[^|`\n]+?(?=[ \t]*\n)") + EOL
    payload = pp.Regex(r'`\{[^`\n]*?"code":"(?P<code>[A-Z_]+)"[^`\n]*\}`')
    last_line = pp.Regex(r"[^|`\n]+") + PIPE + pp.Suppress(pp.Regex(r"[ \t]*")) + payload + EOL
    entry = pp.Group(status + pp.Group(pp.ZeroOrMore(description) + last_line)("description"))
    # The table ends at the next "##" heading; anything else after a row is a row we missed.
    end = pp.FollowedBy(pp.Regex(r"[ \t]*\n##").set_name("a table entry or the next heading"))
    document = (
        pp.SkipTo(heading).suppress()
        + heading
        + pp.SkipTo(table_header).suppress()
        + table_header
        - pp.Group(pp.OneOrMore(entry))("entries")
        + end
    )
    return document.leave_whitespace()


def _read_pipedrive(parsed: pp.ParseResults, document: str) -> Iterator[SeedRow]:
    for entry in parsed["entries"]:
        # The message is the description's first line; a second one is a note to integrators.
        description = entry["description"]
        message = description[0].strip()
        yield SeedRow("pipedrive", None, parsed["title"], description["code"], message, document)


# -- 003 8x8: no separator between a code and its text ("1000Invalid parameter") -------------


@functools.cache
def _eight_by_eight() -> pp.ParserElement:
    def heading(title: str) -> pp.ParserElement:
        return pp.Regex(rf"(?m)^(?P<title>{re.escape(title)})\n")

    code_header = pp.Suppress(pp.Regex(r"CodeDescription\n"))
    # "422422 Unprocessable Entity, The request ...": status, then the text up to the comma.
    http_row = pp.Group(
        pp.Regex(r"(?P<status>[1-5]\d\d)(?P<message>[^,\n]+), (?P<description>[^\n]+)\n")
    )
    body_row = pp.Group(pp.Regex(r"(?P<code>\d{4})(?P<message>[^\d\n][^\n]*)\n"))
    http_title = heading("HTTP Error Codes")
    body_title = heading("JSON Code Property Values")
    http_table = pp.Group(
        http_title
        + pp.SkipTo(code_header).suppress()
        + code_header
        - pp.Group(pp.OneOrMore(http_row))("rows")
        # a blank line, not a row we cannot read, ends the table
        + pp.Regex(r"[ \t]*\n").set_name("a 'NNNText, description' row or a blank line")
    )
    body_table = pp.Group(
        body_title
        + pp.SkipTo(code_header).suppress()
        + code_header
        - pp.Group(pp.OneOrMore(body_row))("rows")
        + pp.StringEnd().set_name("a 'NNNNText' row or the end of the document")
    )
    document = (
        pp.SkipTo(http_title).suppress()
        + http_table("http")
        + pp.SkipTo(body_title).suppress()
        + body_table("body")
    )
    return document.leave_whitespace()


def _read_eight_by_eight(parsed: pp.ParseResults, document: str) -> Iterator[SeedRow]:
    http, body = parsed["http"], parsed["body"]
    for row in http["rows"]:
        code = f"http_{row['status']}"
        yield SeedRow("8x8", None, http["title"], code, row["message"].strip(), document)
    for row in body["rows"]:
        yield SeedRow("8x8", None, body["title"], row["code"], row["message"].strip(), document)


# -- 004 webex: a heading line per channel, then "Code | Description | ..." tables -------------


@functools.cache
def _webex() -> pp.ParserElement:
    titles = "|".join(re.escape(t) for t in sorted(WEBEX_CHANNELS, key=len, reverse=True))
    heading = pp.Regex(rf"(?P<title>{titles})[ \t]*\n")
    # FollowedBy would hand its match's `title` to the section, so look ahead without names.
    next_heading = pp.Regex(rf"(?:{titles})[ \t]*\n")
    prose = pp.Suppress(pp.Regex(r"[^|\n]+\n"))
    header = _cells(CELL)
    separator = pp.Regex(r"(?:---\|)+[ \t]*\n")
    code = pp.Regex(r"\d+[ \t]*").add_parse_action(_strip)
    series = pp.Regex(r"Other (?P<series>\d+(?:, \d+)*) series[ \t]*")
    row = _cells(code("code") | series)
    # A table ends where the next heading (or the document) starts: any other line is a
    # row the grammar cannot read, and fatal.
    section = pp.Group(
        heading
        + pp.ZeroOrMore(prose)
        + header("header")
        + separator("separator")
        - pp.Group(pp.OneOrMore(row))("rows")
        + pp.FollowedBy(
            (next_heading | pp.StringEnd()).set_name(
                "a code row, the next table heading or the end of the document"
            )
        )
    )
    document = pp.ZeroOrMore(~heading + prose) + pp.OneOrMore(section)("sections") + pp.StringEnd()
    return document.leave_whitespace()


_WEBEX_CODE_COLUMNS = {"Error Code", "Status Code", "Code"}
_WEBEX_MESSAGE_COLUMNS = {"Description", "Message"}


def _read_webex(parsed: pp.ParseResults, document: str) -> Iterator[SeedRow | SeedRange]:
    for section in parsed["sections"]:
        title, header = section["title"], list(section["header"])
        channel = WEBEX_CHANNELS[title]
        columns = section["separator"].count("---|")
        if (
            len(header) < 2
            or len(header) != columns
            or header[0] not in _WEBEX_CODE_COLUMNS
            or header[1] not in _WEBEX_MESSAGE_COLUMNS
        ):
            raise SeedFormatError(f"{document}: table {title!r}: unexpected header {header}")
        for cells in section["rows"]:
            if len(cells) > len(header):
                raise SeedFormatError(
                    f"{document}: table {title!r}: row {list(cells)} has more cells than "
                    f"the header {header}"
                )
            message = cells[1] if len(cells) > 1 and cells[1] else None
            if "series" in cells:
                bases = tuple(int(b) for b in cells["series"].split(", "))
                if message is None:
                    raise SeedFormatError(f"{document}: range row {list(cells)} has no text")
                yield SeedRange("webex", channel, title, bases, message, document)
            else:
                yield SeedRow("webex", channel, title, cells["code"], message, document)


_Reader = Callable[[pp.ParseResults, str], Iterator[SeedRow | SeedRange]]
_READERS: dict[str, tuple[Callable[[], pp.ParserElement], _Reader]] = {
    "dynamics365": (_markdown, _read_markdown("dynamics365")),
    "salesforce": (_markdown, _read_markdown("salesforce")),
    "pipedrive": (_pipedrive, _read_pipedrive),
    "8x8": (_eight_by_eight, _read_eight_by_eight),
    "webex": (_webex, _read_webex),
}
