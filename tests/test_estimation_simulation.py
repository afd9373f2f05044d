"""A small version of the simulation study (the full one is ``benchmarks/simulation_study.py``).

A few dozen replications cannot pin coverage to 93–97%, so the bounds are loose but
still fail if an estimator is biased or its intervals are badly wrong.
"""

from __future__ import annotations

import numpy as np

from est_pipeline.estimation.simulation import SCENARIOS, run_study, summarise

REPS = 60


def test_small_simulation_study():
    results = run_study(["s1_baseline", "s3_staggered_heterogeneous", "s5_placebo"], reps=REPS, workers=1,
                        n_draws=199, progress=False)
    table = summarise(results).set_index(["scenario", "estimator"])
    assert (table["reps"] == REPS).all()

    s1 = table.loc["s1_baseline"]
    for est in ("poisson_twfe", "robust_imputation"):
        assert abs(s1.loc[est, "rel_bias_pct"]) < 2.0
        assert s1.loc[est, "coverage_pct"] >= 80
        assert s1.loc[est, "reject_ratio1_pct"] >= 90  # ratio 0.8 on 60 areas: high power
        # the estimated SE tracks the spread of the estimates
        assert 0.6 < s1.loc[est, "mean_est_se_log"] / s1.loc[est, "emp_se_log"] < 1.5

    s3 = table.loc["s3_staggered_heterogeneous"]
    robust, naive = s3.loc["robust_imputation"], s3.loc["poisson_twfe"]
    assert abs(robust["rel_bias_pct"]) < 3.0
    assert abs(naive["rel_bias_pct"]) > 3 * abs(robust["rel_bias_pct"]) and abs(naive["rel_bias_pct"]) > 8
    assert robust["coverage_pct"] >= 80
    assert naive["coverage_pct"] <= 50  # naive TWFE under-covers the ATT under heterogeneity

    s5 = table.loc["s5_placebo"]
    for est in ("poisson_twfe", "robust_imputation"):
        assert s5.loc[est, "reject_ratio1_pct"] <= 20  # size: 5% nominal, 30 reps
        assert abs(s5.loc[est, "mean_irr"] - 1.0) < 0.02
    assert np.isfinite(table["emp_se_log"]).all()
