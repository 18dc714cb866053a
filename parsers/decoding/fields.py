"""Field names and values of log envelopes: which key means what, and how to read its value.

Logs spell the same field many ways (`trace_id`, `traceId`, `trace.id`, `dd.trace_id`;
`http.response.status_code`, `status`, `statusCode`). A key is folded (lower case, without
`_ - . @` and spaces) and looked up in one table of roles; nested objects also try
`parent + key` (`{"url": {"full": ...}}` is `urlfull`). Folding is cached per distinct key.
"""

from __future__ import annotations

import re

# Keys are cached up to this many distinct spellings; past that they are classified each time
# (a stream of random keys must not grow memory without bound).
_CACHE_LIMIT = 20_000


# Roles of fields: plain ints, not an Enum - looking up an enum member costs ten times a global
# on the hot path (CPython 3.11).
Role = int
R_NONE = 0
R_TIMESTAMP = 1
R_LEVEL = 2
R_SERVICE = 3
R_METHOD = 4
R_STATUS = 5
R_URL = 6
R_HOST = 7
R_CORRELATION = 8  # x-ms-correlation-id, correlation_id, ...
R_TRACE_ID = 9
R_SPAN_ID = 10
R_TRACEPARENT = 11
R_TRACE_FLAGS = 12
R_VENDOR = 13  # explicit vendor / provider fields
R_LOGGER = 14  # logger names, callers, components: vendor keywords in the value
R_CHANNEL = 15
R_MESSAGE = 16  # free text that may carry bodies, URLs, statuses
R_CODE = 17  # a vendor error code member: the dict holding it is an error body
R_HEADERS = 18  # an object whose keys are HTTP header names
R_VENDOR_HEADER = 19  # a header only one vendor sends (Sforce-Limit-Info)
R_ERROR_ID = 20  # 8x8's errorId: a body marker and the correlation id


_ROLES: dict[str, Role] = {}


def _define(role: int, *names: str) -> None:
    for name in names:
        _ROLES[name] = role


_define(
    R_TIMESTAMP,
    "timestamp",
    "ts",
    "time",
    "datetime",
    "asctime",
    "eventtime",
    "logtime",
    "timeunixnano",
    "timelocal",
    "timeiso8601",
    "date",
)
_define(R_LEVEL, "level", "loglevel", "levelname", "severity", "severitytext", "lvl")
_define(R_SERVICE, "service", "servicename", "app", "application", "appname")
_define(
    R_METHOD,
    "method",
    "httpmethod",
    "requestmethod",
    "httprequestmethod",
    "verb",
)
_define(
    R_STATUS,
    "status",
    "statuscode",
    "httpstatus",
    "httpstatuscode",
    "responsestatus",
    "responsestatuscode",
    "httpresponsestatuscode",
    "upstreamstatus",
    "httpcode",
)
_define(
    R_URL,
    "url",
    "uri",
    "urlfull",
    "urloriginal",
    "httpurl",
    "requesturl",
    "requesturi",
    "endpoint",
    "httprequesturl",
)
_define(
    R_HOST,
    "host",
    "serveraddress",
    "httphost",
    "upstream",
    "upstreamaddr",
    "upstreamhost",
    "urldomain",
    "netpeername",
    "peerhostname",
    "destinationdomain",
    "destinationaddress",
)
_define(
    R_CORRELATION,
    "xmscorrelationid",
    "correlationid",
    "xcorrelationid",
    "xrequestid",
    "msrequestid",
    "xmsrequestid",
    "sforcerequestid",
    "xsfdcrequestid",
)
_define(R_TRACE_ID, "traceid", "oteltraceid", "tracetraceid", "loggingtraceid")
_define(R_SPAN_ID, "spanid", "otelspanid", "parentspanid")
_define(R_TRACEPARENT, "traceparent")
_define(R_TRACE_FLAGS, "traceflags", "oteltraceflags", "flags")
_define(
    R_VENDOR,
    "vendor",
    "vendorname",
    "provider",
    "providername",
    "integration",
    "connector",
    "peerservice",
    "targetsystem",
    "externalsystem",
)
_define(
    R_LOGGER,
    "logger",
    "loggername",
    "loglogger",
    "caller",
    "component",
    "module",
    "class",
    "classname",
)
_define(R_CHANNEL, "channel", "channeltype", "deliverychannel", "channelname")
_define(
    R_MESSAGE,
    "message",
    "msg",
    "error",
    "err",
    "errormessage",
    "exception",
    "exc",
    "excinfo",
    "stacktrace",
    "stack",
    "eventoriginal",
    "body",
    "responsebody",
    "response",
    "payload",
    "log",
    "raw",
    "text",
    "reason",
    "fullmessage",
    "shortmessage",
)
_define(R_CODE, "code", "errorcode", "errcode")
_define(R_VENDOR_HEADER, "sforcelimitinfo", "sforcecalloptions")
_define(R_ERROR_ID, "errorid")
_define(R_HEADERS, "headers", "responseheaders", "requestheaders", "header", "httpheaders")

