"""The reports as partitioned Dagster assets (återkoppling).

One HTML file per partition. A run over a range of partitions (a backfill, or `make demo`)
is one run that renders every partition of the range: rendering is cheap compared with
starting a run, and each partition still gets its own materialisation with its own summary
and chart in the UI (``add_asset_metadata(partition_key=...)``).

Each report opens the warehouse read-only for just as long as it reads its rows, and closes
it before the next; no connection crosses an asset boundary. A deployment
with several municipalities gets each report once per municipality, under
``reports/<kommunkod>/``, rendered from a view that holds only that municipality's rows
(``est_pipeline.reports.sealed``). The reports of a run are rendered side by side over the
machine's cores.

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
from est_pipeline.lib.parallel import Workers
from est_pipeline.lib.warehouse import connect
from est_pipeline.reports.period import render_period_report
from est_pipeline.reports.sealed import municipalities, render_for
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
    """Render each partition; with several municipalities, once per municipality, each from
    a view of the warehouse that holds only its rows, into ``reports/<kommunkod>/``. The
    reports of the run (partitions × municipalities) are rendered side by side, one worker
    process per core (``est_pipeline.lib.parallel``): each only reads the warehouse and writes
    its own file. One report (a scheduled week) is rendered in this process."""
    reports_dir = get_settings().reports_dir
    keys = list(context.partition_keys)
    with connect(read_only=True) as con:
        codes = municipalities(con)
    targets: list[str | None] = list(codes) if len(codes) > 1 else [None]
    jobs = ((render, code, date.fromisoformat(key), reports_dir) for key in keys for code in targets)
    with Workers(most_jobs=len(keys) * len(targets)) as workers:
        done = workers.imap(render_for, jobs)  # in the order of the jobs: key by key
        for key in keys:
            rendered = [(code, next(done)) for code in targets]
            first = rendered[0][1]
            context.add_asset_metadata(
                {
                    "summary": dg.MetadataValue.md(first.summary_md),
                    "path": dg.MetadataValue.path(str(first.path)),
                    "size_bytes": dg.MetadataValue.int(first.path.stat().st_size),
                    "chart": dg.MetadataValue.md(f"![{title}]({first.main_chart})"),
                    **({"reports": dg.MetadataValue.json({c: str(r.path) for c, r in rendered})}
                       if len(rendered) > 1 else {}),
                },
                partition_key=key,
            )
            for code, report in rendered:
                context.log.info(f"{title} {key}{' ' + code if code else ''}: {report.path}")


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
