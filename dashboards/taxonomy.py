"""The "Vendor errors: taxonomy" dashboard: which vendor is failing, with which code, how
badly, and whether retrying helps. Rates come from the recorded series of
dashboards/rules/vendor-errors.rules.yaml; counts over the range from the raw counter."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as builders
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.models import common, dashboard

from dashboards.panels import (
    DATASOURCE,
    SEVERITY_COLOURS,
    Ids,
    Query,
    datasource_variable,
    label_variable,
    row,
    stat_panel,
    state_timeline,
    table_panel,
    time_series,
)

UID = "vendor-errors-taxonomy"
TITLE = "Vendor errors: taxonomy"

# The dashboard's variables, as label matchers. "All" is ".*", which also matches the empty
# channel of vendors whose codes are not per channel, and the empty service of records that
# name none.
FILTER = (
    'vendor=~"$vendor", channel=~"$channel", category=~"$category", severity=~"$severity", '
    'service=~"$service"'
)
RATE = f"vendor_errors:errors:rate5m{{{FILTER}}}"
# Lifecycle statuses are not errors: the recorded rates leave them out, raw queries must too.
RAW = f'vendor_errors_total{{{FILTER}, category!="status"}}'
CODE_LABELS = "vendor, code, channel, service, category, severity, transient, known"
# The recorded messages are per deployment (each may have its own overlay): one per code here.
CATALOG_MESSAGE = "topk by (vendor, code, channel) (1, vendor_errors:catalog_message:info)"
NO_SERVICE = "(no service)"


def _rate(extra: str = "") -> str:
    return f"vendor_errors:errors:rate5m{{{FILTER}{', ' + extra if extra else ''}}}"


def _share(extra: str, by: str = "") -> str:
    """Share of the filtered error rate matching `extra`; 0 (not "no data") when none match."""
    grouping = f" by ({by})" if by else ""
    zero = f"sum{grouping} ({RATE}) * 0" if by else "vector(0)"
    return (
        f"(sum{grouping} ({_rate(extra)}) or {zero})\n"
        f"/{f' on ({by})' if by else ''}\nsum{grouping} ({RATE})"
    )


def _count_in_range(selector: str, by: str) -> str:
    """Errors in the dashboard's range. increase() cannot see a counter's first value (the
    series is born at its first error), so a series born inside the range counts in full."""
    return (
        f"(\n  (\n    sum by ({by}) (increase({selector}[$__range]))\n"
        f"    and on ({by}) sum by ({by}) ({selector} offset $__range)\n  )\n"
        f"  or on ({by})\n  sum by ({by}) ({selector})\n)"
    )


def _with_catalog(counts: str) -> str:
    """Adds the catalog's message and remediation (recorded for every code that currently
    has a rate); a code seen in the range but gone since keeps its row without them."""
    return (
        f"(\n  {counts}\n  * on (vendor, code, channel) group_left (message, remediation)\n"
        f"  {CATALOG_MESSAGE}\n)\nor on ({CODE_LABELS})\n{counts}"
    )


def _variables() -> list[Builder[dashboard.VariableModel]]:
    return [
        datasource_variable(),
        label_variable(
            "vendor",
            "label_values(vendor_errors_total, vendor)",
            "Vendor",
            "The messaging vendor (a slug of the contract).",
        ),
        label_variable(
            "channel",
            'label_values(vendor_errors_total{vendor=~"$vendor"}, channel)',
            "Channel",
            "The channel, for vendors whose codes are per channel (Webex Connect).",
        ),
        label_variable(
            "category",
            'label_values(vendor_errors_total{vendor=~"$vendor"}, category)',
            "Category",
            "The catalog's category of the code.",
        ),
        label_variable(
            "severity",
            'label_values(vendor_errors_total{vendor=~"$vendor"}, severity)',
            "Severity",
            "The catalog's severity of the code.",
        ),
        label_variable(
            "service",
            'label_values(vendor_errors_total{vendor=~"$vendor"}, service)',
            "Service",
            "The application that logged the error (service.name, the Kubernetes app label, "
            "or mapped from the topic by configuration). All also matches records that name "
            "no service; _OTHER collects services past metrics.max_services.",
        ),
    ]


def _no_service_named(expr: str) -> str:
    """Show records without a service as "(no service)" rather than an empty label."""
    return f'label_replace(\n  {expr},\n  "service", "{NO_SERVICE}", "service", ""\n)'


def _firing_alerts() -> builders.AnnotationQuery:
    return (
        builders.AnnotationQuery()
        .name("Firing vendor-error alerts")
        .datasource(DATASOURCE)
        .enable(True)
        .icon_color("red")
        .expr('ALERTS{alertstate="firing", alertname=~"VendorErrors.*", vendor=~"$vendor"}')
        .step("60s")
        .title_format("{{alertname}}")
        .text_format("{{vendor}} {{code}} {{channel}} {{service}}")
        .tag_keys("alertname,vendor,code,severity,service")
    )


def build() -> builders.Dashboard:
    ids = Ids()
    board = (
        builders.Dashboard(TITLE)
        .uid(UID)
        .description(
            "Which messaging vendor is failing, with which code, how badly, and whether "
            "retrying helps. Rates are 5-minute rates from the vendor-errors recording rules."
        )
        .tags(["vendor-errors"])
        .editable()
        .time("now-6h", "now")
        .refresh("1m")
        .timezone("browser")
        .tooltip(dashboard.DashboardCursorSync.CROSSHAIR)
        .variables(_variables())
        .annotation(_firing_alerts())
        .link(
            builders.DashboardLink("vendor-errors")
            .type(dashboard.DashboardLinkType.DASHBOARDS)
            .tags(["vendor-errors"])
            .as_dropdown(True)
            .include_vars(False)
            .keep_time(True)
        )
    )

    board = (
        board.with_row(row("Now", ids))
        .with_panel(
            stat_panel(
                ids,
                "Vendor errors /s",
                "All vendor errors matching the filters, per second (5-minute rate).",
                [Query(f"sum({RATE})", legend="errors/s")],
            )
        )
        .with_panel(
            stat_panel(
                ids,
                "Non-retryable share",
                "Share of errors that retrying will not fix (transient=false): these need a "
                "person (credentials, configuration, content, recipients).",
                [Query(_share('transient="false"'), legend="non-retryable")],
                unit="percentunit",
                thresholds=((None, "green"), (0.2, "yellow"), (0.5, "red")),
            )
        )
        .with_panel(
            stat_panel(
                ids,
                "Unknown-code share",
                "Share of errors whose code the catalog does not know (known=false): their "
                "category and retry advice are guesses. Catalog coverage = 1 - this.",
                [Query(_share('known="false"'), legend="unknown")],
                unit="percentunit",
                thresholds=((None, "green"), (0.01, "yellow"), (0.1, "red")),
            )
        )
        .with_panel(
            stat_panel(
                ids,
                "Distinct codes in range",
                "How many (vendor, code, channel) combinations occurred in the time range.",
                [
                    Query(
                        f"count(\n{_count_in_range(RAW, 'vendor, code, channel')}\n> 0\n)",
                        legend="codes",
                        instant=True,
                    )
                ],
            )
        )
    )

    board = (
        board.with_row(row("Taxonomy over time", ids))
        .with_panel(
            time_series(
                ids,
                "Error rate by vendor",
                "Which vendor is failing: errors per second per vendor.",
                [Query(f"sum by (vendor) ({RATE})", legend="{{vendor}}")],
            )
        )
        .with_panel(
            time_series(
                ids,
                "Error rate by category",
                "What kind of failure: the catalog's categories, stacked.",
                [Query(f"sum by (category) ({RATE})", legend="{{category}}")],
                stacking=common.StackingMode.NORMAL,
            )
        )
        .with_panel(
            time_series(
                ids,
                "Error rate by severity",
                "How bad: critical = nothing works until someone acts (credentials, suspended "
                "account); error = a request or integration needs a fix; warning = transient or "
                "per-recipient.",
                [Query(f"sum by (severity) ({RATE})", legend="{{severity}}")],
                stacking=common.StackingMode.NORMAL,
                colours=SEVERITY_COLOURS,
            )
        )
        .with_panel(
            time_series(
                ids,
                "Does retrying help? Transient vs non-retryable",
                "Transient errors may succeed if retried later (rate limits, unavailability, "
                "time-outs); non-retryable ones fail again until something is fixed.",
                [
                    Query(_share('transient="true"'), legend="transient (a later retry may work)"),
                    Query(_share('transient="false"'), legend="non-retryable (fix first)"),
                ],
                unit="percentunit",
                stacking=common.StackingMode.NORMAL,
                colours={
                    "transient (a later retry may work)": "yellow",
                    "non-retryable (fix first)": "red",
                },
            )
        )
    )

    board = (
        board.with_row(row("Services hit", ids))
        .with_panel(
            time_series(
                ids,
                "Services hit: error rate by service and vendor",
                "Which of our applications get the errors, per vendor: errors per second by "
                "the service that logged them. (no service): records that name none (the "
                "processor's configuration can map a topic or a header to a service); _OTHER: "
                "services past metrics.max_services.",
                [
                    Query(
                        _no_service_named(f"sum by (vendor, service) ({RATE})"),
                        legend="{{service}} ({{vendor}})",
                    )
                ],
                width=16,
            )
        )
        .with_panel(
            table_panel(
                ids,
                "Services hit in range",
                "Errors per service and vendor in the time range, busiest first.",
                Query(
                    _no_service_named(f"{_count_in_range(RAW, 'vendor, service')}\n> 0"),
                    instant=True,
                    table=True,
                ),
                columns=["service", "vendor", "Value"],
                renames={"Value": "errors"},
                sort_column="errors",
                width=8,
                height=8,
            )
        )
    )

    counts = _count_in_range(RAW, CODE_LABELS)
    board = (
        board.with_row(row("Codes", ids))
        .with_panel(
            table_panel(
                ids,
                "Top codes in range, by service, with the vendor's message and what to do",
                "The 20 most frequent codes in the time range, one row per service that saw "
                "the code. Message and remediation come from the catalog "
                "(vendor_errors_catalog_info: the channel's entry, else the vendor-wide one); "
                "empty for unknown codes.",
                Query(
                    _no_service_named(f"topk(20,\n({_with_catalog(counts)})\n> 0\n)"),
                    instant=True,
                    table=True,
                ),
                columns=[
                    "vendor",
                    "code",
                    "channel",
                    "service",
                    "Value",
                    "category",
                    "severity",
                    "transient",
                    "known",
                    "message",
                    "remediation",
                ],
                renames={"Value": "errors", "transient": "retry may help"},
                sort_column="errors",
            )
        )
        .with_panel(
            state_timeline(
                ids,
                "Codes over time",
                "When each code occurred (the 20 busiest at each moment); darker = more "
                "errors per second.",
                [
                    Query(
                        f"topk(20, sum by (vendor, code, channel) ({RATE}) > 0)",
                        legend="{{vendor}} {{code}} {{channel}}",
                    )
                ],
                unit="short",
                continuous=True,
                height=12,
            )
        )
    )

    unknown = f'vendor_errors_total{{{FILTER}, category!="status", known="false"}}'
    unknown_counts = f"{_count_in_range(unknown, 'vendor, code, channel')}\n> 0"
    return (
        board.with_row(row("Catalog coverage", ids))
        .with_panel(
            time_series(
                ids,
                "Unknown-code share by vendor",
                "Share of each vendor's errors whose code the catalog does not know. Above 0, "
                "the catalog (or an overlay) needs an entry: see the table beside.",
                [Query(_share('known="false"', by="vendor"), legend="{{vendor}}")],
                unit="percentunit",
            )
        )
        .with_panel(
            table_panel(
                ids,
                "Unknown codes in range",
                "Codes not in the catalog, by count. _OTHER collects codes past the per-vendor "
                "label limit (metrics.max_unknown_codes_per_vendor).",
                Query(unknown_counts, instant=True, table=True),
                columns=["vendor", "code", "channel", "Value"],
                renames={"Value": "errors"},
                sort_column="errors",
                width=12,
                height=8,
            )
        )
    )
