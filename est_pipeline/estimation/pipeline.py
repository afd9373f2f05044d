"""From the two panel marts to the rows of ``marts.intervention_effects`` and the event study.

One call per period: every outcome group, every intervention type, both estimators, the
pre-trend check, Benjamini–Hochberg across types × outcomes, the survey model. Problems
that only affect one type or one outcome group are recorded in the note and the run's
messages; a panel that cannot answer anything raises :class:`PanelError`.

**Headline rule.** The robust (imputation) estimate is the headline whenever it exists;
two-way fixed effects is shown beside it as a cross-check, and the note says when the two
disagree. Choosing between them by their difference (as this pipeline once did) is a
pre-test: it almost never switched when heterogeneity was mild, left a 2–3% bias in the
headline, and a choice made on the data distorts the coverage of whatever is chosen
(Roth 2022). The robust estimator targets the ATT ratio under any heterogeneity, and its
intervals are ~20% wider than TWFE's when effects are homogeneous: that is the price.

**Determinism.** The same input gives the same bits: the panel is built in sorted order
(so row order in the marts does not matter), every fit is the single-threaded absorbed
Newton solver on one BLAS thread (:mod:`threads`), and every random draw (bootstrap
weights, placebo assignments and pairs) comes from ``seed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from est_pipeline.estimation import survey as survey_mod
from est_pipeline.estimation.bootstrap import webb_weights
from est_pipeline.estimation.errors import NothingToEstimate, PanelError
from est_pipeline.estimation.estimates import Estimate
from est_pipeline.estimation.event_study import EventStudyRow, lag_rows, lag_targets, pretrend
from est_pipeline.estimation.imputation import ESTIMATOR as ROBUST, estimate_targets, fit_untreated, imputable
from est_pipeline.estimation.inference import Inference, robust_inference, sv_number
from est_pipeline.estimation.multiple_testing import bh_qvalues
from est_pipeline.estimation.panel import OUTCOME_GROUPS, Panel, build_panel, identification_problem, week_date
from est_pipeline.estimation.poisson_fe import CollinearRegressors, Method
from est_pipeline.estimation.threads import single_blas_thread
from est_pipeline.estimation.twfe import estimate_twfe

#: Fewer treated areas than this and the note warns that few areas carry the estimate.
FEW_TREATED_AREAS = 5

EFFECT_COLUMNS = [
    "intervention_type", "outcome_group", "estimator", "is_headline", "irr", "ci_low", "ci_high",
    "p_value", "q_value", "n_treated_areas", "n_treated_area_weeks", "n_clusters",
    "n_areas_dropped_all_zero", "n_obs_dropped_separated", "pretrend_p_value", "inference",
    "period_start", "period_end", "interpretation", "note",
    "estimate_scale", "share_difference", "share_difference_ci_low", "share_difference_ci_high",
    "n_control_areas",
]
EVENT_COLUMNS = [
    "intervention_type", "outcome_group", "estimator", "relative_period", "rel_week_from", "rel_week_to",
    "irr", "ci_low", "ci_high", "n_area_weeks", "inference", "period_start", "period_end", "interpretation",
]
ASSOCIATION_NOTE = "Samband, inte bevisad orsakseffekt."


@dataclass
class EstimationResult:
    effects: pd.DataFrame
    event_study: pd.DataFrame
    messages: list[str] = field(default_factory=list)


@dataclass
class PanelEstimates:
    """Everything estimated on one outcome group's panel (before q-values)."""

    rows: list[dict]
    events: list[EventStudyRow]
    messages: list[str]
    estimates: list[tuple[Estimate | None, Estimate | None, Estimate]]  # (twfe, robust, headline) per type


def _note(parts: list[str]) -> str:
    return " ".join([ASSOCIATION_NOTE, *[p for p in parts if p]])


def _outside(a: Estimate, b: Estimate) -> bool:
    """Is a's point estimate outside b's interval (only when b has one)?"""
    return b.informative and not (b.ci_low <= a.log_irr <= b.ci_high)


def _robust_estimate(panel: Panel, k: int, b: float, se: float, inf: Inference, n_areas: int, n_cells: int) -> Estimate:
    return Estimate(panel.types[k], panel.outcome_group, ROBUST, b, inf.ci_low, inf.ci_high, inf.p_value, se,
                    n_areas, n_cells, panel.n_areas, inf.method, reason=inf.reason, detail=inf.detail,
                    n_control_areas=inf.n_controls)


