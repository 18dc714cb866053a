"""The vendors' recognition blocks: read from the data files, checked against each other.

Each data file's `recognition` block (validated by catalog/schema.py) becomes a `VendorInfo`.
One vendor's block is checked on its own by the schema; what only shows across vendors is
checked here: two vendors claiming one host, name, alias, header or channel spelling would
make attribution depend on the order of the files.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from vendor_errors.catalog.model import VENDORS, CatalogError, ChannelRemap, VendorInfo

if TYPE_CHECKING:  # the schema (pydantic) is loaded only where YAML is validated
    from vendor_errors.catalog.schema import VendorFileModel


def vendor_info(doc: VendorFileModel, path: Path) -> VendorInfo:
    block = doc.recognition
    channels = block.channels
    return VendorInfo(
        vendor=doc.vendor,
        recogniser=block.recogniser,
        hosts=tuple(block.hosts),
        names=tuple(block.names),
        aliases=tuple(block.aliases),
        vendor_headers=tuple(block.headers.vendor_only),
        correlation_headers=tuple(block.headers.correlation),
        prefilter_names=tuple(block.prefilter.names),
        prefilter_headers=tuple(block.prefilter.headers),
        channels=tuple(
            (channel, tuple(spellings)) for channel, spellings in channels.aliases.items()
        )
        if channels is not None
        else (),
        channel_remaps=tuple(
            ChannelRemap(rule.channel, rule.from_, rule.to, rule.use) for rule in channels.remap
        )
        if channels is not None
        else (),
        file=str(path),
    )


def vendor_order(vendor: str) -> tuple[int, str]:
    """The contract's vendors in its order, then any other by name."""
    return (VENDORS.index(vendor) if vendor in VENDORS else len(VENDORS), vendor)


def _folded_header(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "")


def check_vendors(infos: Iterable[VendorInfo]) -> tuple[VendorInfo, ...]:
    """The blocks in vendor order, once no two vendors claim the same thing."""
    ordered = tuple(sorted(infos, key=lambda info: vendor_order(info.vendor)))
    claims: dict[tuple[str, str], VendorInfo] = {}
    for info in ordered:
        wanted = [("host", host) for host in info.hosts]
        wanted += [("name", name) for name in info.names]
        wanted += [("alias", alias) for alias in (info.vendor, *info.aliases)]
        headers = (*info.vendor_headers, *info.correlation_headers)
        wanted += [("header", _folded_header(header)) for header in headers]
        wanted += [
            ("channel spelling", spelling)
            for _channel, spellings in info.channels
            for spelling in spellings
        ]
        for kind, value in dict.fromkeys(wanted):
            other = claims.setdefault((kind, value), info)
            if other is not info and not (kind == "channel spelling" and _same(other, info, value)):
                raise CatalogError(
                    f"{info.file}: recognition: {kind} {value!r} is already {other.vendor}'s "
                    f"({other.file})"
                )
        for host in info.hosts:
            for (kind, value), other in claims.items():
                if (
                    kind == "host"
                    and other is not info
                    and (host.endswith("." + value) or value.endswith("." + host))
                ):
                    raise CatalogError(
                        f"{info.file}: recognition: host {host!r} overlaps {other.vendor}'s "
                        f"host {value!r} ({other.file})"
                    )
    return ordered


def _same(first: VendorInfo, second: VendorInfo, spelling: str) -> bool:
    """Two vendors may spell a channel alike when they mean the same channel by it."""

    def channel(info: VendorInfo) -> str | None:
        return next((c for c, spellings in info.channels if spelling in spellings), None)

    return channel(first) == channel(second)
