"""Generated area × week count panels with planted intervention ratios, and the study.

The model (the demo generator's, DESIGN §8): weekly counts are negative binomial
(gamma–Poisson) with mean ``exp(alpha_area + delta_week + season) * prod_k ratio_k^D``.
Interventions go to the worse areas (higher alpha), start at staggered weeks and some
end. Scenario 3 makes the ratio differ by start cohort and phase in over the weeks
after the start, the case where naive two-way fixed effects goes wrong.

The estimand of every scenario is the ATT ratio over a type's treated area-weeks:
``sum(E[y | treated]) / sum(E[y | same cell without that type])``, computed from the
planted means (not the noisy counts). With a constant ratio it equals the ratio.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from est_pipeline.estimation.imputation import estimate_targets, fit_untreated, imputable
from est_pipeline.estimation.bootstrap import ScoreTest, webb_weights
from est_pipeline.estimation.panel import Panel
from est_pipeline.estimation.twfe import estimate_twfe

_MONDAY0 = np.datetime64("2020-01-06", "D")


@dataclass(frozen=True)
class TypeSpec:
    name: str
    ratio: float  # planted ratio while active (the late cohorts' ratio in phased scenarios)
    share_treated: float = 0.5
    start_window: tuple[float, float] = (0.15, 0.8)  # as shares of the panel length
    share_ending: float = 0.4
    duration_weeks: tuple[int, int] = (26, 78)
    early_ratio: float | None = None  # if set: cohort ratio runs from early_ratio to ratio
    phase_in_weeks: int = 0  # if > 0: the ratio grows linearly to full over these weeks
    targeting: float = 1.0  # how strongly worse areas are chosen (0 = at random)


@dataclass(frozen=True)
class Scenario:
    name: str
    n_areas: int = 60
    n_weeks: int = 156
    base_rate: float = 4.0  # mean weekly events of a typical area
    area_sd: float = 0.6
    overdispersion: float = 0.25  # variance = mu + overdispersion * mu^2
    types: tuple[TypeSpec, ...] = field(default_factory=tuple)
    description: str = ""


SCENARIOS: dict[str, Scenario] = {
    "s1_baseline": Scenario(
        "s1_baseline", types=(TypeSpec("A", 0.8),),
        description="60 areas × 156 weeks, one type, ratio 0.8, overdispersed counts",
    ),
    "s2_few_areas": Scenario(
        "s2_few_areas", n_areas=20, types=(TypeSpec("A", 0.8),),
        description="20 areas (few clusters), ratio 0.8",
    ),
    "s3_staggered_heterogeneous": Scenario(
        "s3_staggered_heterogeneous",
        types=(TypeSpec("A", 0.9, share_treated=0.85, start_window=(0.1, 0.85), share_ending=0.0,
                        early_ratio=0.55, phase_in_weeks=52),),
        description="staggered adoption; cohort ratios 0.55 (earliest) to 0.9 (latest), phased in over 52 weeks",
    ),
    "s4_two_types": Scenario(
        "s4_two_types",
        types=(TypeSpec("A", 0.8, share_treated=0.5), TypeSpec("B", 0.9, share_treated=0.5, targeting=0.5)),
        description="two overlapping types, ratios 0.8 and 0.9",
    ),
    "s5_placebo": Scenario(
        "s5_placebo", types=(TypeSpec("A", 1.0),),
        description="placebo: true ratio 1.0",
    ),
}


@dataclass
class SimulatedPanel:
    """A generated panel in both shapes: the marts' long tables and the estimator arrays."""

    scenario: Scenario
    y: np.ndarray  # areas × weeks
    mu0: np.ndarray  # areas × weeks, the mean with no intervention
    ratio: np.ndarray  # areas × weeks × types, the planted ratio in each cell (1 when inactive)
    active: np.ndarray  # areas × weeks × types, bool
    first_start: np.ndarray  # areas × types, week index (-1 never)
    truth: dict[str, float]  # ATT ratio per type

    def to_panel(self, outcome_group: str = "total") -> Panel:
        A, T = self.y.shape
        K = self.active.shape[2]
        weeks0 = int((_MONDAY0 - np.datetime64("1970-01-05", "D")).astype(int) // 7)
        return Panel(
            outcome_group=outcome_group,
            area_ids=np.array([f"SIM{a:04d}" for a in range(A)]),
            week_numbers=weeks0 + np.arange(T),
            area=np.repeat(np.arange(A), T),
            week=np.tile(np.arange(T), A),
            y=self.y.reshape(-1).astype(float),
            types=[t.name for t in self.scenario.types],
            D=self.active.reshape(A * T, K).astype(float),
            first_start=np.where(self.first_start >= 0, self.first_start + weeks0, -1),
        )

    def to_marts(self, outcome_group: str = "total") -> tuple[pd.DataFrame, pd.DataFrame]:
        """The two input marts (``area_week_outcomes``, ``area_week_interventions``)."""
        A, T = self.y.shape
        area_ids = np.array([f"SIM{a:04d}" for a in range(A)])
        weeks = pd.to_datetime(_MONDAY0 + 7 * np.arange(T))
        outcomes = pd.DataFrame({
            "area_id": np.repeat(area_ids, T),
            "week_start": np.tile(weeks, A),
            "outcome_group": outcome_group,
            "events": self.y.reshape(-1).astype(int),
            "population": 2000,
        })
        rows = []
        for k, spec in enumerate(self.scenario.types):
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


def simulate(scenario: Scenario, seed: int | np.random.Generator) -> SimulatedPanel:
    rng = np.random.default_rng(seed)
    A, T = scenario.n_areas, scenario.n_weeks
    z = rng.normal(0.0, 1.0, A)
    alpha = np.log(scenario.base_rate) + scenario.area_sd * z
    t = np.arange(T)
    delta = 0.15 * np.sin(2 * np.pi * t / 52) + 0.05 * np.cos(4 * np.pi * t / 52) + 0.001 * t
    delta = delta + rng.normal(0.0, 0.05, T)
    mu0 = np.exp(alpha[:, None] + delta[None, :])
    K = len(scenario.types)
    active = np.zeros((A, T, K), dtype=bool)
    ratio = np.ones((A, T, K))
    first_start = np.full((A, K), -1)
    for k, spec in enumerate(scenario.types):
        n_treat = max(2, int(round(spec.share_treated * A)))
        n_treat = min(n_treat, A - 2)
        # Worse areas are more likely to get the intervention (targeting).
        pri = spec.targeting * z + rng.gumbel(size=A)
        treated = np.argsort(-pri)[:n_treat]
        lo, hi = int(spec.start_window[0] * T), int(spec.start_window[1] * T)
        starts = rng.integers(lo, hi, size=n_treat)
        for a, s in zip(treated, starts):
            end = T
            if rng.random() < spec.share_ending:
                end = min(T, s + int(rng.integers(*spec.duration_weeks)))
            active[a, s:end, k] = True
            first_start[a, k] = s
            if spec.early_ratio is None:
                full = spec.ratio
            else:
                # Cohorts by start quarter: the earliest cohort gets early_ratio, the
                # latest the type's ratio, linear in between on the log scale.
                q = (s // 13 - lo // 13) / max(1, (hi - 1) // 13 - lo // 13)
                full = np.exp((1 - q) * np.log(spec.early_ratio) + q * np.log(spec.ratio))
            since = np.arange(end - s)
            if spec.phase_in_weeks > 0:
                share = np.minimum(1.0, (since + 1) / spec.phase_in_weeks)
            else:
                share = np.ones(end - s)
            ratio[a, s:end, k] = np.exp(share * np.log(full))
    mu = mu0 * np.prod(np.where(active, ratio, 1.0), axis=2)
    phi = scenario.overdispersion
    frailty = rng.gamma(1.0 / phi, phi, size=(A, T)) if phi > 0 else 1.0
    y = rng.poisson(mu * frailty)
    truth = {}
    for k, spec in enumerate(scenario.types):
        cells = active[:, :, k]
        truth[spec.name] = float(mu[cells].sum() / (mu[cells] / ratio[:, :, k][cells]).sum())
    return SimulatedPanel(scenario, y, mu0, ratio, active, first_start, truth)


def run_replication(scenario: Scenario, seed: int, n_draws: int = 399, method: str = "absorbed") -> list[dict]:
    """Both estimators on one generated panel; one row per type × estimator.

    Coverage is checked by the test at the truth (does the bootstrap test at the true
    ratio reject?), which is exactly what "the inverted interval contains the truth"
    means and needs no interval search; size/power by the test at ratio 1.
    """
    sim = simulate(scenario, seed)
    panel = sim.to_panel()
    idx = list(range(len(panel.types)))
    rows = []
    fit, twfe = estimate_twfe(panel, idx, method=method, n_draws=n_draws, seed=seed)
    W = webb_weights(n_draws, panel.n_areas, seed + 1)
    from est_pipeline.estimation.twfe import restricted_scores

    for j, est in enumerate(twfe):
        truth = sim.truth[est.intervention_type]
        test = ScoreTest(restricted_scores(fit, j), W)
        rows.append(_row(scenario, seed, est.intervention_type, "poisson_twfe", est.log_irr, est.se, truth,
                         test.p_value(np.log(truth)), test.p_value(0.0)))
    for k in idx:
        model = fit_untreated(panel, k, method=method)
        res = estimate_targets(panel, model, [imputable(panel, model)])
        test = ScoreTest(res.score_fns[0], W)
        truth = sim.truth[panel.types[k]]
        rows.append(_row(scenario, seed, panel.types[k], "robust_imputation", float(res.log_irr[0]),
                         float(res.se[0]), truth, test.p_value(np.log(truth)), test.p_value(0.0)))
    return rows


def _row(scenario, seed, itype, estimator, log_irr, se, truth, p_truth, p_null) -> dict:
    return {
        "scenario": scenario.name, "seed": seed, "type": itype, "estimator": estimator,
        "irr": float(np.exp(log_irr)), "log_irr": log_irr, "se": se, "truth": truth,
        "p_at_truth": p_truth, "p_null": p_null,
    }


def summarise(results: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Bias, empirical vs estimated SE, coverage, rejection rate of ratio 1 per cell of the table.

    Relative bias is of the IRR: ``mean(irr_hat - truth) / mean(truth)``. Rejection of
    ratio 1 is *size* when the truth is 1 and *power* otherwise.
    """
    out = []
    for (sc, itype, est), g in results.groupby(["scenario", "type", "estimator"], sort=False):
        truth = g["truth"].mean()
        out.append({
            "scenario": sc, "type": itype, "estimator": est, "reps": len(g),
            "true_irr": truth,
            "mean_irr": g["irr"].mean(),
            "rel_bias_pct": 100 * (g["irr"] - g["truth"]).mean() / truth,
            "emp_se_log": g["log_irr"].std(ddof=1),
            "mean_est_se_log": g["se"].mean(),
            "coverage_pct": 100 * (g["p_at_truth"] > alpha).mean(),
            "reject_ratio1_pct": 100 * (g["p_null"] <= alpha).mean(),
        })
    return pd.DataFrame(out)


def run_study(scenarios: list[str], reps: int, workers: int = 2, n_draws: int = 399, seed0: int = 20240101,
              progress: bool = True) -> pd.DataFrame:
    """Every scenario ``reps`` times, spread over ``workers`` processes."""
    tasks = [(SCENARIOS[name], seed0 + 100_000 * i + r, n_draws) for i, name in enumerate(scenarios) for r in range(reps)]
    t0 = time.time()
    rows: list[dict] = []
    if workers <= 1:
        for n, task in enumerate(tasks):
            rows.extend(_task(task))
    else:
        import multiprocessing as mp
        import os

        # One BLAS thread per worker: the workers are the parallelism.
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, "1")
        with mp.get_context("spawn").Pool(workers) as pool:
            for n, part in enumerate(pool.imap_unordered(_task, tasks, chunksize=4)):
                rows.extend(part)
                if progress and (n + 1) % 200 == 0:
                    print(f"  {n + 1}/{len(tasks)} replications, {time.time() - t0:.0f} s", flush=True)
    return pd.DataFrame(rows)


def _task(task) -> list[dict]:
    scenario, seed, n_draws = task
    return run_replication(scenario, seed, n_draws=n_draws)
