"""Event study per intervention type: leads (the pre-trend test) and lags (dynamics).

Leads are a placebo test in the imputation framework (Liu, Wang & Xu 2024; Borusyak,
Jaravel & Spiess test the same hypothesis with lead indicators): the 16 weeks before each
treated area's first start are *also* left out of the untreated fit and imputed like
treated weeks. If areas were already drifting, or were picked after a bad spell, the
observed counts in those weeks differ from the imputed ones and the ratio is not 1. The
test of "ratio 1 over all lead weeks" is ``pretrend_p_value``; the four 4-week bins are
shown as event-study rows. Treated cells are never used, so heterogeneous effects do not
contaminate the test, and it gets exactly the same few-area inference as the headline
(:mod:`inference`), so its size is the headline's.

Lags are imputation ratios on the treated cells of each bin of weeks since the first start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from est_pipeline.estimation.imputation import estimate_targets, fit_untreated, imputable
from est_pipeline.estimation.inference import Inference, robust_inference
from est_pipeline.estimation.panel import Panel
from est_pipeline.estimation.poisson_fe import Method

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
    ci_low: float | None
    ci_high: float | None
    n_area_weeks: int
    inference: str


def relative_week(panel: Panel, k: int) -> np.ndarray:
    """Weeks since type k first started in the cell's area; NaN for never-treated areas."""
    fs = panel.first_start[panel.area, k].astype(float)
    fs[fs < 0] = np.nan
    return panel.cell_week_number - fs


def _in_bin(r: np.ndarray, lo: int, hi: int | None) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (r >= lo) & ((r <= hi) if hi is not None else True) & ~np.isnan(r)


def _row(panel, k, estimator, lo, hi, b, inf: Inference, n) -> EventStudyRow:
    ok = inf.informative
    return EventStudyRow(panel.types[k], panel.outcome_group, estimator, bin_label(lo, hi), lo, hi, float(np.exp(b)),
                         float(np.exp(inf.ci_low)) if ok else None, float(np.exp(inf.ci_high)) if ok else None,
                         int(n), inf.method)


def pretrend(panel: Panel, k: int, W: np.ndarray, n_draws: int, seed: int,
             method: Method = "auto") -> tuple[float, list[EventStudyRow], Inference | None]:
    """p-value of "ratio 1 over the lead weeks", the lead bins' rows, and the pooled test."""
    r = relative_week(panel, k)
    untreated = panel.D[:, k] == 0.0
    lead = _in_bin(r, LEAD_BINS[0][0], LEAD_BINS[-1][1]) & untreated
    if not lead.any():
        return float("nan"), [], None
    model = fit_untreated(panel, k, method, exclude=lead)
    lead_ok = imputable(panel, model, lead)
    if not lead_ok.any():
        return float("nan"), [], None
    bins = [(lo, hi, lead_ok & _in_bin(r, lo, hi)) for lo, hi in LEAD_BINS]
    bins = [(lo, hi, m) for lo, hi, m in bins if m.any()]
    targets = [lead_ok] + [m for _, _, m in bins]
    res = estimate_targets(panel, model, targets)
    infs = robust_inference(panel, k, model, lead_ok, targets, list(res.log_irr), res.scores, list(res.se), W,
                            n_draws, seed)
    pooled = infs[0]
    rows = [_row(panel, k, "pretrend_leads", lo, hi, b, inf, m.sum())
            for (lo, hi, m), b, inf in zip(bins, res.log_irr[1:], infs[1:]) if np.isfinite(b)]
    return (pooled.p_value if pooled.informative else float("nan")), rows, pooled


def lag_targets(panel: Panel, k: int, imputable_mask: np.ndarray) -> list[tuple[tuple[int, int | None], np.ndarray]]:
    r = relative_week(panel, k)
    out = []
    for lo, hi in LAG_BINS:
        m = imputable_mask & _in_bin(r, lo, hi)
        if m.sum() > 0:
            out.append(((lo, hi), m))
    return out


def lag_rows(panel: Panel, k: int, targets, log_irr, infs: list[Inference]) -> list[EventStudyRow]:
    """Event-study rows of the lag bins from their estimates and inferences (computed with
    the headline's, so that all share one placebo design)."""
    return [_row(panel, k, "robust_imputation", lo, hi, b, inf, m.sum())
            for ((lo, hi), m), b, inf in zip(targets, log_irr, infs) if np.isfinite(b)]
