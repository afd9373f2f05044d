"""The quarterly (or tertial) rhythm: the period just ended, on the first Monday after it.

The EST group meets to prioritise after each period closes (DESIGN §1). The schedule ticks at
07:00 Europe/Stockholm every Monday of the months that open a period (January, April, July,
October; January, May, September for tertials) and runs only on the first of them, so the
weekly lägesbild (06:00 the same Monday) has already refreshed the harmonised events. It
asks for the partition holding the day before the month began: the period just ended.

Cron cannot say "the first Monday" by itself: day-of-month and day-of-week together mean
either, not both, so the day check is in the schedule function.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache

import dagster as dg

from est_pipeline.defs.partitions import analysis_period_partitions, yearly_partitions
from est_pipeline.defs.prioritisation.assets import period_assets, yearly_assets
from est_pipeline.settings import get_settings

PERIOD_JOB_NAME = "period_prioritisation_job"
YEARLY_JOB_NAME = "yearly_followup_job"
SCHEDULE_HOUR = 7

#: Months in which a new analysis period starts.
PERIOD_START_MONTHS = {"quarter": "1,4,7,10", "tertial": "1,5,9"}


@cache
def period_prioritisation_job() -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        PERIOD_JOB_NAME,
        selection=dg.AssetSelection.assets(period_assets()),
        partitions_def=analysis_period_partitions,
        description=(
            "Need, influence, rank, drivers, suggested interventions and hot spots for the "
            "partition's analysis period(s). A range of periods is one run and one dbt invocation."
        ),
    )


@cache
def yearly_followup_job() -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        YEARLY_JOB_NAME,
        selection=dg.AssetSelection.assets(*yearly_assets()),
        partitions_def=yearly_partitions,
        description="The yearly follow-up marts (area × year, intervention type × year).",
    )


def period_cron_schedule(analysis_period: str) -> str:
    return f"0 {SCHEDULE_HOUR} * {PERIOD_START_MONTHS[analysis_period]} 1"


def is_first_monday(day: int, weekday: int) -> bool:
    return weekday == 0 and day <= 7


@cache
def period_prioritisation_schedule() -> dg.ScheduleDefinition:
    settings = get_settings()

    @dg.schedule(
        name="period_prioritisation_schedule",
        cron_schedule=period_cron_schedule(settings.analysis_period),
        execution_timezone=settings.timezone,
        job=period_prioritisation_job(),
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=(
            "07:00 Europe/Stockholm on the first Monday after each analysis period ends: "
            "that period's prioritisation."
        ),
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        tick = context.scheduled_execution_time
        if not is_first_monday(tick.day, tick.weekday()):
            return dg.SkipReason(f"{tick.date()} is not the first Monday of the period")
        # The period just ended is the one holding the last day before this month began.
        last_day = tick.replace(day=1, hour=12, minute=0, second=0, microsecond=0) - timedelta(days=1)
        try:
            partition_key = analysis_period_partitions.get_partition_key_for_timestamp(last_day.timestamp())
        except Exception:  # before the first partition
            return dg.SkipReason(f"no analysis period ended before {tick.date()}")
        return dg.RunRequest(run_key=partition_key, partition_key=partition_key)

    return _schedule
