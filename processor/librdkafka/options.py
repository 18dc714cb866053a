"""librdkafka configuration from the settings: connection, security and logging, shared by the
consumer and the producer; and what both do with the client's error events."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from vendor_errors.processor.kafka_logs import LIBRDKAFKA_DEBUG, LIBRDKAFKA_LOGGER, Repeats
from vendor_errors.processor.protocols import ClientError
from vendor_errors.processor.settings import KafkaSettings

log = logging.getLogger(__name__)

# librdkafka's syslog levels: 4 warning (what an operator needs), 7 debug.
LOG_LEVEL_WARNING, LOG_LEVEL_DEBUG = 4, 7

ClientT = TypeVar("ClientT", Consumer, Producer)


class ErrorEvents:
    """The client's `error_cb`: errors outside any one request (all brokers down, failed
    authentication), served by poll/consume on the caller's thread. Logged once per kind a
    minute; the last is kept for the start-up error, and a fatal one for the loop to raise."""

    def __init__(self, role: str) -> None:
        self.role = role
        self.last: KafkaError | None = None
        self.fatal: KafkaError | None = None
        self._repeats = Repeats(log)

    def __call__(self, error: KafkaError) -> None:
        self.last = error
        if error.fatal():
            self.fatal = error
        self._repeats.log(
            logging.ERROR if error.fatal() else logging.WARNING,
            f"kafka {self.role}: {error.name()}",
            key=f"{self.role}:{error.name()}",
            extra={"error": error.str()},
        )


def connection_config(kafka: KafkaSettings, debug: bool, errors: ErrorEvents) -> dict[str, Any]:
    config: dict[str, Any] = {
        "bootstrap.servers": ",".join(kafka.bootstrap_servers),
        "security.protocol": kafka.security_protocol.lower(),
        "logger": logging.getLogger(LIBRDKAFKA_LOGGER),
        "log_level": LOG_LEVEL_DEBUG if debug else LOG_LEVEL_WARNING,
        "error_cb": errors,
    }
    if debug:
        config["debug"] = LIBRDKAFKA_DEBUG
    if kafka.security_protocol.startswith("SASL_"):
        config["sasl.mechanism"] = kafka.sasl_mechanism
        config["sasl.username"] = kafka.sasl_username
        config["sasl.password"] = kafka.sasl_password
    if kafka.security_protocol in ("SSL", "SASL_SSL"):
        config["ssl.endpoint.identification.algorithm"] = (
            "https" if kafka.ssl_check_hostname else "none"
        )
        for setting, name in (
            ("ssl.ca.location", "ssl_cafile"),
            ("ssl.certificate.location", "ssl_certfile"),
            ("ssl.key.location", "ssl_keyfile"),
        ):
            path = getattr(kafka, name)
            if path is not None:
                config[setting] = str(path)
    return config


def start(
    make: Callable[[dict[str, Any]], ClientT],
    config: dict[str, Any],
    kafka: KafkaSettings,
    timeout_seconds: float,
    errors: ErrorEvents,
) -> ClientT:
    """The client, once the cluster answered (any broker's metadata: it is there, and lets us
    in); ClientError if the configuration is refused or no broker answered in time."""
    try:
        client = make(config)
    except (KafkaException, ValueError, TypeError) as exc:
        raise ClientError(f"cannot create the Kafka {errors.role}: {exc}") from exc
    try:
        client.list_topics(timeout=timeout_seconds)
    except KafkaException as exc:
        if isinstance(client, Consumer):
            client.close()
        last = errors.last.str() if errors.last is not None else exc.args[0].str()
        raise ClientError.unreachable(
            kafka.bootstrap_servers, kafka.security_protocol, timeout_seconds, last
        ) from exc
    return client
