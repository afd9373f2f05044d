"""From the two panel marts to the rows of ``marts.intervention_effects`` and the event study.

One call per period: every outcome group, every intervention type, both estimators, the
pre-trend check, Benjamini–Hochberg across types × outcomes, the survey model. Problems
that only affect one type or one outcome group are recorded in the note and the run's
messages; a panel that cannot answer anything raises :class:`PanelError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from est_pipeline.estimation import survey as survey_mod
from est_pipeline.estimation.bootstrap import ScoreTest, inference_label, webb_weights
from est_pipeline.estimation.errors import NothingToEstimate, PanelError
from est_pipeline.estimation.estimates import Estimate
from est_pipeline.estimation.event_study import EventStudyRow, lag_rows, pretrend
from est_pipeline.estimation.imputation import ESTIMATOR as ROBUST, estimate_targets, fit_untreated, imputable
from est_pipeline.estimation.multiple_testing import bh_qvalues
from est_pipeline.estimation.panel import OUTCOME_GROUPS, build_panel, identification_problem, week_date
from est_pipeline.estimation.poisson_fe import Method
from est_pipeline.estimation.twfe import ESTIMATOR as TWFE, estimate_twfe

#: Fewer treated areas than this and the note warns that few areas carry the estimate.
FEW_TREATED_AREAS = 5

EFFECT_COLUMNS = [
    "intervention_type", "outcome_group", "estimator", "is_headline", "irr", "ci_low", "ci_high",
    "p_value", "q_value", "n_treated_areas", "n_treated_area_weeks", "n_clusters",
    "n_areas_dropped_all_zero", "n_obs_dropped_separated", "pretrend_p_value", "inference",
    "period_start", "period_end", "interpretation", "note",
    "estimate_scale", "share_difference", "share_difference_ci_low", "share_difference_ci_high",
]
EVENT_COLUMNS = [
    "intervention_type", "outcome_group", "estimator", "relative_period", "rel_week_from", "rel_week_to",
    "irr", "ci_low", "ci_high", "n_area_weeks", "period_start", "period_end", "interpretation",
]
ASSOCIATION_NOTE = "Samband, inte bevisad orsakseffekt."


@dataclass
class EstimationResult:
    effects: pd.DataFrame
    event_study: pd.DataFrame
    messages: list[str] = field(default_factory=list)


def _disagree(a: Estimate, b: Estimate) -> bool:
    """Each point estimate outside the other's interval counts as disagreement."""
    return not (b.ci_low <= a.log_irr <= b.ci_high) or not (a.ci_low <= b.log_irr <= a.ci_high)


def _note(parts: list[str]) -> str:
    return " ".join([ASSOCIATION_NOTE, *parts])


