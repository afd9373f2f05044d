"""Every time window of the method, defined once: weeks, analysis periods, years.

Weeks are ISO weeks starting Monday in Europe/Stockholm; partition keys are the Monday's
date (``2020-12-28`` is ISO week 2020-W53). The analysis period is a setting: quarters by
default, tertials (three per year) where a municipality analyses three times a year.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import dagster as dg

from est_pipeline.settings import get_settings

_settings = get_settings()

weekly_partitions = dg.WeeklyPartitionsDefinition(
    start_date=_settings.partition_start,
    day_offset=1,  # Monday
    timezone=_settings.timezone,
    fmt="%Y-%m-%d",
)

_PERIOD_CRONS = {
    "quarter": "0 0 1 1,4,7,10 *",
    "tertial": "0 0 1 1,5,9 *",
}


def _first_thursday(partition_start: str) -> date:
    """The Thursday of the first ISO week: it decides which year (and period) the week is in.

    2019-12-30 is the Monday of 2020-W01, so the first year partition is 2020, not a
    two-day 2019.
    """
    return date.fromisoformat(partition_start) + timedelta(days=3)


def _period_start(partition_start: str) -> str:
    """The first analysis period that contains the first week."""
    first = _first_thursday(partition_start)
    months = (1, 4, 7, 10) if _settings.analysis_period == "quarter" else (1, 5, 9)
    start_month = max(m for m in months if m <= first.month)
    return date(first.year, start_month, 1).isoformat()


analysis_period_partitions = dg.TimeWindowPartitionsDefinition(
    cron_schedule=_PERIOD_CRONS[_settings.analysis_period],
    start=_period_start(_settings.partition_start),
    timezone=_settings.timezone,
    fmt="%Y-%m-%d",
)

yearly_partitions = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1 *",
    start=f"{_first_thursday(_settings.partition_start).year}-01-01",
    timezone=_settings.timezone,
    fmt="%Y-%m-%d",
)


def iso_week_label(week_start: date) -> str:
    """``2020-12-28`` -> ``2020-W53``: the label partners use (vecka)."""
    year, week, _ = week_start.isocalendar()
    return f"{year}-W{week:02d}"


def window_vars(start: datetime | date, end: datetime | date) -> dict[str, str]:
    """The dbt ``--vars`` for a partition window: inclusive min date, exclusive max date."""
    start_d = start.date() if isinstance(start, datetime) else start
    end_d = end.date() if isinstance(end, datetime) else end
    return {"min_date": start_d.isoformat(), "max_date": end_d.isoformat()}


def week_starts(start: date, end: date) -> list[date]:
    """Mondays from ``start`` (a Monday) up to but excluding ``end``."""
    out, d = [], start
    while d < end:
        out.append(d)
        d += timedelta(days=7)
    return out