# Header names that show which vendor answered (folded); also read as correlation ids.
VENDOR_HEADERS: dict[str, str] = {
    "xmscorrelationid": "dynamics365",
    "sforcelimitinfo": "salesforce",
    "sforcecalloptions": "salesforce",
    "sforcerequestid": "salesforce",
    "xsfdcrequestid": "salesforce",
}

_FOLD = str.maketrans("", "", "_-.@ /:")
_fold_cache: dict[str, str] = {}
FOLDED = _fold_cache  # key as written -> folded, for loops that skip the call to fold()


def fold(key: str) -> str:
    folded = _fold_cache.get(key)
    if folded is None:
        folded = key.lower().translate(_FOLD)
        if len(_fold_cache) < _CACHE_LIMIT:
            _fold_cache[key] = folded
    return folded


_role_cache: dict[tuple[str, str], Role] = {}
# Roles of keys inside objects stored under a parent: parent (folded) -> key as written ->
# role. Filled by role_of (bounded with _role_cache); the walk reads it without a call.
NESTED_ROLES: dict[str, dict[str, Role]] = {}


# Roles of keys at the top level, by key as written; the walk reads it directly (hot path).
TOP_ROLES: dict[str, Role] = {}


def role_of(key: str, parent: str = "") -> Role:
    """The role of `key` inside an object stored under `parent` (folded), or R_NONE."""
    if not parent:  # most keys: skip building a tuple
        role = TOP_ROLES.get(key)
        if role is None:
            role = _classify(fold(key), "")
            if len(TOP_ROLES) < _CACHE_LIMIT:
                TOP_ROLES[key] = role
        return role
    cache_key = (parent, key)
    role = _role_cache.get(cache_key)
    if role is None:
        role = _classify(fold(key), parent)
        if len(_role_cache) < _CACHE_LIMIT:
            _role_cache[cache_key] = role
            NESTED_ROLES.setdefault(parent, {})[key] = role
    return role


def _classify(folded: str, parent: str) -> Role:
    if parent:
        composite = _ROLES.get(parent + folded)
        if composite is not None:
            return composite
    role = _ROLES.get(folded)
    if role is not None:
        return role
    # Flattened header keys: `http.response.header.x-ms-correlation-id`.
    for marker in ("headers", "header"):
        at = folded.rfind(marker)
        if at >= 0:
            return _ROLES.get(folded[at + len(marker) :], R_NONE)
    return R_NONE


def header_vendor(key: str) -> str | None:
    folded = fold(key)
    vendor = VENDOR_HEADERS.get(folded)
    if vendor is None:
        for marker in ("headers", "header"):
            at = folded.rfind(marker)
            if at >= 0:
                return VENDOR_HEADERS.get(folded[at + len(marker) :])
    return vendor


# -- values --------------------------------------------------------------------------------

ERROR_LEVELS = frozenset(
    {"error", "err", "fatal", "critical", "crit", "severe", "alert", "emerg", "emergency", "panic"}
    | {"dpanic"}
)


