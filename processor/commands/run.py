"""`vendor-errors run`: the Kafka processor (settings: docs/configuration.md)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import types

EXIT_OK = 0
EXIT_CONFIG = 2  # the configuration or catalog is invalid: nothing started
EXIT_FORCED = 3  # the shutdown bound passed, or a second signal: exited without finishing

log = logging.getLogger("processor")

DESCRIPTION = """\
Consume application logs from Kafka, find the errors messaging vendors returned, and publish
them: Prometheus metrics on /metrics (with /healthz and /readyz beside it), OpenTelemetry spans
over OTLP (OTEL_EXPORTER_OTLP_ENDPOINT etc.), and optionally the enriched events on a Kafka
topic. Records that cannot be decoded go to a dead-letter topic. Offsets are committed only
after every output of a batch is acknowledged (at least once).
"""

EPILOG = """\
settings come from the YAML file, then from VENDOR_ERRORS_<SECTION>__<NAME> environment
variables over it, e.g.
  VENDOR_ERRORS_KAFKA__BOOTSTRAP_SERVERS=broker:9092
  VENDOR_ERRORS_KAFKA__TOPICS=app-logs,web-logs
  VENDOR_ERRORS_OUTPUT__ENRICHED_TOPIC=vendor-errors-enriched
  VENDOR_ERRORS_KAFKA__SASL_PASSWORD=...   (from a Secret)
see docs/configuration.md for every setting, docs/operations.md for health, metrics, shutdown.

spans and pushed metrics follow the standard OpenTelemetry variables:
  OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318   (spans are off without it, or
                                                       OTEL_TRACES_EXPORTER)
  OTEL_EXPORTER_OTLP_PROTOCOL=grpc|http/protobuf      (default http/protobuf)
  OTEL_TRACES_EXPORTER=otlp|console|none, OTEL_METRICS_EXPORTER=otlp, OTEL_SDK_DISABLED=true,
  OTEL_EXPORTER_OTLP_HEADERS, _CERTIFICATE, _TIMEOUT, OTEL_SERVICE_NAME, ...

SIGTERM/SIGINT: stop polling, finish the batch, flush, commit, exit within
shutdown.timeout_seconds (default 20 s); a second signal exits at once.
exit status: 0 stopped cleanly, 1 failed, 2 invalid configuration, 3 forced exit.
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "run",
        help="run the Kafka processor",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=None,
        help="YAML settings file (default: $VENDOR_ERRORS_CONFIG, else defaults + environment)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="validate the settings and the catalog overlay, print the settings, and exit",
    )
    parser.set_defaults(handler=run)


class _StopWhileStarting(BaseException):
    """A stop signal while the processor was starting: what started is stopped, exit 0.
    A BaseException, so that no `except Exception` on the way swallows it."""


def _exit_now(code: int, message: str) -> None:
    from vendor_errors.processor import child

    log.error(message)
    child.kill_all()  # a forced exit leaves no helper process behind
    logging.shutdown()
    os._exit(code)