def estimate_panel(
    panel: Panel,
    method: Method = "auto",
    n_draws: int = 999,
    seed: int = 20240101,
    event_study: bool = True,
    lags: bool | None = None,
) -> PanelEstimates:
    """Both estimators, the headline, the event study and the notes for one outcome group.

    ``event_study`` switches the pre-trend test and the lag rows; ``lags=False`` keeps the
    pre-trend test but skips the lag rows (the simulation study does not need them).
    """
    lags = event_study if lags is None else lags
    messages: list[str] = []
    ok = []
    for k in range(len(panel.types)):
        problem = identification_problem(panel, k)
        if problem:
            messages.append(f"{panel.outcome_group}: {problem}")
        else:
            ok.append(k)
    if not ok:
        raise PanelError(f"outcome_group {panel.outcome_group}: no intervention type is estimable ({'; '.join(messages)})")
    naive = _twfe_by_type(panel, ok, method, n_draws, seed, messages)
    W = webb_weights(n_draws, panel.n_areas, seed + 1)
    rows: list[dict] = []
    events: list[EventStudyRow] = []
    estimates = []
    for k in ok:
        est = naive.get(k)
        robust: Estimate | None = None
        notes: list[str] = []
        model = fit_untreated(panel, k, method)
        mask = imputable(panel, model)
        n_lost = int((panel.D[:, k] == 1.0).sum() - mask.sum())
        if mask.any():
            lag_bins = lag_targets(panel, k, mask) if lags else []
            targets = [mask] + [m for _, m in lag_bins]
            res = estimate_targets(panel, model, targets)
            infs = robust_inference(panel, k, model, mask, targets, list(res.log_irr), res.scores, list(res.se), W,
                                    n_draws, seed + 2)
            b = float(res.log_irr[0])
            if np.isfinite(b):
                robust = _robust_estimate(panel, k, b, float(res.se[0]), infs[0], int(res.n_areas[0]), int(mask.sum()))
                events.extend(lag_rows(panel, k, lag_bins, res.log_irr[1:], infs[1:]))
        if n_lost:
            notes.append(f"{n_lost} behandlade områdesveckor saknar jämförelseveckor och ingår inte i den robusta skattningen.")
        pre_p = float("nan")
        if event_study:
            try:
                pre_p, lead_rows, _ = pretrend(panel, k, W, n_draws, seed + 3, method)
                events.extend(lead_rows)
            except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
                # Too few untreated weeks before the starts to fit the placebo leads.
                messages.append(f"{panel.outcome_group}: {panel.types[k]}: no pre-trend test ({exc})")
        headline = robust if robust is not None else est
        if headline is None:
            messages.append(f"{panel.outcome_group}: {panel.types[k]}: neither estimator could be fitted")
            continue
        type_notes = list(notes)
        if headline.n_treated_areas < FEW_TREATED_AREAS:
            type_notes.append(f"Endast {headline.n_treated_areas} behandlade områden; tolka med försiktighet.")
        if np.isfinite(pre_p) and pre_p < 0.05:
            type_notes.append(f"Förtrend (p = {sv_number(pre_p, 3)}): utfallen skilde sig redan veckorna före starten.")
        if robust is None:
            rows.append(_effect_row(est, panel, True, pre_p, _note(
                ["Robust skattning saknas; den enkla TWFE-modellen är huvudresultat.", est.reason, *type_notes])))
        elif est is None:
            rows.append(_effect_row(robust, panel, True, pre_p, _note([
                "Huvudresultat: robust skattning (imputation). Den enkla TWFE-modellen som jämförelse saknas: "
                "i den gemensamma modellen går insatstypen inte att skilja från de andra typerna och de fasta "
                "effekterna.", robust.reason or robust.detail, *type_notes])))
        else:
            head_parts = ["Huvudresultat: robust skattning (imputation), som jämför varje behandlad vecka med samma "
                          "område och vecka utan insatsen och därför tål att insatser startar vid olika tider och att "
                          "effekten varierar.", robust.reason or robust.detail]
            if _outside(est, robust):
                head_parts.append(
                    f"Den enkla TWFE-modellen ger kvoten {sv_number(est.irr)}, utanför det robusta intervallet: effekten "
                    "varierar troligen mellan områden som startade vid olika tider eller över tid.")
            rows.append(_effect_row(robust, panel, True, pre_p, _note(head_parts + type_notes)))
            twfe_parts = ["Jämförelse: enkel TWFE-modell, som förutsätter samma effekt överallt och hela tiden; "
                          "huvudresultatet är den robusta skattningen.", est.reason]
            rows.append(_effect_row(est, panel, False, pre_p, _note(twfe_parts + type_notes)))
        estimates.append((est, robust, headline))
    return PanelEstimates(rows, events, messages, estimates)


