"""Field names and values of log envelopes: which key means what, and how to read its value.

Logs spell the same field many ways (`trace_id`, `traceId`, `trace.id`, `dd.trace_id`;
`http.response.status_code`, `status`, `statusCode`). A key is folded (lower case, without
`_ - . @ / :` and spaces) and looked up in one table of roles; nested objects also try
`parent + key` (`{"url": {"full": ...}}` is `urlfull`). The generic spellings are here; the
vendors' own headers come from their catalog data (`Roles(extra)`, built by the registry).
Folding and roles are memoised per distinct key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from vendor_errors.parsers.fast.memo import Memo

# Keys are memoised up to this many distinct spellings (then the memo starts over).
MEMO_LIMIT = 20_000
NESTED_PARENTS, NESTED_KEYS = 256, 1024


# Roles of fields: plain ints, not an Enum - looking up an enum member costs ten times a global
# on the hot path (CPython 3.11).
Role = int
R_NONE = 0
R_TIMESTAMP = 1
R_LEVEL = 2
R_SERVICE = 3  # the application that wrote the record: its own name for itself
R_METHOD = 4
R_STATUS = 5
R_URL = 6
R_HOST = 7
R_CORRELATION = 8  # correlation_id, x-request-id, a vendor's correlation header, ...
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
R_VENDOR_HEADER = 19  # a header only one vendor sends (from the vendors' data)
R_ERROR_ID = 20  # 8x8's errorId: a body marker and the correlation id
# Weaker names of the application, each used only when no stronger one is in the record
# (`SERVICE_RANK`): a syslog APP-NAME, Kubernetes labels, a container's name.
R_APP_NAME = 21
R_K8S_NAME = 22
R_K8S_APP = 23
R_CONTAINER = 24
R_NAMESPACE = 25  # the application's Kubernetes namespace
R_REQUEST = 26  # the body of a request sent: a code in it is not the answer's


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
    "timestampms",
    "eventtimestampms",
    "realtimetimestamp",
    "timegenerated",
)
_define(R_LEVEL, "level", "loglevel", "levelname", "severity", "severitytext", "lvl")
# Names of the writing application, strongest first (the envelope keeps the strongest seen):
# OTel/ECS `service.name`, `service`, `app`, `application` (also App Insights' role name);
# syslog APP-NAME and journald's identifier; the Kubernetes `app.kubernetes.io/name` label,
# then the `app` label (Fluent Bit `kubernetes.labels`, Vector `kubernetes.pod_labels`, GCP);
# the container's name (Fluent Bit, Vector, ECS, Docker's fluentd and journald drivers).
_define(
    R_SERVICE,
    "service",
    "servicename",
    "app",
    "application",
    "applicationname",
    "approlename",
    "cloudrolename",
)
_define(R_APP_NAME, "appname", "syslogidentifier", "programname", "syslogappname", "faasname")
_define(
    R_K8S_NAME,
    "labelsappkubernetesioname",
    "podlabelsappkubernetesioname",
    "k8sdeploymentname",
)
_define(R_K8S_APP, "labelsapp", "podlabelsapp", "labelsk8spodapp", "labelsk8spodappkubernetesioname")
_define(R_CONTAINER, "containername", "kubernetescontainername", "k8scontainername")
# Only spellings that say Kubernetes: a bare `namespace` is also 8x8's receipt namespace.
_define(
    R_NAMESPACE,
    "kubernetesnamespacename",
    "kubernetesnamespace",
    "kubernetespodnamespace",
    "k8snamespacename",
    "labelsnamespacename",
    "streamnamespace",
)
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
# Generic ones; the vendors' correlation headers come from their data (Roles(extra)).
_define(
    R_CORRELATION, "correlationid", "xcorrelationid", "xrequestid", "msrequestid", "xmsrequestid"
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
    "sourcecontext",
    "categoryname",
    "pythonlogger",
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
    "event",
    "textpayload",
    "resultdescription",
    "exceptionmessage",
)
_define(R_CODE, "code", "errorcode", "errcode", "apierrorcode")
# ECS `event.code` is the event's id in its source (a Windows event id), never a vendor's code.
_define(R_NONE, "eventcode")
# Request bodies sent to a vendor (axios keeps its request body in `config.data`).
_define(
    R_REQUEST,
    "request",
    "requestbody",
    "requestpayload",
    "requestdata",
    "reqbody",
    "configdata",
    "sentbody",
    "outgoingbody",
)
_define(R_ERROR_ID, "errorid")
_define(R_HEADERS, "headers", "responseheaders", "requestheaders", "header", "httpheaders")


# Keys whose meaning is lost when folded: Serilog's compact JSON (CLEF) `@t`, `@l`, `@m`, ...
RAW_ROLES: dict[str, Role] = {
    "@t": R_TIMESTAMP,
    "@l": R_LEVEL,
    "@m": R_MESSAGE,
    "@mt": R_MESSAGE,
    "@x": R_MESSAGE,
}


def generic_role(folded: str) -> Role | None:
    """The generic role of a folded field name, if it has one."""
    return _ROLES.get(folded)


_FOLD = str.maketrans("", "", "_-.@ /:")
_folded: Memo[str, str] = Memo(MEMO_LIMIT)
FOLDED = _folded.data  # key as written -> folded, for loops that skip the call to fold()


def fold(key: str) -> str:
    folded = FOLDED.get(key)
    if folded is None:
        folded = _folded.put(key, key.lower().translate(_FOLD))
    return folded


def flattened_header(folded: str) -> str | None:
    """`httpresponseheaderxmscorrelationid` -> `xmscorrelationid`: the header name in a
    flattened key, or None."""
    for marker in ("headers", "header"):
        at = folded.rfind(marker)
        if at >= 0:
            return folded[at + len(marker) :]
    return None


class Roles:
    """The role of every key: the generic table plus `extra` (the vendors' headers).

    `top` (key as written -> role) and `nested` (parent, folded -> key as written -> role)
    are read directly by the walk of a record (parsers.decoding.envelope); `role_of` fills
    them.
    """

    __slots__ = ("_nested", "_top", "nested", "table", "top")

    def __init__(self, extra: Mapping[str, Role] | None = None) -> None:
        clash = sorted(set(extra or ()) & _ROLES.keys())
        if clash:
            raise ValueError(f"already generic field names: {', '.join(clash)}")
        self.table: Mapping[str, Role] = {**_ROLES, **(extra or {})}
        self._top: Memo[str, Role] = Memo(MEMO_LIMIT)
        self.top = self._top.data
        self._nested: Memo[str, Memo[str, Role]] = Memo(NESTED_PARENTS)
        self.nested = self._nested.data

    def role_of(self, key: str, parent: str = "") -> Role:
        """The role of `key` inside an object stored under `parent` (folded), or R_NONE."""
        if not parent:  # most keys
            role = self.top.get(key)
            if role is None:
                role = RAW_ROLES.get(key)
                if role is None:
                    role = self._classify(fold(key), "")
                role = self._top.put(key, role)
            return role
        inner = self.nested.get(parent)
        if inner is None:
            inner = self._nested.put(parent, Memo(NESTED_KEYS))
        role = inner.data.get(key)
        if role is None:
            role = inner.put(key, self._classify(fold(key), parent))
        return role

    def _classify(self, folded: str, parent: str) -> Role:
        table = self.table
        if parent:
            composite = table.get(parent + folded)
            if composite is not None:
                return composite
        role = table.get(folded)
        if role is not None:
            return role
        header = flattened_header(folded)  # `http.response.header.x-ms-correlation-id`
        return R_NONE if header is None else table.get(header, R_NONE)


# -- values --------------------------------------------------------------------------------

ERROR_LEVELS = frozenset(
    {"error", "err", "fatal", "critical", "crit", "severe", "alert", "emerg", "emergency", "panic"}
    | {"dpanic", "fail", "ftl"}  # .NET console `fail:`, Serilog `[FTL]`
)
# Numeric levels: pino/bunyan (10-60) and Monolog (100-600); other scales are left alone.
_NUMERIC_LEVELS = {
    10: "trace",
    20: "debug",
    30: "info",
    40: "warn",
    50: "error",
    60: "fatal",
    100: "debug",
    200: "info",
    250: "notice",
    300: "warning",
    400: "error",
    500: "critical",
    550: "alert",
    600: "emergency",
}


def as_level(value: object) -> str | None:
    """A record's level, lower case: words as written, pino's and Monolog's numbers named."""
    if type(value) is str:
        return value.strip().lower() or None
    if type(value) is int:
        return _NUMERIC_LEVELS.get(value)
    return None


def as_status(value: object) -> int | None:
    """An HTTP status (100-599) from an int or a numeric string, else None."""
    if type(value) is int:
        status = value
    elif type(value) is str and 3 <= len(value) <= 5 and value.strip().isdigit():
        status = int(value)
    else:
        return None  # bools too: True is no status
    return status if 100 <= status <= 599 else None


def as_code(value: object) -> str | None:
    """A vendor code as written: ints and numeric strings as digits; None for non-codes."""
    if type(value) is int:
        return str(value)
    if type(value) is str:
        code = value.strip()
        return code if 0 < len(code) <= 64 and "\n" not in code else None
    if type(value) is float and value.is_integer():
        return str(int(value))
    return None


def is_status_code(value: object) -> bool:
    """A `status` value that is a vendor's status code, not an HTTP status: 4 to 6 digits
    (Webex Connect's `"status": "7102"`)."""
    if type(value) is int:
        return 1000 <= value <= 999_999
    return type(value) is str and 4 <= len(value) <= 6 and value.isdigit()


# Codes HTTP client libraries and runtimes put on the errors they throw: never a vendor's code
# (the call failed in the client or the network, or the status is the error). Node's system
# errors (libuv), OpenSSL's certificate errors as Node reports them; any `ERR_...` (Node,
# axios, got) and `UND_ERR_...` (undici) code is matched by its prefix.
_LIBRARY_CODES = frozenset(
    {
        *("E2BIG", "EACCES", "EADDRINUSE", "EADDRNOTAVAIL", "EAFNOSUPPORT", "EAGAIN"),
        *("EAI_ADDRFAMILY", "EAI_AGAIN", "EAI_BADFLAGS", "EAI_BADHINTS", "EAI_CANCELED"),
        *("EAI_FAIL", "EAI_FAMILY", "EAI_MEMORY", "EAI_NODATA", "EAI_NONAME", "EAI_OVERFLOW"),
        *("EAI_PROTOCOL", "EAI_SERVICE", "EAI_SOCKTYPE", "EALREADY", "EBADF", "EBUSY"),
        *("ECANCELED", "ECHARSET", "ECONNABORTED", "ECONNREFUSED", "ECONNRESET"),
        *("EDESTADDRREQ", "EEXIST", "EFAULT", "EFBIG", "EHOSTDOWN", "EHOSTUNREACH", "EINTR"),
        *("EINVAL", "EIO", "EISCONN", "EISDIR", "ELOOP", "EMFILE", "EMSGSIZE", "ENAMETOOLONG"),
        *("ENETDOWN", "ENETRESET", "ENETUNREACH", "ENFILE", "ENOBUFS", "ENODEV", "ENOENT"),
        *("ENOMEM", "ENONET", "ENOPROTOOPT", "ENOSPC", "ENOSYS", "ENOTCONN", "ENOTDIR"),
        *("ENOTEMPTY", "ENOTFOUND", "ENOTSOCK", "ENOTSUP", "EOVERFLOW", "EPERM", "EPIPE"),
        *("EPROTO", "EPROTONOSUPPORT", "EPROTOTYPE", "ERANGE", "EROFS", "ESHUTDOWN"),
        *("ESOCKETTIMEDOUT", "ESPIPE", "ESRCH", "ETIMEDOUT", "ETXTBSY", "EXDEV", "EOF"),
        *("CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID", "CERT_UNTRUSTED", "CERT_REJECTED"),
        *("DEPTH_ZERO_SELF_SIGNED_CERT", "SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_GET_ISSUER_CERT"),
        *("UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "UNABLE_TO_VERIFY_LEAF_SIGNATURE"),
        *("ERR_TLS_CERT_ALTNAME_INVALID", "HPE_INVALID_CONSTANT", "HPE_HEADER_OVERFLOW"),
    }
)


def is_library_code(code: str) -> bool:
    """A code an HTTP client or the runtime gave the failed call, not the vendor."""
    return code in _LIBRARY_CODES or code.startswith(("ERR_", "UND_ERR_"))


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
    if type(value) is not str:
        return None
    if len(value) != 32:
        value = value.strip().replace("-", "")
        if len(value) == 16:
            value = "0" * 16 + value
        if len(value) != 32:
            return None
    value = value.lower()
    if _all_hex(value) is None or value == "0" * 32:
        return None
    return value


def as_span_id(value: object) -> str | None:
    if type(value) is not str:
        return None
    value = value.strip().lower()
    if len(value) != 16 or not _is_hex(value) or value == "0" * 16:
        return None
    return value


_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")


def parse_traceparent(value: object) -> tuple[str, str, int] | None:
    if type(value) is not str:
        return None
    match = _TRACEPARENT.match(value.strip().lower())
    if match is None or match.group(1) == "ff":
        return None
    trace_id, span_id = as_trace_id(match.group(2)), as_span_id(match.group(3))
    if trace_id is None or span_id is None:
        return None
    return trace_id, span_id, int(match.group(4), 16)
