"""Small pieces of the processor: a parser failure, JSON logs, the command's help."""

from __future__ import annotations

import io
import logging

import orjson
import pytest
from vendor_errors.parsers import Result
from vendor_errors.processor.cli import main
from vendor_errors.processor.logs import JsonFormatter
from vendor_errors.processor.transform import Transform


def test_logs_are_one_json_object_per_line() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("test.json-logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("commit failed; will retry", extra={"error": "boom", "partitions": 3})
        try:
            raise ValueError("bad")
        except ValueError:
            logger.exception("parser failed")
    finally:
        logger.removeHandler(handler)
    first, second = (orjson.loads(line) for line in stream.getvalue().splitlines())
    assert first["level"] == "warning" and first["logger"] == "test.json-logs"
    assert first["message"] == "commit failed; will retry"
    assert first["error"] == "boom" and first["partitions"] == 3
    assert first["time"].endswith("+00:00")
    assert "ValueError: bad" in second["exception"]


def test_run_help_explains_settings_and_shutdown(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["run", "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    assert "--config FILE" in text
    assert "VENDOR_ERRORS_KAFKA__BOOTSTRAP_SERVERS" in text
    assert "docs/configuration.md" in text
    assert "SIGTERM" in text and "shutdown.timeout_seconds" in text


class _Exploding:
    catalog = None

    def extract(self, raw: bytes | str, source: dict) -> Result:
        raise RecursionError("deep")


def test_a_parser_failure_costs_one_record() -> None:
    result = Transform(_Exploding()).parse(b"{}", "t", 0, 7)  # type: ignore[arg-type]
    assert result.outcome == "undecodable"
    assert result.reason == "parser error: RecursionError"


def test_key_hashing_partitioner_places_keys_as_the_default_one() -> None:
    from kafka.partitioner.default import DefaultPartitioner
    from vendor_errors.processor.kafka_python.outbox import KeyHashingPartitioner

    class Cluster:
        def topics(self) -> set[str]:
            return {"out"}

        def partitions_for_topic(self, topic: str) -> set[int]:
            return set(range(7))

        def available_partitions_for_topic(self, topic: str) -> set[int]:
            return set(range(7))

    ours, default = KeyHashingPartitioner(), DefaultPartitioner()
    keys = [f"{vendor}:{code}".encode() for vendor in ("8x8", "webex") for code in range(300)]
    for key in keys * 2:  # the second time from the cache
        assert ours.partition("out", key, key, b"", b"", Cluster()) == default.partition(
            "out", key, key, b"", b"", Cluster()
        )
    assert 0 <= ours.partition("out", None, None, b"", b"", Cluster()) < 7


def test_an_unreachable_cluster_during_poll_is_waited_out() -> None:
    from kafka.errors import KafkaConnectionError, UnsupportedVersionError
    from vendor_errors.processor.kafka_python.source import KafkaPythonSource as Source

    class Consumer:
        def __init__(self, error: Exception) -> None:
            self.error = error

        def subscribe(self, topics: list[str], listener: object) -> None:
            pass

        def poll(self, timeout_ms: int) -> dict:
            raise self.error

    source = Source(Consumer(KafkaConnectionError("111 ECONNREFUSED")), ["t"])  # type: ignore[arg-type]
    assert source.poll(10) is None  # retriable: logged, no batch, the loop goes on
    fatal = Source(Consumer(UnsupportedVersionError()), ["t"])  # type: ignore[arg-type]
    with pytest.raises(UnsupportedVersionError):
        fatal.poll(10)
