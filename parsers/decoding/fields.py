"""Field names and values of log envelopes: which key means what, and how to read its value.

Logs spell the same field many ways (`trace_id`, `traceId`, `trace.id`, `dd.trace_id`;
`http.response.status_code`, `status`, `statusCode`). A key is folded (lower case, without
`_ - . @ / :` and spaces) and looked up in one table of roles; nested objects also try
`parent + key` (`{"url": {"full": ...}}` is `urlfull`). The generic spellings are here; the
vendors' own headers come from their catalog data (`Roles(extra)`, built by the registry).
Folding and roles are memoised per distinct key.
"""

from __future__ import annotations

from collections.abc import Mapping

from vendor_errors.parsers.fast.memo import Memo

# Keys are memoised up to this many distinct spellings (then the memo starts over): more than
# any schema's working set; at 20,000, records with unique keys filled it to ~3 MiB.
MEMO_LIMIT = 4096
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
    "dt",
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
    "entityname",  # New Relic
)
_define(
    R_APP_NAME, "appname", "syslogidentifier", "programname", "program", "syslogappname", "faasname"
)
_define(
    R_K8S_NAME,
    "labelsappkubernetesioname",
    "podlabelsappkubernetesioname",
    "k8sdeploymentname",
)
_define(
    R_K8S_APP, "labelsapp", "podlabelsapp", "labelsk8spodapp", "labelsk8spodappkubernetesioname"
)
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
    "downstreamstatus",  # Traefik's
    "originstatus",
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
    "authority",  # Envoy's: the request's Host
    "requesthost",  # Traefik's
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
    "target",  # Rust's tracing: the module path (`sms_gateway::eightbyeight`)
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
    "renderedmessage",  # Serilog's JSON formatter
    "messagetemplate",
    "outermessage",  # Application Insights' exceptions
    "innermostmessage",
)
_define(R_CODE, "code", "errorcode", "errcode", "apierrorcode")
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
