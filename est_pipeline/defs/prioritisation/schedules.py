"""The period and yearly rhythm: each on the first Monday after its period or year ends.

The EST group meets to prioritise after each analysis period closes, and follows up once a
year. Both schedules tick on Mondays of the months that open a period (January, April, July,
October; January, May, September for tertials) or a year (January), and run only on the
first of them, after the weekly lägesbild (06:00 the same Monday) has refreshed the
harmonised events: the period job at 07:00, the yearly job at 08:00 (the run queue runs them
one after another). Each asks for the partition holding the day before the month began: the
period (year) just ended.

Cron cannot say "the first Monday" by itself: day-of-month and day-of-week together mean
either, not both, so the day check is in the schedule function.

Each job rebuilds its marts, renders the report of its rhythm and publishes the marts for BI
tools in the same run (``est_pipeline.defs.delivery``); the yearly job also runs the
estimation the follow-up report shows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache

import dagster as dg

from est_pipeline.defs.delivery import TRIGGER_TAG, deliveries
from est_pipeline.defs.partitions import analysis_period_partitions, yearly_partitions
from est_pipeline.defs.prioritisation.assets import period_assets, yearly_assets
from est_pipeline.settings import get_settings

PERIOD_JOB_NAME = "period_prioritisation_job"
YEARLY_JOB_NAME = "yearly_followup_job"
SCHEDULE_HOUR = 7
YEARLY_SCHEDULE_HOUR = 8
#: The group of the estimation asset (``marts/intervention_effects``), selected by group so
#: that the prioritisation concern loads on its own in tests.
ESTIMATION_GROUP = "estimation"

#: Months in which a new analysis period starts.
PERIOD_START_MONTHS = {"quarter": "1,4,7,10", "tertial": "1,5,9"}


@cache
def period_prioritisation_job() -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        PERIOD_JOB_NAME,
        selection=dg.AssetSelection.assets(period_assets()) | deliveries("period"),
        partitions_def=analysis_period_partitions,
        description=(
            "Need, influence, rank, drivers, suggested interventions and hot spots for the "
            "partition's analysis period(s), the prioritisation report and the BI publication. "
            "A range of periods is one run and one dbt invocation."
        ),
    )


@cache
def yearly_followup_job() -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        YEARLY_JOB_NAME,
        selection=dg.AssetSelection.assets(*yearly_assets())
        | dg.AssetSelection.groups(ESTIMATION_GROUP)
        | deliveries("yearly"),
        partitions_def=yearly_partitions,
        description=(
            "The yearly follow-up: area × year and intervention type × year marts, the "
            "estimated associations, the follow-up report and the BI publication."
        ),
    )


def period_cron_schedule(analysis_period: str) -> str:
    return f"0 {SCHEDULE_HOUR} * {PERIOD_START_MONTHS[analysis_period]} 1"


YEARLY_CRON_SCHEDULE = f"0 {YEARLY_SCHEDULE_HOUR} * 1 1"


def is_first_monday(day: int, weekday: int) -> bool:
    return weekday == 0 and day <= 7


def _just_ended(
    partitions_def: dg.TimeWindowPartitionsDefinition, what: str
) -> Callable[[dg.ScheduleEvaluationContext], dg.RunRequest | dg.SkipReason]:
    """A schedule function asking, on the first Monday of the month, for the partition that
    holds the day before the month began."""

    def evaluate(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        tick: datetime = context.scheduled_execution_time
        if not is_first_monday(tick.day, tick.weekday()):
            return dg.SkipReason(f"{tick.date()} is not the first Monday after the {what} ended")
        last_day = tick.replace(day=1, hour=12, minute=0, second=0, microsecond=0) - timedelta(days=1)
        try:
            partition_key = partitions_def.get_partition_key_for_timestamp(last_day.timestamp())
        except Exception:  # before the first partition
            return dg.SkipReason(f"no {what} ended before {tick.date()}")
        return dg.RunRequest(run_key=partition_key, partition_key=partition_key)

    return evaluate


@cache
def period_prioritisation_schedule() -> dg.ScheduleDefinition:
    settings = get_settings()
    evaluate = _just_ended(analysis_period_partitions, "analysis period")

    @dg.schedule(
        name="period_prioritisation_schedule",
        cron_schedule=period_cron_schedule(settings.analysis_period),
        execution_timezone=settings.timezone,
        job=period_prioritisation_job(),
        default_status=dg.DefaultScheduleStatus.RUNNING,
        tags={TRIGGER_TAG: "period_prioritisation_schedule"},
        description=(
            "07:00 Europe/Stockholm on the first Monday after each analysis period ends: "
            "that period's prioritisation marts, report and BI publication."
        ),
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        return evaluate(context)

    return _schedule


@cache
def yearly_followup_schedule() -> dg.ScheduleDefinition:
    settings = get_settings()
    evaluate = _just_ended(yearly_partitions, "year")

    @dg.schedule(
        name="yearly_followup_schedule",
        cron_schedule=YEARLY_CRON_SCHEDULE,
        execution_timezone=settings.timezone,
        job=yearly_followup_job(),
        default_status=dg.DefaultScheduleStatus.RUNNING,
        tags={TRIGGER_TAG: "yearly_followup_schedule"},
        description=(
            "08:00 Europe/Stockholm on the first Monday of January: last year's follow-up "
            "marts, estimated associations, follow-up report and BI publication."
        ),
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        return evaluate(context)

    return _schedule
