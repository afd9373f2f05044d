"""The Dagster asset, materialised in-process on a real DuckDB file.

The test writes ``marts.area_week_outcomes`` and ``marts.area_week_interventions`` from a
generated panel (that is the asset's input contract; the end-to-end run through dbt is the
lead's test) and checks what lands in ``marts.intervention_effects``.
"""

from __future__ import annotations

from dataclasses import replace

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from est_pipeline.defs.estimation.assets import intervention_effects
from est_pipeline.defs.estimation.definitions import build_defs
from est_pipeline.estimation.simulation import DESIGNS, Adoption, simulate
from est_pipeline.lib.warehouse import connect

SCENARIO = replace(DESIGNS["m60_half_onoff"], n_areas=30, types=(Adoption("evening_outreach", ratio=0.75, share_ending=0.4),))


def _write_marts(seed: int = 11, survey: bool = True) -> float:
    sim = simulate(SCENARIO, seed)
    outcomes, interventions = sim.to_marts("total")
    rng = np.random.default_rng(seed)
    # Split the total into the three groups so that they add up, as in the real mart.
    y = outcomes["events"].to_numpy().astype(int)
    prop = rng.binomial(y, 0.45)
    dis = rng.binomial(y - prop, 0.6)
    groups = [outcomes]
    for name, part in (("property", prop), ("disorder", dis), ("violence", y - prop - dis)):
        groups.append(outcomes.assign(outcome_group=name, events=part))
    outcomes = pd.concat(groups, ignore_index=True)
    outcomes["week_start"] = pd.to_datetime(outcomes["week_start"]).dt.date
    interventions["week_start"] = pd.to_datetime(interventions["week_start"]).dt.date
    with connect() as con:
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists raw")
        con.register("o", outcomes)
        con.register("i", interventions)
        con.execute("create or replace table marts.area_week_outcomes as select * from o")
        con.execute("create or replace table marts.area_week_interventions as select * from i")
        if survey:
            areas = sorted(outcomes["area_id"].unique())
            rows = [
                {"svars_id": f"{a}-{yr}-{n}", "ar": yr, "omrades_id": a, "trygg_kvall": int(rng.integers(1, 5))}
                for a in areas for yr in (2020, 2021, 2022) for n in range(25)
            ]
            con.register("s", pd.DataFrame(rows))
            con.execute("create or replace table raw.safety_survey as select * from s")
    return sim.truth["evening_outreach"]


def _effects() -> pd.DataFrame:
    with connect(read_only=True) as con:
        return con.execute("select * from marts.intervention_effects order by all").df()


def _run(partition_key: str | None = None, config: dict | None = None):
    run_config = {"ops": {"marts__intervention_effects": {"config": {"n_draws": 199, **(config or {})}}}}
    return dg.materialize([intervention_effects], partition_key=partition_key, run_config=run_config,
                          instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)


def test_asset_writes_the_effects_mart_and_is_idempotent(est_env):
    truth = _write_marts()
    result = _run("2022-01-01")
    assert result.success, result.all_events
    eff = _effects()
    count = eff[eff.estimate_scale == "incidence_rate_ratio"]
    # 4 outcome groups × (TWFE + robust), plus the survey row
    assert len(count) == 8
    assert set(count.outcome_group) == {"property", "disorder", "violence", "total"}
    assert count.groupby("outcome_group").is_headline.sum().eq(1).all()
    assert (eff.interpretation == "association").all()
    assert (pd.to_datetime(eff.period_end) == pd.Timestamp("2023-01-01")).all()
    assert (pd.to_datetime(eff.period_start) == pd.Timestamp("2020-01-06")).all()
    twfe = count[count.estimator == "poisson_twfe"]
    assert twfe.inference.eq("wild_cluster_score_bootstrap_webb_199").all() and not twfe.is_headline.any()
    robust = count[count.estimator == "robust_imputation"]
    assert robust.inference.eq("placebo_calibrated_t").all() and robust.is_headline.all()
    assert (robust.n_control_areas == 15).all()
    total = count[(count.outcome_group == "total") & count.is_headline].iloc[0]
    assert total.ci_low < truth < total.ci_high
    assert total.n_clusters == 30 and total.n_treated_areas == 15
    assert count.q_value.notna().all() and count.pretrend_p_value.between(0, 1).all()
    survey = eff[eff.estimator == "survey_fe_linear"]
    assert len(survey) == 1 and survey.irr.isna().all() and survey.share_difference.notna().all()

    with connect(read_only=True) as con:
        n_events, n_inference = con.execute(
            "select count(*), count(inference) from marts.intervention_event_study").fetchone()
    assert n_events > 0 and n_inference == n_events

    assert _run("2022-01-01").success
    again = _effects()
    assert len(again) == len(eff)
    pd.testing.assert_frame_equal(again, eff)


def test_asset_over_a_range_of_years_via_run_config(est_env):
    _write_marts(survey=False)
    assert _run("2022-01-01", {"start_year": 2021, "end_year": 2022, "method": "absorbed"}).success
    eff = _effects()
    assert (pd.to_datetime(eff.period_start) == pd.Timestamp("2021-01-01")).all()
    assert (pd.to_datetime(eff.period_end) == pd.Timestamp("2023-01-01")).all()
    assert (eff.estimator != "survey_fe_linear").all()


