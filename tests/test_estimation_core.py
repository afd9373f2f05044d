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
from est_pipeline.estimation.simulation import DESIGNS, Adoption, Design, simulate

THREE_TYPES = Design(
    "three_types", "60 areas, two real types and a placebo type",
    types=(Adoption("lighting_improvement", ratio=0.8, share_ending=0.4),
           Adoption("police_patrol", ratio=0.9, targeting=0.5, share_ending=0.4),
           Adoption("safety_walk", ratio=1.0, targeting=0.0, share_ending=0.4)),
)


@pytest.fixture(scope="module")
def sim3():
    return simulate(THREE_TYPES, seed=7)


@pytest.fixture(scope="module")
def small3():
    """A panel small enough for the dense statsmodels reference (24 areas × 80 weeks)."""
    return simulate(replace(THREE_TYPES, n_areas=24, n_weeks=80), seed=7)


@pytest.fixture(scope="module")
def result3(sim3):
    outcomes, interventions = sim3.to_marts()
    return estimate_effects(outcomes, interventions, n_draws=399)


def test_absorbed_path_gives_the_statsmodels_and_pyfixest_numbers(small3):
    panel = small3.to_panel()
    args = (panel.y, panel.D, panel.area, panel.week, panel.types)
    absorbed = fit_poisson_fe(*args)  # auto = absorbed
    dense = fit_poisson_fe(*args, method="statsmodels")
    pyfx = fit_poisson_fe(*args, method="pyfixest")
    assert absorbed.method == "absorbed" and dense.method == "statsmodels"
    np.testing.assert_allclose(absorbed.beta, dense.beta, atol=1e-9, rtol=0)
    np.testing.assert_allclose(absorbed.beta, pyfx.beta, atol=1e-7, rtol=0)
    np.testing.assert_allclose(absorbed.mu, dense.mu, rtol=1e-9)
    np.testing.assert_allclose(absorbed.alpha, dense.alpha, atol=1e-8)
    np.testing.assert_allclose(absorbed.delta, dense.delta, atol=1e-8)
    np.testing.assert_allclose(np.sqrt(np.diag(absorbed.vcov_cr1())), np.sqrt(np.diag(dense.vcov_cr1())), rtol=1e-7)
    np.testing.assert_allclose(absorbed.x_tilde, dense.x_tilde, atol=1e-9)


def test_absorbed_path_accepts_non_integer_counts(small3):
    """Police-reported crimes spread over areas by population share are not integers."""
    panel = small3.to_panel()
    y = panel.y * 0.37 + 0.01 * (panel.area % 3)
    a = fit_poisson_fe(y, panel.D, panel.area, panel.week, panel.types)
    d = fit_poisson_fe(y, panel.D, panel.area, panel.week, panel.types, method="statsmodels")
    np.testing.assert_allclose(a.beta, d.beta, atol=1e-9)


def test_statsmodels_own_cluster_se_matches_pyfixest_under_same_convention(small3):
    """The libraries' own clustered SEs, told to use the same small-sample factor
    (G/(G-1) * (n-1)/(n-k), k counting every fixed effect), agree."""
    import pyfixest as pf
    import statsmodels.api as sm

    from est_pipeline.estimation.poisson_fe import _dummies

    panel = small3.to_panel()
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
    # exactly one headline per type × outcome, and it is the robust estimate
    assert eff.groupby(["intervention_type", "outcome_group"]).is_headline.sum().eq(1).all()
    assert (eff[eff.is_headline].estimator == "robust_imputation").all()
    # 30 treated areas of 60: the noise is learnt from the 30 never-treated areas
    robust = eff[eff.estimator == "robust_imputation"]
    assert (robust.inference == "placebo_calibrated_t").all() and (robust.n_control_areas == 30).all()


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
    assert ev.inference.notna().all()


def test_pretrend_test_detects_a_planted_dip_before_the_start():
    """Areas picked after a bad spell: counts are 40% higher in the 8 weeks before each start."""
    sim = simulate(DESIGNS["m60_half_onoff"], seed=5)
    for a in np.flatnonzero(sim.first_start[:, 0] >= 0):
        s = sim.first_start[a, 0]
        sim.y[a, max(0, s - 8):s] = np.round(sim.y[a, max(0, s - 8):s] * 1.4)
    outcomes, interventions = sim.to_marts()
    eff = estimate_effects(outcomes, interventions, n_draws=199).effects
    head = eff[eff.is_headline].iloc[0]
    assert head.pretrend_p_value < 0.01
    assert "Förtrend (p = 0," in head.note


