"""Poisson quasi-maximum likelihood with area and week fixed effects, three ways.

* ``absorbed`` (the default): exact Newton steps in (area effects, week effects,
  coefficients) with the area block eliminated analytically. The area block of the
  Hessian is diagonal, so each step solves one (weeks + regressors)-sized system, whatever
  the number of areas: 6,000 areas × 260 weeks is a 260 × 260 solve. Plain numpy, one
  thread, no iteration over a tolerance on the fixed effects: the same input gives the same
  bits on every run, which the mart needs (a re-run must reproduce the table).
* ``statsmodels``: a GLM with one dummy per area and per week. The DESIGN's reference
  implementation; kept as the cross-check the tests compare against.
* ``pyfixest``: pyfixest's ``fepois`` (fixed effects swept out by alternating projections
  in a multi-threaded core). A second cross-check; its last digits vary between runs.

All three return the same :class:`PoissonFit`: the coefficients, fitted means, the fixed
effects and, for inference, the regressors *partialled* on the fixed effects with the
Poisson weights (``x_tilde``). Everything downstream (cluster-robust variance, the wild
score bootstrap, the imputation estimator, the placebo inference) needs only those, so
the paths share all inference code and a test can check that they agree.

Counts need not be integers (police-reported crimes spread over areas by population
share are not): the Poisson quasi-likelihood only needs non-negative outcomes.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

Method = Literal["auto", "absorbed", "statsmodels", "pyfixest"]

_TOL = 1e-10
#: Newton stops when no parameter moves more than this (log scale).
_STEP_TOL = 1e-11
_MAX_ITER = 100
#: A regressor whose variation left after the fixed effects (and the regressors before
#: it) is below this share of its own variation is not identified.
_COLLINEAR_TOL = 1e-9


class CollinearRegressors(RuntimeError):
    """Some regressors are not identified beside the fixed effects (e.g. an event-study lead
    bin that only one area has). Callers that can do without them drop them and refit."""

    def __init__(self, names: list[str]):
        self.names = names
        super().__init__(f"regressors not identified beside the area and week effects: {names}")


@dataclass
class PoissonFit:
    names: list[str]
    beta: np.ndarray  # K
    mu: np.ndarray  # fitted means, one per cell in input order
    y: np.ndarray
    x_tilde: np.ndarray  # cells × K, regressors partialled on the FEs (weights mu)
    cluster: np.ndarray  # cluster code per cell (the area)
    method: str
    area: np.ndarray | None = None  # area code per cell (0..A-1, as given to the fit)
    week: np.ndarray | None = None
    alpha: np.ndarray | None = None  # area effects, per area code
    delta: np.ndarray | None = None  # week effects, per week code, delta[0] = 0

    @property
    def n_clusters(self) -> int:
        """Clusters that have cells in this fit."""
        return int(np.unique(self.cluster).size)

    @property
    def n_cluster_codes(self) -> int:
        """Length of per-cluster arrays (codes may skip clusters absent from this fit)."""
        return int(self.cluster.max()) + 1

    def hessian(self) -> np.ndarray:
        return (self.x_tilde * self.mu[:, None]).T @ self.x_tilde

    def cluster_scores(self) -> np.ndarray:
        """Clusters × K score sums; the bread and meat of every variance below."""
        u = self.x_tilde * (self.y - self.mu)[:, None]
        return np.stack(
            [np.bincount(self.cluster, weights=u[:, j], minlength=self.n_cluster_codes) for j in range(u.shape[1])],
            axis=1,
        )

    def vcov_cr1(self) -> np.ndarray:
        """Cluster-robust sandwich with the G/(G-1) factor only.

        One convention for all paths (the area fixed effects are nested in the area
        clusters, so, as in fixest, they are not counted as parameters).
        """
        bread = np.linalg.inv(self.hessian())
        s = self.cluster_scores()
        g = self.n_clusters
        return g / (g - 1) * bread @ (s.T @ s) @ bread

    def efficient_regressor(self, k: int) -> np.ndarray:
        """x_k partialled on the FEs *and* the other regressors (weights mu).

        The direction along which a restricted fit with beta_k fixed moves the linear
        predictor, to first order: used to impose the null in the score bootstrap.
        """
        xt = self.x_tilde
        if xt.shape[1] == 1:
            return xt[:, 0].copy()
        others = np.delete(xt, k, axis=1)
        w = self.mu[:, None]
        coef = np.linalg.solve((others * w).T @ others, (others * w).T @ xt[:, k])
        return xt[:, k] - others @ coef

    def linear_predictor(self) -> np.ndarray:
        return np.log(self.mu)


def fit_poisson_fe(
    y: np.ndarray,
    X: np.ndarray,
    area: np.ndarray,
    week: np.ndarray,
    names: list[str],
    method: Method = "auto",
) -> PoissonFit:
    """Poisson QMLE of ``y`` on ``X`` with area and week fixed effects; clusters = areas.

    ``area`` and ``week`` are integer codes 0..A-1 and 0..T-1, every code present. The
    caller has already dropped separated cells (all-zero areas and weeks), so all paths
    see the same rows. ``auto`` is the absorbed path: it gives the statsmodels
    coefficients (tested to 1e-8) at any size.
    """
    X = np.asarray(X, dtype=float).reshape(len(y), -1)
    area = np.asarray(area, dtype=np.int64)
    week = np.asarray(week, dtype=np.int64)
    y = np.asarray(y, dtype=float)
    if method in ("auto", "absorbed"):
        return _fit_absorbed(y, X, area, week, names)
    if method == "statsmodels":
        return _fit_statsmodels(y, X, area, week, names)
    if method == "pyfixest":
        return _fit_pyfixest(y, X, area, week, names)
    raise ValueError(f"unknown method {method!r}")


# --- the absorbed path ------------------------------------------------------------------


def solve_fe_system(
    mu: np.ndarray,
    area: np.ndarray,
    week: np.ndarray,
    X: np.ndarray,
    n_a: int,
    n_w: int,
    v_a: np.ndarray,
    v_w: np.ndarray,
    v_x: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Solve ``H z = v`` for the Poisson Hessian in (alpha, delta, beta) at weights ``mu``.

    ``v_*`` have one column per right-hand side. The area block is diagonal, so it is
    eliminated first (Schur complement) and only a (weeks - 1 + K)-sized system is solved:
    cheap even for 6,000 areas. The first week's effect is fixed at zero (the usual
    normalisation); the fitted values and the partialled regressors do not depend on it.
    """
    K = X.shape[1]
    saa = np.bincount(area, weights=mu, minlength=n_a)
    sww = np.bincount(week, weights=mu, minlength=n_w)
    C = np.bincount(area * n_w + week, weights=mu, minlength=n_a * n_w).reshape(n_a, n_w)
    if K:
        mX = X * mu[:, None]
        Pax = np.stack([np.bincount(area, weights=mX[:, j], minlength=n_a) for j in range(K)], axis=1)
        Pwx = np.stack([np.bincount(week, weights=mX[:, j], minlength=n_w) for j in range(K)], axis=1)
        Pxx = mX.T @ X
    else:
        Pax, Pwx, Pxx = np.zeros((n_a, 0)), np.zeros((n_w, 0)), np.zeros((0, 0))
    B = np.hstack([C[:, 1:], Pax])
    Bs = B / saa[:, None]
    R = np.block([[np.diag(sww[1:]), Pwx[1:]], [Pwx[1:].T, Pxx]])
    M = R - B.T @ Bs
    rhs = np.vstack([v_w[1:], v_x]) - Bs.T @ v_a
    try:
        r = np.linalg.solve(M, rhs)
    except np.linalg.LinAlgError:
        # The area-week graph falls apart into pieces: effects are identified only up to
        # one constant per piece; the minimum-norm solution fixes them.
        r = np.linalg.lstsq(M, rhs, rcond=None)[0]
    z_a = (v_a - B @ r) / saa[:, None]
    z_w = np.vstack([np.zeros((1, r.shape[1])), r[: n_w - 1]])
    z_x = r[n_w - 1 :]
    return z_a, z_w, z_x