def _install_signals(
    stop: threading.Event, timeout_seconds: float, starting: threading.Event
) -> None:
    def handle(signum: int, frame: types.FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():
            _exit_now(EXIT_FORCED, f"second {name}: exiting without finishing")
        stop.set()
        log.info("stop requested", extra={"signal": name, "bound_seconds": timeout_seconds})
        # The hard bound: whatever the broker or the collector do, the process is gone by then.
        watchdog = threading.Timer(
            timeout_seconds,
            _exit_now,
            args=(EXIT_FORCED, f"shutdown took longer than {timeout_seconds:g}s; exiting"),
        )
        watchdog.daemon = True
        watchdog.start()
        if starting.is_set():
            # Handlers run on the main thread, which is then inside build_processor (waiting
            # for the cluster, say): abandon the start there.
            raise _StopWhileStarting(name)

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


def run(args: argparse.Namespace) -> int:
    from vendor_errors.catalog.schema import CatalogError
    from vendor_errors.parsers import GrokError
    from vendor_errors.processor import logs
    from vendor_errors.processor.config import ConfigError, load_settings
    from vendor_errors.processor.privacy import Redactor

    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"vendor-errors run: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if args.check:
        from vendor_errors.processor.reload import CatalogWatcher
        from vendor_errors.processor.transform import default_extractor

        try:
            catalogs = CatalogWatcher(
                settings.catalog.overlay, settings.catalog.reload_interval_seconds
            )
            default_extractor(catalogs.current, settings)
        except CatalogError as exc:
            print(f"vendor-errors run: catalog.overlay: {exc}", file=sys.stderr)
            return EXIT_CONFIG
        except GrokError as exc:
            print(f"vendor-errors run: parsing.patterns: {exc}", file=sys.stderr)
            return EXIT_CONFIG
        from vendor_errors.processor.telemetry import (
            TelemetryError,
            metric_exporters,
            tracing,
        )

        try:
            spans = tracing(settings.tracing.enabled)
            pushed = metric_exporters(settings.metrics.otlp)
        except TelemetryError as exc:
            print(f"vendor-errors run: {exc}", file=sys.stderr)
            return EXIT_CONFIG
        print(settings.model_dump_json(indent=2, exclude={"kafka": {"sasl_password"}}))
        print(
            f"spans: {', '.join(spans.exporters) or 'off (' + str(spans.off_because) + ')'}; "
            f"metrics: /metrics{''.join(', ' + name for name in pushed)}",
            file=sys.stderr,
        )
        return EXIT_OK

    # One privacy policy for everything this run publishes: its logs, its children's logs, the
    # findings, spans, labels and dead-letter headers (docs/privacy.md).
    redactor = Redactor.from_settings(settings.privacy)
    logs.configure(settings.log.level, redactor=redactor)
    stop, starting = threading.Event(), threading.Event()
    starting.set()
    _install_signals(stop, settings.shutdown.timeout_seconds, starting)

    from vendor_errors.processor import child, heap
    from vendor_errors.processor.build import build_processor
    from vendor_errors.processor.health import PortInUse
    from vendor_errors.processor.protocols import ClientError
    from vendor_errors.processor.telemetry import TelemetryError

    # A child sent SIGTERM with the processor (a process-group signal) serves it at most this
    # long (child.py).
    child.configure(settings.shutdown.timeout_seconds, log_redactor=redactor)
    try:
        try:
            processor = build_processor(settings, redactor=redactor)
        finally:
            starting.clear()
    except _StopWhileStarting:  # build_processor stopped what it had started
        log.info("stopped while starting")
        return EXIT_OK
    except TelemetryError as exc:
        log.error("an OpenTelemetry variable is invalid", extra={"error": str(exc)})
        return EXIT_CONFIG
    except PortInUse as exc:
        log.error("cannot start: the metrics port is taken", extra={"error": exc.strerror})
        return 1
    except CatalogError as exc:
        extra = {"setting": "catalog.overlay", "error": str(exc)}
        log.error("catalog overlay is invalid", extra=extra)
        return EXIT_CONFIG
    except GrokError as exc:
        log.error(
            "a text pattern is invalid", extra={"setting": "parsing.patterns", "error": str(exc)}
        )
        return EXIT_CONFIG
    except OSError as exc:  # e.g. the metrics port is taken
        log.error("cannot start", extra={"error": str(exc)})
        return 1
    except ClientError as exc:  # the producer needs the cluster at start (its API version)
        log.error(
            "cannot reach Kafka",
            extra={"bootstrap_servers": settings.kafka.bootstrap_servers, "error": str(exc)},
        )
        return 1

    def stop_when_asked() -> None:  # the signal handler only sets `stop`
        stop.wait()
        processor.stop()

    threading.Thread(target=stop_when_asked, daemon=True).start()
    heap.settle_after_start_up()
    try:
        processor.run()
    except Exception:
        log.exception("processor failed")
        return 1
    return EXIT_OK
