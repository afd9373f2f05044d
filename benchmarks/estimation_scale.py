"""How long and how much memory the estimation takes, municipality to national size.

    .venv/bin/python benchmarks/estimation_scale.py            # both sizes
    .venv/bin/python benchmarks/estimation_scale.py --case national

Each case runs in its own process so that peak memory (``ru_maxrss``) is the case's own.
Cases (3 intervention types, 260 weeks, one outcome group; the asset runs every group):
- ``municipality``: 60 areas, the whole per-outcome estimation (``estimate_effects``:
  TWFE, robust imputation, intervals, pre-trend test, event study) on the default path;
- ``municipality_statsmodels``: the same with every fit through statsmodels dummies (the
  reference implementation);
- ``region``: 800 areas (about 40 municipalities), the whole estimation;
- ``national``: 6,000 areas (1.56 M cells): TWFE + intervals + robust estimator (event
  study off);
- ``national_fit_only``: only the pooled Poisson fit.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CASES = ("municipality", "municipality_statsmodels", "region", "national_fit_only", "national")
AREAS = {"municipality": 60, "municipality_statsmodels": 60, "region": 800, "national_fit_only": 6000,
         "national": 6000}


def _scenario(n_areas: int):
    from est_pipeline.estimation.simulation import Adoption, Design

    return Design(
        "scale", "", n_areas=n_areas, n_weeks=260,
        types=(Adoption("lighting_improvement", ratio=0.8, share_ending=0.4),
               Adoption("police_patrol", ratio=0.9, targeting=0.5, share_ending=0.4),
               Adoption("safety_walk", ratio=1.0, targeting=0.0, share_ending=0.4)),
    )


def run_case(case: str) -> dict:
    from est_pipeline.estimation.pipeline import estimate_effects
    from est_pipeline.estimation.poisson_fe import fit_poisson_fe
    from est_pipeline.estimation.simulation import simulate

    n_areas = AREAS[case]
    sim = simulate(_scenario(n_areas), seed=1)
    t0 = time.perf_counter()
    if case == "national_fit_only":
        p = sim.to_panel()
        fit = fit_poisson_fe(p.y, p.D, p.area, p.week, p.types, method="absorbed")
        out = {"irr": [round(float(x), 4) for x in __import__("numpy").exp(fit.beta)]}
    else:
        outcomes, interventions = sim.to_marts()
        t0 = time.perf_counter()  # the estimation only, not building the input frames
        method = "statsmodels" if case == "municipality_statsmodels" else "auto"
        res = estimate_effects(outcomes, interventions, outcome_groups=("total",), method=method,
                               event_study=not case.startswith("national"))
        out = {"rows": len(res.effects), "irr_headline": res.effects[res.effects.is_headline].irr.round(4).tolist()}
    seconds = time.perf_counter() - t0
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB on Linux
    return {"case": case, "areas": n_areas, "weeks": 260, "cells": n_areas * 260, "seconds": round(seconds, 2),
            "peak_rss_gb": round(rss_gb, 2), "truth": {k: round(v, 4) for k, v in sim.truth.items()}, **out}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", choices=CASES)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_case(args.case)))
        return
    cases = [args.case] if args.case else list(CASES)
    print(f"{'case':24} {'cells':>10} {'seconds':>8} {'peak RSS GB':>12}  result")
    for case in cases:
        proc = subprocess.run([sys.executable, __file__, "--case", case, "--child"], capture_output=True, text=True,
                              env={**os.environ})
        if proc.returncode != 0:
            print(f"{case:24} failed:\n{proc.stderr[-2000:]}")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        extra = {k: v for k, v in r.items() if k not in ("case", "areas", "weeks", "cells", "seconds", "peak_rss_gb")}
        print(f"{case:24} {r['cells']:>10,} {r['seconds']:>8.2f} {r['peak_rss_gb']:>12.2f}  {extra}", flush=True)


if __name__ == "__main__":
    main()
