"""The Dagster side: partitioned materialisation, window replacement, settings as vars,
tertials by configuration, and the first-Monday schedule.

Each test copies the hand-made world's warehouse (test_prioritisation_models) into its own
EST_DATA_DIR, so the upstream tables are there and only the marts under test are rebuilt.
"""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest

from test_prioritisation_models import (
    HOT_POPULATION,
    PRIO_POPULATION,
    built_world,
    field_observation_rows,
    query,
    run_dbt,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.fixture
def warehouse(est_env: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the world's warehouse at the test's EST_WAREHOUSE_PATH."""
    target = est_env / "warehouse.duckdb"
    shutil.copy(built_world(tmp_path_factory), target)
    return target


def _rows(path: Path, table: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return sorted(con.execute(f"select * from marts.{table}").fetchall(), key=repr)
    finally:
        con.close()


def _materialize(assets: list[dg.AssetsDefinition], partition_key: str) -> None:
    from est_pipeline.defs.dbt.project import dbt_resource
    from est_pipeline.defs.prioritisation.assets import DBT_RESOURCE_KEY

    result = dg.materialize(assets, partition_key=partition_key, resources={DBT_RESOURCE_KEY: dbt_resource()})
    assert result.success
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert materialized == {key for a in assets for key in a.keys}


def test_period_partition_replaces_exactly_its_quarter(warehouse: Path) -> None:
    from est_pipeline.defs.prioritisation.assets import period_assets

    assert {k.to_user_string() for k in period_assets().keys} == {
        "period_prioritisation", "period_priority_drivers", "period_suggested_interventions", "hot_spots",
    }
    tables = ["period_prioritisation", "period_priority_drivers", "period_suggested_interventions", "hot_spots"]
    before = {t: _rows(warehouse, t) for t in tables}
    # Spoil two quarters: the run for 2024-Q2 must restore that one and leave 2024-Q1 alone.
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("update marts.period_prioritisation set need = -1 where period_start in ('2024-01-01', '2024-04-01')")
        con.execute("delete from marts.hot_spots where period_start = '2024-04-01' and unit_type = 'place'")
    finally:
        con.close()

    for _ in range(2):  # twice: no duplicates, same result
        _materialize([period_assets()], "2024-04-01")
        after = {t: _rows(warehouse, t) for t in tables}
        for table in tables[1:]:
            assert after[table] == before[table], table
        q2 = query(warehouse, "select need from marts.period_prioritisation where period_start = '2024-04-01'")
        assert len(q2) == len(PRIO_POPULATION) + len(HOT_POPULATION)
        assert all(r["need"] >= 0 for r in q2)
    q1 = query(warehouse, "select need from marts.period_prioritisation where period_start = '2024-01-01'")
    assert q1 and all(r["need"] == -1 for r in q1)  # outside the window: untouched


def test_yearly_partition_takes_settings_and_estimates(warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Survey minimum group size from EST_SURVEY_MIN_GROUP_SIZE; the headline estimate of the
    type's target outcome group once marts.intervention_effects exists."""
    from est_pipeline.defs.prioritisation.assets import yearly_assets

    monkeypatch.setenv("EST_SURVEY_MIN_GROUP_SIZE", "5")
    con = duckdb.connect(str(warehouse))
    try:
        con.execute(
            """create table marts.intervention_effects (intervention_type varchar, outcome_group varchar,
               estimator varchar, is_headline boolean, irr double, ci_low double, ci_high double,
               p_value double, q_value double, period_start date, period_end date)"""
        )
        con.executemany(
            "insert into marts.intervention_effects values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                ("evening_outreach", "total", "robust_imputation", True, 0.95, 0.8, 1.1, 0.5, 0.6, date(2023, 1, 2), date(2025, 1, 1)),
                ("evening_outreach", "disorder", "robust_imputation", True, 0.8, 0.7, 0.9, 0.01, 0.04, date(2023, 1, 2), date(2025, 1, 1)),
                ("evening_outreach", "disorder", "poisson_twfe", False, 0.7, 0.6, 0.8, 0.001, 0.01, date(2023, 1, 2), date(2025, 1, 1)),
                ("cleanup", "property", "robust_imputation", True, 1.05, 0.9, 1.2, 0.6, 0.7, date(2022, 1, 3), date(2024, 1, 1)),
            ],
        )
    finally:
        con.close()
    y2023_before = query(warehouse, "select * from marts.yearly_area_followup where year = 2023 order by area_id")

    _materialize(yearly_assets(), "2024-01-01")

    nv02 = query(warehouse, "select * from marts.yearly_area_followup where year = 2024 and area_id = 'NV02'")[0]
    assert (nv02["survey_suppressed"], nv02["survey_respondents"]) == (False, 5)
    assert nv02["survey_share_safe"] == pytest.approx(3 / 5)
    assert query(warehouse, "select * from marts.yearly_area_followup where year = 2023 order by area_id") == y2023_before
    estimates = {
        r["intervention_type"]: r
        for r in query(warehouse, "select * from marts.yearly_intervention_followup where year = 2024")
    }
    outreach = estimates["evening_outreach"]
    assert (outreach["estimate_outcome_group"], outreach["estimator"], outreach["irr"]) == ("disorder", "robust_imputation", 0.8)
    assert (outreach["ci_low"], outreach["ci_high"], outreach["q_value"]) == (0.7, 0.9, 0.04)
    assert outreach["has_estimate"] is True
    # The cleanup estimate's period ends with 2023 (end exclusive 2024-01-01): it belongs to
    # the 2023 follow-up, not to 2024's.
    assert estimates["cleanup"]["irr"] is None and estimates["cleanup"]["has_estimate"] is False


def test_tertials_are_a_configuration_change(warehouse: Path) -> None:
    """The same models with analysis_period = tertial: January–April, May–August,
    September–December; counts per area and tertial equal a count of the generated events."""
    run_dbt(["build", "--select", "tag:period"], warehouse.parent / "dbt_target", {"analysis_period": "tertial"})
    rows = query(warehouse, "select area_id, period_start, period_end, period_label, events, population, "
                            "load_ratio, events_per_1000, municipality_events_per_1000, municipality_code "
                            "from marts.period_prioritisation")
    tertials = [date(y, m, 1) for y in (2023, 2024) for m in (1, 5, 9)]
    assert sorted({r["period_start"] for r in rows}) == tertials
    assert {r["period_label"] for r in rows if r["period_start"] == date(2024, 5, 1)} == {"2024-T2"}
    assert {r["period_end"] for r in rows if r["period_start"] == date(2024, 9, 1)} == {date(2025, 1, 1)}

    counts: Counter[tuple[str, date]] = Counter()
    for day, place, *_ in field_observation_rows():
        counts[(place.split("-")[0], date(day.year, 1 + 4 * ((day.month - 1) // 4), 1))] += 1
    assert {(r["area_id"], r["period_start"]): r["events"] for r in rows} == {
        (a, t): counts[(a, t)] for a in (*PRIO_POPULATION, *HOT_POPULATION) for t in tertials
    }
    for r in rows:
        assert r["load_ratio"] == pytest.approx(r["events_per_1000"] / r["municipality_events_per_1000"])
    # Hot spots follow the same periods.
    hot = query(warehouse, "select distinct period_start from marts.hot_spots order by 1")
    assert [r["period_start"] for r in hot] == tertials


def _tick(schedule: dg.ScheduleDefinition, when: datetime) -> Any:
    """What the schedule asks for at a tick (the schedule function, called as Dagster does)."""
    with dg.build_schedule_context(scheduled_execution_time=when) as context:
        return schedule(context)


def test_schedule_runs_the_quarter_just_ended_on_the_first_monday_at_seven() -> None:
    from est_pipeline.defs.prioritisation.schedules import period_cron_schedule, period_prioritisation_schedule

    schedule = period_prioritisation_schedule()
    assert schedule.cron_schedule == "0 7 * 1,4,7,10 1"
    assert schedule.execution_timezone == "Europe/Stockholm"
    assert period_cron_schedule("tertial") == "0 7 * 1,5,9 1"

    first_monday = _tick(schedule, datetime(2024, 7, 1, 7, 0, tzinfo=STOCKHOLM))
    assert isinstance(first_monday, dg.RunRequest) and first_monday.partition_key == "2024-04-01"
    assert _tick(schedule, datetime(2025, 1, 6, 7, 0, tzinfo=STOCKHOLM)).partition_key == "2024-10-01"
    second_monday = _tick(schedule, datetime(2024, 7, 8, 7, 0, tzinfo=STOCKHOLM))
    assert isinstance(second_monday, dg.SkipReason) and "not the first Monday" in (second_monday.skip_message or "")

    # The cron ticks inside one quarter's first month are its Mondays; only the first runs.
    from dagster._utils.schedules import cron_string_iterator

    ticks = cron_string_iterator(
        datetime(2024, 6, 30, tzinfo=STOCKHOLM).timestamp(), schedule.cron_schedule, "Europe/Stockholm"
    )
    mondays = [next(ticks) for _ in range(5)]
    assert [t.date() for t in mondays] == [date(2024, 7, d) for d in (1, 8, 15, 22, 29)]
    assert all(t.hour == 7 for t in mondays)
