"""Run the weekly lägesbild from code (``make demo``, benchmarks, notebooks).

A range of weeks is ONE run of ``weekly_situation_job`` with the partition range tags: the
unpartitioned dbt assets are built once and the weekly marts for the whole range in one
dbt invocation (three demo years are not 156 dbt start-ups).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import dagster as dg

from est_pipeline.defs.dbt.project import prepare_manifest
from est_pipeline.defs.dbt.schedules import WEEKLY_JOB_NAME, partition_range_tags


def materialize_weeks(
    first_week: str | date,
    last_week: str | date,
    *,
    defs: dg.Definitions | None = None,
    instance: dg.DagsterInstance | None = None,
    asset_selection: Sequence[dg.AssetKey] | None = None,
) -> dg.ExecuteInProcessResult:
    """Materialise the weekly job for the Mondays ``first_week`` … ``last_week`` (inclusive).

    ``defs`` defaults to the whole code location (``est_pipeline.definitions``);
    ``instance`` to the one in DAGSTER_HOME, so the runs show in the UI.
    """
    prepare_manifest()
    if defs is None:
        from est_pipeline.definitions import defs as location_defs

        defs = location_defs
    first, last = str(first_week), str(last_week)
    job = defs.resolve_job_def(WEEKLY_JOB_NAME)
    run_instance = instance or dg.DagsterInstance.get()
    return job.execute_in_process(
        instance=run_instance,
        tags=partition_range_tags(first, last),
        asset_selection=list(asset_selection) if asset_selection is not None else None,
    )
