"""The Prometheus rules of vendor-errors as code: the recorded series the dashboards and the
alerts share, and the alerts. `dashboards/generate.py` writes them to
dashboards/rules/vendor-errors.rules.yaml (plain rule-file format; the Helm chart wraps the
same groups in a PrometheusRule and applies the same three options).

Every recorded series keeps the deployment's labels (`Options.cluster_label`, `namespace`,
`job`), so two processors scraped by one Prometheus (or one Thanos/Mimir ruler) never merge.
Series without those labels are fine: `sum by` simply leaves an absent label out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dashboards.rules_yaml import Alert, Group, Record

DEFAULT_RUNBOOK_URL = "https://github.com/vendor-errors/vendor-errors/blob/main/docs/runbooks"
DEFAULT_CLUSTER_LABEL = "cluster"
# Matches the chart's ServiceMonitor (job="vendor-errors") and scrape configs named after it.
DEFAULT_PROCESSOR_SELECTOR = 'job=~".*vendor-errors.*"'

# Spike alert: short window against a baseline that contains it (ratio capped at 12).
SPIKE_FACTOR = 4
MIN_ERRORS_IN_5M = 10


@dataclass(frozen=True)
class Options:
    """What a deployment may change; the Helm chart has a value for each."""

    runbook_url: str = DEFAULT_RUNBOOK_URL
    cluster_label: str = DEFAULT_CLUSTER_LABEL
    processor_selector: str = DEFAULT_PROCESSOR_SELECTOR
    deployment: str = field(init=False)
    code: str = field(init=False)

    def __post_init__(self) -> None:
        if not self.cluster_label.isidentifier() or self.cluster_label.startswith("__"):
            raise ValueError(f"cluster label {self.cluster_label!r}: not a label name")
        deployment = f"{self.cluster_label}, namespace, job"
        object.__setattr__(self, "deployment", deployment)
        object.__setattr__(self, "code", f"{deployment}, vendor, code, channel")

    def runbook(self, alert: str) -> str:
        return f"{self.runbook_url.rstrip('/')}/{alert}.md"


def recording(o: Options) -> Group:
    d, k = o.deployment, o.code
    return Group(
        "vendor-errors.recording",
        [
            Record(
                "vendor_errors:errors:rate5m",
                f"""sum by (
  {d},
  vendor, code, channel, category, severity, transient, known, service
) (
  rate(vendor_errors_total{{category!="status"}}[5m])
)""",
                "Every vendor error by its full taxonomy and the service that logged it. Lifecycle "
                'statuses (category "status", only counted with output.include_status) are not '
                "errors and stay out of every error rate.",
            ),
            Record(
                "vendor_errors:non_retryable:rate5m",
                f"""sum by ({k}, category) (
  vendor_errors:errors:rate5m{{transient="false"}}
)""",
                "Non-retryable errors per code, all services together: the short window of the "
                "spike alert...",
            ),
            Record(
                "vendor_errors:non_retryable:rate1h",
                f"""sum by ({k}, category) (
  rate(vendor_errors_total{{category!="status", transient="false"}}[1h])
)""",
                "...and its baseline. The 1h window contains the 5m one, so the ratio 5m/1h can "
                "never exceed 12 (all of the last hour's errors in its last 5 minutes): spike "
                "thresholds must stay well below 12.",
            ),
            Record(
                "vendor_errors:non_retryable_service:info",
                f"""group by ({k}, service) (
    vendor_errors:errors:rate5m{{transient="false"}} > 0
  and on ({k})
    count by ({k}) (
      sum by ({k}, service) (
        vendor_errors:errors:rate5m{{transient="false"}}
      ) > 0
    ) == 1
)
or on ({k})
group by ({k}) (vendor_errors:non_retryable:rate5m)""",
                "One row per non-retryable code with a rate, for the alerts' `service` label: "
                "the service when a single one sees the code in the last 5 minutes, else no "
                "`service` label (the alert's summary then lists the services). A second "
                "service appearing changes the alert's labels: a pending spike starts its "
                "`for` again.",
            ),
            Record(
                "vendor_errors:records:rate5m",
                f"sum by ({d}, topic, outcome) (rate(vendor_errors_records_total[5m]))",
            ),
            Record(
                "vendor_errors:consumer_lag:sum",
                f"""sum by ({d}, topic) (
  max by ({d}, topic, partition) (vendor_errors_consumer_lag)
)""",
                "A partition is reported by the replica that owns it; right after a rebalance "
                "the old owner may still report it for a scrape or two, so take one value per "
                "partition.",
            ),
            Record(
                "vendor_errors:process_duration_seconds_bucket:rate5m",
                f"""sum by ({d}, topic, le) (
  rate(vendor_errors_process_duration_seconds_bucket[5m])
)""",
            ),
            Record(
                "vendor_errors:catalog_info:dedup",
                f"topk by ({k}) (1, vendor_errors_catalog_info)",
                "One catalog row per code and deployment even with several replicas or while an "
                "overlay change rolls out, so that joins for the message never fail as "
                "many-to-many.",
            ),
            Record(
                "vendor_errors:catalog_message:info",
                f"""max by ({k}, message, remediation) (
  group by ({k}) (vendor_errors:errors:rate5m)
  * on ({k}) group_left (message, remediation)
  vendor_errors:catalog_info:dedup
)
or on ({k})
max by ({k}, message, remediation) (
  group by ({k}) (vendor_errors:errors:rate5m)
  * on ({d}, vendor, code) group_left (message, remediation)
  vendor_errors:catalog_info:dedup{{channel=""}}
)
or on ({k})
group by ({k}) (vendor_errors:errors:rate5m)""",
                "The catalog's message and remediation for every code that has errors, for "
                "alert descriptions and tables: the channel's own entry, else the vendor-wide "
                "one (Webex's common codes are listed without a channel but counted with the "
                "channel they happened on), else no message (an unknown code). Exactly one row "
                "per code and deployment, so joins on it never drop an alert.",
            ),
        ],
    )


def _history(o: Options, window: str, offset: str) -> str:
    """True for deployments whose processor counted records in `window` ending `offset` ago."""
    return (
        f"group by ({o.deployment}) (\n"
        f"  present_over_time(vendor_errors_records_total[{window}] offset {offset})\n)"
    )


def _joins(o: Options) -> str:
    """The catalog's message and remediation, and the service when only one sees the code."""
    return (
        f"* on ({o.code}) group_left (message, remediation)\n"
        "  vendor_errors:catalog_message:info\n"
        f"* on ({o.code}) group_left (service)\n"
        "  vendor_errors:non_retryable_service:info"
    )


