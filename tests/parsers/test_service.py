"""The application that wrote a record, and its Kubernetes namespace: the events' `service` and
`namespace`, read from the envelopes shippers and logging libraries write (docs/events.md)."""

from __future__ import annotations

import orjson
import pytest
from vendor_errors import catalog
from vendor_errors.parsers import Extractor

# Every record below holds one vendor error: a 503 from 8x8.
FAILED = {"url": "https://sms.8x8.com/api/v1/subaccounts/acme/messages", "status": 503}
LINE = "POST https://sms.8x8.com/api/v1/subaccounts/acme/messages returned 503"


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor(catalog.load(), patterns=["%{WORD:service} | %{GREEDYDATA:message}"])


def _one(extractor: Extractor, record: object) -> tuple[str | None, str | None]:
    raw = record if isinstance(record, str) else orjson.dumps(record).decode()
    (finding,) = extractor.extract(raw, {"file": "t.log", "line": 1}).findings
    assert finding.event["code"] == "http_503"
    return finding.event["service"], finding.event["namespace"]


FLUENT_BIT = {
    "time": "2024-05-05T05:49:00.123456789Z",
    "stream": "stderr",
    "log": LINE,
    "kubernetes": {
        "pod_name": "otp-sender-7c9d8f6b5-x2k9p",
        "namespace_name": "sms",
        "labels": {"app.kubernetes.io/name": "otp-sender", "app": "otp", "pod-template-hash": "7"},
        "container_name": "sender",
        "host": "node-1",
    },
}


def _without_labels(*drop: str) -> dict[str, object]:
    record = orjson.loads(orjson.dumps(FLUENT_BIT))
    for label in drop:
        del record["kubernetes"]["labels"][label]
    return record


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        # Fluent Bit's kubernetes filter: the app.kubernetes.io/name label, then app, then the
        # container's name; the namespace from namespace_name.
        (FLUENT_BIT, ("otp-sender", "sms")),
        (_without_labels("app.kubernetes.io/name"), ("otp", "sms")),
        (_without_labels("app.kubernetes.io/name", "app"), ("sender", "sms")),
        # Vector's kubernetes_logs source.
        (
            {
                "message": LINE,
                "kubernetes": {
                    "container_name": "notify",
                    "pod_labels": {"app": "notify-api"},
                    "pod_namespace": "notify",
                    "pod_name": "notify-5f7b9c-xk2lp",
                },
                "source_type": "kubernetes_logs",
                "timestamp": "2024-05-03T08:02:00.000123Z",
            },
            ("notify-api", "notify"),
        ),
        # ECS (flat and nested), with Filebeat's Kubernetes metadata.
        (
            {
                "@timestamp": "2024-05-02T08:30:00.000Z",
                "log.level": "error",
                "message": LINE,
                "service.name": "sms-gateway",
                "kubernetes.namespace": "sms",
            },
            ("sms-gateway", "sms"),
        ),
        (
            {
                "@timestamp": "2024-05-02T08:30:00.000Z",
                "message": LINE,
                "service": {"name": "sms-gateway"},
                "kubernetes": {"namespace": "sms", "labels": {"app": "gateway"}},
            },
            ("sms-gateway", "sms"),
        ),
        # OpenTelemetry: flat attributes, nested, and an OTLP/JSON record's resource.
        ({"service.name": "otp", "k8s.namespace.name": "prod", **FAILED}, ("otp", "prod")),
        (
            {"resource": {"service.name": "otp", "k8s.namespace.name": "prod"}, **FAILED},
            ("otp", "prod"),
        ),
        (
            {
                "resourceLogs": [
                    {
                        "resource": {
                            "attributes": [
                                {"key": "service.name", "value": {"stringValue": "otp"}},
                                {"key": "k8s.namespace.name", "value": {"stringValue": "prod"}},
                            ]
                        },
                        "scopeLogs": [
                            {
                                "logRecords": [
                                    {"severityText": "ERROR", "body": {"stringValue": LINE}}
                                ]
                            }
                        ],
                    }
                ]
            },
            ("otp", "prod"),
        ),
        # Plain JSON logs.
        ({"level": "error", "service": "checkout", **FAILED}, ("checkout", None)),
        ({"level": "error", "app": "checkout", **FAILED}, ("checkout", None)),
        ({"level": "error", "application": "checkout", **FAILED}, ("checkout", None)),
        # The application's own name beats the shipper's labels, whatever the order.
        ({"kubernetes": {"labels": {"app": "pod-app"}}, "service": "own", **FAILED}, ("own", None)),
        # Docker's journald driver and the fluentd driver name the container.
        ({"CONTAINER_NAME": "omni-sync", "MESSAGE": LINE}, ("omni-sync", None)),
        ({"container_name": "/omni-sync", "log": LINE}, ("omni-sync", None)),
        # journald's SYSLOG_IDENTIFIER.
        ({"SYSLOG_IDENTIFIER": "sms-gateway", "MESSAGE": LINE}, ("sms-gateway", None)),
        # Text: syslog's APP-NAME (RFC 5424 and 3164), and a layout's field named `service`.
        (f"<11>1 2024-05-02T08:30:00.000Z host-1 sms-gw 4711 - - {LINE}", ("sms-gw", None)),
        (f"<11>May  2 08:30:00 host-1 sms-gw[4711]: {LINE}", ("sms-gw", None)),
        (f"checkout | {LINE}", ("checkout", None)),
        # Nothing names the application.
        ({"level": "error", **FAILED}, (None, None)),
        (LINE, (None, None)),
    ],
)
def test_service_and_namespace(
    extractor: Extractor, record: object, expected: tuple[str | None, str | None]
) -> None:
    assert _one(extractor, record) == expected


def test_a_body_field_does_not_name_the_application(extractor: Extractor) -> None:
    """A vendor's body read after the record's own fields: its `application` is no service."""
    record = {
        "level": "error",
        "service": "notify",
        **FAILED,
        "body": {"code": 1300, "message": "Not found", "errorId": "e-1", "application": "acme-app"},
    }
    (finding,) = extractor.extract(orjson.dumps(record), {"file": "t.log", "line": 1}).findings
    assert (finding.event["code"], finding.event["service"]) == ("1300", "notify")


def test_every_record_of_a_batch_has_its_own_service(extractor: Extractor) -> None:
    """Loki push: each stream's labels name its application."""
    record = {
        "streams": [
            {
                "stream": {"app": "otp", "namespace": "sms"},
                "values": [["1714638360000000000", LINE]],
            },
            {"stream": {"app": "billing"}, "values": [["1714638361000000000", LINE]]},
        ]
    }
    findings = extractor.extract(orjson.dumps(record), {"file": "t.log", "line": 1}).findings
    assert [(f.event["service"], f.event["namespace"]) for f in findings] == [
        ("otp", "sms"),
        ("billing", None),
    ]
