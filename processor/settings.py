"""The processor's settings, section by section: names, types, defaults and the rules of each.

One pydantic model per section of the YAML file (docs/configuration.md lists them all);
`processor/config.py` reads the file and the environment into `Settings`, and
`helm/values-schema.py` turns these models into the chart's values schema.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Regular-expression syntax that Python's re knows and librdkafka's does not (a topic pattern
# must mean the same with either client).
_NOT_PORTABLE = re.compile(r"\\[dDwWsSbBAZ0-9]|\(\?|\[\[:")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KafkaSettings(_Section):
    # kafka-python needs no native code; librdkafka (the `librdkafka` extra: confluent-kafka)
    # reads several times faster.
    client: Literal["kafka-python", "librdkafka"] = "kafka-python"
    bootstrap_servers: list[str] = Field(default_factory=lambda: ["127.0.0.1:9092"], min_length=1)
    # Names, and regular expressions (entries starting with "^") matched against every topic.
    topics: list[str] = Field(default_factory=lambda: ["app-logs"], min_length=1)
    group_id: str = Field(default="vendor-errors", min_length=1)
    client_id: str = Field(default="vendor-errors", min_length=1)
    auto_offset_reset: Literal["earliest", "latest"] = "earliest"
    max_poll_records: int = Field(default=2000, ge=1, le=100_000)
    # How long the group waits for a member that vanished (crash, SIGKILL) before rebalancing.
    session_timeout_ms: int = Field(default=45_000, ge=1000, le=1_800_000)
    # Static membership (KIP-345), e.g. the StatefulSet pod name: a restart within the session
    # timeout gets its partitions back without a rebalance.
    group_instance_id: str | None = None
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: str | None = Field(default=None, repr=False)
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    ssl_check_hostname: bool = True
    # At start: how long to try the cluster before giving up with an error (exit status 1).
    connect_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    # Outputs and findings of batches polled but not yet acknowledged; past it the processor
    # stops polling until acknowledgements free room (the producer's buffer is sized from it).
    max_in_flight_bytes: int = Field(default=32 << 20, ge=1 << 20, le=1 << 31)
    # Records fetched ahead of the processor, waiting in the client.
    fetch_buffer_bytes: int = Field(default=4 << 20, ge=1 << 20, le=1 << 31)

    @field_validator("topics", "bootstrap_servers")
    @classmethod
    def _no_blank_items(cls, value: list[str]) -> list[str]:
        items = [item.strip() for item in value]
        if any(not item for item in items):
            raise ValueError("must not contain empty names")
        return items

    @field_validator("client")
    @classmethod
    def _installed(cls, value: str) -> str:
        if value == "librdkafka" and importlib.util.find_spec("confluent_kafka") is None:
            raise ValueError(
                "librdkafka needs confluent-kafka: pip install 'vendor-errors[librdkafka]'"
            )
        return value

    @field_validator("topics")
    @classmethod
    def _patterns_compile(cls, value: list[str]) -> list[str]:
        for item in value:
            if not item.startswith("^"):
                continue
            if _NOT_PORTABLE.search(item):
                raise ValueError(
                    f"{item!r}: write classes out ([0-9], [a-z], (a|b)): librdkafka's regular "
                    "expressions have no \\d, \\w, \\s, \\b, (?...) or [[:class:]]"
                )
            try:
                re.compile(item)
            except re.error as exc:
                raise ValueError(f"{item!r} is not a regular expression: {exc}") from None
        return value

    @property
    def patterns(self) -> list[str]:
        """The entries of `topics` that are regular expressions."""
        return [topic for topic in self.topics if topic.startswith("^")]

    def consumes(self, topic: str) -> bool:
        """Whether `topic` is one of `topics`, by name or by pattern."""
        return topic in self.topics or any(re.match(p, topic) for p in self.patterns)

    @field_validator("ssl_cafile", "ssl_certfile", "ssl_keyfile")
    @classmethod
    def _readable(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"file {str(value)!r} does not exist")
        return value


class OutputSettings(_Section):
    enriched_topic: str | None = None
    dead_letter_topic: str | None = "vendor-errors-dlq"
    include_status: bool = False


class CatalogSettings(_Section):
    overlay: Path | None = None
    reload_interval_seconds: float = Field(default=5.0, gt=0)

    @field_validator("overlay")
    @classmethod
    def _exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"file {str(value)!r} does not exist")
        return value


class MetricsSettings(_Section):
    host: str = "0.0.0.0"  # a pod's metrics port is meant to be scraped from outside
    port: int = Field(default=9464, ge=0, le=65535)  # 0 = any free port (tests)
    max_unknown_codes_per_vendor: int = Field(default=50, ge=0, le=10_000)
    # Distinct `service` label values; later services are counted as _OTHER.
    max_services: int = Field(default=200, ge=0, le=10_000)
    otlp: bool = False
    lag_interval_seconds: float = Field(default=15.0, gt=0)


class TracingSettings(_Section):
    enabled: bool = True


class ServiceSettings(_Section):
    """Where the service comes from when the record names none (processor/services.py)."""

    # Kafka topic (or a `^` regular expression of topics) -> service name.
    by_topic: dict[str, str] = Field(default_factory=dict)
    # A Kafka record header whose value names the service (matched case-insensitively).
    from_header: str | None = None

    @field_validator("by_topic", mode="before")
    @classmethod
    def _pairs(cls, value: object) -> object:
        """The environment's form: `topic=service,^pattern=service`."""
        if not isinstance(value, str):
            return value
        pairs: dict[str, str] = {}
        for item in value.split(","):
            if not item.strip():
                continue
            topic, equals, name = item.partition("=")
            if not equals:
                raise ValueError(f"{item.strip()!r} is not topic=service")
            pairs[topic.strip()] = name.strip()
        return pairs

    @field_validator("by_topic")
    @classmethod
    def _valid(cls, value: dict[str, str]) -> dict[str, str]:
        for topic, name in value.items():
            if not topic or not name.strip():
                raise ValueError(f"{topic!r}: topic and service must not be empty")
            if topic.startswith("^"):
                try:
                    re.compile(topic)
                except re.error as exc:
                    raise ValueError(f"{topic!r} is not a regular expression: {exc}") from None
        return {topic: name.strip() for topic, name in value.items()}

    @field_validator("from_header")
    @classmethod
    def _header(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            return None
        return value.strip() if value is not None else None


class PrivacySettings(_Section):
    """The redaction policy (docs/privacy.md); the patterns are compiled here, at start."""

    @staticmethod
    def _default_secret_params() -> list[str]:
        from vendor_errors.processor.privacy.rules import DEFAULT_SECRET_PARAMS

        return list(DEFAULT_SECRET_PARAMS)

    redact: bool = True
    # Extra regular expressions whose matches become "[redacted]" (customer numbers, ...).
    patterns: list[str] = Field(default_factory=list)
    # Query parameter names whose values are secrets (docs/privacy.md lists the defaults);
    # `extra_secret_params` adds to the list rather than replacing it.
    secret_params: list[str] = Field(default_factory=_default_secret_params)
    extra_secret_params: list[str] = Field(default_factory=list)
    # Kafka record keys in spans: a keyed hash (records of one key still group) or hidden.
    kafka_key: Literal["hash", "redact"] = "hash"
    # The hash key; unset, a random one per process run (hashes differ across restarts).
    # Kept out of repr and dumps (`run --check` prints the settings).
    key_salt: str | None = Field(default=None, repr=False, exclude=True)

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, value: list[str]) -> list[str]:
        from vendor_errors.processor.privacy.rules import PatternError, compile_pattern

        problems = []
        for index, pattern in enumerate(value):
            try:
                compile_pattern(pattern)
            except PatternError as exc:
                problems.append(f"[{index}] {exc}")
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @field_validator("secret_params", "extra_secret_params")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        names = [name.strip() for name in value]
        if any(not name for name in names):
            raise ValueError("must not contain empty names")
        return names


class ParsingSettings(_Section):
    patterns: list[str] = Field(default_factory=list)
    max_record_bytes: int = Field(default=1 << 20, ge=1024)


class ShutdownSettings(_Section):
    timeout_seconds: float = Field(default=20.0, gt=0, le=600)


class LogSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # The Kafka clients' own logs in full (else one line per kind, repeats summarised).
    kafka_debug: bool = False

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class Settings(_Section):
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    output: OutputSettings = Field(default_factory=OutputSettings)
    catalog: CatalogSettings = Field(default_factory=CatalogSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    tracing: TracingSettings = Field(default_factory=TracingSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    parsing: ParsingSettings = Field(default_factory=ParsingSettings)
    shutdown: ShutdownSettings = Field(default_factory=ShutdownSettings)
    log: LogSettings = Field(default_factory=LogSettings)