def estimate_effects(
    outcomes: pd.DataFrame,
    interventions: pd.DataFrame,
    survey_responses: pd.DataFrame | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    method: Method = "auto",
    n_draws: int = 999,
    seed: int = 20240101,
    outcome_groups: tuple[str, ...] = OUTCOME_GROUPS,
    event_study: bool = True,
) -> EstimationResult:
    # The headline TWFE model goes through statsmodels when small enough (the DESIGN's
    # reference); the auxiliary fits (untreated models, leads) always absorb the fixed
    # effects: same numbers (tested), a tenth of the time.
    aux_method: Method = "absorbed" if method == "auto" else method
    rows: list[dict] = []
    events: list[EventStudyRow] = []
    messages: list[str] = []
    errors: list[str] = []
    first_week: date | None = None
    for group in outcome_groups:
        try:
            panel = build_panel(outcomes, interventions, group, period_start, period_end)
        except PanelError as exc:
            errors.append(str(exc))
            continue
        messages.extend(f"{group}: {n}" for n in panel.notes)
        fw = pd.Timestamp(week_date(panel.week_numbers[0])).date()
        first_week = fw if first_week is None else min(first_week, fw)
        ok = []
        for k in range(len(panel.types)):
            problem = identification_problem(panel, k)
            if problem:
                messages.append(f"{group}: {problem}")
            else:
                ok.append(k)
        if not ok:
            errors.append(f"outcome_group {group}: no intervention type is estimable ({'; '.join(messages[-len(panel.types):])})")
            continue
        _, naive = estimate_twfe(panel, ok, method=method, n_draws=n_draws, seed=seed)
        W = webb_weights(n_draws, panel.n_areas, seed + 1)
        for est, k in zip(naive, ok):
            robust: Estimate | None = None
            notes: list[str] = []
            model = fit_untreated(panel, k, aux_method)
            mask = imputable(panel, model)
            n_lost = int((panel.D[:, k] == 1.0).sum() - mask.sum())
            if mask.sum() > 0:
                res = estimate_targets(panel, model, [mask])
                b, se = float(res.log_irr[0]), float(res.se[0])
                if np.isfinite(b):
                    t = ScoreTest(res.score_fns[0], W).run(b, se)
                    robust = Estimate(est.intervention_type, group, ROBUST, b, t.ci_low, t.ci_high, t.p_value, se,
                                      int(res.n_areas[0]), int(mask.sum()), panel.n_areas, inference_label(n_draws))
            if n_lost:
                notes.append(f"{n_lost} behandlade områdesveckor saknar jämförelseveckor och ingår inte i den robusta skattningen.")
            pre_p, lead_rows = (float("nan"), [])
            if event_study:
                pre_p, lead_rows = pretrend(panel, k, aux_method)
                events.extend(lead_rows)
                if robust is not None:
                    events.extend(lag_rows(panel, k, model, mask, W))
            if robust is None:
                headline, other = est, None
                notes.append("Robust skattning saknas; TWFE är huvudresultat.")
            elif _disagree(est, robust):
                headline, other = robust, est
                notes.append(
                    f"Robust skattning (imputation) är huvudresultat: TWFE ger IRR {est.irr:.2f} mot {robust.irr:.2f}; "
                    "TWFE kan vara snedvriden när insatser startar vid olika tider och effekten varierar över tid eller mellan kohorter."
                )
            else:
                headline, other = est, robust
                notes.append(f"TWFE och robust skattning (IRR {robust.irr:.2f}) stämmer överens.")
            if headline.n_treated_areas < FEW_TREATED_AREAS:
                notes.append(f"Endast {headline.n_treated_areas} behandlade områden; tolka med försiktighet.")
            if np.isfinite(pre_p) and pre_p < 0.05:
                notes.append(f"Förtrend (p={pre_p:.3f}): skillnader fanns redan före insatsen.")
            for e in (est, robust):
                if e is None:
                    continue
                rows.append(_effect_row(e, panel, e is headline, pre_p, _note(notes)))
    if survey_responses is not None and len(survey_responses) and rows:
        area_year = survey_mod.survey_area_year(survey_responses)
        y0 = (period_start or first_week or date(1900, 1, 1)).year
        y1 = (pd.Timestamp(period_end) - pd.Timedelta(days=1)).year if period_end else int(area_year["year"].max())
        ests, notes = survey_mod.estimate_survey(area_year, interventions, max(y0, int(area_year["year"].min())), y1)
        messages.extend(notes)
        for e in ests:
            r = _effect_row(e, None, True, float("nan"), _note(["Linjär modell för andelen trygga (procentenheter)."]))
            r.update(irr=None, ci_low=None, ci_high=None, estimate_scale="share_difference",
                     share_difference=e.log_irr, share_difference_ci_low=e.ci_low, share_difference_ci_high=e.ci_high)
            rows.append(r)
    if not rows:
        raise NothingToEstimate("no estimate could be made: " + " | ".join(errors or messages))
    messages.extend(errors)
    effects = pd.DataFrame(rows, columns=EFFECT_COLUMNS)
    effects["q_value"] = np.nan
    for _, idx in effects.groupby("estimator").groups.items():
        effects.loc[idx, "q_value"] = bh_qvalues(effects.loc[idx, "p_value"].to_numpy(dtype=float))
    start = period_start or first_week
    effects["period_start"] = start
    effects["period_end"] = period_end
    ev = pd.DataFrame([e.__dict__ for e in events], columns=EVENT_COLUMNS[:10])
    ev["period_start"] = start
    ev["period_end"] = period_end
    ev["interpretation"] = "association"
    return EstimationResult(effects, ev[EVENT_COLUMNS], messages)


def _effect_row(e: Estimate, panel, is_headline: bool, pre_p: float, note: str) -> dict:
    return {
        "intervention_type": e.intervention_type,
        "outcome_group": e.outcome_group,
        "estimator": e.estimator,
        "is_headline": bool(is_headline),
        "irr": e.irr,
        "ci_low": float(np.exp(e.ci_low)),
        "ci_high": float(np.exp(e.ci_high)),
        "p_value": e.p_value,
        "q_value": np.nan,
        "n_treated_areas": e.n_treated_areas,
        "n_treated_area_weeks": e.n_treated_area_weeks,
        "n_clusters": e.n_clusters,
        "n_areas_dropped_all_zero": panel.n_areas_dropped_all_zero if panel is not None else 0,
        "n_obs_dropped_separated": panel.n_obs_dropped_separated if panel is not None else 0,
        "pretrend_p_value": pre_p if np.isfinite(pre_p) else None,
        "inference": e.inference,
        "period_start": None,
        "period_end": None,
        "interpretation": "association",
        "note": note,
        "estimate_scale": "incidence_rate_ratio",
        "share_difference": None,
        "share_difference_ci_low": None,
        "share_difference_ci_high": None,
    }