def _services_query(o: Options, template: str) -> str:
    """A Go-template call of `query` over the code's per-service rates (alert annotations)."""
    selector = (
        f'transient="false", {o.cluster_label}=%q, namespace=%q, job=%q, '
        "vendor=%q, code=%q, channel=%q"
    )
    promql = template.format(
        rates=f"sum by (service) (vendor_errors:errors:rate5m{{{selector}}}) > 0"
    )
    args = f"$labels.{o.cluster_label} $labels.namespace $labels.job"
    return f"printf `{promql}` {args} $labels.vendor $labels.code $labels.channel | query"


def _services_summary(o: Options) -> str:
    """' in checkout' when one service, else ' in 3 services: checkout, billing, web'."""
    count = _services_query(o, "count({rates})")
    top = _services_query(o, "sort_desc(topk(3, {rates}))")
    return (
        "{{ with $labels.service }} in {{ . }}{{ else }}"
        f"{{{{ with {count} }}}}{{{{ with . | first | value }}}} in {{{{ printf "
        '"%.0f" . }} service{{ if ne . 1.0 }}s{{ end }}:{{ end }}{{ end }}'
        f"{{{{ range $i, $s := {top} }}}}{{{{ if $i }}}},{{{{ end }}}} "
        '{{ or $s.Labels.service "(no service name)" }}{{ end }}{{ end }}'
    )


def _services_rates(o: Options) -> str:
    """' Services hit (errors/s, busiest first): checkout 0.42, web 0.08.'"""
    top = _services_query(o, "sort_desc(topk(5, {rates}))")
    return (
        " Services hit (errors/s, busiest first):"
        f"{{{{ range $i, $s := {top} }}}}{{{{ if $i }}}},{{{{ end }}}} "
        '{{ or $s.Labels.service "(no service name)" }} {{ printf "%.2f" $s.Value }}{{ end }}.'
    )


