"""Which inference a robust (imputation) estimate gets, by design, and why.

One rule for the headline, the event-study bins and the pre-trend test, chosen by how
many areas carry the estimate (treated areas with imputable weeks, ``n1``) and how many
never-treated areas can host placebo schedules (``g0``). The noise is learnt from the
control areas in every rung but the last: a cluster bootstrap over treated areas cannot
work with few of them (a studentised sum of 3 terms never exceeds √3, so its interval was
(0, ∞) in 799 of 800 samples with 3 treated areas of 14) and is conservative with 5–10.

1. ``n1 == 1``: randomization inference (:class:`~est_pipeline.estimation.placebo.AssignmentTest`):
   the treated area's schedule laid on each control area in turn, the observed statistic
   ranked among theirs. No normal approximation, which one area's noise would strain, and
   only one control leaves the fit at a time, so the placebos are comparable with the
   observed. A 5% test needs ``MIN_ASSIGNMENTS`` (19) control areas; with fewer, the data
   cannot tell.
2. ``n1 >= 2`` and ``g0 >= CAL_MIN_CONTROLS``: the model variance calibrated on placebo
   schedules in the control areas, with a t reference
   (:class:`~est_pipeline.estimation.placebo.CalibratedTest`). Assignments of several
   schedules at once take several controls out of the fit and make the placebo statistics
   noisier than the observed one: with 3 treated areas of 14 the assignment test rejected a
   true null 7–8% of the time, the calibrated t 5%.
3. Otherwise, when nearly every area adopts (too few never-treated areas to learn the noise
   from): the wild cluster score bootstrap (Kline & Santos 2012) if ``n1 >= BOOT_MIN_TREATED``.
4. Otherwise, or when an interval has no bound: **the data cannot tell**, and the note says
   which threshold was missed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from est_pipeline.estimation.bootstrap import ScoreTest, inference_label
from est_pipeline.estimation.placebo import MIN_ASSIGNMENTS, PlaceboDesign, n_assignments

#: Placebo assignments (randomization inference) for this many treated areas.
RI_MAX_TREATED = 1
#: The calibrated t needs this many control areas to learn the noise scale from.
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


#: The note when the noise model cannot be fitted at all.
UNSTABLE_SV = (
    "Underlaget räcker inte för att säga något: modellen för jämförelseområdena gick inte att skatta "
    "stabilt (för få områden eller veckor utan insatsen)."
)


def _cannot(reason: str) -> Inference:
    return Inference(CANNOT_TELL, np.nan, np.nan, np.nan, reason=reason)


def choose(n1: int, g0: int) -> str:
    """``assignment``, ``calibrated``, ``bootstrap`` or ``none`` for this design."""
    if n1 <= RI_MAX_TREATED:
        return "assignment" if n_assignments(g0, n1) >= MIN_ASSIGNMENTS else "none"
    if g0 >= CAL_MIN_CONTROLS:
        return "calibrated"
    if n1 >= BOOT_MIN_TREATED:
        return "bootstrap"
    return "none"


def _why_not(n1: int, g0: int) -> str:
    if n1 <= RI_MAX_TREATED:
        return (
            f"Data kan inte avgöra: med ett enda behandlat område jämförs det med samma veckor i varje område utan "
            f"insatsen, och ett test på 5 %-nivån kräver minst {MIN_ASSIGNMENTS} sådana jämförelseområden; här finns {g0}."
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
    try:
        design = PlaceboDesign(panel, k, model, schedule_mask, model.excluded)
        n1, g0 = design.n_treated, design.n_controls
        out = _robust_inference(design, panel, targets, estimates, boot_scores, boot_se, W, n_draws, seed, level, null)
    except (ValueError, FloatingPointError, np.linalg.LinAlgError):
        # A panel so small or sparse that the untreated fit or the noise model has nothing to
        # stand on (e.g. a handful of areas where the fit does not converge): no interval.
        return [_cannot(UNSTABLE_SV) for _ in targets]
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
        detail = (f"Intervallet bygger på ett placebotest: områdets insatsveckor lades i tur och ordning på vart och ett "
                  f"av {g0} områden utan insatsen.")
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
