"""The first partition and the analysis period, from the data.

Weekly partitions start on a Monday (ISO weeks); the first one is the Monday of the
ISO week that holds the earliest dated row. The analysis period (quarter or tertial) and
the year that hold that week's Thursday are the first period and year partitions, the
same rule ``est_pipeline.defs.partitions`` applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

PERIOD_SV = {"quarter": "kvartal", "tertial": "tertial"}


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def iso_week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def period_of(day: date, analysis_period: str) -> tuple[str, date]:
    """The label (``2023-Q1``, ``2023-T2``) and first day of the analysis period holding ``day``."""
    months = (1, 4, 7, 10) if analysis_period == "quarter" else (1, 5, 9)
    start_month = max(m for m in months if m <= day.month)
    index = months.index(start_month) + 1
    return f"{day.year}-{'Q' if analysis_period == 'quarter' else 'T'}{index}", date(day.year, start_month, 1)


@dataclass(frozen=True)
class PeriodSuggestion:
    first_date: date
    last_date: date
    first_source: str
    analysis_period: str

    @property
    def partition_start(self) -> date:
        return monday(self.first_date)

    @property
    def first_week(self) -> str:
        return iso_week_label(self.first_date)

    @property
    def last_week(self) -> str:
        return iso_week_label(self.last_date)

    @property
    def weeks(self) -> int:
        return (monday(self.last_date) - self.partition_start).days // 7 + 1

    @property
    def first_period(self) -> tuple[str, date]:
        # The week belongs to the period (and year) of its Thursday.
        return period_of(self.partition_start + timedelta(days=3), self.analysis_period)

    @property
    def last_period(self) -> tuple[str, date]:
        return period_of(monday(self.last_date) + timedelta(days=3), self.analysis_period)

    @property
    def first_year(self) -> int:
        return (self.partition_start + timedelta(days=3)).year

    @property
    def years(self) -> list[int]:
        """The calendar years the data touches (for population)."""
        return list(range(self.first_date.year, self.last_date.year + 1))
