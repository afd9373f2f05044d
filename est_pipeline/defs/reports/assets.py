"""The reports as partitioned Dagster assets (återkoppling).

One HTML file per partition. A run over a range of partitions (a backfill, or `make demo`)
is one run that renders each partition of the range in turn: rendering is cheap compared with
starting a run, and each partition still gets its own materialisation with its own summary
and chart in the UI (``add_asset_metadata(partition_key=...)``).

Each partition opens the warehouse read-only for just as long as it reads its rows, and
closes it before the next partition; no connection crosses an asset boundary.

Each asset carries the tag of its rhythm, so the weekly, period and yearly jobs select it
and a scheduled run delivers its report (``est_pipeline.defs.delivery``).
"""


from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import dagster as dg

from est_pipeline.defs.delivery import report_tags
from est_pipeline.defs.partitions import (
    analysis_period_partitions,
    weekly_partitions,
    yearly_partitions,
)
from est_pipeline.lib.warehouse import connect
from est_pipeline.reports.period import render_period_report
from est_pipeline.reports.weekly import render_weekly_report
from est_pipeline.reports.yearly import render_yearly_report
from est_pipeline.settings import get_settings


class _Rendered(Protocol):
    path: Path
    summary_md: str
    main_chart: str


def _render_partitions(
    context: dg.AssetExecutionContext,
    render: Callable[[Any, date, Path], _Rendered],
    title: str,
) -> None:
    reports_dir = get_settings().reports_dir
    keys = list(context.partition_keys)
    for key in keys:
        with connect(read_only=True) as con:
            report = render(con, date.fromisoformat(key), reports_dir)
        context.add_asset_metadata(
            {
                "summary": dg.MetadataValue.md(report.summary_md),
                "path": dg.MetadataValue.path(str(report.path)),
                "size_bytes": dg.MetadataValue.int(report.path.stat().st_size),
                "chart": dg.MetadataValue.md(f"![{title}]({report.main_chart})"),
            },
            partition_key=key,
        )
        context.log.info(f"{title} {key}: {report.path}")


@dg.asset(
    group_name="reports",
    partitions_def=weekly_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[
        dg.AssetKey(["weekly_situation"]),
        dg.AssetKey(["weekly_area_summary"]),
        dg.AssetKey(["area_week_interventions"]),
    ],
    kinds={"html"},
    tags=report_tags("weekly"),
    description="Veckans lägesbild (HTML, på svenska): kommunöversikt och en sida per område.",
)
def weekly_report(context: dg.AssetExecutionContext) -> None:
    _render_partitions(context, render_weekly_report, "Lägesbild")


@dg.asset(
    group_name="reports",
    partitions_def=analysis_period_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[
        dg.AssetKey(["period_prioritisation"]),
        dg.AssetKey(["period_priority_drivers"]),
        dg.AssetKey(["period_suggested_interventions"]),
        dg.AssetKey(["hot_spots"]),
    ],
    kinds={"html"},
    tags=report_tags("period"),
    description="Prioriteringsrapport per analysperiod (kvartal eller tertial): behov × påverkan.",
)
def period_report(context: dg.AssetExecutionContext) -> None:
    _render_partitions(context, render_period_report, "Prioritering")


@dg.asset(
    group_name="reports",
    partitions_def=yearly_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[
        dg.AssetKey(["yearly_area_followup"]),
        dg.AssetKey(["yearly_intervention_followup"]),
        dg.AssetKey(["marts", "intervention_effects"]),
    ],
    kinds={"html"},
    tags=report_tags("yearly"),
    description="Årlig uppföljning: trender, trygghetsmätning, insatser och skattade samband.",
)
def yearly_report(context: dg.AssetExecutionContext) -> None:
    _render_partitions(context, render_yearly_report, "Uppföljning")
