"""The estimation library on generated panels with planted ratios (no Dagster here)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from est_pipeline.estimation.errors import PanelError
from est_pipeline.estimation.multiple_testing import bh_qvalues
from est_pipeline.estimation.panel import build_panel
from est_pipeline.estimation.pipeline import estimate_effects
from est_pipeline.estimation.poisson_fe import fit_poisson_fe, recover_fixed_effects
from est_pipeline.estimation.simulation import SCENARIOS, Scenario, TypeSpec, simulate

TWO_TYPES_AND_PLACEBO = Scenario(
    "two_types_placebo",
    types=(TypeSpec("lighting_improvement", 0.8), TypeSpec("police_patrol", 0.9, targeting=0.5),
           TypeSpec("safety_walk", 1.0, targeting=0.0)),
)


@pytest.fixture(scope="module")
def sim3():
    return simulate(TWO_TYPES_AND_PLACEBO, seed=7)


@pytest.fixture(scope="module")
def result3(sim3):
    outcomes, interventions = sim3.to_marts()
    return estimate_effects(outcomes, interventions, outcome_groups=("total",), n_draws=399)


def test_statsmodels_and_absorbed_paths_agree(sim3):
    panel = sim3.to_panel()
    args = (panel.y, panel.D, panel.area, panel.week, panel.types)
    dense = fit_poisson_fe(*args, method="statsmodels")
    absorbed = fit_poisson_fe(*args, method="absorbed")
    assert dense.method == "statsmodels" and absorbed.method == "absorbed"
    np.testing.assert_allclose(dense.beta, absorbed.beta, atol=1e-6, rtol=0)
    se_d = np.sqrt(np.diag(dense.vcov_cr1()))
    se_a = np.sqrt(np.diag(absorbed.vcov_cr1()))
    np.testing.assert_allclose(se_d, se_a, rtol=1e-5)
    np.testing.assert_allclose(dense.mu, absorbed.mu, rtol=1e-6)


def test_statsmodels_own_cluster_se_matches_pyfixest_under_same_convention(sim3):
    """The libraries' own clustered SEs, told to use the same small-sample factor
    (G/(G-1) * (n-1)/(n-k), k counting every fixed effect), agree."""
    import pyfixest as pf
    import statsmodels.api as sm

    from est_pipeline.estimation.poisson_fe import _dummies

    panel = sim3.to_panel()
    design = np.hstack([panel.D, _dummies(panel.area, panel.week)])
    sm_res = sm.GLM(panel.y, design, family=sm.families.Poisson()).fit(
        tol=1e-13, cov_type="cluster", cov_kwds={"groups": panel.area, "use_correction": True}
    )
    df = pd.DataFrame(panel.D, columns=["x0", "x1", "x2"]).assign(y=panel.y, area=panel.area, week=panel.week)
    pf_res = pf.fepois("y ~ x0 + x1 + x2 | area + week", data=df, vcov={"CRV1": "area"},
                       ssc=pf.ssc(k_adj=True, k_fixef="full", G_adj=True), iwls_tol=1e-12)
    np.testing.assert_allclose(sm_res.params[:3], pf_res.coef().to_numpy(), atol=1e-6)
    np.testing.assert_allclose(sm_res.bse[:3], pf_res.se().to_numpy(), rtol=1e-4)


def test_recovers_planted_ratios_inside_intervals(sim3, result3):
    eff = result3.effects
    for itype in ("lighting_improvement", "police_patrol", "safety_walk"):
        truth = sim3.truth[itype]
        for estimator in ("poisson_twfe", "robust_imputation"):
            row = eff[(eff.intervention_type == itype) & (eff.estimator == estimator)].iloc[0]
            assert row.ci_low < truth < row.ci_high, (itype, estimator, row.irr, row.ci_low, row.ci_high, truth)
            assert abs(row.irr - truth) < 0.06
    assert (eff.interpretation == "association").all()
    assert eff.note.str.startswith("Samband, inte bevisad orsakseffekt.").all()
    # exactly one headline per type × outcome
    assert eff.groupby(["intervention_type", "outcome_group"]).is_headline.sum().eq(1).all()


def test_placebo_type_is_not_significant(result3):
    eff = result3.effects
    placebo = eff[eff.intervention_type == "safety_walk"]
    assert (placebo.p_value > 0.05).all() and (placebo.q_value > 0.05).all()
    real = eff[eff.intervention_type == "lighting_improvement"]
    assert (real.p_value < 0.01).all()


def test_event_study_and_pretrend(result3):
    ev = result3.event_study
    lighting = ev[ev.intervention_type == "lighting_improvement"]
    assert set(lighting.estimator) == {"pretrend_leads", "robust_imputation"}
    # no planted pre-trend: leads near 1, lags near the planted 0.8
    leads = lighting[lighting.estimator == "pretrend_leads"]
    assert ((leads.ci_low < 1) & (leads.ci_high > 1)).mean() >= 0.75
    lags = lighting[lighting.estimator == "robust_imputation"]
    assert abs(np.average(lags.irr, weights=lags.n_area_weeks) - 0.8) < 0.08
    assert result3.effects.pretrend_p_value.between(0, 1).all()


def test_staggered_heterogeneous_robust_is_headline():
    sim = simulate(SCENARIOS["s3_staggered_heterogeneous"], seed=3)
    outcomes, interventions = sim.to_marts()
    eff = estimate_effects(outcomes, interventions, outcome_groups=("total",), n_draws=199, event_study=False,
                           method="absorbed").effects
    robust = eff[eff.estimator == "robust_imputation"].iloc[0]
    naive = eff[eff.estimator == "poisson_twfe"].iloc[0]
    truth = sim.truth["A"]
    assert robust.is_headline and not naive.is_headline
    assert robust.ci_low < truth < robust.ci_high
    assert not (naive.ci_low < truth < naive.ci_high)
    assert "huvudresultat" in robust.note


def test_all_zero_area_is_dropped_and_counted(sim3):
    outcomes, interventions = sim3.to_marts()
    first = outcomes.area_id.iloc[0]
    outcomes.loc[outcomes.area_id == first, "events"] = 0
    res = estimate_effects(outcomes, interventions, outcome_groups=("total",), n_draws=99, event_study=False,
                           method="absorbed")
    assert (res.effects.n_areas_dropped_all_zero == 1).all()
    assert (res.effects.n_clusters == TWO_TYPES_AND_PLACEBO.n_areas - 1).all()


def _small_marts(seed=1):
    sim = simulate(replace(SCENARIOS["s1_baseline"], n_areas=12, n_weeks=40), seed)
    return sim.to_marts()


def test_no_treated_areas_gives_clear_message():
    outcomes, interventions = _small_marts()
    with pytest.raises(PanelError, match="no treated areas"):
        estimate_effects(outcomes, interventions.iloc[0:0], outcome_groups=("total",))


def test_intervention_active_everywhere_is_not_identified():
    outcomes, interventions = _small_marts()
    everywhere = outcomes[["area_id", "week_start"]].assign(
        intervention_id="X1", intervention_type="cleanup", intensity=2, responsible_partners="municipality")
    with pytest.raises(PanelError, match="active in every area and every week"):
        estimate_effects(outcomes, everywhere, outcome_groups=("total",))
    # beside an estimable type, it is skipped with the reason and the other type is estimated
    res = estimate_effects(outcomes, pd.concat([interventions, everywhere]), outcome_groups=("total",),
                           n_draws=99, event_study=False)
    assert set(res.effects.intervention_type) == {"A"}
    assert any("cleanup: active in every area and every week" in m for m in res.messages)


def test_all_zero_outcomes_give_clear_message():
    outcomes, interventions = _small_marts()
    outcomes["events"] = 0
    with pytest.raises(PanelError, match="all-zero outcomes"):
        estimate_effects(outcomes, interventions, outcome_groups=("total",))


def test_gap_and_negative_count_name_the_row():
    outcomes, interventions = _small_marts()
    gap = outcomes.drop(index=5)
    with pytest.raises(PanelError, match=r"1 cell\(s\) missing, e.g. area SIM0000, week 2020-02-10"):
        build_panel(gap, interventions, "total")
    neg = outcomes.copy()
    neg.loc[7, "events"] = -2
    with pytest.raises(PanelError, match=r"area SIM0000, week 2020-02-24, outcome_group total: events = -2"):
        build_panel(neg, interventions, "total")


def test_bh_qvalues_match_statsmodels():
    from statsmodels.stats.multitest import multipletests

    p = np.array([0.001, 0.04, 0.03, 0.5, 0.012, np.nan, 0.2])
    q = bh_qvalues(p)
    ok = ~np.isnan(p)
    np.testing.assert_allclose(q[ok], multipletests(p[ok], method="fdr_bh")[1])
    assert np.isnan(q[~ok]).all()


def test_fixed_effects_are_recovered_exactly():
    rng = np.random.default_rng(0)
    area = np.repeat(np.arange(5), 8)
    week = np.tile(np.arange(8), 5)
    keep = rng.random(40) > 0.2
    keep[:8] = True
    alpha, delta = rng.normal(size=5), np.r_[0, rng.normal(size=7)]
    a, d = recover_fixed_effects((alpha[area] + delta[week])[keep], area[keep], week[keep], 5, 8)
    np.testing.assert_allclose(a[area[keep]] + d[week[keep]], (alpha[area] + delta[week])[keep], atol=1e-12)


def test_other_type_absorbed_on_the_untreated_cells_is_dropped_not_fatal():
    """Type B is on in one area all the time and switches on with A in A's first area.

    On the cells where A is off, B is constant within areas (absorbed by the area effects),
    so the robust estimate for A must leave B out instead of failing (seen on a small demo
    configuration: CollinearRegressors from pyfixest)."""
    outcomes, interventions = _small_marts(seed=3)
    weeks = sorted(outcomes["week_start"].unique())
    areas = sorted(outcomes["area_id"].unique())
    a_rows = interventions[interventions["intervention_type"] == "A"]
    first_area = a_rows.sort_values("week_start")["area_id"].iloc[0]
    a_weeks = a_rows[a_rows["area_id"] == first_area]["week_start"]
    untreated_area = next(a for a in areas if a not in set(a_rows["area_id"]))
    b = pd.concat(
        [
            pd.DataFrame({"area_id": first_area, "week_start": a_weeks.values}),
            pd.DataFrame({"area_id": untreated_area, "week_start": weeks}),
        ]
    ).assign(intervention_id="B1", intervention_type="B", intensity=2, responsible_partners="police")
    res = estimate_effects(outcomes, pd.concat([interventions, b]), outcome_groups=("total",),
                           n_draws=99, event_study=False)
    robust_a = res.effects[(res.effects.intervention_type == "A") & (res.effects.estimator != "poisson_twfe")]
    assert len(robust_a) == 1 and np.isfinite(robust_a["irr"].iloc[0])
