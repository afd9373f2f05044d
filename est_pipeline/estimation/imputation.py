"""The heterogeneity-robust estimator: Poisson imputation (Borusyak–Jaravel–Spiess style).

Two-way fixed effects compares newly treated areas with already treated ones; when the
ratio differs by cohort or grows with time since start, that comparison is biased. The
imputation estimator never uses treated cells to learn the counterfactual:

1. fit ``y ~ area FE + week FE + other types`` by Poisson QMLE on the cells where type
   ``k`` is *not* active (never, not yet, or no longer treated);
2. impute the untreated mean ``mu0`` of every cell where ``k`` is active;
3. estimand and estimate: the ATT ratio ``sum(y) / sum(mu0)`` over those cells.

Other intervention types enter step 1 as indicators, so each type is isolated from the
types it overlaps with (their ratios are assumed constant while estimating ``k``). The
same three steps with the weeks just before each start also left out of step 1 give the
pre-trend (placebo) test: imputed weeks before the start should have ratio 1.

This module gives estimates and, for the cluster bootstrap, per-area influence terms: the
treated cells' residual ``y - r * mu0`` minus the effect of the area's untreated cells on
the imputations through the fitted effects (``v' H0^-1 s_g``). Which inference a design
gets is decided in :mod:`inference`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from est_pipeline.estimation.poisson_fe import (
    CollinearRegressors,
    Method,
    PoissonFit,
    fit_poisson_fe,
    solve_fe_system,
)

ESTIMATOR = "robust_imputation"


@dataclass
class UntreatedModel:
    """Step 1 for one type: the fit on untreated cells and everything step 2 needs."""

    k: int
    fit: PoissonFit
    u_rows: np.ndarray  # panel rows used in the fit
    u_area: np.ndarray  # compact area code (in the fit) per used row
    u_week: np.ndarray
    area_map: np.ndarray  # panel area code -> fit area code, -1 if absent
    week_map: np.ndarray
    alpha: np.ndarray
    delta: np.ndarray
    gamma: np.ndarray  # other types' log ratios
    other: list[int]  # panel column of each gamma
    dropped_other: list[int]  # other types without variation on the untreated cells
    Z: np.ndarray  # the fit's regressors on the used rows (the other types)
    excluded: np.ndarray  # panel cells left out of the fit besides zero areas/weeks (treated, leads)


def _drop_zero_fe(y: np.ndarray, area: np.ndarray, week: np.ndarray) -> np.ndarray:
    """Rows to keep after iteratively dropping areas/weeks whose counts are all zero."""
    keep = np.ones(len(y), dtype=bool)
    while True:
        sa = np.bincount(area[keep], weights=y[keep], minlength=area.max() + 1)
        sw = np.bincount(week[keep], weights=y[keep], minlength=week.max() + 1)
        bad = keep & ((sa[area] == 0) | (sw[week] == 0))
        if not bad.any():
            return keep
        keep &= ~bad


def fit_untreated(panel, k: int, method: Method = "auto", exclude: np.ndarray | None = None) -> UntreatedModel:
    """Step 1: the Poisson fit on the cells where type ``k`` is off (and not in ``exclude``)."""
    left_out = panel.D[:, k] == 1.0
    if exclude is not None:
        left_out = left_out | exclude
    rows = np.flatnonzero(~left_out)
    keep = _drop_zero_fe(panel.y[rows], panel.area[rows], panel.week[rows])
    rows = rows[keep]
    area_map = np.full(panel.n_areas, -1)
    ua = np.unique(panel.area[rows])
    area_map[ua] = np.arange(ua.size)
    week_map = np.full(int(panel.week.max()) + 1, -1)
    uw = np.unique(panel.week[rows])
    week_map[uw] = np.arange(uw.size)
    others = [j for j in range(panel.D.shape[1]) if j != k]
    Z = panel.D[np.ix_(rows, others)]
    varies = [i for i in range(len(others)) if 0 < Z[:, i].sum() < len(rows)]
    dropped = [others[i] for i in range(len(others)) if i not in varies]
    others = [others[i] for i in varies]
    a, w = area_map[panel.area[rows]], week_map[panel.week[rows]]
    # Another type that the area and week effects absorb on the untreated cells (e.g. always
    # on in the one area that has it there) is dropped like a type that never varies: its
    # level is then part of that area's effect.
    while True:
        Z = panel.D[np.ix_(rows, others)]
        try:
            fit = fit_poisson_fe(panel.y[rows], Z, a, w, [panel.types[j] for j in others], method)
            break
        except CollinearRegressors as err:
            absorbed = [j for j in others if panel.types[j] in err.names]
            if not absorbed:
                raise
            dropped += absorbed
            others = [j for j in others if j not in absorbed]
    # The fit's clusters are compact area codes; inference wants panel area codes.
    fit.cluster = panel.area[rows]
    return UntreatedModel(k, fit, rows, a, w, area_map, week_map, fit.alpha, fit.delta, np.asarray(fit.beta),
                          others, dropped, Z, left_out)


def imputable(panel, model: UntreatedModel, cells: np.ndarray | None = None) -> np.ndarray:
    """Cells (default: the type's treated cells) whose area and week have fitted cells."""
    if cells is None:
        cells = panel.D[:, model.k] == 1.0
    return cells & (model.area_map[panel.area] >= 0) & (model.week_map[panel.week] >= 0)


def impute_mu0(panel, model: UntreatedModel, rows: np.ndarray) -> np.ndarray:
    a = model.area_map[panel.area[rows]]
    w = model.week_map[panel.week[rows]]
    z = panel.D[np.ix_(rows, model.other)] if model.other else np.zeros((len(rows), 0))
    return np.exp(model.alpha[a] + model.delta[w] + z @ model.gamma)


@dataclass
class TargetScores:
    """Per-cluster pieces of the influence function of one target's ratio.

    The score at log ratio ``b`` (ratio r) is ``y_g - r * mu0_g - r * c_g``: its sum over
    clusters is the estimating equation ``sum(y) - r * sum(mu0)``, and each term is what
    cluster g contributes to it (treated cells directly, untreated cells through the fit).
    """

    y_g: np.ndarray
    mu0_g: np.ndarray  # heterogeneity-adjusted (see _heterogeneity_factor)
    c_g: np.ndarray

    def __call__(self, b: float) -> np.ndarray:
        r = np.exp(b)
        return self.y_g - r * self.mu0_g - r * self.c_g


@dataclass
class ImputationTargets:
    """The result of steps 2 and 3 for one or more sets of treated cells at once."""

    log_irr: np.ndarray  # per target set
    sum_y: np.ndarray
    sum_mu0: np.ndarray
    n_cells: np.ndarray
    n_areas: np.ndarray
    scores: list[TargetScores]
    se: np.ndarray  # influence-function (CR1-type) standard error, to size interval searches


#: Heterogeneity groups: adopters split into thirds by start date (early, middle, late)
#: × weeks since start (0–12, 13–51, 52+), the shapes an effect most often varies in.
COHORT_GROUPS = 3
_EVENT_EDGES = np.array([13, 52])
#: A group with fewer clusters than this uses the overall ratio: a leave-one-out ratio
#: from a handful of areas is so noisy that it widens the interval instead of narrowing it.
MIN_GROUP_CLUSTERS = 8


def _heterogeneity_factor(panel, k: int, rows: np.ndarray, mu0: np.ndarray, sum_y: float, sum_mu0: float) -> np.ndarray:
    """Per treated cell: its group's ratio relative to the overall one (1 = no adjustment).

    Why: the per-cluster residual ``y - r * mu0`` treats every treated cell as having the
    overall ratio r. When ratios really differ by cohort or phase in, that difference shows
    up as extra spread between clusters and the bootstrap interval is too wide for the
    ATT of the treated areas. As Borusyak, Jaravel & Spiess propose, residuals use the
    group's own ratio, estimated leaving the cluster out, rescaled so that the factors
    average to one (the statistic's numerator is unchanged; only the bootstrap's spread is).
    """
    if sum_y <= 0 or sum_mu0 <= 0:
        return np.ones(len(rows))
    tau = sum_y / sum_mu0
    cl = panel.area[rows]
    fs = panel.first_start[cl, k]
    areas, first_of_area = np.unique(cl, return_index=True)
    if areas.size < MIN_GROUP_CLUSTERS * 2:
        return np.ones(len(rows))
    rank = np.empty(areas.size)
    rank[np.argsort(fs[first_of_area], kind="stable")] = np.arange(areas.size)
    cohort_of_area = (rank * COHORT_GROUPS // areas.size).astype(int)
    cohort = cohort_of_area[np.searchsorted(areas, cl)]
    event_bin = np.searchsorted(_EVENT_EDGES, panel.cell_week_number[rows] - fs, side="right")
    group = cohort * (len(_EVENT_EDGES) + 1) + event_bin
    n_grp = COHORT_GROUPS * (len(_EVENT_EDGES) + 1)
    y = panel.y[rows]
    sy_c = np.bincount(group, weights=y, minlength=n_grp)
    sm_c = np.bincount(group, weights=mu0, minlength=n_grp)
    n_cl = np.array([np.unique(cl[group == c]).size for c in range(n_grp)])
    key = group.astype(np.int64) * (int(cl.max()) + 1) + cl
    _, inv = np.unique(key, return_inverse=True)
    inv = inv.reshape(-1)
    rest_y = sy_c[group] - np.bincount(inv, weights=y)[inv]
    rest_m = sm_c[group] - np.bincount(inv, weights=mu0)[inv]
    ok = (n_cl[group] >= MIN_GROUP_CLUSTERS) & (rest_m > 0) & (rest_y > 0)
    h = np.ones(len(rows))
    h[ok] = (rest_y[ok] / rest_m[ok]) / tau
    return h * (mu0.sum() / (h * mu0).sum())


def estimate_targets(panel, model: UntreatedModel, targets: list[np.ndarray]) -> ImputationTargets:
    """Imputation estimate for each boolean mask in ``targets`` (subsets of imputable cells)."""
    fit = model.fit
    G = panel.n_areas
    n_a, n_w = model.alpha.size, model.delta.size
    m = len(targets)
    v_a = np.zeros((n_a, m))
    v_w = np.zeros((n_w, m))
    v_z = np.zeros((len(model.other), m))
    rows_list, mu0_list = [], []
    for j, mask in enumerate(targets):
        rows = np.flatnonzero(mask)
        mu0 = impute_mu0(panel, model, rows)
        rows_list.append(rows)
        mu0_list.append(mu0)
        v_a[:, j] = np.bincount(model.area_map[panel.area[rows]], weights=mu0, minlength=n_a)
        v_w[:, j] = np.bincount(model.week_map[panel.week[rows]], weights=mu0, minlength=n_w)
        if model.other:
            v_z[:, j] = panel.D[np.ix_(rows, model.other)].T @ mu0
    z_a, z_w, z_z = solve_fe_system(fit.mu, model.u_area, model.u_week, model.Z, n_a, n_w, v_a, v_w, v_z)
    resid_u = fit.y - fit.mu
    log_irr = np.full(m, np.nan)
    sum_y = np.zeros(m)
    sum_mu0 = np.zeros(m)
    se = np.full(m, np.nan)
    scores = []
    n_areas = np.zeros(m, dtype=int)
    for j in range(m):
        rows, mu0 = rows_list[j], mu0_list[j]
        sy, sm = float(panel.y[rows].sum()), float(mu0.sum())
        sum_y[j], sum_mu0[j] = sy, sm
        n_areas[j] = np.unique(panel.area[rows]).size
        infl_u = z_a[model.u_area, j] + z_w[model.u_week, j] + model.Z @ z_z[:, j]
        c_g = np.bincount(fit.cluster, weights=infl_u * resid_u, minlength=G)
        cl_t = panel.area[rows]
        y_g = np.bincount(cl_t, weights=panel.y[rows], minlength=G)
        h = _heterogeneity_factor(panel, model.k, rows, mu0, sy, sm)
        mu0_g = np.bincount(cl_t, weights=h * mu0, minlength=G)
        sc = TargetScores(y_g, mu0_g, c_g)
        scores.append(sc)
        if sy > 0 and sm > 0:
            log_irr[j] = np.log(sy / sm)
            psi = sc(log_irr[j]) / sy
            se[j] = np.sqrt(G / (G - 1) * np.sum(psi**2))
    return ImputationTargets(log_irr, sum_y, sum_mu0, np.array([t.sum() for t in targets]), n_areas, scores, se)
