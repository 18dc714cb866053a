"""`judge` memoised: the same call, the same answer, from a memo.

Error records repeat a few small values endlessly (the same code with the same message from the
same vendor), so verdicts are memoised per catalog object (an overlay reload builds a new
`Verdicts`) and `include_status` setting, in a bounded memo (parsers.fast.memo).

Messages often carry ids ("Conversation 8812 is closed"), so that memo alone would miss for
them. But only the fallback for codes the catalog does not have reads the message
(catalog/README.md, "lookup order"): a known code's verdict is the same for every message but
for the message it reports. Those are kept a second time without the message, which is filled
in: `wording` is the catalog's, what a record without a message gets.
"""

from __future__ import annotations

from vendor_errors.catalog import Catalog
from vendor_errors.parsers.enrichment.verdict import Verdict, judge
from vendor_errors.parsers.fast.memo import Memo

MEMO_LIMIT = 4096

Key = tuple[str, str | None, int | None, str | None, str | None, bool, bool]
KnownKey = tuple[str, str | None, int | None, str | None, bool, bool]


class Verdicts:
    """`judge(catalog, include_status, ...)`, memoised: `get` takes what `judge` takes after
    its first two arguments, and gives what it gives (tests/parsers/test_memos.py)."""

    __slots__ = ("_known", "_memo", "catalog", "include_status")

    def __init__(self, catalog: Catalog, include_status: bool) -> None:
        self.catalog = catalog
        self.include_status = include_status
        self._memo: Memo[Key, Verdict | None] = Memo(MEMO_LIMIT)
        # Verdicts of known codes, keyed without the message.
        self._known: Memo[KnownKey, Verdict] = Memo(MEMO_LIMIT)

    def get(
        self,
        vendor: str,
        code: str | None,
        status: int | None,
        channel: str | None,
        message: str | None,
        error_hint: bool,
        error_level: bool,
    ) -> Verdict | None:
        known = self._known.data.get((vendor, code, status, channel, error_hint, error_level))
        if known is not None:
            if not message:
                return known
            return Verdict(
                known.code,
                known.channel,
                known.http_status,
                message,
                known.category,
                known.severity,
                known.transient,
                True,
                known.wording,
            )
        key = (vendor, code, status, channel, message, error_hint, error_level)
        memo = self._memo.data
        if key in memo:
            return memo[key]
        verdict = judge(self.catalog, self.include_status, *key)
        if verdict is not None and verdict.known:
            # The same code without a message: the catalog's wording (see the docstring).
            known = verdict._replace(message=verdict.wording) if message else verdict
            self._known.put((vendor, code, status, channel, error_hint, error_level), known)
        return self._memo.put(key, verdict)