def _code_text(verb: str) -> str:
    return (
        f"{{{{ $labels.vendor }}}} {verb} code {{{{ $labels.code }}}}{{{{ with $labels.channel }}}}"
        " on channel {{ . }}{{ end }} ({{ $labels.category }}, not retryable)"
    )


MESSAGE_TEXT = (
    ' Message: {{ with $labels.message }}"{{ . }}"{{ else }}none, the code is not in the '
    "catalog{{ end }}.{{ with $labels.remediation }} What to do: {{ . }}{{ end }}"
)


def alerts(o: Options) -> Group:
    k = o.code
    spike = "VendorErrorsNonRetryableSpike"
    new = "VendorErrorsNewNonRetryableCode"
    unknown = "VendorErrorsUnknownCode"
    absent = "VendorErrorsProcessorAbsent"
    lagging = "VendorErrorsConsumerLagging"
    dead = "VendorErrorsDeadLettering"
    unknown_selector = 'vendor_errors_total{known="false", category!="status"}'
    up = f"up{{{o.processor_selector}}}"
    return Group(
        "vendor-errors.alerts",
        [
            Alert(
                spike,
                f"""(
    vendor_errors:non_retryable:rate5m > {SPIKE_FACTOR} * vendor_errors:non_retryable:rate1h
  and
    vendor_errors:non_retryable:rate5m * 300 >= {MIN_ERRORS_IN_5M}
  and on ({o.deployment})
    {_history(o, "10m", "1h").replace(chr(10), chr(10) + "    ")}
)
{_joins(o)}""",
                severity="critical",
                duration="5m",
                summary="{{ $labels.vendor }} non-retryable error {{ $labels.code }} is spiking"
                + _services_summary(o),
                description=_code_text("returns")
                + ' at {{ printf "%.2f" $value }} errors/s, more than '
                f"{SPIKE_FACTOR} times its rate of the last hour."
                + _services_rates(o)
                + MESSAGE_TEXT,
                runbook_url=o.runbook(spike),
                comment="Page: a vendor started rejecting requests that retries will not fix. "
                f"Short window (5m) against a 1h baseline that contains it (ratio capped at 12, "
                f"hence the factor {SPIKE_FACTOR}), with a volume guard of {MIN_ERRORS_IN_5M} "
                "errors in 5 minutes so a single error at night does not page, and a history "
                "guard: the deployment's processor must have been counting records an hour ago, "
                "or the 1h rate of a fresh Prometheus (or a new deployment) underestimates the "
                "baseline and a steady failure looks like a spike. The joins add the catalog's "
                "message (none for unknown codes, which still alert) and the service when only "
                "one sees the code.",
            ),
            Alert(
                new,
                f"""(
    vendor_errors:non_retryable:rate5m * 300 >= {MIN_ERRORS_IN_5M}
  unless on ({k})
    max_over_time(vendor_errors:non_retryable:rate5m[1d] offset 1h) > 0
  and on ({o.deployment})
    {_history(o, "1h", "23h").replace(chr(10), chr(10) + "    ")}
)
{_joins(o)}""",
                severity="warning",
                summary="{{ $labels.vendor }} returns non-retryable code {{ $labels.code }}, "
                "not seen in the last day" + _services_summary(o),
                description=_code_text("returned")
                + ' {{ printf "%.0f" $value }} times in the last 5 minutes; it had not been '
                "seen in the day before." + _services_rates(o) + MESSAGE_TEXT,
                runbook_url=o.runbook(new),
                comment="A non-retryable code absent for the last day now comes at volume: a new "
                "failure mode (revoked credentials, a template paused, a new validation rule). "
                "Needs a day of history: the last `and` keeps it quiet for a deployment whose "
                "processor (or whose Prometheus) is younger than that.",
            ),
            Alert(
                unknown,
                f"""(
  sum by ({k}) (
    increase({unknown_selector}[1h])
  ) > 0
)
or on ({k})
(
    sum by ({k}) (
      {unknown_selector}
    )
  unless on ({k})
    sum by ({k}) (
      {unknown_selector} offset 1h
    )
)""",
                severity="warning",
                summary="{{ $labels.vendor }} returns code {{ $labels.code }}, which the catalog "
                "does not know",
                description="{{ $labels.vendor }} returned code {{ $labels.code }}{{ with "
                "$labels.channel }} on channel {{ . }}{{ end }} in the last hour and the catalog "
                "has no entry for it, so its category, severity and retry advice are guesses "
                'from the HTTP status and the message.{{ if eq $labels.code "_OTHER" }} '
                '"_OTHER" means more unknown codes than metrics.max_unknown_codes_per_vendor: '
                "the codes are folded.{{ end }} Add it to catalog/data/{{ $labels.vendor }}.yaml "
                "or to the overlay.",
                runbook_url=o.runbook(unknown),
                comment="A code the catalog does not know: someone must read the vendor's "
                "documentation and add an entry (or an overlay). Counters are born at their "
                "first increment, which increase() cannot see, so a series younger than an hour "
                "counts as seen too.",
            ),
            Alert(
                absent,
                f"""(
    group by ({o.deployment}) ({up})
  unless on ({o.deployment})
    ({up} == 1)
)
or
absent({up})""",
                severity="critical",
                duration="5m",
                summary="No vendor-errors processor is up{{ with $labels.job }} in job {{ . }}"
                "{{ end }}{{ with $labels.namespace }} (namespace {{ . }}){{ end }}",
                description="For 5 minutes Prometheus has had no processor up (scraped "
                "successfully) {{ if $labels.job }}in job {{ $labels.job }}{{ with "
                "$labels.namespace }}, namespace {{ . }}{{ end }}{{ else }}among the targets "
                "matching {" + o.processor_selector + "}{{ end }}: none runs, or none can be "
                "scraped. Vendor errors are not counted there and no vendor-error alert can "
                "fire for them.",
                runbook_url=o.runbook(absent),
                comment="No processor of a deployment is scraped successfully (its targets are "
                "all down), or no target matches the selector at all: vendor errors are not "
                "counted. The selector is an option of the generator and a Helm value.",
            ),
            Alert(
                lagging,
                f"""(
    vendor_errors:consumer_lag:sum
  / on ({o.deployment}, topic)
    sum by ({o.deployment}, topic) (vendor_errors:records:rate5m)
) > 300
or on ({o.deployment}, topic)
(
    (vendor_errors:consumer_lag:sum > 0) * +Inf
  unless on ({o.deployment}, topic)
    sum by ({o.deployment}, topic) (vendor_errors:records:rate5m)
)""",
                severity="warning",
                duration="10m",
                summary="vendor-errors is more than 5 minutes behind on topic {{ $labels.topic }}",
                description="At the current consumption rate the consumer lag on topic "
                "{{ $labels.topic }} takes {{ $value | humanizeDuration }} to drain (+Inf: "
                "nothing consumed while records wait). Vendor-error metrics and alerts are late "
                "by about that much.",
                runbook_url=o.runbook(lagging),
                comment="Time to drain the lag at the current consumption rate; +Inf when the "
                "consumer has lag but consumed nothing in 5 minutes (a stall), also when it "
                "never consumed at all.",
            ),
            Alert(
                dead,
                f"""sum by ({o.deployment}, topic) (
  increase(vendor_errors_records_total{{outcome="dead_lettered"}}[15m])
) >= 10""",
                severity="warning",
                duration="5m",
                summary="vendor-errors dead-letters records from topic {{ $labels.topic }}",
                description='{{ printf "%.0f" $value }} records from topic {{ $labels.topic }} '
                "were dead-lettered in the last 15 minutes: they were not analysed, so vendor "
                "errors in them are not counted.",
                runbook_url=o.runbook(dead),
                comment="Records that could not be processed go to the dead-letter topic: a few "
                "are normal (a truncated line), a steady stream means a producer changed its "
                "format.",
            ),
        ],
    )


def groups(options: Options | None = None) -> list[Group]:
    o = options or Options()
    return [recording(o), alerts(o)]