def _twfe_by_type(panel: Panel, ok: list[int], method: Method, n_draws: int, seed: int,
                  messages: list[str]) -> dict[int, Estimate]:
    """The joint TWFE model's estimate per type, leaving out types it cannot identify.

    Each type passed the single-type checks, yet together (two types always started and
    stopped together in the same areas, or one type is a combination of others) they can
    still be collinear with the fixed effects. Those types get no TWFE cross-check, said in
    the messages; the robust estimator fits each type on its own and is unaffected.
    """
    kept = list(ok)
    while kept:
        try:
            _, naive = estimate_twfe(panel, kept, method=method, n_draws=n_draws, seed=seed)
            return dict(zip(kept, naive))
        except CollinearRegressors as err:
            dropped = [k for k in kept if panel.types[k] in err.names] or kept
            for k in dropped:
                messages.append(f"{panel.outcome_group}: {panel.types[k]}: collinear with the other types and the "
                                "fixed effects in the joint TWFE model; no TWFE cross-check")
            kept = [k for k in kept if k not in dropped]
    return {}


def outcome_groups_of(outcomes: pd.DataFrame) -> tuple[str, ...]:
    """The groups present in the mart: the known ones in their order, then any others sorted.

    So a new group in ``marts.area_week_outcomes`` (e.g. police-reported crimes) is
    estimated without a code change here.
    """
    present = set(outcomes["outcome_group"].dropna().unique()) if "outcome_group" in outcomes else set()
    return tuple([g for g in OUTCOME_GROUPS if g in present] + sorted(present - set(OUTCOME_GROUPS)))


def estimate_effects(*args, **kwargs) -> EstimationResult:
    """Every outcome group, type and estimator for one period (see :func:`_estimate_effects`),
    with one BLAS thread so that a re-run gives the same bits."""
    with single_blas_thread():
        return _estimate_effects(*args, **kwargs)


def _estimate_effects(
    outcomes: pd.DataFrame,
    interventions: pd.DataFrame,
    survey_responses: pd.DataFrame | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    method: Method = "auto",
    n_draws: int = 999,
    seed: int = 20240101,
    outcome_groups: tuple[str, ...] | None = None,
    event_study: bool = True,
) -> EstimationResult:
    if outcome_groups is None:
        outcome_groups = outcome_groups_of(outcomes) or OUTCOME_GROUPS
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
        try:
            res = estimate_panel(panel, method, n_draws, seed, event_study)
        except PanelError as exc:
            errors.append(str(exc))
            continue
        messages.extend(res.messages)
        rows.extend(res.rows)
        events.extend(res.events)
    if survey_responses is not None and len(survey_responses) and rows:
        area_year = survey_mod.survey_area_year(survey_responses)
        y0 = (period_start or first_week or date(1900, 1, 1)).year
        y1 = (pd.Timestamp(period_end) - pd.Timedelta(days=1)).year if period_end else int(area_year["year"].max())
        ests, notes = survey_mod.estimate_survey(area_year, interventions, max(y0, int(area_year["year"].min())), y1,
                                                 n_draws=n_draws, seed=seed + 4)
        messages.extend(notes)
        for e in ests:
            r = _effect_row(e, None, True, float("nan"), _note(
                ["Linjär modell för andelen trygga (procentenheter).", e.reason or e.detail]))
            r.update(irr=None, ci_low=None, ci_high=None, estimate_scale="share_difference",
                     share_difference=e.log_irr,
                     share_difference_ci_low=e.ci_low if e.informative else None,
                     share_difference_ci_high=e.ci_high if e.informative else None)
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
    ev = pd.DataFrame([e.__dict__ for e in events], columns=[c for c in EVENT_COLUMNS if c not in
                                                             ("period_start", "period_end", "interpretation")])
    ev["period_start"] = start
    ev["period_end"] = period_end
    ev["interpretation"] = "association"
    return EstimationResult(effects, ev[EVENT_COLUMNS], messages)


def _nan_to_none(x: float) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None


def _effect_row(e: Estimate, panel, is_headline: bool, pre_p: float, note: str) -> dict:
    ok = e.informative
    return {
        "intervention_type": e.intervention_type,
        "outcome_group": e.outcome_group,
        "estimator": e.estimator,
        "is_headline": bool(is_headline),
        "irr": e.irr,
        "ci_low": float(np.exp(e.ci_low)) if ok else None,
        "ci_high": float(np.exp(e.ci_high)) if ok else None,
        "p_value": _nan_to_none(e.p_value) if ok else None,
        "q_value": np.nan,
        "n_treated_areas": e.n_treated_areas,
        "n_treated_area_weeks": e.n_treated_area_weeks,
        "n_clusters": e.n_clusters,
        "n_areas_dropped_all_zero": panel.n_areas_dropped_all_zero if panel is not None else 0,
        "n_obs_dropped_separated": panel.n_obs_dropped_separated if panel is not None else 0,
        "pretrend_p_value": _nan_to_none(pre_p),
        "inference": e.inference,
        "period_start": None,
        "period_end": None,
        "interpretation": "association",
        "note": note,
        "estimate_scale": "incidence_rate_ratio",
        "share_difference": None,
        "share_difference_ci_low": None,
        "share_difference_ci_high": None,
        "n_control_areas": e.n_control_areas,
    }
