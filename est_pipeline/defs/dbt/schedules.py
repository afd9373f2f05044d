"""The weekly rhythm: every Monday 06:00 Europe/Stockholm, last week's lägesbild (DESIGN §1).

The job holds the unpartitioned dbt assets (seeds, staging, intermediate, full-history marts)
AND the weekly marts, so a weekly run first refreshes the harmonised events the partition
reads (including late rows for older weeks) and then rebuilds exactly its week(s).
"""

from __future__ import annotations

from functools import cache

import dagster as dg

from est_pipeline.defs.dbt.assets import get_dbt_assets
from est_pipeline.defs.partitions import weekly_partitions

WEEKLY_JOB_NAME = "weekly_situation_job"


@cache
def weekly_situation_job() -> dg.UnresolvedAssetJobDefinition:
    unpartitioned, weekly = get_dbt_assets()
    return dg.define_asset_job(
        WEEKLY_JOB_NAME,
        selection=dg.AssetSelection.assets(unpartitioned) | dg.AssetSelection.assets(weekly),
        partitions_def=weekly_partitions,
        description=(
            "Refresh staging and intermediate models, then the weekly marts for the "
            "partition's week(s). A range of weeks is one run and one dbt invocation."
        ),
    )


@cache
def weekly_situation_schedule() -> dg.ScheduleDefinition:
    # The partition that just ended when Monday starts is last week: the schedule asks for it.
    return dg.build_schedule_from_partitioned_job(
        weekly_situation_job(),
        name="weekly_situation_schedule",
        hour_of_day=6,
        minute_of_hour=0,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Every Monday 06:00 Europe/Stockholm: last week's lägesbild.",
    )


def partition_range_tags(first_week: str, last_week: str) -> dict[str, str]:
    """Run tags that make one run (one dbt invocation) cover weeks first..last inclusive."""
    return {
        "dagster/asset_partition_range_start": first_week,
        "dagster/asset_partition_range_end": last_week,
    }
