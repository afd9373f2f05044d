"""Naive two-way fixed effects: one Poisson model per outcome with every type at once.

The DESIGN's starting point and what most evaluations report; here the cross-check beside
the headline. It is biased when effects differ by cohort or grow over time (already
treated areas serve as controls, with weights that can even be negative), which is why the
headline is :mod:`imputation`'s estimate. A large gap between the two is itself a finding
(the note says so).
"""

from __future__ import annotations

import numpy as np

from est_pipeline.estimation.bootstrap import ScoreTest, inference_label, webb_weights
from est_pipeline.estimation.estimates import Estimate
from est_pipeline.estimation.inference import CANNOT_TELL
from est_pipeline.estimation.panel import Panel
from est_pipeline.estimation.poisson_fe import Method, PoissonFit, fit_poisson_fe

ESTIMATOR = "poisson_twfe"
#: Below this many treated areas the cluster score bootstrap is not calibrated (it cannot
#: reject at all with 3), so TWFE gets no interval: it is the cross-check, not the headline.
MIN_TREATED = 6


def restricted_scores(fit: PoissonFit, k: int):
    """Per-cluster efficient scores of coefficient ``k`` with ``beta_k = b`` imposed.

    The restricted fit is taken one Newton step from the unrestricted one: fixing
    beta_k at b moves the linear predictor by (b - beta_k) times the efficient
    regressor. Exact to first order and it costs no refit per hypothesis.
    """
    xe = fit.efficient_regressor(k)
    eta = fit.linear_predictor()
    beta_k = float(fit.beta[k])
    g = fit.n_cluster_codes

    def score(b: float) -> np.ndarray:
        mu_b = np.exp(eta + (b - beta_k) * xe)
        return np.bincount(fit.cluster, weights=xe * (fit.y - mu_b), minlength=g)

    return score


def estimate_twfe(
    panel: Panel,
    type_index: list[int],
    method: Method = "auto",
    n_draws: int = 999,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[PoissonFit, list[Estimate]]:
    names = [panel.types[k] for k in type_index]
    fit = fit_poisson_fe(panel.y, panel.D[:, type_index], panel.area, panel.week, names, method)
    se = np.sqrt(np.diag(fit.vcov_cr1()))
    W = webb_weights(n_draws, fit.n_cluster_codes, seed)
    out = []
    for j, k in enumerate(type_index):
        d = panel.D[:, k] == 1.0
        n_treated = int(np.unique(panel.area[d]).size)
        if n_treated < MIN_TREATED:
            # Few treated clusters: the cluster bootstrap is not calibrated, so no interval.
            out.append(Estimate(panel.types[k], panel.outcome_group, ESTIMATOR, float(fit.beta[j]), np.nan, np.nan,
                                np.nan, float(se[j]), n_treated, int(d.sum()), fit.n_clusters, CANNOT_TELL,
                                reason=(f"TWFE-skattningen får inget intervall: {n_treated} behandlade områden är för få "
                                        f"för dess bootstrap (minst {MIN_TREATED} krävs).")))
            continue
        test = ScoreTest(restricted_scores(fit, j), W)
        res = test.run(float(fit.beta[j]), float(se[j]), level=level)
        out.append(
            Estimate(
                intervention_type=panel.types[k],
                outcome_group=panel.outcome_group,
                estimator=ESTIMATOR,
                log_irr=float(fit.beta[j]),
                ci_low=res.ci_low,
                ci_high=res.ci_high,
                p_value=res.p_value,
                se=float(se[j]),
                n_treated_areas=n_treated,
                n_treated_area_weeks=int(d.sum()),
                n_clusters=fit.n_clusters,
                inference=inference_label(n_draws),
            )
        )
    return fit, out
