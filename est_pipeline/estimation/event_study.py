"""Event study per intervention type: binned leads (pre-trends) and lags (dynamics).

Leads follow Borusyak–Jaravel–Spiess: on the *untreated* cells only, add indicators for
"k starts in 1–4, 5–8, … weeks" to the untreated model and test them jointly. If areas
were already drifting before the intervention started, these pick it up; since treated
cells are not used, the test is not contaminated by heterogeneous effects. The reference
is every untreated cell further than 16 weeks from a start, or never treated.

Lags are imputation estimates on the treated cells of each bin of weeks since start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from est_pipeline.estimation.bootstrap import ScoreTest
from est_pipeline.estimation.imputation import UntreatedModel, estimate_targets, fit_untreated
from est_pipeline.estimation.panel import Panel
from est_pipeline.estimation.poisson_fe import CollinearRegressors, Method

LEAD_BINS: list[tuple[int, int]] = [(-16, -13), (-12, -9), (-8, -5), (-4, -1)]
LAG_BINS: list[tuple[int, int | None]] = [(0, 3), (4, 7), (8, 12), (13, 25), (26, 51), (52, None)]


def bin_label(lo: int, hi: int | None) -> str:
    return f"{lo}+" if hi is None else f"{lo}..{hi}"


@dataclass
class EventStudyRow:
    intervention_type: str
    outcome_group: str
    estimator: str  # pretrend_leads | robust_imputation
    relative_period: str
    rel_week_from: int
    rel_week_to: int | None
    irr: float
    ci_low: float
    ci_high: float
    n_area_weeks: int


def relative_week(panel: Panel, k: int) -> np.ndarray:
    """Weeks since type k first started in the cell's area; NaN for never-treated areas."""
    fs = panel.first_start[panel.area, k].astype(float)
    fs[fs < 0] = np.nan
    return panel.cell_week_number - fs


def _in_bin(r: np.ndarray, lo: int, hi: int | None) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (r >= lo) & ((r <= hi) if hi is not None else True) & ~np.isnan(r)


def pretrend(panel: Panel, k: int, method: Method = "auto", level: float = 0.95) -> tuple[float, list[EventStudyRow]]:
    """Joint cluster-robust Wald test of the lead bins (F with G-1 denominator df)."""
    r = relative_week(panel, k)
    untreated = panel.D[:, k] == 0.0
    cols, used = [], []
    for lo, hi in LEAD_BINS:
        c = _in_bin(r, lo, hi) & untreated
        if c.sum() > 0:
            cols.append(c.astype(float))
            used.append((lo, hi))
    # A lead bin that only one area (or one week) has is absorbed by the fixed effects; it
    # carries no information on pre-trends, so it is left out and the test uses the rest.
    while True:
        if not cols:
            return float("nan"), []
        extra = np.stack(cols, axis=1)
        labels = [bin_label(*b) for b in used]
        try:
            model = fit_untreated(panel, k, method, extra=extra, extra_names=labels)
            break
        except CollinearRegressors as err:
            unidentified = [labels.index(n) for n in err.names if n in labels]
            if not unidentified:
                raise
            cols = [c for j, c in enumerate(cols) if j not in unidentified]
            used = [b for j, b in enumerate(used) if j not in unidentified]
    fit = model.fit
    n_other = len(model.other)
    beta = fit.beta[n_other:]
    V = fit.vcov_cr1()[n_other:, n_other:]
    G = fit.n_clusters
    q = len(beta)
    try:
        F = float(beta @ np.linalg.solve(V, beta)) / q
        p = float(stats.f.sf(F, q, max(G - 1, 1)))
    except np.linalg.LinAlgError:
        p = float("nan")
    se = np.sqrt(np.diag(V))
    crit = stats.t.ppf(0.5 + level / 2, max(G - 1, 1))
    rows = [
        EventStudyRow(panel.types[k], panel.outcome_group, "pretrend_leads", bin_label(lo, hi), lo, hi,
                      float(np.exp(b)), float(np.exp(b - crit * s)), float(np.exp(b + crit * s)),
                      int(extra[model.u_rows, j].sum()))
        for j, ((lo, hi), b, s) in enumerate(zip(used, beta, se))
    ]
    return p, rows


def lag_targets(panel: Panel, k: int, imputable_mask: np.ndarray) -> list[tuple[tuple[int, int | None], np.ndarray]]:
    r = relative_week(panel, k)
    out = []
    for lo, hi in LAG_BINS:
        m = imputable_mask & _in_bin(r, lo, hi)
        if m.sum() > 0:
            out.append(((lo, hi), m))
    return out


def lag_rows(panel: Panel, k: int, model: UntreatedModel, imputable_mask: np.ndarray, W: np.ndarray,
             level: float = 0.95) -> list[EventStudyRow]:
    targets = lag_targets(panel, k, imputable_mask)
    if not targets:
        return []
    res = estimate_targets(panel, model, [m for _, m in targets])
    rows = []
    for j, ((lo, hi), m) in enumerate(targets):
        b = float(res.log_irr[j])
        if not np.isfinite(b):
            continue
        lo_ci, hi_ci = ScoreTest(res.score_fns[j], W).interval(b, float(res.se[j]), level)
        rows.append(EventStudyRow(panel.types[k], panel.outcome_group, "robust_imputation", bin_label(lo, hi),
                                  lo, hi, float(np.exp(b)), float(np.exp(lo_ci)), float(np.exp(hi_ci)),
                                  int(m.sum())))
    return rows
