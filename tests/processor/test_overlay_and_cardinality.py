"""A catalog overlay change is used without a restart; a flood of unknown codes stays bounded."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from tests.processor.kafka_tools import (
    Offsets,
    any_port,
    environment,
    in_process,
    metric_samples,
    produce,
    read_all,
    wait_until,
)

pytestmark = pytest.mark.kafka

OVERLAY = """\
entries:
  - vendor: 8x8
    code: "{code}"
    message: Sender ID not registered for this country
    category: configuration
    severity: error
    transient: false
    remediation: Register the sender ID with 8x8 for the destination country.
"""


def eight_by_eight(code: int, n: int) -> bytes:
    """An 8x8 API failure with `code`, as a service logs it."""
    return orjson.dumps(
        {
            "level": "error",
            "logger": "notify.sms",
            "http": {"url": "https://sms.8x8.com/api/v1/subaccounts/acme/messages"},
            "status": 400,
            "response": {"code": code, "message": f"Rejected #{n}", "errorId": f"id-{n}"},
        }
    )


def write(path: Path, text: str) -> None:
    path.write_text(text)
    stamp = time.time() + 2  # a new mtime even where the filesystem clock is coarse
    os.utime(path, (stamp, stamp))


def test_overlay_reload_and_unknown_code_flood(
    kafka_bootstrap: str, new_topic: Callable[..., str], tmp_path: Path
) -> None:
    topic, enriched = new_topic("logs"), new_topic("enriched")
    overlay = tmp_path / "overlay.yaml"
    write(overlay, OVERLAY.format(code="4401"))
    group = "overlay"
    env = environment(
        kafka_bootstrap,
        topic,
        group,
        any_port(),
        OUTPUT__ENRICHED_TOPIC=enriched,
        CATALOG__OVERLAY=str(overlay),
        CATALOG__RELOAD_INTERVAL_SECONDS="0.2",
        METRICS__MAX_UNKNOWN_CODES_PER_VENDOR="5",
    )

    def errors_for(code: str) -> dict[str, float]:
        return {
            labels["known"]: value
            for labels, value in metric_samples(running.port, "vendor_errors_total")
            if labels["vendor"] == "8x8" and labels["code"] == code
        }

    with Offsets(kafka_bootstrap) as offsets, in_process(env) as running:
        produce(kafka_bootstrap, topic, [eight_by_eight(4402, n) for n in range(10)])
        wait_until(lambda: offsets.caught_up(group, topic), 60, "the first records")
        assert errors_for("4402") == {"false": 10}

        # The overlay now documents 4402: no restart, the next records are known errors.
        write(overlay, OVERLAY.format(code="4402"))
        wait_until(
            lambda: any(
                labels["code"] == "4402"
                for labels, _ in metric_samples(running.port, "vendor_errors_catalog_info")
            ),
            10,
            "the overlay to be re-loaded",
        )
        produce(kafka_bootstrap, topic, [eight_by_eight(4402, n) for n in range(10, 20)])
        wait_until(lambda: offsets.caught_up(group, topic), 60, "the records after the reload")
        assert errors_for("4402") == {"false": 10, "true": 10}

        # A flood of made-up codes: 4402 already took one of the 5 slots for unknown codes.
        flood = [eight_by_eight(5000 + n, n) for n in range(1000)]
        produce(kafka_bootstrap, topic, flood)
        wait_until(lambda: offsets.caught_up(group, topic), 60, "the flood")
        series = [
            (labels, value)
            for labels, value in metric_samples(running.port, "vendor_errors_total")
            if labels["vendor"] == "8x8" and labels["known"] == "false"
        ]

    codes = {labels["code"] for labels, _ in series}
    assert len(codes) == 6 and "_OTHER" in codes and "4402" in codes
    assert sum(v for labels, v in series if labels["code"] != "4402") == 1000
    assert dict((labels["code"], v) for labels, v in series)["_OTHER"] == 1000 - 4

    # The enriched topic always carries the real code, and the reload shows in `known`.
    events = [r.json() for r in read_all(kafka_bootstrap, enriched)]
    assert len(events) == 1020
    assert len({e["code"] for e in events}) == 1001
    after_reload = [e for e in events if e["code"] == "4402" and e["known"]]
    assert len(after_reload) == 10
    assert {e["category"] for e in after_reload} == {"configuration"}
