"""The vendors the parsers know: each vendor's recognition block with its recogniser module.

A vendor is one block of catalog data (catalog/data/<vendor>.yaml, `recognition`: hosts,
names, headers, prefilter spellings, channel rules) and one module (parsers/recognisers/,
named by the block's `recogniser`): adding a vendor takes nothing else (docs/parsing.md,
"Adding a vendor"). The registry builds every vendor lookup from those: the directory the
envelope walk asks (parsers.decoding.directory), the body shapes attribution weighs, the
readers, the channel rules; the prefilter takes its needles from the same blocks.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Protocol, cast

from vendor_errors.catalog.model import CatalogError, ChannelRemap, VendorInfo
from vendor_errors.parsers.decoding.candidates import Candidate
from vendor_errors.parsers.decoding.directory import Directory
from vendor_errors.parsers.fast.memo import Memo
from vendor_errors.parsers.recognisers.base import Reading

PACKAGE = "vendor_errors.parsers.recognisers"


class Recogniser(Protocol):
    """A recogniser module (parsers/recognisers/base.py describes the two functions)."""

    def shape(self, candidate: Candidate) -> bool: ...

    def read(self, candidate: Candidate) -> Reading: ...


class Registry:
    """The vendors of one set of recognition blocks, in vendor order."""

    __slots__ = ("_readers", "_remaps", "_shapes", "directory", "vendors")

    def __init__(self, infos: Sequence[VendorInfo], recognisers: Sequence[Recogniser]) -> None:
        if len(infos) != len(recognisers):
            raise ValueError("one recogniser per vendor")
        self.vendors = tuple(info.vendor for info in infos)
        self.directory = Directory(infos)
        self._shapes: tuple[tuple[str, Callable[[Candidate], bool]], ...] = tuple(
            (info.vendor, module.shape) for info, module in zip(infos, recognisers, strict=True)
        )
        self._readers: dict[str, Callable[[Candidate], Reading]] = {
            info.vendor: module.read for info, module in zip(infos, recognisers, strict=True)
        }
        # Vendor -> its channel rules; vendors whose codes are not per channel have none.
        self._remaps: dict[str, tuple[ChannelRemap, ...]] = {
            info.vendor: info.channel_remaps for info in infos if info.has_channels
        }

    @classmethod
    def build(cls, infos: Sequence[VendorInfo]) -> Registry:
        """The registry of these blocks, each with the module its block names."""
        key = tuple(infos)
        registry = _BUILT.data.get(key)
        if registry is None:
            registry = _BUILT.put(key, cls(key, [_module(info) for info in key]))
        return registry

    def shapes(self, candidate: Candidate) -> list[str]:
        """The vendors whose distinctive error shape the body has."""
        return [vendor for vendor, shape in self._shapes if shape(candidate)]

    def read(self, vendor: str, candidate: Candidate) -> Reading:
        """The error in the body, read as `vendor`'s."""
        return self._readers[vendor](candidate)

    def channel(
        self, vendor: str, own: str | None, named: str | None, code: str | None
    ) -> str | None:
        """The channel whose table holds `code` for `vendor`: the one its recogniser read
        (`own`), else the one the record names; for a vendor whose codes are not per channel,
        only its recogniser's (8x8's receipt tables)."""
        remaps = self._remaps.get(vendor)
        if remaps is None:
            return own
        channel = own or named
        for remap in remaps:
            if (
                channel == remap.channel
                and code is not None
                and code.isdigit()
                and remap.low <= int(code) <= remap.high
            ):
                return remap.use
        return channel


# Registries by their blocks: an overlay reload gives a new catalog with the same blocks.
_BUILT: Memo[tuple[VendorInfo, ...], Registry] = Memo(8)


def _module(info: VendorInfo) -> Recogniser:
    name = info.recogniser if "." in info.recogniser else f"{PACKAGE}.{info.recogniser}"
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        raise CatalogError(
            f"{info.file}: recognition.recogniser: cannot import {name!r}: {exc}"
        ) from None
    missing = [f for f in ("shape", "read") if not callable(getattr(module, f, None))]
    if missing:
        raise CatalogError(
            f"{info.file}: recognition.recogniser: module {name!r} has no "
            f"{' and no '.join(f'{f}(candidate)' for f in missing)}"
        )
    return cast(Recogniser, module)  # checked just above: it has both functions
