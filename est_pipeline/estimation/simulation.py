"""Generated area × week count panels with planted intervention ratios: the designs of the study.

The model: weekly counts are negative binomial (gamma–Poisson, variance μ + φμ²) with mean
``exp(alpha_area + delta_week) * prod_k ratio_k^D``. Areas differ a lot in size (log-normal
levels), weeks share a season and noise, interventions go to the worse areas (targeting),
start at staggered weeks or all at once, may end (on/off), and their ratio may differ by
start cohort (earliest to latest, linear on the log scale) and phase in over the weeks
after the start. Optional: serially correlated area shocks (AR(1) on the log scale) and
non-integer counts (counts spread over areas by shares, as police-reported crimes are).

The estimand of every design is the ATT ratio over a type's treated area-weeks,
``sum(E[y | treated]) / sum(E[y | same cell without that type])``, computed from the planted
means of the replication (not the noisy counts). With a constant ratio it equals the ratio.

The designs (:data:`DESIGNS`) are the situations EST municipalities are in: 14 to 300
areas, one area to 50% of them treated (and, beyond that, staggered adoption by most
areas), homogeneous and heterogeneous effects. Each has a placebo twin (every ratio 1) for
size.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from est_pipeline.estimation.panel import Panel
from est_pipeline.lib.parallel import Workers

_MONDAY0 = np.datetime64("2020-01-06", "D")


@dataclass(frozen=True)
class Adoption:
    """One intervention type: who gets it, when, for how long, and what it does."""

    name: str = "A"
    n_treated: int | None = None  # number of treated areas; if None, share_treated of them
    share_treated: float = 0.5
    common_start: bool = False  # all treated areas start in the same week
    start_window: tuple[float, float] = (0.15, 0.8)  # as shares of the panel length
    share_ending: float = 0.0  # share of treated areas whose intervention ends (on/off)
    duration_weeks: tuple[int, int] = (26, 78)
    ratio: float = 0.8  # full ratio (of the latest cohort when early_ratio is set)
    early_ratio: float | None = None  # full ratio of the earliest cohort
    phase_in_weeks: int = 0  # the ratio grows linearly (log scale) to full over these weeks
    targeting: float = 1.0  # how strongly worse areas are chosen (0 = at random)

    def treated_count(self, n_areas: int) -> int:
        n = self.n_treated if self.n_treated is not None else int(round(self.share_treated * n_areas))
        return int(min(max(n, 1), n_areas - 1))


@dataclass(frozen=True)
class Design:
    name: str
    description: str
    n_areas: int = 60
    n_weeks: int = 156
    base_rate: float = 4.0  # mean weekly events of a typical area
    area_sd: float = 0.6
    overdispersion: float = 0.25  # variance = mu + overdispersion * mu^2
    serial_sd: float = 0.0  # sd of an AR(1) log shock per area (0: weeks independent)
    serial_rho: float = 0.0
    count_step: float = 1.0  # counts come in steps of this (non-integer if not 1)
    types: tuple[Adoption, ...] = field(default_factory=lambda: (Adoption(),))

    def placebo(self) -> "Design":
        """The same design with no effect at all: for size."""
        return replace(
            self, name=f"{self.name}_placebo", description=f"{self.description}; placebo (every ratio 1)",
            types=tuple(replace(t, ratio=1.0, early_ratio=None, phase_in_weeks=0) for t in self.types),
        )

    @property
    def is_placebo(self) -> bool:
        return all(t.ratio == 1.0 and t.early_ratio is None for t in self.types)


MILD = dict(ratio=0.86, early_ratio=0.74, phase_in_weeks=8)

#: The designs of the study. Ratios 0.8 unless said; mild heterogeneity = cohort ratios
#: 0.74 (earliest) to 0.86 (latest) phased in over 8 weeks.
DESIGNS: dict[str, Design] = {d.name: d for d in (
    Design("m60_half_onoff", "60 areas, 30 treated, staggered, 40% end after 26–78 weeks, ratio 0.8",
           types=(Adoption(share_treated=0.5, share_ending=0.4),)),
    Design("m60_common", "60 areas, 18 treated, all start the same week, ratio 0.8",
           types=(Adoption(share_treated=0.3, common_start=True, start_window=(0.5, 0.5)),)),
    Design("m60_half_mild", "60 areas, 30 staggered adopters, mild heterogeneity",
           types=(Adoption(share_treated=0.5, start_window=(0.1, 0.85), **MILD),)),
    Design("m60_most_mild", "60 areas, 49 staggered adopters (81%), mild heterogeneity",
           types=(Adoption(share_treated=0.81, start_window=(0.1, 0.85), **MILD),)),
    Design("m60_most_strong", "60 areas, 51 staggered adopters (85%), cohort ratios 0.55→0.9 phased in over 52 weeks",
           types=(Adoption(share_treated=0.85, start_window=(0.1, 0.85), ratio=0.9, early_ratio=0.55,
                           phase_in_weeks=52),)),
    Design("m60_short_onoff", "60 areas, 30 treated, every intervention ends after 8–26 weeks, phased in over 4 weeks",
           types=(Adoption(share_treated=0.5, share_ending=1.0, duration_weeks=(8, 26), ratio=0.8,
                           phase_in_weeks=4),)),
    Design("m60_two_types", "60 areas, two overlapping types (30 and 30 areas), ratios 0.8 and 0.9",
           types=(Adoption("A", share_treated=0.5), Adoption("B", share_treated=0.5, ratio=0.9, targeting=0.5))),
    Design("s14_1", "14 areas, 1 treated (7%), staggered, ratio 0.8",
           n_areas=14, types=(Adoption(n_treated=1),)),
    Design("m40_1", "40 areas, 1 treated (2.5%), staggered, ratio 0.8",
           n_areas=40, types=(Adoption(n_treated=1),)),
    Design("s14_2", "14 areas, 2 treated (14%), staggered, mild heterogeneity",
           n_areas=14, types=(Adoption(n_treated=2, **MILD),)),
    Design("s14_3", "14 areas, 3 treated (21%), staggered, mild heterogeneity",
           n_areas=14, types=(Adoption(n_treated=3, **MILD),)),
    Design("s14_5", "14 areas, 5 treated (36%), staggered, mild heterogeneity",
           n_areas=14, types=(Adoption(n_treated=5, **MILD),)),
    Design("s14_7", "14 areas, 7 treated (50%), staggered, mild heterogeneity",
           n_areas=14, types=(Adoption(n_treated=7, **MILD),)),
    Design("s20_10", "20 areas, 10 treated (50%), staggered, mild heterogeneity",
           n_areas=20, types=(Adoption(n_treated=10, **MILD),)),
    Design("l100_3", "100 areas, 3 treated (3%), staggered, ratio 0.8",
           n_areas=100, types=(Adoption(n_treated=3),)),
    Design("l300_9", "300 areas, 9 treated (3%), staggered, mild heterogeneity",
           n_areas=300, types=(Adoption(n_treated=9, **MILD),)),
    Design("l300_half", "300 areas, 150 treated (50%), staggered, mild heterogeneity, 40% end",
           n_areas=300, types=(Adoption(share_treated=0.5, share_ending=0.4, **MILD),)),
    Design("x60_serial", "60 areas, 30 treated, AR(1) area shocks (sd 0.25, ρ 0.7), ratio 0.8",
           serial_sd=0.25, serial_rho=0.7, types=(Adoption(share_treated=0.5),)),
    Design("x60_fractional", "60 areas, 15 treated, counts in steps of 0.35 (spread by shares), ratio 0.8",
           count_step=0.35, types=(Adoption(share_treated=0.25),)),
)}


@dataclass
class SimulatedPanel:
    """A generated panel in both shapes: the marts' long tables and the estimator arrays."""

    design: Design
    y: np.ndarray  # areas × weeks
    mu0: np.ndarray  # areas × weeks, the mean with no intervention
    ratio: np.ndarray  # areas × weeks × types, the planted ratio in each cell (1 when inactive)
    active: np.ndarray  # areas × weeks × types, bool
    first_start: np.ndarray  # areas × types, week index (-1 never)
    truth: dict[str, float]  # ATT ratio per type

    @property
    def area_ids(self) -> np.ndarray:
        return np.array([f"SIM{a:04d}" for a in range(self.y.shape[0])])

    def to_panel(self, outcome_group: str = "total") -> Panel:
        A, T = self.y.shape
        K = self.active.shape[2]
        weeks0 = int((_MONDAY0 - np.datetime64("1970-01-05", "D")).astype(int) // 7)
        return Panel(
            outcome_group=outcome_group,
            area_ids=self.area_ids,
            week_numbers=weeks0 + np.arange(T),
            area=np.repeat(np.arange(A), T),
            week=np.tile(np.arange(T), A),
            y=self.y.reshape(-1).astype(float),
            types=[t.name for t in self.design.types],
            D=self.active.reshape(A * T, K).astype(float),
            first_start=np.where(self.first_start >= 0, self.first_start + weeks0, -1),
        )

    def to_marts(self, outcome_group: str = "total") -> tuple[pd.DataFrame, pd.DataFrame]:
        """The two input marts (``area_week_outcomes``, ``area_week_interventions``)."""
        A, T = self.y.shape
        area_ids = self.area_ids
        weeks = pd.to_datetime(_MONDAY0 + 7 * np.arange(T))
        outcomes = pd.DataFrame({
            "area_id": np.repeat(area_ids, T),
            "week_start": np.tile(weeks, A),
            "outcome_group": outcome_group,
            "events": self.y.reshape(-1),
            "population": 2000,
        })
        rows = []
        for k, spec in enumerate(self.design.types):
            a_idx, w_idx = np.nonzero(self.active[:, :, k])
            rows.append(pd.DataFrame({
                "area_id": area_ids[a_idx],
                "week_start": weeks[w_idx],
                "intervention_id": [f"{spec.name}-{area_ids[a]}" for a in a_idx],
                "intervention_type": spec.name,
                "intensity": 2,
                "responsible_partners": "municipality",
            }))
        return outcomes, pd.concat(rows, ignore_index=True)


def simulate(design: Design, seed: int | np.random.Generator) -> SimulatedPanel:
    rng = np.random.default_rng(seed)
    A, T = design.n_areas, design.n_weeks
    z = rng.normal(0.0, 1.0, A)
    alpha = np.log(design.base_rate) + design.area_sd * z
    t = np.arange(T)
    delta = 0.15 * np.sin(2 * np.pi * t / 52) + 0.05 * np.cos(4 * np.pi * t / 52) + 0.001 * t
    delta = delta + rng.normal(0.0, 0.05, T)
    mu0 = np.exp(alpha[:, None] + delta[None, :])
    if design.serial_sd > 0:
        rho, sd = design.serial_rho, design.serial_sd
        u = np.zeros((A, T))
        u[:, 0] = rng.normal(0.0, sd, A)
        for w in range(1, T):
            u[:, w] = rho * u[:, w - 1] + np.sqrt(1 - rho**2) * rng.normal(0.0, sd, A)
        mu0 = mu0 * np.exp(u - sd**2 / 2)
    K = len(design.types)
    active = np.zeros((A, T, K), dtype=bool)
    ratio = np.ones((A, T, K))
    first_start = np.full((A, K), -1)
    for k, spec in enumerate(design.types):
        n_treat = spec.treated_count(A)
        # Worse areas are more likely to get the intervention (targeting).
        pri = spec.targeting * z + rng.gumbel(size=A)
        treated = np.sort(np.argsort(-pri)[:n_treat])
        lo = int(spec.start_window[0] * T)
        hi = max(int(spec.start_window[1] * T), lo + 1)
        starts = np.full(n_treat, lo) if spec.common_start else rng.integers(lo, hi, size=n_treat)
        for a, s in zip(treated, starts):
            end = T
            if rng.random() < spec.share_ending:
                end = min(T, s + int(rng.integers(*spec.duration_weeks)))
            active[a, s:end, k] = True
            first_start[a, k] = s
            if spec.early_ratio is None or hi - 1 <= lo:
                full = spec.ratio
            else:
                q = (s - lo) / (hi - 1 - lo)  # 0 = earliest possible start, 1 = latest
                full = float(np.exp((1 - q) * np.log(spec.early_ratio) + q * np.log(spec.ratio)))
            since = np.arange(end - s)
            share = np.minimum(1.0, (since + 1) / spec.phase_in_weeks) if spec.phase_in_weeks > 0 else 1.0
            ratio[a, s:end, k] = np.exp(share * np.log(full))
    mu = mu0 * np.prod(np.where(active, ratio, 1.0), axis=2)
    phi = design.overdispersion
    frailty = rng.gamma(1.0 / phi, phi, size=(A, T)) if phi > 0 else 1.0
    step = design.count_step
    y = rng.poisson(mu * frailty / step) * step
    truth = {}
    for k, spec in enumerate(design.types):
        cells = active[:, :, k]
        truth[spec.name] = float(mu[cells].sum() / (mu[cells] / ratio[:, :, k][cells]).sum())
    return SimulatedPanel(design, y.astype(float), mu0, ratio, active, first_start, truth)


# --- the study ------------------------------------------------------------------------------------

ESTIMATORS = ("poisson_twfe", "robust_imputation", "headline")


def run_replication(design: Design, seed: int, n_draws: int = 399) -> list[dict]:
    """The pipeline's per-panel estimation on one generated panel; one row per type × estimator.

    Runs :func:`~est_pipeline.estimation.pipeline.estimate_panel` (what the mart is built
    from, pre-trend test included), so the headline rule and the inference ladder are the
    mart's own. Interval bounds are on the log scale; ``informative`` is False where the
    mart says the data cannot tell.
    """
    from est_pipeline.estimation.pipeline import estimate_panel

    sim = simulate(design, seed)
    panel = sim.to_panel()
    res = estimate_panel(panel, n_draws=n_draws, seed=seed, event_study=True, lags=False)
    pre = {r["intervention_type"]: r["pretrend_p_value"] for r in res.rows}
    rows = []
    for twfe, robust, headline in res.estimates:
        for name, e in (("poisson_twfe", twfe), ("robust_imputation", robust), ("headline", headline)):
            if e is None:
                continue
            p = pre.get(e.intervention_type)
            rows.append({
                "design": design.name, "seed": seed, "type": e.intervention_type, "estimator": name,
                "chosen": e.estimator, "inference": e.inference, "truth": sim.truth[e.intervention_type],
                "log_irr": e.log_irr, "lo": e.ci_low, "hi": e.ci_high, "p_null": e.p_value,
                "informative": e.informative, "n_treated": e.n_treated_areas,
                "pretrend_p": np.nan if p is None else p,
            })
    return rows


def _mc(p: float, n: int) -> float:
    return float(100 * np.sqrt(max(p * (1 - p), 1e-12) / max(n, 1)))


def summarise(results: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Per design × type × estimator: bias, coverage ± Monte Carlo SE, size or power, width.

    * relative bias of the ratio: ``mean(irr − truth) / mean(truth)`` (truth = the
      replication's ATT ratio), over all replications;
    * coverage: share of informative intervals containing the truth, ± its Monte Carlo SE;
      ``cannot_tell_pct`` is the share where the mart says the data cannot tell (those
      show no interval, so they neither cover nor miss);
    * ``reject_pct``: share rejecting ratio 1 at 5% (size in placebo designs, power
      otherwise); "cannot tell" counts as not rejecting;
    * ``width``: mean width of the informative 95% intervals on the log scale (0.2 ≈ a
      ratio interval of ±10%);
    * ``pretrend_reject_pct``: the pre-trend test's rejections (no design has a pre-trend,
      so this is its size).
    """
    out = []
    for (design, itype, est), g in results.groupby(["design", "type", "estimator"], sort=False):
        truth = g["truth"].to_numpy()
        irr = np.exp(g["log_irr"].to_numpy())
        inf = g["informative"].to_numpy(dtype=bool)
        lt = np.log(truth)
        cov = (g["lo"].to_numpy() <= lt) & (lt <= g["hi"].to_numpy())
        n_inf = int(inf.sum())
        c = float(cov[inf].mean()) if n_inf else np.nan
        rej = np.where(inf, g["p_null"].to_numpy(dtype=float) <= alpha, False)
        pre = g["pretrend_p"].to_numpy(dtype=float)
        pre_ok = np.isfinite(pre)
        out.append({
            "design": design, "type": itype, "estimator": est, "reps": len(g),
            "true_irr": float(truth.mean()),
            "rel_bias_pct": float(100 * (irr - truth).mean() / truth.mean()),
            "bias_mc_se": float(100 * (irr - truth).std(ddof=1) / truth.mean() / np.sqrt(len(g))),
            "coverage_pct": 100 * c if n_inf else np.nan,
            "coverage_mc_se": _mc(c, n_inf) if n_inf else np.nan,
            "cannot_tell_pct": float(100 * (1 - inf.mean())),
            "reject_pct": float(100 * rej.mean()),
            "reject_mc_se": _mc(float(rej.mean()), len(g)),
            "width": float(np.mean(g["hi"].to_numpy()[inf] - g["lo"].to_numpy()[inf])) if n_inf else np.nan,
            "pretrend_reject_pct": float(100 * (pre[pre_ok] <= alpha).mean()) if pre_ok.any() else np.nan,
            "inference": g["inference"].mode().iloc[0],
        })
    return pd.DataFrame(out)


def design_table(names: list[str]) -> pd.DataFrame:
    """The scenario parameters, one row per design (for the docs)."""
    rows = []
    for name in names:
        d = DESIGNS[name]
        for t in d.types:
            n1 = t.treated_count(d.n_areas)
            rows.append({
                "design": d.name, "areas": d.n_areas, "weeks": d.n_weeks, "type": t.name, "treated": n1,
                "treated_pct": round(100 * n1 / d.n_areas),
                "adoption": "common" if t.common_start else "staggered",
                "ending_pct": round(100 * t.share_ending),
                "ratio": t.ratio if t.early_ratio is None else f"{t.early_ratio}→{t.ratio}",
                "phase_in_weeks": t.phase_in_weeks, "overdispersion": d.overdispersion,
                "extra": ("AR(1) shocks" if d.serial_sd else "") + (f"counts in steps of {d.count_step}"
                                                                     if d.count_step != 1 else ""),
            })
    return pd.DataFrame(rows)


def run_study(designs: list[str], reps: int, workers: int = 2, n_draws: int = 399, seed0: int = 20240101,
              placebo: bool = True, progress: bool = True) -> pd.DataFrame:
    """Every design (and its placebo twin) ``reps`` times, spread over ``workers`` processes."""
    import time

    runs = []
    for name in designs:
        runs.append(DESIGNS[name])
        if placebo:
            runs.append(DESIGNS[name].placebo())
    tasks = [(d, seed0 + 100_000 * i + r, n_draws) for i, d in enumerate(runs) for r in range(reps)]
    t0 = time.time()
    rows: list[dict] = []
    # The same worker processes as the pipeline's per-municipality work (one BLAS thread
    # each, results in order, a dead worker fails the study instead of hanging it).
    with Workers(len(tasks), workers) as pool:
        for n, part in enumerate(pool.imap(_task, tasks)):
            rows.extend(part)
            if progress and (n + 1) % 400 == 0:
                print(f"  {n + 1}/{len(tasks)} replications, {time.time() - t0:.0f} s", flush=True)
    return pd.DataFrame(rows)


def _task(task) -> list[dict]:
    design, seed, n_draws = task
    return run_replication(design, seed, n_draws=n_draws)