def as_status(value: object) -> int | None:
    """An HTTP status (100-599) from an int or a numeric string, else None."""
    if value.__class__ is int:
        status = value
    elif isinstance(value, str) and 3 <= len(value) <= 5 and value.strip().isdigit():
        status = int(value)
    else:
        return None
    return status if 100 <= status <= 599 else None  # type: ignore[operator,return-value]


def as_code(value: object) -> str | None:
    """A vendor code as written: ints and numeric strings as digits; None for non-codes."""
    cls = value.__class__
    if cls is int:
        return str(value)
    if cls is str:
        code = value.strip()  # type: ignore[union-attr]
        return code if 0 < len(code) <= 64 and "\n" not in code else None
    if cls is float and value.is_integer():  # type: ignore[union-attr]
        return str(int(value))  # type: ignore[arg-type]
    return None


# Codes that say "it worked": bodies carrying them are not errors.
_SUCCESS_CODES = frozenset({"0", "00", "ok", "success", "succeeded", "accepted", "created", "true"})


def is_success_code(code: str) -> bool:
    if code.isdigit() and len(code) == 3:
        return int(code) < 400
    return code.lower() in _SUCCESS_CODES


_all_hex = re.compile("[0-9a-f]*").fullmatch


def _is_hex(value: str) -> bool:
    return _all_hex(value) is not None


def as_trace_id(value: object) -> str | None:
    """A W3C trace id (32 hex); 16-hex (64-bit) ids are left-padded as OpenTelemetry does."""
    if value.__class__ is not str:
        return None
    if len(value) != 32:  # type: ignore[arg-type]
        value = value.strip().replace("-", "")  # type: ignore[union-attr]
        if len(value) == 16:
            value = "0" * 16 + value
        if len(value) != 32:
            return None
    value = value.lower()  # type: ignore[union-attr]
    if _all_hex(value) is None or value == "0" * 32:  # type: ignore[arg-type]
        return None
    return value


def as_span_id(value: object) -> str | None:
    if value.__class__ is not str:
        return None
    value = value.strip().lower()  # type: ignore[union-attr]
    if len(value) != 16 or not _is_hex(value) or value == "0" * 16:
        return None
    return value


_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")


def parse_traceparent(value: object) -> tuple[str, str, int] | None:
    if not isinstance(value, str):
        return None
    match = _TRACEPARENT.match(value.strip().lower())
    if match is None or match.group(1) == "ff":
        return None
    trace_id, span_id = as_trace_id(match.group(2)), as_span_id(match.group(3))
    if trace_id is None or span_id is None:
        return None
    return trace_id, span_id, int(match.group(4), 16)


# -- channels (Webex Connect) --------------------------------------------------------------

_CHANNELS: dict[str, str] = {}
for _slug, _names in {
    "sms": ("sms", "textmessage"),
    "mms": ("mms",),
    "whatsapp": ("whatsapp", "wa", "whatsappbusiness"),
    "rcs": ("rcs", "rbm"),
    "email": ("email", "mail"),
    "push": ("push", "pushnotification", "apns", "fcm", "hms", "androidpush", "iospush"),
    "messenger": ("messenger", "fb", "facebook", "facebookmessenger", "fbmessenger"),
    "instagram": ("instagram", "ig"),
    "apple": ("apple", "applemessagesforbusiness", "abc", "amb", "applebusinesschat"),
    "gbm": ("gbm", "googlebusinessmessages", "gbc", "googlebusinesschat"),
    "in_app": ("inapp", "inappmessaging", "livechat", "inappmessagingandlivechat", "ott"),
    "voice": ("voice", "ivr", "call"),
    "voice_logbook": ("voicelogbook", "logbook"),
    "contact_policy": ("contactpolicy",),
}.items():
    for _name in _names:
        _CHANNELS[_name] = _slug

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


_channel_cache: dict[str, str | None] = {}


def as_channel(value: object) -> str | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    # A handful of spellings ("SMS", "WhatsApp") in every record: cached by the exact text.
    found = _channel_cache.get(value, "")
    if found == "":
        found = _CHANNELS.get(_NOT_ALNUM.sub("", value.lower()))
        if len(_channel_cache) >= _CACHE_LIMIT:
            _channel_cache.clear()
        _channel_cache[value] = found
    return found
