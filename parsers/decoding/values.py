"""Values of log envelopes' fields: statuses, codes, levels, trace ids, as records write them.

The roles of fields (which key means what) are parsers/decoding/fields.py; these read a field's
value once its role is known, and say what a code is (a success, an HTTP client's own code, a
vendor's status code).
"""

from __future__ import annotations

import re

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
    elif type(value) is str and value[:3].isdigit() and value[3:4] == " ":
        status = int(value[:3])  # Go's resp.Status: "400 Bad Request"
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
