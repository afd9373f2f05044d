"""The estimator recovers the planted ratios of the demo data; the placebo type is not significant.

The real chain, in-process: demo generator (default config, the one ``make demo`` uses:
seed 42, 14 areas × 157 weeks, 2020-W01..2022-W52) → ingest assets → the unpartitioned
dbt assets, then the per-week grids and ``area_week_outcomes`` for every week as one
run of the weekly job → ``marts/intervention_effects`` over the whole range (run config
``start_year``/``end_year``) → assertions against ``ground_truth/truth.json``.

Why the criterion is not "every interval contains its planted ratio". With 14 areas and
only 2–10 treated areas per type, seven 95% intervals do not all cover even when the
estimator is right. Coverage study (generator ground truth of seeds 1–40 and 42–82, 81
seeds, default config; panels from ``expected_weekly_outcomes.parquet`` +
``treatment_schedule.csv``, which equal the marts; ``estimate_effects`` exactly as the
asset calls it, 399 bootstrap draws):

* no bias: mean log(IRR / planted) per type −0.014..+0.015 for TWFE and −0.044..+0.014 for
  the robust estimator (per-type SD 0.06–0.15);
* coverage of the 7 non-unit planted ratios (567 intervals each): headline 91.2% (TWFE is
  the headline in 97%), TWFE 90.8%, robust imputation 98.4%. The TWFE interval is somewhat
  too narrow with so few, unequal clusters: (β̂ − truth)/SE_CR1 has SD 1.48, CR1 with
  t(13) would cover 87.1%, the wild bootstrap widens it to ~91% but not to 95%. Its misses
  fall just outside: median 0.20, max 1.09 half-widths beyond the bound;
* headline misses per seed out of 7: 0 in 40 seeds, 1 in 32, 2 in 9, never more; robust
  misses per seed: 0 in 72, 1 in 9;
* placebo (safety_walk, ratio 1.0, outcome total): headline p < 0.05 in 7.4% of seeds,
  BH q < 0.05 in none.

Hence the criterion: at most 2 of the 7 headline intervals miss, each by at most 1.5 of
its own half-widths (log scale), and at most 1 of the 7 robust intervals misses. It held in
81 of 81 seeds. It still catches a systematic error: with estimates biased by 10% (truth
shifted by a factor 1.105 or 0.905) it fails in 35–40% of seeds, at 16% in 72%. Seed 42 is
used because it is the demo's default (``make demo``), not because it passes; through the
real chain with 999 draws it has two headline misses (graffiti_removal 0.685 [0.635,
0.716], 0.77 half-widths out; camera_surveillance 0.756 [0.665, 0.891], 0.07 out) and one
robust miss (graffiti_removal 0.666 [0.605, 0.725], 0.38 out): chance, as the study shows.
"""

from __future__ import annotations

import json
import math
from datetime import timedelta

import dagster as dg
import pandas as pd
import pytest

from est_pipeline.defs.dbt.runs import materialize_weeks
from est_pipeline.defs.partitions import weekly_partitions
from est_pipeline.demo import DemoConfig, generate
from est_pipeline.lib.warehouse import connect

from test_dbt_support import data_env, dbt_manifest  # noqa: F401 (dbt_manifest: session fixture)

pytestmark = pytest.mark.usefixtures("dbt_manifest")

CONFIG = DemoConfig()  # seed 42, 14 areas, 2020-W01 + 157 weeks: what ``make demo`` generates
FIRST_YEAR, LAST_YEAR = 2020, 2022
MAX_HEADLINE_MISSES = 2
MAX_MISS_HALF_WIDTHS = 1.5
MAX_ROBUST_MISSES = 1
PANEL_MARTS = ("area_week_outcomes", "area_week_interventions")


