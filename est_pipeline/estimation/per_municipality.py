"""Estimation one municipality at a time, in whichever process runs it.

A deployment for many municipalities estimates each on its own areas, so that its estimates
hold nothing of another's data. The yearly asset splits the panel here and hands each
municipality's window to a worker process (``est_pipeline.lib.parallel``); this module
imports neither Dagster nor the warehouse, so a worker starts with only what it computes with.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

import pandas as pd

from est_pipeline.estimation.errors import NothingToEstimate, PanelError
from est_pipeline.estimation.pipeline import EstimationResult, estimate_effects


def split_by_municipality(
    outcomes: pd.DataFrame, interventions: pd.DataFrame, survey: pd.DataFrame | None,
    municipality_of: dict[str, str | None],
) -> list[tuple[str | None, pd.DataFrame, pd.DataFrame, pd.DataFrame | None]]:
    """The panel split by municipality: each municipality is estimated on its own areas only,
    so that its estimates carry its code and hold nothing of another municipality's data."""
    codes = sorted({municipality_of.get(a) for a in outcomes["area_id"].unique()}, key=lambda c: (c is None, c or ""))
    if len(codes) <= 1:
        return [(codes[0] if codes else None, outcomes, interventions, survey)]
    parts = []
    for code in codes:
        areas = {a for a in outcomes["area_id"].unique() if municipality_of.get(a) == code}
        parts.append((
            code,
            outcomes[outcomes["area_id"].isin(areas)].reset_index(drop=True),
            interventions[interventions["area_id"].isin(areas)].reset_index(drop=True),
            None if survey is None else survey[survey["omrades_id"].isin(areas)].reset_index(drop=True),
        ))
    return parts


@dataclass(frozen=True)
class EstimationJob:
    """One municipality's window: what a worker process needs to estimate it."""

    municipality: str | None
    outcomes: pd.DataFrame
    interventions: pd.DataFrame
    survey: pd.DataFrame | None
    start: date | None
    end: date
    method: str
    n_draws: int
    seed: int


@dataclass(frozen=True)
class JobOutcome:
    """What came of a job: a result, or why there is none (noted or raised by the asset).

    ``period_start`` is the window's start as its rows record it: the explicit start, else the
    municipality's first week in the panel.
    """

    municipality: str | None
    start: date | None
    end: date
    period_start: date
    result: EstimationResult | None = None
    no_interventions: bool = False
    nothing_estimable: str | None = None
    panel_error: str | None = None
    seconds: float = 0.0


def window_job(
    municipality: str | None, outcomes: pd.DataFrame, interventions: pd.DataFrame, survey: pd.DataFrame | None,
    start: date | None, end: date, method: str, n_draws: int, seed: int,
) -> EstimationJob:
    """One municipality's job for the window ending at ``end``: its panel rows before
    ``end`` (and the survey years up to ``end``'s), cut from the panel read once up to the
    latest window's end, so a backfill over several years reads the warehouse once."""
    before = pd.Timestamp(end)
    return EstimationJob(
        municipality,
        outcomes[pd.to_datetime(outcomes["week_start"]) < before].reset_index(drop=True),
        interventions[pd.to_datetime(interventions["week_start"]) < before].reset_index(drop=True),
        None if survey is None else survey[survey["ar"] < end.year + (end.month > 1)].reset_index(drop=True),
        start, end, method, n_draws, seed,
    )


def first_week(outcomes: pd.DataFrame, end: date) -> date:
    """The estimation window's start when the panel starts it: its first week (else the year)."""
    if len(outcomes):
        return pd.Timestamp(outcomes["week_start"].min()).date()
    return date(end.year - 1, 1, 1)


def estimate_job(job: EstimationJob) -> JobOutcome:
    """Runs in a worker process (or in the asset's own when there is one job)."""
    t0 = time.perf_counter()
    done = {"municipality": job.municipality, "start": job.start, "end": job.end,
            "period_start": job.start or first_week(job.outcomes, job.end)}
    if job.interventions.empty or job.outcomes.empty:
        return JobOutcome(**done, no_interventions=True)
    try:
        result = estimate_effects(
            job.outcomes, job.interventions, job.survey, period_start=job.start, period_end=job.end,
            method=job.method, n_draws=job.n_draws, seed=job.seed,  # type: ignore[arg-type]
        )
    except NothingToEstimate as exc:
        return JobOutcome(**done, nothing_estimable=str(exc), seconds=time.perf_counter() - t0)
    except PanelError as exc:
        return JobOutcome(**done, panel_error=str(exc), seconds=time.perf_counter() - t0)
    return JobOutcome(**done, result=result, seconds=time.perf_counter() - t0)
