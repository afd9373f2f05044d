"""A small version of the simulation study (the full one is ``make simulate``).

A few dozen replications cannot pin coverage to 93–97%, so the bounds are loose; they
still fail if an estimator is biased, if the headline is not the robust estimate, or if
an interval is badly wrong.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from est_pipeline.estimation.simulation import run_study, summarise

REPS = 16


def test_small_simulation_study():
    results = pd.concat([
        run_study(["m60_most_strong"], reps=REPS, workers=1, n_draws=99, placebo=False, progress=False),
        run_study(["s20_10"], reps=REPS, workers=1, n_draws=99, progress=False),
    ])
    table = summarise(results).set_index(["design", "estimator"])
    assert (table["reps"] == REPS).all()

    # Strong cohort heterogeneity: naive TWFE is far off the ATT, the headline is not.
    strong = table.loc["m60_most_strong"]
    assert abs(strong.loc["headline", "rel_bias_pct"]) < 2.0
    assert abs(strong.loc["poisson_twfe", "rel_bias_pct"]) > 8
    assert strong.loc["headline", "coverage_pct"] >= 80
    assert strong.loc["poisson_twfe", "coverage_pct"] <= 50
    assert strong.loc["headline", "reject_pct"] >= 90
    assert (results[results.estimator == "headline"].chosen == "robust_imputation").all()

    # 20 areas, half treated, and its placebo twin: bias, power, size.
    s20 = table.loc["s20_10"]
    assert abs(s20.loc["headline", "rel_bias_pct"]) < 3.0 and s20.loc["headline", "coverage_pct"] >= 80
    placebo = table.loc["s20_10_placebo"]
    for est in ("poisson_twfe", "headline"):
        assert placebo.loc[est, "reject_pct"] <= 25  # 5% nominal, 16 replications
        assert placebo.loc[est, "cannot_tell_pct"] == 0
    assert np.isfinite(table["width"]).all()
