"""The survey model (share feeling safe, area × year): estimate and its few-area inference."""

from __future__ import annotations

import numpy as np
import pandas as pd

from est_pipeline.estimation.survey import estimate_survey


def _survey(n_areas: int, n_treated: int, effect: float, seed: int, years=(2019, 2020, 2021, 2022, 2023)):
    """Shares with binomial noise around area and year levels; the type starts in 2021 in the
    treated areas and raises the share by ``effect`` in proportion to its exposure."""
    rng = np.random.default_rng(seed)
    areas = [f"A{a:02d}" for a in range(n_areas)]
    level = rng.normal(0.7, 0.08, n_areas)
    yearly = dict(zip(years, rng.normal(0.0, 0.02, len(years))))
    treated = set(areas[:n_treated])
    rows, iv = [], []
    for a, lev in zip(areas, level):
        for y in years:
            exposure = 1.0 if (a in treated and y >= 2021) else 0.0
            n = int(rng.integers(60, 200))
            p = np.clip(lev + yearly[y] + effect * exposure + rng.normal(0, 0.02), 0.01, 0.99)
            rows.append({"area_id": a, "year": y, "respondents": n, "share_safe": rng.binomial(n, p) / n})
            if exposure:
                mondays = pd.date_range(f"{y}-01-01", f"{y}-12-31", freq="W-MON")
                iv.extend({"area_id": a, "week_start": m, "intervention_type": "walk"} for m in mondays)
    return pd.DataFrame(rows), pd.DataFrame(iv, columns=["area_id", "week_start", "intervention_type"])


def test_three_treated_areas_get_a_placebo_interval_that_finds_a_large_effect():
    area_year, iv = _survey(14, 3, 0.12, seed=1)
    (est,), _ = estimate_survey(area_year, iv, 2019, 2023, n_draws=399, seed=3)
    assert est.inference == "placebo_assignments_399"  # 14 * 13 * 12 assignments: a seeded sample
    assert est.ci_low < est.log_irr < est.ci_high
    assert est.ci_low < 0.12 < est.ci_high and est.p_value < 0.05


def test_as_many_treated_as_untreated_areas_still_get_a_calibrated_placebo_test():
    """Placebo hosts are drawn from all areas, so 7 exposed of 14 is not degenerate: no
    effect, 30 samples, about 5% rejections (at most 5 of 30; the chance of 6 or more with a
    5% test is under 1%)."""
    rejections = 0
    for seed in range(30):
        area_year, iv = _survey(14, 7, 0.0, seed=200 + seed)
        (est,), _ = estimate_survey(area_year, iv, 2019, 2023, n_draws=99, seed=seed)
        assert est.inference == "placebo_assignments_99" and est.ci_low < est.log_irr < est.ci_high
        rejections += est.p_value <= 0.05
    assert rejections <= 5


def test_one_treated_area_of_ten_the_data_cannot_tell():
    area_year, iv = _survey(10, 1, 0.05, seed=3)
    (est,), _ = estimate_survey(area_year, iv, 2019, 2023, n_draws=199, seed=3)
    assert est.inference == "none_data_cannot_tell" and np.isnan(est.ci_low) and np.isnan(est.p_value)
    assert "Data kan inte avgöra" in est.reason and "finns 10 sätt" in est.reason and "minst 19" in est.reason


def test_placebo_test_size_on_repeated_samples():
    """No effect, 3 of 14 areas: the placebo test rejects in about 5% of samples (40 samples
    cannot pin 5%; the CR1 t-test it replaces rejected in 11% of 300 such samples)."""
    rejections = 0
    for seed in range(40):
        area_year, iv = _survey(14, 3, 0.0, seed=100 + seed)
        (est,), _ = estimate_survey(area_year, iv, 2019, 2023, n_draws=99, seed=seed)
        rejections += est.p_value <= 0.05
    assert rejections <= 6