def partial_out_fe(X: np.ndarray, mu: np.ndarray, area: np.ndarray, week: np.ndarray, n_a: int, n_w: int) -> np.ndarray:
    """Residuals of the ``mu``-weighted regression of each column of X on area and week effects."""
    K = X.shape[1]
    if K == 0:
        return np.zeros((len(mu), 0))
    mX = X * mu[:, None]
    v_a = np.stack([np.bincount(area, weights=mX[:, j], minlength=n_a) for j in range(K)], axis=1)
    v_w = np.stack([np.bincount(week, weights=mX[:, j], minlength=n_w) for j in range(K)], axis=1)
    z_a, z_w, _ = solve_fe_system(mu, area, week, np.zeros((len(mu), 0)), n_a, n_w, v_a, v_w, np.zeros((0, K)))
    return X - z_a[area] - z_w[week]


def _collinear(X: np.ndarray, area: np.ndarray, week: np.ndarray, n_a: int, n_w: int) -> list[int]:
    """Columns of X not identified beside the fixed effects and the columns before them."""
    if X.shape[1] == 0:
        return []
    Xt = partial_out_fe(X, np.ones(len(X)), area, week, n_a, n_w)
    own = ((X - X.mean(axis=0)) ** 2).sum(axis=0)
    bad: list[int] = []
    kept: list[np.ndarray] = []
    for j in range(X.shape[1]):
        v = Xt[:, j].copy()
        for q in kept:  # Gram–Schmidt against the identified columns
            v -= q * (q @ v)
        ss = float(v @ v)
        if own[j] == 0 or ss <= _COLLINEAR_TOL * own[j]:
            bad.append(j)
        else:
            kept.append(v / np.sqrt(ss))
    return bad