def test_asset_fails_with_a_clear_message_without_marts(est_env):
    result = _run("2022-01-01")
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "marts.area_week_outcomes does not exist" in failure.event_specific_data.error.to_string()


def test_definitions_build():
    defs = build_defs()
    assert defs.resolve_asset_graph().has(dg.AssetKey(["marts", "intervention_effects"]))


def test_asset_adds_new_columns_to_a_warehouse_created_before_them(est_env):
    """A mart written by the earlier release lacks n_control_areas / the event study's inference."""
    _write_marts(survey=False)
    with connect() as con:
        con.execute("""create table marts.intervention_effects (
            intervention_type varchar, outcome_group varchar, estimator varchar, is_headline boolean,
            irr double, ci_low double, ci_high double, p_value double, q_value double,
            n_treated_areas integer, n_treated_area_weeks integer, n_clusters integer,
            n_areas_dropped_all_zero integer, n_obs_dropped_separated integer, pretrend_p_value double,
            inference varchar, period_start date, period_end date, interpretation varchar, note varchar,
            estimate_scale varchar, share_difference double, share_difference_ci_low double,
            share_difference_ci_high double)""")
        con.execute("""create table marts.intervention_event_study (
            intervention_type varchar, outcome_group varchar, estimator varchar, relative_period varchar,
            rel_week_from integer, rel_week_to integer, irr double, ci_low double, ci_high double,
            n_area_weeks integer, period_start date, period_end date, interpretation varchar)""")
    assert _run("2022-01-01").success
    eff = _effects()
    assert eff.n_control_areas.notna().any()


def test_each_municipality_is_estimated_on_its_own_areas(est_env):
    """Two municipalities in one warehouse: each gets its own estimates, from its own areas
    only, marked with its code; the rows of one do not depend on the other's data."""
    _write_marts(survey=False)
    with connect() as con:
        areas = [a for (a,) in con.execute("select distinct area_id from marts.area_week_outcomes order by 1").fetchall()]
        half = len(areas) // 2
        con.execute("create or replace table raw.areas (area_id varchar, municipality_code varchar)")
        con.executemany("insert into raw.areas values (?, ?)",
                        [(a, "9001" if i < half else "9002") for i, a in enumerate(areas)])
    assert _run("2022-01-01").success
    eff = _effects()
    count = eff[eff.estimate_scale == "incidence_rate_ratio"]
    assert set(eff.municipality_code) == {"9001", "9002"}
    for code, n_areas in (("9001", half), ("9002", len(areas) - half)):
        mine = count[count.municipality_code == code]
        assert len(mine) == 8 and mine.groupby("outcome_group").is_headline.sum().eq(1).all()
        assert (mine.n_clusters <= n_areas).all()
    with connect(read_only=True) as con:
        notes = con.execute("select municipality_code, status from marts.estimation_notes order by 1").fetchall()
        study = {c for (c,) in con.execute("select distinct municipality_code from marts.intervention_event_study").fetchall()}
    assert notes == [("9001", "estimated"), ("9002", "estimated")] and study == {"9001", "9002"}

    # 9001's rows are the same when 9002's data changes: nothing of one enters the other.
    before = count[count.municipality_code == "9001"].reset_index(drop=True)
    with connect() as con:
        con.execute("update marts.area_week_outcomes set events = events * 2 where area_id in "
                    "(select area_id from raw.areas where municipality_code = '9002')")
    assert _run("2022-01-01").success
    after = _effects()
    after = after[(after.estimate_scale == "incidence_rate_ratio") & (after.municipality_code == "9001")]
    pd.testing.assert_frame_equal(before, after.reset_index(drop=True))


def test_municipalities_estimated_side_by_side_equal_one_at_a_time(est_env, monkeypatch):
    """With several municipalities the asset estimates them in worker processes; what it
    writes is the same, to the last bit, as estimating them one after the other in-process."""
    _write_marts(survey=False)
    with connect() as con:
        areas = [a for (a,) in con.execute("select distinct area_id from marts.area_week_outcomes order by 1").fetchall()]
        con.execute("create or replace table raw.areas (area_id varchar, municipality_code varchar)")
        con.executemany("insert into raw.areas values (?, ?)",
                        [(a, ("9001", "9002", "9003")[i % 3]) for i, a in enumerate(areas)])

    def tables() -> dict[str, pd.DataFrame]:
        with connect(read_only=True) as con:
            return {t: con.execute(f"select * from marts.{t} order by all").df()
                    for t in ("intervention_effects", "intervention_event_study", "estimation_notes")}

    written = {}
    for workers in ("1", "2"):
        monkeypatch.setenv("EST_WORKERS", workers)
        assert _run("2022-01-01").success
        written[workers] = tables()
    assert set(written["2"]["intervention_effects"].municipality_code) == {"9001", "9002", "9003"}
    for table, frame in written["1"].items():
        pd.testing.assert_frame_equal(frame, written["2"][table], check_exact=True, obj=table)
