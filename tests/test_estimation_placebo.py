"""The placebo machinery behind few-area inference, checked against first principles."""

from __future__ import annotations

import numpy as np

from est_pipeline.estimation.imputation import fit_untreated, imputable
from est_pipeline.estimation.placebo import Grid, PlaceboDesign, Refitter, assignments
from est_pipeline.estimation.poisson_fe import fit_poisson_fe
from est_pipeline.estimation.simulation import DESIGNS, simulate


def _exact_placebo_residual(panel, k, areas, target, exclude):
    """Refit the untreated model without the placebo areas' excluded weeks; Σ(y − m̂) over targets."""
    A, T = panel.n_areas, int(panel.week.max()) + 1
    out = np.zeros((A, T), dtype=bool)
    treated = panel.D[:, k] == 1
    out[panel.area[treated], panel.week[treated]] = True
    for i, a in enumerate(areas):
        out[a] |= exclude[i]
    keep = ~out[panel.area, panel.week]
    ua, ia = np.unique(panel.area[keep], return_inverse=True)
    uw, iw = np.unique(panel.week[keep], return_inverse=True)
    fit = fit_poisson_fe(panel.y[keep], np.zeros((keep.sum(), 0)), ia, iw, [], method="statsmodels")
    Y = np.zeros((A, T))
    Y[panel.area, panel.week] = panel.y
    total = 0.0
    for i, a in enumerate(areas):
        weeks = np.flatnonzero(target[i])
        m = np.exp(fit.alpha[np.searchsorted(ua, a)] + fit.delta[np.searchsorted(uw, weeks)])
        total += Y[a, weeks].sum() - m.sum()
    return total


def test_placebo_refits_match_exact_refits():
    """Three areas with long, overlapping schedules leave the fit at once (14 areas in all):
    the Newton step plus alternating updates must give the full refit's imputations."""
    sim = simulate(DESIGNS["s14_3"].placebo(), seed=1000)
    panel = sim.to_panel()
    model = fit_untreated(panel, 0)
    design = PlaceboDesign(panel, 0, model, imputable(panel, model), model.excluded)
    perm, _ = assignments(design.n_controls, design.n_treated, 0, 0)
    refit = Refitter(panel, model, design.grid.v)
    for row in perm[[0, 100, 500]]:
        areas = design.controls[row]
        fast = refit.residuals(areas[None, :], design.schedule[None], design.exclude)[0][0, 0]
        exact = _exact_placebo_residual(panel, 0, areas, design.schedule, design.exclude)
        assert abs(fast - exact) < 0.05, (fast, exact)


def test_placebo_variance_matches_the_spread_of_placebo_residuals():
    """Over many control areas and schedules, e²/V averages about 1: the variance that
    studentises every placebo and the observed statistic is the right size."""
    ratios = []
    for seed in range(6):
        sim = simulate(DESIGNS["s20_10"].placebo(), seed=seed)
        panel = sim.to_panel()
        model = fit_untreated(panel, 0)
        design = PlaceboDesign(panel, 0, model, imputable(panel, model), model.excluded)
        refit = Refitter(panel, model, design.grid.v)
        for i in range(design.n_treated):
            num, var = refit.residuals(design.controls[:, None], design.schedule[None, i : i + 1],
                                       design.exclude[i : i + 1])
            ratios.extend(num[:, 0] ** 2 / var[:, 0])
    assert 0.85 < np.mean(ratios) < 1.15, np.mean(ratios)


def test_variance_function_recovers_the_planted_overdispersion():
    """Gamma–Poisson counts with variance μ + 0.25 μ²: σ² ≈ 1, κ ≈ 0.25 (also for the big
    areas that interventions go to, whose in-sample residuals are shrunk)."""
    s2, ka = [], []
    for seed in range(12):
        sim = simulate(DESIGNS["s14_3"].placebo(), seed=seed)
        panel = sim.to_panel()
        grid = Grid(panel, fit_untreated(panel, 0))
        s2.append(grid.sigma2)
        ka.append(grid.kappa)
    assert abs(np.mean(s2) - 1.0) < 0.15
    assert abs(np.mean(ka) - 0.25) < 0.04


def test_assignments_enumerate_when_few_and_sample_distinct_areas_otherwise():
    perm, enumerated = assignments(11, 3, 99, 0)
    assert enumerated and perm.shape == (990, 3) and len({tuple(p) for p in perm}) == 990
    perm, enumerated = assignments(40, 6, 99, 0)
    assert not enumerated and perm.shape == (99, 6)
    assert all(len(set(p)) == 6 for p in perm)
    assert np.array_equal(perm, assignments(40, 6, 99, 0)[0])  # seeded