def _fit_absorbed(y, X, area, week, names) -> PoissonFit:
    n_a, n_w = int(area.max()) + 1, int(week.max()) + 1
    bad = _collinear(X, area, week, n_a, n_w)
    if bad:
        raise CollinearRegressors([names[j] for j in bad])
    K = X.shape[1]
    # Start: area effects from area means, week effects from week means, no regressors.
    n_per_a = np.bincount(area, minlength=n_a)
    n_per_w = np.bincount(week, minlength=n_w)
    alpha = np.log(np.maximum(np.bincount(area, weights=y, minlength=n_a) / n_per_a, 1e-8))
    wk = np.bincount(week, weights=y, minlength=n_w) / np.bincount(week, weights=np.exp(alpha[area]), minlength=n_w)
    delta = np.log(np.maximum(wk, 1e-8))
    alpha = alpha + delta[0]
    delta = delta - delta[0]
    beta = np.zeros(K)

    def loglik(a, d, b):
        eta = a[area] + d[week] + (X @ b if K else 0.0)
        return float(np.sum(y * eta - np.exp(eta))), eta

    ll, eta = loglik(alpha, delta, beta)
    for _ in range(_MAX_ITER):
        mu = np.exp(eta)
        r = y - mu
        g_a = np.bincount(area, weights=r, minlength=n_a)[:, None]
        g_w = np.bincount(week, weights=r, minlength=n_w)[:, None]
        g_x = (X.T @ r)[:, None] if K else np.zeros((0, 1))
        d_a, d_w, d_x = solve_fe_system(mu, area, week, X, n_a, n_w, g_a, g_w, g_x)
        d_a, d_w, d_x = d_a[:, 0], d_w[:, 0], d_x[:, 0]
        step = 1.0
        # Step halving keeps Newton from overshooting on sparse counts.
        for _ in range(30):
            na, nd, nb = alpha + step * d_a, delta + step * d_w, beta + step * d_x
            new_ll, new_eta = loglik(na, nd, nb)
            if new_ll >= ll - 1e-12 * abs(ll):
                break
            step /= 2
        alpha, delta, beta, eta = na, nd, nb, new_eta
        ll = new_ll
        size = max(np.abs(d_a).max(initial=0), np.abs(d_w).max(initial=0), np.abs(d_x).max(initial=0)) * step
        if size < _STEP_TOL:
            break
    else:
        warnings.warn(f"Poisson fixed-effects fit did not converge in {_MAX_ITER} Newton steps", RuntimeWarning)
    mu = np.exp(eta)
    x_tilde = partial_out_fe(X, mu, area, week, n_a, n_w)
    return PoissonFit(list(names), beta, mu, y, x_tilde, area, "absorbed", area, week, alpha, delta)


# --- the cross-checks ---------------------------------------------------------------------


def _dummies(area: np.ndarray, week: np.ndarray) -> np.ndarray:
    """Constant + area dummies + week dummies, first level of each as reference.

    The explicit constant column matters for speed: without it statsmodels detects the
    implicit constant with an SVD of the whole design on every model it builds.
    """
    n_a, n_w = int(area.max()) + 1, int(week.max()) + 1
    F = np.zeros((len(area), 1 + n_a - 1 + n_w - 1))
    F[:, 0] = 1.0
    rows = np.arange(len(area))
    has_a = area > 0
    F[rows[has_a], area[has_a]] = 1.0
    has_w = week > 0
    F[rows[has_w], n_a + week[has_w] - 1] = 1.0
    return F


