"""The "Vendor errors: processor" dashboard: is the processor up, keeping up, and losing
nothing? Contract metrics and recorded series, plus Prometheus' own `up` for scrape health
(the processor's /readyz answers Kubernetes, not Prometheus)."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as builders
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.models import common, dashboard

from dashboards.panels import (
    Ids,
    Query,
    datasource_variable,
    label_variable,
    row,
    stat_panel,
    state_timeline,
    time_series,
    up_down_mappings,
)

UID = "vendor-errors-processor"
TITLE = "Vendor errors: processor"

RECORDS = 'vendor_errors:records:rate5m{job=~"$job", topic=~"$topic"}'
LAG = 'vendor_errors:consumer_lag:sum{job=~"$job", topic=~"$topic"}'
UP = 'up{job=~"$job"}'
# The same selector as the VendorErrorsProcessorAbsent alert.
DEFAULT_JOB = ".*vendor-errors.*"
OUTCOME_COLOURS = {
    "error_found": "orange",
    "no_error": "green",
    "undecodable": "purple",
    "dead_lettered": "red",
}


def _variables() -> list[Builder[dashboard.VariableModel]]:
    return [
        datasource_variable(),
        builders.TextBoxVariable("job")
        .label("Job (regex)")
        .description(
            "The Prometheus job of the processor's targets; the alerts use the same "
            "default, .*vendor-errors.*"
        )
        .default_value(DEFAULT_JOB)
        .current(dashboard.VariableOption(selected=True, text=DEFAULT_JOB, value=DEFAULT_JOB)),
        label_variable(
            "topic",
            "label_values(vendor_errors_records_total, topic)",
            "Topic",
            "The log topics the processor consumes.",
        ),
    ]


def _quantile(q: float) -> Query:
    return Query(
        f"histogram_quantile({q}, sum by (le) "
        '(vendor_errors:process_duration_seconds_bucket:rate5m{job=~"$job", topic=~"$topic"}))',
        legend=f"p{round(q * 100)}",
    )


def build() -> builders.Dashboard:
    ids = Ids()
    board = (
        builders.Dashboard(TITLE)
        .uid(UID)
        .description(
            "Is the vendor-errors processor up, keeping up with its topics, and losing "
            "nothing? Throughput, consumer lag, dead letters, processing time, scrape health."
        )
        .tags(["vendor-errors"])
        .editable()
        .time("now-6h", "now")
        .refresh("1m")
        .timezone("browser")
        .tooltip(dashboard.DashboardCursorSync.CROSSHAIR)
        .variables(_variables())
        .link(
            builders.DashboardLink("vendor-errors")
            .type(dashboard.DashboardLinkType.DASHBOARDS)
            .tags(["vendor-errors"])
            .as_dropdown(True)
            .keep_time(True)
        )
    )

    board = (
        board.with_row(row("Health", ids))
        .with_panel(
            stat_panel(
                ids,
                "Processors up",
                "Targets of the job that answered their last /metrics scrape, out of all.",
                [
                    Query(f"sum({UP})", legend="up", instant=True),
                    Query(f"count({UP})", legend="targets", instant=True),
                ],
                thresholds=((None, "red"), (1, "green")),
            )
        )
        .with_panel(
            stat_panel(
                ids,
                "Records /s",
                "Log records consumed per second, every outcome (5-minute rate).",
                [Query(f"sum({RECORDS})", legend="records/s")],
            )
        )
        .with_panel(
            stat_panel(
                ids,
                "Consumer lag",
                "Records waiting in the consumed topics, all partitions.",
                [Query(f"sum({LAG})", legend="lag")],
                thresholds=((None, "green"), (10000, "yellow"), (100000, "red")),
            )
        )
        .with_panel(
            stat_panel(
                ids,
                "Dead-lettered share",
                "Share of records sent to the dead-letter topic: not analysed at all.",
                [
                    Query(
                        f'(sum({RECORDS[:-1]}, outcome="dead_lettered"}}) or vector(0))\n'
                        f"/ sum({RECORDS})",
                        legend="dead-lettered",
                    )
                ],
                unit="percentunit",
                thresholds=((None, "green"), (0.001, "yellow"), (0.01, "red")),
            )
        )
        .with_panel(
            state_timeline(
                ids,
                "Readiness (scrape health)",
                "Whether Prometheus could scrape each processor's /metrics (`up`). A target "
                "that is down counts nothing and fires no vendor-error alert.",
                [Query(UP, legend="{{instance}}")],
                mappings=up_down_mappings(),
                height=5,
            )
        )
    )

    board = (
        board.with_row(row("Throughput and dead letters", ids))
        .with_panel(
            time_series(
                ids,
                "Records /s by outcome",
                "What happened to each consumed record: a vendor error found, no error, "
                "undecodable, dead-lettered.",
                [Query(f"sum by (outcome) ({RECORDS})", legend="{{outcome}}")],
                stacking=common.StackingMode.NORMAL,
                colours=OUTCOME_COLOURS,
            )
        )
        .with_panel(
            time_series(
                ids,
                "Dead letters and undecodable records /s",
                "Records the processor could not analyse, per topic (0 when there are none).",
                [
                    Query(
                        "sum by (topic, outcome) ("
                        f'{RECORDS[:-1]}, outcome=~"dead_lettered|undecodable"}})\n'
                        "or\nlabel_replace(\n"
                        f"  sum by (topic) ({RECORDS}) * 0,\n"
                        '  "outcome", "dead_lettered", "", ""\n)',
                        legend="{{topic}} {{outcome}}",
                    )
                ],
            )
        )
    )

    board = (
        board.with_row(row("Consumer lag", ids))
        .with_panel(
            time_series(
                ids,
                "Consumer lag by partition",
                "Records waiting per partition. One value per partition even while a "
                "rebalance moves it between replicas.",
                [
                    Query(
                        "max by (topic, partition) "
                        '(vendor_errors_consumer_lag{topic=~"$topic", job=~"$job"})',
                        legend="{{topic}}/{{partition}}",
                    )
                ],
            )
        )
        .with_panel(
            time_series(
                ids,
                "Time to drain the lag",
                "Lag divided by the consumption rate: how late vendor-error metrics and alerts "
                "are. The VendorErrorsConsumerLagging alert fires above 5 minutes.",
                [
                    Query(
                        # `without`: one series per deployment and topic on both sides,
                        # whatever label tells clusters apart.
                        f"{LAG}\n/\nsum without (outcome) ({RECORDS})",
                        legend="{{topic}} {{namespace}} {{job}}",
                    )
                ],
                unit="s",
            )
        )
    )

    board = (
        board.with_row(row("Processing time and export", ids))
        .with_panel(
            time_series(
                ids,
                "Processing duration quantiles",
                "Time to process a record (decode, recognise, enrich, emit).",
                [_quantile(0.5), _quantile(0.9), _quantile(0.99)],
                unit="s",
                width=8,
            )
        )
        .with_panel(
            time_series(
                ids,
                "Exporter drops: lost scrapes",
                "Share of /metrics scrapes that failed per target: the samples of those "
                "scrapes are lost. The processor exports metrics by Prometheus pull, so this "
                "is where its metric exporter drops data.",
                [
                    Query(
                        f"1 - avg by (instance) (avg_over_time({UP}[$__rate_interval]))",
                        legend="{{instance}}",
                    )
                ],
                unit="percentunit",
                width=8,
            )
        )
        .with_panel(
            time_series(
                ids,
                "Exporter drops: codes and services folded into _OTHER",
                "Unknown codes past metrics.max_unknown_codes_per_vendor, and services past "
                "metrics.max_services, lose their own label value and are counted as _OTHER "
                "(0 when none are folded).",
                [
                    Query(
                        "sum by (vendor) (\n"
                        '  vendor_errors:errors:rate5m{job=~"$job", code="_OTHER"}\n)\n'
                        'or\nsum by (vendor) (vendor_errors:errors:rate5m{job=~"$job"}) * 0',
                        legend="codes: {{vendor}}",
                    ),
                    Query(
                        'sum(vendor_errors:errors:rate5m{job=~"$job", service="_OTHER"})\n'
                        "or\nvector(0)",
                        legend="services",
                    ),
                ],
                width=8,
            )
        )
    )

    return (
        board.with_row(row("Memory and spans", ids))
        .with_panel(
            time_series(
                ids,
                "Memory (resident set) per processor",
                "Resident memory of each processor pod: the poll loop's process "
                "(process_resident_memory_bytes) plus its helper processes, the span exporter "
                "and the producer (vendor_errors_child_resident_memory_bytes). Compare with the "
                "container's memory limit (the chart's resources.limits.memory): a processor "
                "near it is OOM-killed, typically in a vendor outage (a backlog of errors) with "
                "a slow trace collector.",
                [
                    Query(
                        'process_resident_memory_bytes{job=~"$job"}\n'
                        "+ on (instance) group_left ()\n"
                        "  (sum by (instance) (\n"
                        '    vendor_errors_child_resident_memory_bytes{job=~"$job"})\n'
                        '   or sum by (instance) (0 * process_resident_memory_bytes{job=~"$job"}))',
                        legend="{{instance}}",
                    )
                ],
                unit="bytes",
            )
        )
        .with_panel(
            time_series(
                ids,
                "Spans shed /s",
                "Vendor-error spans dropped instead of exported because the hand-off to the "
                "trace exporter was full (memory bound, slow or hung collector). Events, "
                "metrics and dead letters are never shed; a steady rate here means the trace "
                "backend sees fewer errors than the metrics (0 when none are shed).",
                [
                    Query(
                        "sum by (instance) (\n"
                        '  rate(vendor_errors_spans_shed_total{job=~"$job"}[$__rate_interval])\n)\n'
                        f"or\nsum by (instance) ({UP}) * 0",
                        legend="{{instance}}",
                    )
                ],
            )
        )
    )