def _materialise(defs: dg.Definitions, instance: dg.DagsterInstance, keys, run_config=None,
                 partition_key: str | None = None) -> None:
    result = dg.materialize(
        list(defs.assets or []), resources=defs.resources, instance=instance,
        selection=list(keys), run_config=run_config, partition_key=partition_key,
        raise_on_error=False,
    )
    failures = [
        f"{e.step_key}: {e.event_specific_data.error.message.strip()[:1500]}"
        for e in result.all_events if e.event_type_value == "STEP_FAILURE"
    ]
    assert result.success, "\n".join(failures)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    with data_env(tmp_path_factory.mktemp("estimation_demo") / "data") as data_dir:
        generate(data_dir, CONFIG)
        from est_pipeline.defs import load_all_defs

        defs = load_all_defs()
        graph = defs.resolve_asset_graph()
        # The panel marts and everything upstream of them (ingest, seeds, staging, ...):
        # all unpartitioned, so one run builds them for the whole data period.
        upstream = dg.AssetSelection.assets(*PANEL_MARTS).upstream().resolve(graph)
        # Multi-assets (one ingest asset writes several raw tables) run whole.
        keys = {k for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition) and set(a.keys) & upstream
                for k in a.keys if graph.get(k).is_materializable}
        # The feeds, seeds, staging and the unpartitioned models first; then the per-week
        # grids and the panel for every week of the data, as one run of the weekly job.
        weekly = {k for k in keys if graph.get(k).partitions_def is not None}
        assert weekly and all(graph.get(k).partitions_def == weekly_partitions for k in weekly)
        instance = dg.DagsterInstance.ephemeral()
        _materialise(defs, instance, keys - weekly)
        last_week = CONFIG.first_monday + timedelta(weeks=CONFIG.weeks - 1)
        result = materialize_weeks(CONFIG.first_monday, last_week, defs=defs, instance=instance,
                                   asset_selection=sorted(weekly))
        assert result.success
        _materialise(
            defs, instance, [dg.AssetKey(["marts", "intervention_effects"])],
            {"ops": {"marts__intervention_effects": {"config": {
                "start_year": FIRST_YEAR, "end_year": LAST_YEAR}}}},
            partition_key=f"{LAST_YEAR}-01-01",  # the config's years replace the partition's
        )
        with connect(read_only=True) as con:
            effects = con.execute(
                "select * from marts.intervention_effects where estimate_scale = 'incidence_rate_ratio'"
            ).df()
        truth = json.loads((data_dir / "ground_truth" / "truth.json").read_text(encoding="utf-8"))
        yield effects, truth["planted_effects"]


def _misses(rows: pd.DataFrame, planted: dict) -> list[tuple[str, float, float, float, float, float]]:
    """(type, planted ratio, irr, ci_low, ci_high, half-widths beyond the bound) of each miss."""
    out = []
    for r in rows.itertuples():
        ratio = planted[r.intervention_type]["irr"]
        lo, hi, t = math.log(r.ci_low), math.log(r.ci_high), math.log(ratio)
        if lo <= t <= hi:
            continue
        half = (hi - lo) / 2
        out.append((r.intervention_type, ratio, r.irr, r.ci_low, r.ci_high, (lo - t if t < lo else t - hi) / half))
    return out


def _target_rows(effects: pd.DataFrame, planted: dict, estimator: str | None) -> pd.DataFrame:
    """One row per planted type with a non-unit ratio, on its target outcome group."""
    non_unit = {t: p["outcome_group"] for t, p in planted.items() if p["irr"] != 1.0}
    rows = effects[effects.intervention_type.map(non_unit) == effects.outcome_group]
    rows = rows[rows.is_headline] if estimator is None else rows[rows.estimator == estimator]
    assert sorted(rows.intervention_type) == sorted(non_unit), rows
    return rows


def test_planted_ratios_lie_inside_the_intervals(demo) -> None:
    effects, planted = demo
    assert (effects.period_start.astype(str) == f"{FIRST_YEAR}-01-01").all()
    assert (effects.period_end.astype(str) == f"{LAST_YEAR + 1}-01-01").all()

    headline = _target_rows(effects, planted, None)
    misses = _misses(headline, planted)
    assert len(misses) <= MAX_HEADLINE_MISSES, f"headline intervals missing the planted ratio: {misses}"
    assert all(m[-1] <= MAX_MISS_HALF_WIDTHS for m in misses), f"misses too far out: {misses}"

    robust = _target_rows(effects, planted, "robust_imputation")
    robust_misses = _misses(robust, planted)
    assert len(robust_misses) <= MAX_ROBUST_MISSES, f"robust intervals missing: {robust_misses}"


def test_placebo_type_is_not_significant(demo) -> None:
    effects, planted = demo
    placebo = [t for t, p in planted.items() if p["irr"] == 1.0]
    assert placebo == ["safety_walk"]
    row = effects[(effects.intervention_type == "safety_walk") & (effects.outcome_group == "total")
                  & effects.is_headline]
    assert len(row) == 1
    r = row.iloc[0]
    assert r.q_value >= 0.05, r