def _fit_statsmodels(y, X, area, week, names) -> PoissonFit:
    import statsmodels.api as sm

    F = _dummies(area, week)
    design = np.hstack([X, F])
    # A good start (log of the area mean) keeps IRLS from wandering on sparse counts.
    k = X.shape[1]
    n_a = int(area.max()) + 1
    start = np.zeros(design.shape[1])
    log_area_mean = np.log(np.maximum(np.bincount(area, weights=y) / np.bincount(area), 1e-3))
    start[k] = log_area_mean[0]
    start[k + 1 : k + n_a] = log_area_mean[1:] - log_area_mean[0]
    res = sm.GLM(y, design, family=sm.families.Poisson()).fit(
        start_params=start, tol=1e-13, maxiter=200, method="IRLS", wls_method="qr"
    )
    params = np.asarray(res.params)
    mu = np.asarray(res.mu)
    alpha = params[k] + np.r_[0.0, params[k + 1 : k + n_a]]
    delta = np.r_[0.0, params[k + n_a :]]
    sw = np.sqrt(mu)[:, None]
    q, r = np.linalg.qr(F * sw)
    x_tilde = X - F @ np.linalg.solve(r, q.T @ (X * sw)) if k else np.zeros((len(y), 0))
    return PoissonFit(list(names), params[:k], mu, y, x_tilde, area, "statsmodels", area, week, alpha, delta)


def _fit_pyfixest(y, X, area, week, names) -> PoissonFit:
    import pyfixest as pf
    from pyfixest.demeaners import MapDemeaner

    cols = [f"x{j}" for j in range(X.shape[1])]
    df = pd.DataFrame(X, columns=cols)
    df["y"] = y
    df["area"] = area
    df["week"] = week
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = pf.fepois(
                f"y ~ {' + '.join(cols) or '1'} | area + week",
                data=df,
                vcov={"CRV1": "area"},
                iwls_tol=_TOL,
                iwls_maxiter=100,
                demeaner=MapDemeaner(fixef_tol=_TOL),
                separation_check=[],
                fixef_rm="none",
                copy_data=False,
                store_data=False,
            )
        except ValueError as err:  # pyfixest's word when every regressor is absorbed
            if "All variables are collinear" in str(err):
                raise CollinearRegressors(list(names)) from err
            raise
    if fit._N != len(y):
        raise RuntimeError(f"pyfixest dropped {len(y) - fit._N} cells; the panel should have been cleaned first")
    if len(fit._coefnames) != X.shape[1]:
        raise CollinearRegressors([names[cols.index(c)] for c in fit._collin_vars])
    w = np.asarray(fit._irls_weights)
    x_tilde = np.asarray(fit._X) / np.sqrt(w)[:, None]
    beta = np.asarray(fit._beta_hat)
    mu = np.asarray(fit._Y_hat_response)
    n_a, n_w = int(area.max()) + 1, int(week.max()) + 1
    alpha, delta = recover_fixed_effects(np.log(mu) - X @ beta, area, week, n_a, n_w)
    return PoissonFit(list(names), beta, mu, y, x_tilde, area, "pyfixest", area, week, alpha, delta)


def recover_fixed_effects(
    eta_minus_xb: np.ndarray, area: np.ndarray, week: np.ndarray, n_areas: int, n_weeks: int
) -> tuple[np.ndarray, np.ndarray]:
    """Split an additive ``alpha[area] + delta[week]`` back into its parts (delta[0] = 0).

    At convergence the fitted linear predictor minus the regressors is exactly additive
    on the fitted cells, so a walk over the bipartite area–week graph recovers both
    vectors without another fit (needed for the pyfixest path, which keeps only means).
    """
    alpha = np.full(n_areas, np.nan)
    delta = np.full(n_weeks, np.nan)
    delta[week[0]] = 0.0
    v = eta_minus_xb
    for _ in range(n_areas + n_weeks):
        known_w = ~np.isnan(delta[week])
        new_a = known_w & np.isnan(alpha[area])
        if new_a.any():
            alpha[area[new_a]] = v[new_a] - delta[week[new_a]]
        known_a = ~np.isnan(alpha[area])
        new_w = known_a & np.isnan(delta[week])
        if new_w.any():
            delta[week[new_w]] = v[new_w] - alpha[area[new_w]]
        if not new_a.any() and not new_w.any():
            break
    # Average over all cells to shed the solver's tiny non-additivity.
    for _ in range(3):
        alpha = np.bincount(area, weights=v - delta[week], minlength=n_areas) / np.maximum(
            np.bincount(area, minlength=n_areas), 1
        )
        delta = np.bincount(week, weights=v - alpha[area], minlength=n_weeks) / np.maximum(
            np.bincount(week, minlength=n_weeks), 1
        )
    shift = delta[0]
    return alpha + shift, delta - shift
