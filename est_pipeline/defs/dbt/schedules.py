"""The weekly rhythm: every Monday 06:00 Europe/Stockholm, last week's lägesbild.

``weekly_situation_job`` holds the unpartitioned dbt assets (seeds, staging, intermediate,
full-history marts), the weekly marts, the weekly report and the published warehouse. So a
weekly run first refreshes the harmonised events the partition reads (including late rows
for older weeks), then rebuilds exactly its week(s), renders the week's lägesbild and
publishes the marts for BI tools, all in one run.

``harmonise_job`` is the first half on its own: ingested rows harmonised into the
unpartitioned marts, without touching a week (what `make demo` runs before it knows which
weeks the data covers).
"""

from __future__ import annotations

from functools import cache

import dagster as dg

from est_pipeline.defs.dbt.assets import get_dbt_assets
from est_pipeline.defs.delivery import TRIGGER_TAG, deliveries
from est_pipeline.defs.partitions import weekly_partitions

WEEKLY_JOB_NAME = "weekly_situation_job"
HARMONISE_JOB_NAME = "harmonise_job"


@cache
def weekly_situation_job() -> dg.UnresolvedAssetJobDefinition:
    unpartitioned, weekly = get_dbt_assets()
    return dg.define_asset_job(
        WEEKLY_JOB_NAME,
        selection=dg.AssetSelection.assets(unpartitioned)
        | dg.AssetSelection.assets(weekly)
        | deliveries("weekly"),
        partitions_def=weekly_partitions,
        description=(
            "The week's lägesbild: refresh staging and intermediate models, rebuild the weekly "
            "marts for the partition's week(s), render each week's report and publish the "
            "marts for BI tools. A range of weeks is one run and one dbt invocation."
        ),
    )


@cache
def harmonise_job() -> dg.UnresolvedAssetJobDefinition:
    unpartitioned, _ = get_dbt_assets()
    return dg.define_asset_job(
        HARMONISE_JOB_NAME,
        selection=dg.AssetSelection.assets(unpartitioned),
        description=(
            "Harmonise what has been ingested: seeds, staging, intermediate models and the "
            "full-history marts (no weekly partition)."
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
        tags={TRIGGER_TAG: "weekly_situation_schedule"},
        description=(
            "Every Monday 06:00 Europe/Stockholm: last week's marts, lägesbild and BI publication."
        ),
    )


def partition_range_tags(first_week: str, last_week: str) -> dict[str, str]:
    """Run tags that make one run (one dbt invocation) cover weeks first..last inclusive."""
    return {
        "dagster/asset_partition_range_start": first_week,
        "dagster/asset_partition_range_end": last_week,
    }
