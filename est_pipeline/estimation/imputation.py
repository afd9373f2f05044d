"""The heterogeneity-robust estimator: Poisson imputation (Borusyak–Jaravel–Spiess style).

Two-way fixed effects compares newly treated areas with already treated ones; when the
ratio differs by cohort or grows with time since start, that comparison is biased. The
imputation estimator never uses treated cells to learn the counterfactual:

1. fit ``y ~ area FE + week FE + other types`` by Poisson QMLE on the cells where type
   ``k`` is *not* active (never treated, not yet treated, and after it ended);
2. impute the untreated mean ``mu0`` of every cell where ``k`` is active;
3. estimand and estimate: the ATT ratio ``sum(y) / sum(mu0)`` over those cells.

Other intervention types enter step 1 as indicators, so each type is isolated from the
types it overlaps with (their ratios are assumed constant while estimating ``k``).

Inference: the estimate is a smooth function of two sets of estimating equations, so
its per-cluster influence is the treated cells' residual ``y - r * mu0`` minus the effect
of the cluster's untreated cells through the fitted fixed effects (``v' H0^-1 s_g``). The
score bootstrap in :mod:`bootstrap` uses these per-cluster terms with ``r`` set to the
hypothesised ratio, so the null is imposed and no refit per draw or per hypothesis is
needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from est_pipeline.estimation.poisson_fe import (
    CollinearRegressors,
    Method,
    PoissonFit,
    fit_poisson_fe,
    recover_fixed_effects,
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
    Z: np.ndarray  # the fit's regressors on the used rows (other types first)


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


def fit_untreated(panel, k: int, method: Method = "auto", extra: np.ndarray | None = None,
                  extra_names: list[str] | None = None) -> UntreatedModel:
    """Step 1. ``extra`` adds regressors on the untreated cells (the event-study leads)."""
    treated = panel.D[:, k] == 1.0
    rows = np.flatnonzero(~treated)
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
    Z = Z[:, varies]
    a, w = area_map[panel.area[rows]], week_map[panel.week[rows]]
    # Another type that the area and week effects absorb on the untreated cells (e.g. always
    # on in the one area that has it there) is dropped like a type that never varies: its
    # level is then part of that area's effect. Unidentified lead bins are the caller's.
    while True:
        names = [panel.types[j] for j in others]
        if extra is not None:
            Z = np.hstack([panel.D[np.ix_(rows, others)], extra[rows]])
            names = names + list(extra_names or [])
        else:
            Z = panel.D[np.ix_(rows, others)]
        try:
            fit = fit_poisson_fe(panel.y[rows], Z, a, w, names, method)
            break
        except CollinearRegressors as err:
            absorbed = [j for j in others if panel.types[j] in err.names]
            if not absorbed:
                raise
            dropped += absorbed
            others = [j for j in others if j not in absorbed]
    gamma = fit.beta[: len(others)]
    alpha, delta = recover_fixed_effects(fit.linear_predictor() - Z @ fit.beta, a, w, ua.size, uw.size)
    # The fit's clusters are compact area codes; inference wants panel area codes.
    fit.cluster = panel.area[rows]
    return UntreatedModel(k, fit, rows, a, w, area_map, week_map, alpha, delta, np.asarray(gamma), others, dropped, Z)


def imputable(panel, model: UntreatedModel) -> np.ndarray:
    """Treated cells whose area and week both have untreated cells to learn from."""
    treated = panel.D[:, model.k] == 1.0
    return treated & (model.area_map[panel.area] >= 0) & (model.week_map[panel.week] >= 0)


def impute_mu0(panel, model: UntreatedModel, rows: np.ndarray) -> np.ndarray:
    a = model.area_map[panel.area[rows]]
    w = model.week_map[panel.week[rows]]
    z = panel.D[np.ix_(rows, model.other)] if model.other else np.zeros((len(rows), 0))
    return np.exp(model.alpha[a] + model.delta[w] + z @ model.gamma)


def _solve_untreated_hessian(model: UntreatedModel, v_a: np.ndarray, v_w: np.ndarray, v_z: np.ndarray):
    """Solve ``H0 z = v`` for the untreated Poisson fit's (alpha, delta, gamma) Hessian.

    The area block is diagonal, so it is eliminated first (Schur complement) and only a
    weeks × weeks system is solved: cheap even for 6,000 areas. The first week's effect is
    fixed at zero (the usual normalisation); the result does not depend on it.
    """
    fit = model.fit
    mu = fit.mu
    a, w = model.u_area, model.u_week
    n_a, n_w = model.alpha.size, model.delta.size
    n_g = len(model.other)
    Zg = model.Z[:, :n_g]
    saa = np.bincount(a, weights=mu, minlength=n_a)
    sww = np.bincount(w, weights=mu, minlength=n_w)
    C = np.bincount(a * n_w + w, weights=mu, minlength=n_a * n_w).reshape(n_a, n_w)
    Paz = np.stack([np.bincount(a, weights=mu * Zg[:, j], minlength=n_a) for j in range(n_g)], axis=1) if n_g else np.zeros((n_a, 0))
    Pwz = np.stack([np.bincount(w, weights=mu * Zg[:, j], minlength=n_w) for j in range(n_g)], axis=1) if n_g else np.zeros((n_w, 0))
    Pzz = (Zg * mu[:, None]).T @ Zg
    B = np.hstack([C[:, 1:], Paz])
    R = np.block([[np.diag(sww[1:]), Pwz[1:]], [Pwz[1:].T, Pzz]])
    M = R - B.T @ (B / saa[:, None])
    rhs = np.vstack([v_w[1:], v_z]) - B.T @ (v_a / saa[:, None])
    r = np.linalg.solve(M, rhs)
    z_a = (v_a - B @ r) / saa[:, None]
    z_w = np.vstack([np.zeros((1, r.shape[1])), r[: n_w - 1]])
    z_z = r[n_w - 1 :]
    return z_a, z_w, z_z


@dataclass
class ImputationTargets:
    """The result of step 2 and 3 for one or more sets of treated cells at once."""

    log_irr: np.ndarray  # per target set
    sum_y: np.ndarray
    sum_mu0: np.ndarray
    n_cells: np.ndarray
    n_areas: np.ndarray
    score_fns: list  # per target: b -> per-cluster scores with ratio exp(b) imposed
    se: np.ndarray  # influence-function (CR1-type) standard error


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
    overall ratio r. When ratios really differ by cohort or phase in (simulation scenario
    3), that difference shows up as extra spread between clusters and the interval is
    too wide. As Borusyak, Jaravel & Spiess propose, residuals use the group's own ratio,
    estimated leaving the cluster out, rescaled so that the factors average to one (the
    test statistic's numerator is unchanged; only the bootstrap's spread is).
    """
    if sum_y <= 0 or sum_mu0 <= 0:
        return np.ones(len(rows))
    tau = sum_y / sum_mu0
    cl = panel.area[rows]
    fs = panel.first_start[cl, k]
    areas, first_of_area = np.unique(cl, return_index=True)
    if areas.size < MIN_GROUP_CLUSTERS * 2:
        return np.ones(len(rows))
    # Thirds of the adopting areas by start date.
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
    z_a, z_w, z_z = _solve_untreated_hessian(model, v_a, v_w, v_z)
    resid_u = fit.y - fit.mu
    Zg = model.Z[:, : len(model.other)]
    log_irr = np.zeros(m)
    sum_y = np.zeros(m)
    sum_mu0 = np.zeros(m)
    se = np.zeros(m)
    fns = []
    n_areas = np.zeros(m, dtype=int)
    for j in range(m):
        rows, mu0 = rows_list[j], mu0_list[j]
        sy, sm = float(panel.y[rows].sum()), float(mu0.sum())
        sum_y[j], sum_mu0[j] = sy, sm
        log_irr[j] = np.log(sy / sm) if sy > 0 and sm > 0 else np.nan
        n_areas[j] = np.unique(panel.area[rows]).size
        infl_u = z_a[model.u_area, j] + z_w[model.u_week, j] + Zg @ z_z[:, j]
        c_g = np.bincount(fit.cluster, weights=infl_u * resid_u, minlength=G)
        cl_t = panel.area[rows]
        y_g = np.bincount(cl_t, weights=panel.y[rows], minlength=G)
        h = _heterogeneity_factor(panel, model.k, rows, mu0, sy, sm)
        mu0_g = np.bincount(cl_t, weights=h * mu0, minlength=G)

        def score(b: float, y_g=y_g, mu0_g=mu0_g, c_g=c_g) -> np.ndarray:
            r = np.exp(b)
            return y_g - r * mu0_g - r * c_g

        fns.append(score)
        if sm > 0 and sy > 0:
            psi = score(log_irr[j]) / sy
            se[j] = np.sqrt(G / (G - 1) * np.sum(psi**2))
        else:
            se[j] = np.nan
    return ImputationTargets(log_irr, sum_y, sum_mu0, np.array([t.sum() for t in targets]), n_areas, fns, se)