def test_staggered_heterogeneous_robust_is_headline_and_twfe_flagged():
    sim = simulate(DESIGNS["m60_most_strong"], seed=3)
    outcomes, interventions = sim.to_marts()
    eff = estimate_effects(outcomes, interventions, n_draws=199, event_study=False).effects
    robust = eff[eff.estimator == "robust_imputation"].iloc[0]
    naive = eff[eff.estimator == "poisson_twfe"].iloc[0]
    truth = sim.truth["A"]
    assert robust.is_headline and not naive.is_headline
    assert robust.ci_low < truth < robust.ci_high
    assert not (naive.ci_low < truth < naive.ci_high)
    assert "utanför det robusta intervallet" in robust.note


def _few(n_areas: int, n_treated: int, seed: int = 11, **kw) -> pd.DataFrame:
    design = Design("few", "", n_areas=n_areas, types=(Adoption(n_treated=n_treated, **kw),))
    sim = simulate(design, seed)
    outcomes, interventions = sim.to_marts()
    return estimate_effects(outcomes, interventions, n_draws=199, event_study=False).effects


def test_three_of_fourteen_treated_get_inference_calibrated_on_the_control_areas():
    eff = _few(14, 3)
    robust = eff[eff.estimator == "robust_imputation"].iloc[0]
    naive = eff[eff.estimator == "poisson_twfe"].iloc[0]
    assert robust.is_headline and robust.inference == "placebo_calibrated_t" and robust.n_control_areas == 11
    assert 0 < robust.ci_low < robust.irr < robust.ci_high < np.inf
    assert "kalibrerad med placebotest i 11 jämförelseområden" in robust.note
    # TWFE's cluster bootstrap is not calibrated with 3 treated areas: no interval, a reason
    assert naive.inference == "none_data_cannot_tell" and pd.isna(naive.ci_low) and pd.isna(naive.p_value)
    assert "minst 6 krävs" in naive.note


def test_one_treated_area_gets_randomization_inference_when_there_are_19_controls():
    eff = _few(40, 1)
    robust = eff[eff.estimator == "robust_imputation"].iloc[0]
    assert robust.is_headline and robust.inference == "placebo_assignments_39"
    assert 0 < robust.ci_low < robust.irr < robust.ci_high < np.inf and "vart och ett av 39 områden" in robust.note


def test_one_treated_area_of_fourteen_the_data_cannot_tell():
    eff = _few(14, 1)
    robust = eff[eff.estimator == "robust_imputation"].iloc[0]
    assert robust.is_headline and robust.inference == "none_data_cannot_tell"
    assert pd.isna(robust.ci_low) and pd.isna(robust.ci_high) and pd.isna(robust.p_value) and pd.isna(robust.q_value)
    assert np.isfinite(robust.irr)
    # plain Swedish, with the threshold and this panel's count
    assert "Data kan inte avgöra" in robust.note
    assert "minst 19 sådana jämförelseområden; här finns 13" in robust.note


def test_seven_of_fourteen_uses_the_calibrated_test_and_all_adopting_uses_the_bootstrap():
    eff = _few(14, 7)
    assert eff[eff.estimator == "robust_imputation"].inference.iloc[0] == "placebo_calibrated_t"
    # every area adopts at some point (none never treated): nobody to learn the noise from
    eff = _few(30, 30 - 1, start_window=(0.1, 0.9))
    robust = eff[eff.estimator == "robust_imputation"].iloc[0]
    assert robust.inference.startswith("wild_cluster_score_bootstrap_webb")


def test_inference_ladder_thresholds():
    from est_pipeline.estimation.inference import choose

    assert choose(1, 13) == "none"  # 13 placebo areas < 19
    assert choose(1, 30) == "assignment"
    assert choose(2, 12) == "calibrated"
    assert choose(3, 4) == "none"  # too few controls to learn the noise, too few treated to bootstrap
    assert choose(40, 4) == "bootstrap"


def test_same_input_gives_byte_identical_marts_also_with_shuffled_rows(sim3):
    outcomes, interventions = sim3.to_marts()
    outcomes = outcomes[outcomes.area_id < "SIM0020"]
    interventions = interventions[interventions.area_id < "SIM0020"]
    outcomes = pd.concat([outcomes, outcomes.assign(outcome_group="violence", events=outcomes.events * 0.35)])
    kw = dict(n_draws=99)
    first = estimate_effects(outcomes, interventions, **kw)
    second = estimate_effects(outcomes, interventions, **kw)
    rng = np.random.default_rng(0)
    shuffled = estimate_effects(outcomes.sample(frac=1.0, random_state=rng), interventions.sample(frac=1.0, random_state=1),
                                **kw)
    for other in (second, shuffled):
        pd.testing.assert_frame_equal(first.effects, other.effects, check_exact=True)
        pd.testing.assert_frame_equal(first.event_study, other.event_study, check_exact=True)
    assert set(first.effects.outcome_group) == {"total", "violence"}


