"""Small factories over grafana-foundation-sdk builders, so the dashboards read as a list of
questions and queries rather than as builder plumbing. Every panel queries the `datasource`
variable; ids are given by the caller's `Ids` so the generated JSON is stable."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as builders
from grafana_foundation_sdk.builders import prometheus, stat, statetimeline, table, timeseries
from grafana_foundation_sdk.cog import variants
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.models import common, dashboard
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

DATASOURCE = common.DataSourceRef(type_val="prometheus", uid="${datasource}")

# Colours follow the catalog's severities and the retry advice, the same on every panel.
SEVERITY_COLOURS = {"critical": "red", "error": "orange", "warning": "yellow", "info": "blue"}


@dataclass(frozen=True)
class Query:
    """One PromQL expression of a panel. `instant` for tables and stats over the range."""

    expr: str
    legend: str = "__auto"
    instant: bool = False
    table: bool = False


class Ids:
    """Panel ids in build order: stable as long as the panel order is."""

    def __init__(self) -> None:
        self._next = 0

    def __iter__(self) -> Iterator[int]:
        return self

    def __next__(self) -> int:
        self._next += 1
        return self._next


def datasource_variable() -> builders.DatasourceVariable:
    return (
        builders.DatasourceVariable("datasource")
        .label("Data source")
        .type("prometheus")
        .description("The Prometheus that scrapes vendor-errors and evaluates its rules.")
    )


def label_variable(name: str, query: str, label: str, description: str) -> builders.QueryVariable:
    """A multi-value variable over a label's values, "All" meaning any value, even empty."""
    return (
        builders.QueryVariable(name)
        .label(label)
        .description(description)
        .datasource(DATASOURCE)
        .query(query)
        .definition(query)
        .refresh(dashboard.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(dashboard.VariableSort.ALPHABETICAL_CASE_INSENSITIVE_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(dashboard.VariableOption(selected=True, text="All", value="$__all"))
    )


def row(title: str, ids: Ids) -> builders.Row:
    return builders.Row(title).id(next(ids))


def _targets(queries: Sequence[Query]) -> list[Builder[variants.Dataquery]]:
    targets: list[Builder[variants.Dataquery]] = []
    for index, query in enumerate(queries):
        target = (
            prometheus.Dataquery()
            .ref_id(chr(ord("A") + index))
            .expr(query.expr)
            .legend_format(query.legend)
            .datasource(DATASOURCE)
        )
        target = target.instant() if query.instant else target.range()
        if query.table:
            target = target.format(PromQueryFormat.TABLE)
        targets.append(target)
    return targets


def _legend() -> common_builders.VizLegendOptions:
    return (
        common_builders.VizLegendOptions()
        .show_legend(True)
        .display_mode(common.LegendDisplayMode.TABLE)
        .placement(common.LegendPlacement.RIGHT)
        .calcs(["mean", "max"])
        .sort_by("Max")
        .sort_desc(True)
    )


def _tooltip() -> common_builders.VizTooltipOptions:
    return (
        common_builders.VizTooltipOptions()
        .mode(common.TooltipDisplayMode.MULTI)
        .sort(common.SortOrder.DESCENDING)
    )


def colour(name: str) -> dashboard.DynamicConfigValue:
    return dashboard.DynamicConfigValue(id_val="color", value={"mode": "fixed", "fixedColor": name})


def time_series(
    ids: Ids,
    title: str,
    description: str,
    queries: Sequence[Query],
    *,
    unit: str = "short",
    stacking: common.StackingMode = common.StackingMode.NONE,
    colours: dict[str, str] | None = None,
    width: int = 12,
    height: int = 8,
) -> timeseries.Panel:
    panel = (
        timeseries.Panel()
        .id(next(ids))
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .targets(_targets(queries))
        .unit(unit)
        .min(0)
        .span(width)
        .height(height)
        .fill_opacity(20 if stacking != common.StackingMode.NONE else 0)
        .line_width(1)
        .show_points(common.VisibilityMode.NEVER)
        .stacking(common_builders.StackingConfig().mode(stacking))
        .legend(_legend())
        .tooltip(_tooltip())
    )
    for name, fixed in (colours or {}).items():
        panel = panel.override_by_name(name, [colour(fixed)])
    return panel


def stat_panel(
    ids: Ids,
    title: str,
    description: str,
    queries: Sequence[Query],
    *,
    unit: str = "short",
    thresholds: Sequence[tuple[float | None, str]] = ((None, "green"),),
    width: int = 6,
    height: int = 4,
) -> stat.Panel:
    return (
        stat.Panel()
        .id(next(ids))
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .targets(_targets(queries))
        .unit(unit)
        .span(width)
        .height(height)
        .thresholds(
            builders.ThresholdsConfig()
            .mode(dashboard.ThresholdsMode.ABSOLUTE)
            .steps([dashboard.Threshold(value=value, color=c) for value, c in thresholds])
        )
        .color_mode(common.BigValueColorMode.BACKGROUND)
        .graph_mode(common.BigValueGraphMode.AREA)
        .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"]))
    )


def table_panel(
    ids: Ids,
    title: str,
    description: str,
    query: Query,
    *,
    columns: Sequence[str],
    renames: dict[str, str],
    sort_column: str,
    width: int = 24,
    height: int = 10,
) -> table.Panel:
    """An instant table; `columns` orders the labels shown, every other field is hidden."""
    organize = dashboard.DataTransformerConfig(
        id_val="organize",
        options={
            "excludeByName": {"Time": True},
            "indexByName": {name: index for index, name in enumerate(columns)},
            "renameByName": renames,
            "includeByName": {name: True for name in columns},
        },
    )
    return (
        table.Panel()
        .id(next(ids))
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .targets(_targets([query]))
        .span(width)
        .height(height)
        .with_transformation(organize)
        .sort_by([common_builders.TableSortByFieldState().display_name(sort_column).desc(True)])
        .filterable(True)
        .cell_height(common.TableCellHeight.SM)
    )


def state_timeline(
    ids: Ids,
    title: str,
    description: str,
    queries: Sequence[Query],
    *,
    unit: str = "short",
    mappings: Sequence[dashboard.ValueMapping] = (),
    continuous: bool = False,
    width: int = 24,
    height: int = 10,
) -> statetimeline.Panel:
    panel = (
        statetimeline.Panel()
        .id(next(ids))
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .targets(_targets(queries))
        .unit(unit)
        .span(width)
        .height(height)
        .show_value(common.VisibilityMode.NEVER)
        .merge_values(False)
        .fill_opacity(80)
        .legend(common_builders.VizLegendOptions().show_legend(False))
        .tooltip(_tooltip())
    )
    if mappings:
        panel = panel.mappings(list(mappings))
    if continuous:
        panel = panel.color_scheme(
            builders.FieldColor().mode(dashboard.FieldColorModeId.CONTINUOUS_YL_RD)
        )
    return panel


def up_down_mappings() -> list[dashboard.ValueMapping]:
    return [
        dashboard.ValueMap(
            options={
                "0": dashboard.ValueMappingResult(text="down", color="red", index=0),
                "1": dashboard.ValueMappingResult(text="up", color="green", index=1),
            }
        )
    ]
