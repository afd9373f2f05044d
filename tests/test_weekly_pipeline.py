"""The weekly lägesbild on a generated data set, through the real chain:

demo generator → ingest assets (Dagster) → dbt assets (Dagster, one run for all weeks) →
DuckDB marts, compared with the generator's ground truth. Then the partition behaviour:
re-materialising a week changes nothing, and a late file re-runs exactly its week.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import dagster as dg
import pandas as pd
import pytest
import shapely

from test_dbt_support import (  # noqa: F401 (dbt_manifest: session fixture)
    data_env,
    dbt_manifest,
    failed_checks,
    pipeline_defs,
    read_df,
    run_weekly_job,
)

pytestmark = pytest.mark.usefixtures("dbt_manifest")

AREAS = 3
WEEKS = 26
FIRST_WEEK = "2019-12-30"  # ISO 2020-W01
LAST_WEEK = "2020-06-22"
LATE_WEEK = "2020-03-02"

MART_KEYS = {
    "marts.weekly_situation": "area_id, week_start, category",
    "marts.weekly_area_summary": "area_id, week_start",
    "marts.weekly_unlocated_events": "week_start, partner, source, category",
}


def snapshot() -> dict[str, pd.DataFrame]:
    return {
        table: read_df(f"select * from {table} order by {keys}").reset_index(drop=True)
        for table, keys in MART_KEYS.items()
    }


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory):
    with data_env(tmp_path_factory.mktemp("weekly") / "data") as data_dir:
        subprocess.run(
            [sys.executable, "-m", "est_pipeline.demo", "--out", str(data_dir),
             "--areas", str(AREAS), "--weeks", str(WEEKS), "--start-week", "2020-W01"],
            check=True, capture_output=True,
        )
        defs = pipeline_defs()
        instance = dg.DagsterInstance.ephemeral()
        ingest = defs.resolve_job_def("ingest_job").execute_in_process(instance=instance)
        assert ingest.success
        backfill = run_weekly_job(defs, instance, FIRST_WEEK, LAST_WEEK)
        yield {"defs": defs, "instance": instance, "data_dir": data_dir, "backfill": backfill}


def test_backfill_of_all_weeks_is_one_run_and_one_dbt_invocation_per_set(pipeline) -> None:
    result = pipeline["backfill"]
    assert result.success
    assert all(severity == "WARN" for _, severity in failed_checks(result))
    steps = [e.step_key for e in result.all_events if e.event_type_value == "STEP_START"]
    assert sorted(steps) == ["est_dbt_unpartitioned", "est_dbt_weekly"]
    commands = [
        r.user_message for r in pipeline["instance"].all_logs(result.run_id)
        if r.user_message.startswith("Finished dbt command")
    ]
    weekly = [c for c in commands if "tag:weekly" in c]
    assert len(commands) == 2 and len(weekly) == 1, commands
    assert f'"min_date": "{FIRST_WEEK}"' in weekly[0] and '"max_date": "2020-06-29"' in weekly[0]
    partitions = {
        e.partition for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["weekly_situation"])
    }
    assert len(partitions) == WEEKS


def test_weekly_counts_equal_the_ground_truth(pipeline) -> None:
    """Events per area, week and category after deduplication, and per partner."""
    truth = pd.read_parquet(pipeline["data_dir"] / "ground_truth" / "expected_weekly_counts.parquet")
    truth["week_start"] = pd.to_datetime(truth["week_start"]).dt.date
    mart = read_df(
        "select area_id, week_start, category, events_total, events_police, events_municipality, "
        "events_housing from marts.weekly_situation"
    )
    # The seed has categories the demo's model never draws (those only the police's crime
    # codes reach, e.g. theft): the mart's grid holds them as zeros.
    undrawn = mart[~mart["category"].isin(set(truth["category"]))]
    assert len(undrawn) and (undrawn[["events_total", "events_police", "events_municipality", "events_housing"]] == 0).all().all()
    mart = mart[mart["category"].isin(set(truth["category"]))]
    merged = truth.merge(mart, on=["area_id", "week_start", "category"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    assert len(merged) == AREAS * WEEKS * 16
    assert merged["events"].sum() > 100  # a data set worth comparing
    for truth_col, mart_col in [("events", "events_total"), ("police", "events_police"),
                                ("municipality", "events_municipality"), ("housing", "events_housing")]:
        diff = merged[merged[truth_col].astype(int) != merged[mart_col].astype(int)]
        assert diff.empty, f"{mart_col} differs from ground truth:\n{diff.head(10)}"


def test_outcome_panel_equals_the_ground_truth(pipeline) -> None:
    truth = pd.read_parquet(pipeline["data_dir"] / "ground_truth" / "expected_weekly_outcomes.parquet")
    truth["week_start"] = pd.to_datetime(truth["week_start"]).dt.date
    mart = read_df("select area_id, week_start, outcome_group, events as mart_events from marts.area_week_outcomes "
                   "where outcome_group <> 'police_crimes'")
    merged = truth.merge(mart, on=["area_id", "week_start", "outcome_group"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["events"].astype(int) == merged["mart_events"].astype(int)).all()


def test_generator_duplicates_are_exactly_the_merged_events(pipeline) -> None:
    """Each planted police/housing duplicate is merged, and nothing else is."""
    events = pd.read_parquet(pipeline["data_dir"] / "ground_truth" / "events.parquet")
    planted = events[events["is_duplicate"] & ~events["quarantined"] & ~events["outside_area"] & ~events["unmapped"]]
    assert len(planted) > 0, "the generated set should contain planted duplicates"
    expected_pairs = {
        frozenset({f"police_local:{r.police_report_id}", f"property_incidents:{r.housing_report_id}"})
        for r in planted.itertuples()
    }
    merged = read_df(
        "select event_id, duplicate_of_event_id from intermediate.int_events__deduplicated "
        "where is_cross_partner_duplicate"
    )
    got_pairs = {frozenset({r.event_id, r.duplicate_of_event_id}) for r in merged.itertuples()}
    assert got_pairs == expected_pairs


def test_rematerialising_weeks_changes_nothing(pipeline) -> None:
    """The backfill built these two weeks once; building them again (one run, one dbt
    invocation for the range) gives identical marts, and every other week is untouched."""
    before = snapshot()
    result = run_weekly_job(pipeline["defs"], pipeline["instance"], "2020-03-09", "2020-03-16", weekly_only=True)
    assert result.success
    rebuilt = {
        e.partition for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["weekly_situation"])
    }
    assert rebuilt == {"2020-03-09", "2020-03-16"}
    after = snapshot()
    for table in MART_KEYS:
        pd.testing.assert_frame_equal(after[table], before[table], obj=table)


def _late_police_file(data_dir, place_wkt: str) -> None:
    """One robbery in LATE_WEEK, delivered after the fact, at the centre of a place."""
    centre = shapely.from_wkt(place_wkt).centroid
    nord, ost = round(centre.y), round(centre.x)
    path = data_dir / "landing" / "police_local" / "polis_handelser_9001_sen_leverans.csv"
    path.write_bytes(
        "\ufeffHändelsenummer;Händelsetid;Brottskod;Händelsetyp;Plats;Nord;Öst\r\n"
        f"9001-K999999-20;2020-03-04 03:15;0901;Rån;Sen leverans;{nord};{ost}\r\n".encode("utf-8")
    )


def test_late_file_reruns_exactly_its_week(pipeline) -> None:
    defs, instance, data_dir = pipeline["defs"], pipeline["instance"], pipeline["data_dir"]
    sensor = defs.get_sensor_def("weekly_late_data_sensor")
    # The first evaluation sees the initial load (all weeks); take its cursor as the start.
    first = sensor(dg.build_sensor_context(instance=instance, definitions=defs))
    cursor = first.cursor
    before = snapshot()

    place = read_df("select place_id, area_id, geometry_wkt from staging.stg_reference__places order by place_id limit 1").iloc[0]
    _late_police_file(data_dir, place["geometry_wkt"])
    ingest = defs.resolve_job_def("ingest_job").execute_in_process(
        instance=instance, asset_selection=[dg.AssetKey(["raw", "police_local_incidents"])]
    )
    assert ingest.success

    evaluation = sensor(dg.build_sensor_context(instance=instance, definitions=defs, cursor=cursor))
    requests = evaluation.run_requests
    assert len(requests) == 1
    tags = requests[0].tags
    assert (tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]) == (LATE_WEEK, LATE_WEEK)

    result = run_weekly_job(
        defs, instance, LATE_WEEK, LATE_WEEK, tags={"est/trigger": tags["est/trigger"]}
    )
    assert result.success
    after = snapshot()

    key = ["area_id", "week_start", "category"]
    old = before["marts.weekly_situation"].set_index(key)
    new = after["marts.weekly_situation"].set_index(key)
    changed = [ix for ix in new.index if not new.loc[ix].equals(old.loc[ix])]
    assert changed == [(place["area_id"], date.fromisoformat(LATE_WEEK), "robbery")]
    row_old, row_new = old.loc[changed[0]], new.loc[changed[0]]
    assert row_new["events_police"] == row_old["events_police"] + 1
    assert row_new["events_total"] == row_old["events_total"] + 1
    summary_old = before["marts.weekly_area_summary"].set_index(["area_id", "week_start"])
    summary_new = after["marts.weekly_area_summary"].set_index(["area_id", "week_start"])
    changed_summary = [ix for ix in summary_new.index if not summary_new.loc[ix].equals(summary_old.loc[ix])]
    assert changed_summary == [(place["area_id"], date.fromisoformat(LATE_WEEK))]
