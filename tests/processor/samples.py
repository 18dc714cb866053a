"""Application log records as services write them, with the vendor errors each one carries.

`error_record(i)` varies ids and the recipient per record so every error is traceable to its
input; `EXPECTED` says which (vendor, code) the processor must find in each template.
"""

from __future__ import annotations

import itertools
import random

import orjson

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def _eight_by_eight(i: int) -> dict:
    return {
        "timestamp": "2025-03-01T10:00:00.250Z",
        "level": "error",
        "logger": "notify.sms",
        "trace_id": TRACE_ID,
        "span_id": f"{i + 1:016x}",
        "message": "SMS send failed",
        "http": {
            "method": "POST",
            "url": "https://sms.8x8.com/api/v1/subaccounts/acme/messages?token=s3cret",
            "status_code": 400,
        },
        "response": {
            "code": 1300,
            "message": f"Invalid destination +1415555{i % 10000:04d}",
            "errorId": f"a3f1c2d4-0000-4000-8000-{i:012d}",
            "timestamp": "2025-03-01T10:00:00.200Z",
        },
    }


def _webex(i: int) -> dict:
    return {
        "time": "2025-03-01T10:00:01Z",
        "severity": "ERROR",
        "service": "campaigns",
        "msg": "webex connect send rejected",
        "url": "https://acme.us.webexconnect.io/resources/v1/messaging",
        "status": 401,
        "response": {"code": "7001", "description": "Authentication failed"},
        "request_id": f"req-{i}",
    }


def _salesforce(i: int) -> dict:
    return {
        "@timestamp": "2025-03-01T10:00:02Z",
        "log.level": "error",
        "service.name": "byoc-bridge",
        "http.response.status_code": 429,
        "url.full": "https://acme.my.salesforce-scrt.com/api/v1/interactions",
        "error.body": [{"errorCode": "10004", "message": f"Conversation {i} is closed"}],
        "seq": i,
    }


def _dynamics(i: int) -> dict:
    return {
        "timestamp": "2025-03-01T10:00:03Z",
        "level": "warn",
        "component": "d365-channel",
        "x-ms-correlation-id": f"c0ffee00-0000-4000-8000-{i:012d}",
        "response": {
            "type": "https://docs.microsoft.com/errors/30005",
            "title": "Conversation not found",
            "status": 404,
            "errorCode": "30005",
            "detail": f"Conversation {i} does not exist; mail ops@example.com",
        },
    }


def _pipedrive(i: int) -> dict:
    return {
        "ts": "2025-03-01T10:00:04Z",
        "level": "error",
        "logger": "pipedrive.messaging",
        "response": {
            "success": False,
            "data": {"message": "Rate limit exceeded", "code": "RATE_LIMIT_EXCEEDED"},
        },
        "n": i,
    }


TEMPLATES = (_eight_by_eight, _webex, _salesforce, _dynamics, _pipedrive)
EXPECTED = (
    ("8x8", "1300"),
    ("webex", "7001"),
    ("salesforce", "10004"),
    ("dynamics365", "30005"),
    ("pipedrive", "RATE_LIMIT_EXCEEDED"),
)

NORMAL = (
    b'{"timestamp":"2025-03-01T10:00:00Z","level":"info","service":"checkout",'
    b'"message":"GET /api/cart 200 in 12ms","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}',
    b"2025-03-01T10:00:00Z INFO  [worker-3] order 8812 shipped in 241 ms",
    b'{"ts":"2025-03-01T10:00:00Z","level":"debug","msg":"cache hit","key":"user:42"}',
    b'level=info msg="request served" method=GET path=/healthz status=200 duration=0.4ms',
)


def error_record(i: int) -> tuple[bytes, tuple[str, str]]:
    """The i-th error record (templates in turn) and the (vendor, code) it carries."""
    which = i % len(TEMPLATES)
    return orjson.dumps(TEMPLATES[which](i)), EXPECTED[which]


Expected = tuple[str, str]


def mixed(total: int, error_every: int, seed: int = 7) -> list[tuple[bytes, Expected | None]]:
    """`total` records, one in `error_every` a vendor error, the rest ordinary log lines."""
    rng = random.Random(seed)
    errors = itertools.count()
    out: list[tuple[bytes, Expected | None]] = []
    for n in range(total):
        if n % error_every == 0:
            out.append(error_record(next(errors)))
        else:
            out.append((rng.choice(NORMAL), None))
    return out
