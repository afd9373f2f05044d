"""The annual safety survey (trygghetsmätning): anonymous answers per area and year.

Perceived safety follows a latent logistic scale: worse areas feel less safe, and the
interventions active in the half year before the autumn survey shift the latent value by a
stated amount per type (``SURVEY_SHIFT``). Safety walks do nothing to incidents but are
planted with a small effect on perceived safety, as the literature on them suggests. Some
area-years get fewer than ten answers, so the pipeline's suppression rule has work to do.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd

from est_pipeline.demo.formats import write_delimited
from est_pipeline.demo.geography import Municipality
from est_pipeline.demo.output import Output
from est_pipeline.demo.schedule import Schedule

AGE_GROUPS = np.array(["16-24", "25-44", "45-64", "65-84"], dtype=object)
_AGE_SHIFT = np.array([-0.1, 0.0, 0.0, -0.3])
_AGE_P = np.array([0.18, 0.32, 0.28, 0.22])
_SAFE = [-1.5, -0.3, 1.0]  # thresholds on the latent scale for answers 1..4
SURVEY_INTERCEPT = 0.6
SURVEY_LEVEL_SLOPE = -0.7
SAFETY_WALK_BONUS = 0.25


def survey_years(first: date, end_excl: date) -> list[int]:
    """Years whose autumn survey (1 October) falls inside the period."""
    return [y for y in range(first.year, end_excl.year + 1) if first <= date(y, 10, 1) < end_excl]


def survey_shift(effects: dict[str, float], typ: str) -> float:
    return -1.5 * math.log(effects.get(typ, 1.0)) + (SAFETY_WALK_BONUS if typ == "safety_walk" else 0.0)


def write_survey(muni: Municipality, schedule: Schedule, effects: dict[str, float],
                 week_starts: list[date], years: list[int], out: Output,
                 rng: np.random.Generator) -> pd.DataFrame:
    """Write one CSV per year; return the expected share feeling safe per area-year."""
    level = muni.areas["level"].to_numpy()
    z = (level - level.mean()) / (level.std() + 1e-9)
    shifts = np.array([survey_shift(effects, t) for t in schedule.types])
    ws = np.array(week_starts, dtype="datetime64[D]")
    area_ids = muni.areas["area_id"].to_numpy()
    expected = []
    for y in years:
        window = (ws >= np.datetime64(date(y, 4, 1))) & (ws < np.datetime64(date(y, 10, 1)))
        frac = schedule.active[:, :, window].mean(axis=2) if window.any() else \
            np.zeros(schedule.active.shape[:2])
        eta = SURVEY_INTERCEPT + SURVEY_LEVEL_SLOPE * z + frac @ shifts
        n = np.where(rng.random(len(z)) < 0.08, rng.integers(3, 10, size=len(z)),
                     rng.integers(30, 151, size=len(z)))
        a = np.repeat(np.arange(len(z)), n)
        m = len(a)
        age = rng.choice(len(AGE_GROUPS), size=m, p=_AGE_P)
        latent = eta[a] + _AGE_SHIFT[age] + rng.logistic(size=m)
        day = np.digitize(latent + 1.0, _SAFE) + 1
        evening = (np.digitize(latent, _SAFE) + 1).astype(object)
        evening[rng.random(m) < 0.03] = None
        worry = (5 - np.digitize(latent + rng.normal(0, 0.7, size=m), [-1.8, -0.6, 0.4, 1.4])).astype(object)
        worry[rng.random(m) < 0.02] = None
        disorder = (5 - np.digitize(latent + rng.normal(0, 0.9, size=m), [-1.6, -0.5, 0.5, 1.5])).astype(object)
        disorder[rng.random(m) < 0.04] = None
        name = f"trygghetsmatning_{muni.code}_{y}.csv"
        text = lambda v: np.array([None if x is None else str(x) for x in v], dtype=object)  # noqa: E731
        written = write_delimited(
            out.path("safety_survey", name),
            ["Svars-ID", "År", "Områdes-ID", "Åldersgrupp", "Trygg_dag", "Trygg_kvall",
             "Oro_brott", "Problem_ordning"],
            [np.array([f"TM{y}-{muni.code}-{i + 1:05d}" for i in range(m)], dtype=object),
             np.full(m, str(y), dtype=object), area_ids[a], AGE_GROUPS[age],
             day.astype(str).astype(object), text(evening), text(worry), text(disorder)],
            sep=",", encoding="utf-8", newline="\n")
        out.record("safety_survey", name, written)
        p_safe = 1 - 1 / (1 + np.exp(-(_SAFE[1] - eta[:, None] - _AGE_SHIFT[None, :])))
        expected.append(pd.DataFrame({
            "municipality_code": muni.code, "area_id": area_ids, "year": y, "responses": n,
            "expected_share_safe_evening": np.round(p_safe @ _AGE_P, 4),
        }))
    return pd.concat(expected, ignore_index=True) if expected else pd.DataFrame()
