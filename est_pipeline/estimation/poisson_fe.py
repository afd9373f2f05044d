"""Poisson quasi-maximum likelihood with area and week fixed effects, two ways.

* ``statsmodels``: a GLM with one dummy per area and per week. The DESIGN's reference
  implementation, fine at municipality size (60 areas × 260 weeks: ~320 columns).
* ``absorbed``: pyfixest's ``fepois``, which sweeps the fixed effects out by weighted
  alternating projections instead of building dummies. Dense dummies at national size
  (6,000 areas) need tens of GB; the absorbed path needs about one.

Both return the same :class:`PoissonFit`: the coefficients, fitted means and, for
inference, the regressors *partialled* on the fixed effects with the Poisson weights
(``x_tilde``). Everything downstream (cluster-robust variance, the wild score bootstrap,
the imputation estimator) needs only those, so the two paths share all inference code and
a test can check that they agree.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

Method = Literal["auto", "statsmodels", "absorbed"]

#: Above this many fixed-effect levels the dense dummy matrix is not worth building.
DENSE_MAX_LEVELS = 500
DENSE_MAX_CELLS = 200_000
_TOL = 1e-10


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

        One convention for both paths (the area fixed effects are nested in the area
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


def choose_method(n_areas: int, n_weeks: int, n_cells: int) -> str:
    if n_areas + n_weeks <= DENSE_MAX_LEVELS and n_cells <= DENSE_MAX_CELLS:
        return "statsmodels"
    return "absorbed"


def fit_poisson_fe(
    y: np.ndarray,
    X: np.ndarray,
    area: np.ndarray,
    week: np.ndarray,
    names: list[str],
    method: Method = "auto",
) -> PoissonFit:
    """Poisson QMLE of ``y`` on ``X`` with area and week fixed effects; clusters = areas.

    ``area`` and ``week`` are integer codes 0..A-1 and 0..T-1. The caller has already
    dropped separated cells (all-zero areas and weeks), so both paths see the same rows.
    """
    X = np.asarray(X, dtype=float).reshape(len(y), -1)
    area = np.asarray(area)
    week = np.asarray(week)
    if method == "auto":
        method = choose_method(int(area.max()) + 1, int(week.max()) + 1, len(y))
    if method == "statsmodels":
        return _fit_statsmodels(np.asarray(y, float), X, area, week, names)
    if method == "absorbed":
        return _fit_absorbed(np.asarray(y, float), X, area, week, names)
    raise ValueError(f"unknown method {method!r}")


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
    start = np.zeros(design.shape[1])
    log_area_mean = np.log(np.maximum(np.bincount(area, weights=y) / np.bincount(area), 1e-3))
    start[k] = log_area_mean[0]
    start[k + 1 : k + int(area.max()) + 1] = log_area_mean[1:] - log_area_mean[0]
    res = sm.GLM(y, design, family=sm.families.Poisson()).fit(
        start_params=start, tol=1e-13, maxiter=200, method="IRLS", wls_method="qr"
    )
    mu = np.asarray(res.mu)
    if k == 0:
        return PoissonFit(list(names), np.zeros(0), mu, y, np.zeros((len(y), 0)), area, "statsmodels")
    sw = np.sqrt(mu)[:, None]
    q, r = np.linalg.qr(F * sw)
    x_tilde = X - F @ np.linalg.solve(r, q.T @ (X * sw))
    return PoissonFit(list(names), np.asarray(res.params[:k]), mu, y, x_tilde, area, "statsmodels")


def _fit_absorbed(y, X, area, week, names) -> PoissonFit:
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
    return PoissonFit(
        list(names), np.asarray(fit._beta_hat), np.asarray(fit._Y_hat_response), y, x_tilde, area, "absorbed"
    )


def recover_fixed_effects(
    eta_minus_xb: np.ndarray, area: np.ndarray, week: np.ndarray, n_areas: int, n_weeks: int
) -> tuple[np.ndarray, np.ndarray]:
    """Split an additive ``alpha[area] + delta[week]`` back into its parts (delta[0] = 0).

    At convergence the fitted linear predictor minus the regressors is exactly additive
    on the fitted cells, so a walk over the bipartite area–week graph recovers both
    vectors without another fit. Needed to impute untreated means for treated cells.
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
    return alpha, delta
