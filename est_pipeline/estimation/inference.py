"""Which inference a robust (imputation) estimate gets, by design, and why.

One rule for the headline, the event-study bins and the pre-trend test, chosen by how
many areas carry the estimate (treated areas with imputable weeks, ``n1``) and how many
never-treated areas can host placebo schedules (``g0``):

1. ``n1 <= RI_MAX_TREATED``: too few treated areas for any method that relies on their
   spread (a studentised sum of 3 terms never exceeds √3). Randomization inference over
   placebo assignments of the treated schedules to control areas
   (:class:`~est_pipeline.estimation.placebo.AssignmentTest`), if there are at least
   :data:`~est_pipeline.estimation.placebo.MIN_ASSIGNMENTS` assignments and
   :data:`RI_MIN_SPARE` controls left over in each. Otherwise, or if the interval has no
   bound: **the data cannot tell**.
2. ``g0 >= CAL_MIN_CONTROLS``: the model variance calibrated on placebo schedules in the
   control areas (:class:`~est_pipeline.estimation.placebo.CalibratedTest`). In a
   simulation it kept size at 5–6% from 6 to 150 treated areas, where the cluster
   bootstrap had 1.5–3.5% and half the power at 14–20 areas.
3. Otherwise (nearly every area adopts, so there is nobody to learn the noise from): the
   wild cluster score bootstrap (Kline & Santos 2012), which needs many treated areas
   (``n1 >= BOOT_MIN_TREATED``); with fewer, the data cannot tell.

The thresholds appear in the mart's note whenever the data cannot tell, in Swedish.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from est_pipeline.estimation.bootstrap import ScoreTest, inference_label
from est_pipeline.estimation.placebo import MIN_ASSIGNMENTS, PlaceboDesign, n_assignments

RI_MAX_TREATED = 5
RI_MIN_SPARE = 2
CAL_MIN_CONTROLS = 5
BOOT_MIN_TREATED = 10

CANNOT_TELL = "none_data_cannot_tell"


def sv_number(x: float, digits: int = 2) -> str:
    """A number as Swedish text writes it: decimal comma, space between thousands."""
    return f"{x:,.{digits}f}".replace(",", " ").replace(".", ",")


def sv_int(n: int) -> str:
    return f"{n:,}".replace(",", " ")


@dataclass
class Inference:
    """Interval and p-value of one ratio, or the reason the data cannot bound it."""

    method: str  # the mart's ``inference`` value
    ci_low: float  # log scale; nan when the data cannot tell
    ci_high: float
    p_value: float
    reason: str | None = None  # Swedish, for the note, when the data cannot tell
    detail: str | None = None  # Swedish, for the note: what the interval rests on
    n_treated: int = 0  # treated areas that carry the estimate
    n_controls: int = 0  # never-treated areas that can host placebo schedules

    @property
    def informative(self) -> bool:
        return self.reason is None


def _cannot(reason: str) -> Inference:
    return Inference(CANNOT_TELL, np.nan, np.nan, np.nan, reason=reason)


def choose(n1: int, g0: int) -> str:
    """``assignment``, ``calibrated``, ``bootstrap`` or ``none`` for this design."""
    if n1 <= RI_MAX_TREATED:
        ok = n_assignments(g0, n1) >= MIN_ASSIGNMENTS and g0 - n1 >= RI_MIN_SPARE
        return "assignment" if ok else "none"
    if g0 >= CAL_MIN_CONTROLS:
        return "calibrated"
    if n1 >= BOOT_MIN_TREATED:
        return "bootstrap"
    return "none"


def _why_not(n1: int, g0: int) -> str:
    if n1 <= RI_MAX_TREATED:
        n = n_assignments(g0, n1)
        return (
            f"Data kan inte avgöra: {n1} behandlade områden är för få för att bedöma osäkerheten utifrån dem själva "
            f"(minst {RI_MAX_TREATED + 1} krävs), och med {g0} jämförelseområden utan insatsen finns {sv_int(n)} sätt att "
            f"lägga insatsens veckor på andra områden; ett placebotest på 5 %-nivån kräver minst {MIN_ASSIGNMENTS} sådana "
            f"och minst {RI_MIN_SPARE} jämförelseområden över."
        )
    return (
        f"Data kan inte avgöra: {g0} områden utan insatsen är för få för att skatta slumpvariationen "
        f"(minst {CAL_MIN_CONTROLS} krävs), och {n1} behandlade områden är för få för bootstrap (minst {BOOT_MIN_TREATED})."
    )


def robust_inference(
    panel,
    k: int,
    model,
    schedule_mask: np.ndarray,
    targets: list[np.ndarray],
    estimates: list[float],
    boot_scores: list | None,
    boot_se: list[float] | None,
    W: np.ndarray,
    n_draws: int,
    seed: int,
    level: float = 0.95,
    null: float = 0.0,
) -> list[Inference]:
    """Inference for each target (subsets of ``schedule_mask``) of type ``k``'s untreated fit.

    ``estimates`` are the targets' log ratios (nan if not estimable), ``boot_scores`` and
    ``boot_se`` their bootstrap score functions and standard errors.
    """
    design = PlaceboDesign(panel, k, model, schedule_mask, model.excluded)
    n1, g0 = design.n_treated, design.n_controls
    out = _robust_inference(design, panel, targets, estimates, boot_scores, boot_se, W, n_draws, seed, level, null)
    for inf in out:
        inf.n_treated, inf.n_controls = n1, g0
    return out


def _robust_inference(design, panel, targets, estimates, boot_scores, boot_se, W, n_draws, seed, level, null):
    n1, g0 = design.n_treated, design.n_controls
    how = choose(n1, g0)
    if how == "none":
        return [_cannot(_why_not(n1, g0)) for _ in targets]
    if how == "bootstrap":
        out = []
        for b, sc, se in zip(estimates, boot_scores or [], boot_se or []):
            if not np.isfinite(b):
                out.append(_cannot("Data kan inte avgöra: inga händelser i de behandlade veckorna."))
                continue
            test = ScoreTest(sc, W)
            lo, hi = test.interval(b, se, level)
            out.append(_finish(inference_label(n_draws), lo, hi, test.p_value(null),
                               f"Intervallet bygger på vild kluster-bootstrap över {panel.n_areas} områden.",
                               n1, g0))
        return out
    if how == "assignment":
        tests = design.assignment_tests(targets, n_draws, seed)
        label = f"placebo_assignments_{tests[0].n_assignments}"
        detail = (f"Intervallet bygger på ett placebotest: insatsens veckor lades på {g0} jämförelseområden utan insatsen "
                  f"({sv_int(tests[0].n_assignments)} tilldelningar).")
    else:
        tests = design.calibrated_tests(targets, seed)
        label = "placebo_calibrated_t"
        detail = (f"Intervallet bygger på en modell för slumpvariationen, kalibrerad med placebotest i {g0} "
                  "jämförelseområden utan insatsen.")
    out = []
    for b, test in zip(estimates, tests):
        if not np.isfinite(b):
            out.append(_cannot("Data kan inte avgöra: inga händelser i de behandlade veckorna."))
            continue
        lo, hi = test.interval(b, level)
        out.append(_finish(label, lo, hi, test.p_value(null), detail, n1, g0))
    return out


def _finish(label: str, lo: float, hi: float, p: float, detail: str, n1: int, g0: int) -> Inference:
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return _cannot(
            f"Data kan inte avgöra: med {n1} behandlade områden och {g0} jämförelseområden har kvoten ingen "
            "övre eller nedre gräns på 95 %-nivån (för få eller för korta insatsperioder i förhållande till "
            "slumpvariationen)."
        )
    return Inference(label, lo, hi, p, detail=detail)
