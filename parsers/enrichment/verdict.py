"""What the catalog makes of an error read from a record: the event's classification fields.

The verdict is a pure function of a few small values (vendor, code, status, channel, message,
two signs of failure) and of the catalog, and error records repeat them endlessly: the same
code with the same message from the same vendor. So verdicts are memoised, per catalog object
(an overlay reload builds a new `Verdicts`), in a dict emptied when it grows past
`CACHE_LIMIT` entries: a stream of distinct messages costs a refill, never unbounded memory.

Messages often carry ids ("Conversation 8812 is closed"), so that memo alone would miss for
them. But only the fallback for codes the catalog does not have reads the message
(catalog/README.md, "lookup order"): a known code's verdict is the same for every message but
for the message it reports. Those are kept without the message, which is filled in.
"""

from __future__ import annotations

from vendor_errors.catalog import Catalog
from vendor_errors.parsers.decoding.fields import is_success_code
from vendor_errors.parsers.recognisers import webex

CACHE_LIMIT = 4096

# The event's (code, channel, http_status, message, category, severity, transient, known).
Verdict = tuple[str, str | None, int | None, str, str, str, bool, bool]
Key = tuple[str, str | None, int | None, str | None, str | None, bool, bool]
KnownKey = tuple[str, str | None, int | None, str | None, bool, bool]


class Verdicts:
    """Memoised `judge` for one catalog and one `include_status` setting."""

    __slots__ = ("_known", "_memo", "catalog", "include_status")

    def __init__(self, catalog: Catalog, include_status: bool) -> None:
        self.catalog = catalog
        self.include_status = include_status
        self._memo: dict[Key, Verdict | None] = {}
        # Verdicts of known codes, judged without a message: key without the message.
        self._known: dict[KnownKey, Verdict] = {}

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
        known = self._known.get((vendor, code, status, channel, error_hint, error_level))
        if known is not None:
            if not message:
                return known
            return (known[0], known[1], known[2], message, known[4], known[5], known[6], True)
        key = (vendor, code, status, channel, message, error_hint, error_level)
        memo = self._memo
        if key in memo:
            return memo[key]
        verdict = judge(self.catalog, self.include_status, *key)
        if verdict is not None and verdict[7]:
            self._keep_known(vendor, code, status, channel, error_hint, error_level)
        if len(memo) >= CACHE_LIMIT:
            memo.clear()
        memo[key] = verdict
        return verdict

    def _keep_known(
        self,
        vendor: str,
        code: str | None,
        status: int | None,
        channel: str | None,
        error_hint: bool,
        error_level: bool,
    ) -> None:
        verdict = judge(
            self.catalog,
            self.include_status,
            vendor,
            code,
            status,
            channel,
            None,
            error_hint,
            error_level,
        )
        if verdict is not None and verdict[7]:
            known = self._known
            if len(known) >= CACHE_LIMIT:
                known.clear()
            known[(vendor, code, status, channel, error_hint, error_level)] = verdict


def judge(
    catalog: Catalog,
    include_status: bool,
    vendor: str,
    code: str | None,
    status: int | None,
    channel: str | None,
    message: str | None,
    error_hint: bool,
    error_level: bool,
) -> Verdict | None:
    """The classification of an error, or None when it is not one to report.

    `status` is the HTTP status of the body or else of the record; `channel` the channel of
    the body or else of the record (Webex only); `error_hint` the body's own sign of failure,
    `error_level` the record's warning/error level.
    """
    if code is None:
        if status is None or status < 400:
            return None
        code = f"http_{status}"
    elif is_success_code(code):
        return None
    channel = webex.channel_for(channel, code) if vendor == "webex" else None
    entry = catalog.lookup(vendor, code, channel, status, message)
    if not entry.known:
        if code.isdigit() and len(code) == 3 and 400 <= int(code) <= 599:
            # A vendor echoing the HTTP status as its code: report the status.
            status = status or int(code)
            code = f"http_{code}"
            entry = catalog.lookup(vendor, code, channel, status, message)
        failed = status is not None and status >= 400
        if not (error_hint or failed or error_level):
            return None  # an unknown code with no sign of failure is not evidence
    if not entry.is_error and not include_status:
        return None
    return (
        entry.code if entry.known else code,
        channel,
        status,
        message or entry.message,
        entry.category,
        entry.severity,
        entry.transient,
        entry.known,
    )