def test_outcome_groups_come_from_the_data_and_counts_may_be_fractional():
    """A new group (police-reported crimes spread by population share) needs no code change."""
    sim = simulate(replace(DESIGNS["m60_half_onoff"], n_areas=24), seed=2)
    outcomes, interventions = sim.to_marts()
    police = outcomes.assign(outcome_group="police_crimes", events=np.round(outcomes.events * 0.43, 2))
    res = estimate_effects(pd.concat([outcomes, police]), interventions, n_draws=99, event_study=False)
    assert set(res.effects.outcome_group) == {"total", "police_crimes"}
    assert (police.events % 1 != 0).any()
    row = res.effects[(res.effects.outcome_group == "police_crimes") & res.effects.is_headline].iloc[0]
    assert 0 < row.ci_low < row.irr < row.ci_high


def test_all_zero_area_is_dropped_and_counted(sim3):
    outcomes, interventions = sim3.to_marts()
    first = outcomes.area_id.iloc[0]
    outcomes.loc[outcomes.area_id == first, "events"] = 0
    res = estimate_effects(outcomes, interventions, n_draws=99, event_study=False)
    assert (res.effects.n_areas_dropped_all_zero == 1).all()
    assert (res.effects.n_clusters == THREE_TYPES.n_areas - 1).all()


def _small_marts(seed=1):
    sim = simulate(replace(DESIGNS["m60_half_onoff"], n_areas=12, n_weeks=40), seed)
    return sim.to_marts()


def test_no_treated_areas_gives_clear_message():
    outcomes, interventions = _small_marts()
    with pytest.raises(PanelError, match="no treated areas"):
        estimate_effects(outcomes, interventions.iloc[0:0])


def test_intervention_active_everywhere_is_not_identified():
    outcomes, interventions = _small_marts()
    everywhere = outcomes[["area_id", "week_start"]].assign(
        intervention_id="X1", intervention_type="cleanup", intensity=2, responsible_partners="municipality")
    with pytest.raises(PanelError, match="active in every area and every week"):
        estimate_effects(outcomes, everywhere)
    # beside an estimable type, it is skipped with the reason and the other type is estimated
    res = estimate_effects(outcomes, pd.concat([interventions, everywhere]), n_draws=99, event_study=False)
    assert set(res.effects.intervention_type) == {"A"}
    assert any("cleanup: active in every area and every week" in m for m in res.messages)


def test_all_zero_outcomes_give_clear_message():
    outcomes, interventions = _small_marts()
    outcomes["events"] = 0
    with pytest.raises(PanelError, match="all-zero outcomes"):
        estimate_effects(outcomes, interventions)


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
    so the robust estimate for A must leave B out instead of failing."""
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
    res = estimate_effects(outcomes, pd.concat([interventions, b]), n_draws=99, event_study=False)
    robust_a = res.effects[(res.effects.intervention_type == "A") & (res.effects.estimator != "poisson_twfe")]
    assert len(robust_a) == 1 and np.isfinite(robust_a["irr"].iloc[0])


def test_types_that_are_jointly_collinear_get_robust_estimates_and_no_twfe_cross_check(small3):
    """Two types with exactly the same schedules each pass the single-type checks but cannot be
    told apart in the joint TWFE model: the run goes on, each type gets its robust estimate,
    and the one TWFE cannot identify says it has no cross-check (this once failed a run)."""
    outcomes, interventions = small3.to_marts()
    twin = interventions[interventions.intervention_type == "lighting_improvement"].copy()
    twin["intervention_type"] = "cleanup"
    twin["intervention_id"] = twin["intervention_id"].astype(str) + "-twin"
    res = estimate_effects(outcomes, pd.concat([interventions, twin], ignore_index=True), n_draws=99,
                           event_study=False)
    eff = res.effects
    head = eff[eff.is_headline]
    assert set(head.intervention_type) == {"cleanup", "lighting_improvement", "police_patrol", "safety_walk"}
    assert (head.estimator == "robust_imputation").all()
    twfe = set(eff[eff.estimator == "poisson_twfe"].intervention_type)
    assert len({"cleanup", "lighting_improvement"} - twfe) == 1 and {"police_patrol", "safety_walk"} <= twfe
    lost = ({"cleanup", "lighting_improvement"} - twfe).pop()
    assert "jämförelse saknas" in head[head.intervention_type == lost].note.iloc[0]
    assert any(f"{lost}: collinear" in m and "no TWFE cross-check" in m for m in res.messages)
