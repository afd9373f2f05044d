"""The dbt project on a hand-made raw layer: every locating, mapping, duplicate and
intervention rule has a known answer here. One real build (Dagster in-process → dbt →
DuckDB) for the module; the tests read the marts it wrote.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from test_dbt_support import (  # noqa: F401 (dbt_manifest: session fixture)
    MY_MARTS,
    dbt_manifest,
    data_env,
    dbt_only_defs,
    failed_checks,
    read_df,
    run_weekly_job,
    square,
    write_handcrafted_raw,
    write_raw,
)

pytestmark = pytest.mark.usefixtures("dbt_manifest")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    with data_env(tmp_path_factory.mktemp("handmade") / "data") as data_dir:
        write_handcrafted_raw(data_dir / "warehouse.duckdb")
        add_events_api_records(data_dir / "warehouse.duckdb")
        defs = dbt_only_defs()
        instance = dg.DagsterInstance.ephemeral()
        result = run_weekly_job(defs, instance, "2021-03-01", "2021-03-08")
        yield {"result": result, "defs": defs, "instance": instance, "data_dir": data_dir}


def add_events_api_records(warehouse: Path) -> None:
    """The police events API: located only to a municipality's or county's centroid, so a
    municipal background and a trace, never per area. Id 101 arrives in two responses.
    Norrvik (9001) is in no county of the municipalities seed, so no county's events are its
    county background: "Norrviks län" names no county, and Skåne län is another county.
    Also a DeSO-coded crime that the local police extract already holds under the same Id."""
    rows = [
        (101, "Inbrott", "Norrvik", datetime(2021, 3, 3, 20, 0), False, "a.json", 6),
        (101, "Inbrott", "Norrvik", datetime(2021, 3, 3, 20, 0), False, "b.json", 7),
        (102, "Trafikolycka", "Norrvik", datetime(2021, 3, 4, 8, 0), False, "b.json", 7),
        (103, "Sammanfattning natt", "Norrviks län", datetime(2021, 3, 5, 6, 0), True, "b.json", 7),
        (104, "Rån", "Norrviks län", datetime(2021, 3, 9, 1, 0), False, "c.json", 8),  # county only
        (105, "Brand", "Örebro", datetime(2021, 3, 10, 2, 0), False, "c.json", 8),  # another municipality
        (106, "Brand", "Norrvik kommun", datetime(2021, 3, 10, 3, 0), False, "c.json", 8),
        (107, "Brand", "Skåne län", datetime(2021, 3, 10, 4, 0), False, "c.json", 8),  # another county
        (108, "Rån", "skåne län", datetime(2021, 3, 10, 5, 0), False, "c.json", 8),  # written another way
    ]
    with duckdb.connect(str(warehouse)) as con:
        insert_events_api_records(con, rows)
        # A DeSO-coded crime whose Id is the local extract's P2: the local extract counts it.
        con.execute("insert into raw.police_deso_crimes values ('P2', '1203', 'Skadegörelse', DATE '2021-03-04', "
                    "DATE '2021-03-04', 'Norrvik', 'Län', '9001A0010', 1, 'deso_2.csv', 'hash-deso_2', 2, "
                    "TIMESTAMP '2021-03-15 07:00', NULL)")


def insert_events_api_records(con: duckdb.DuckDBPyConnection, rows: list[tuple]) -> None:
    """(id, type, location name, incident time, is summary, file, minute of loading) rows
    into raw.police_events, published at the incident time."""
    for i, (rid, typ, place, at, summary, file_name, minute) in enumerate(rows):
        con.execute(
            "insert into raw.police_events values (?, ?, ?, NULL, NULL, ?, ?, NULL, NULL, ?, ?, ?, ?, ?, ?, NULL)",
            [rid, at, f"{at:%d} mars {at:%H.%M}, {typ}, {place}", typ, place, at, summary,
             file_name, f"hash-{file_name}", i + 2, datetime(2021, 3, 15, 6, minute)])


def situation(area: str, week: str, category: str) -> dict:
    df = read_df(
        "select * from marts.weekly_situation where area_id = ? and week_start = ? and category = ?",
        [area, week, category],
    )
    assert len(df) == 1, f"expected one row for {area} {week} {category}, got {len(df)}"
    return df.iloc[0].to_dict()


def test_build_succeeds_with_only_warnings_failing(built) -> None:
    result = built["result"]
    assert result.success
    failed = failed_checks(result)
    # The unmapped police type is surfaced by warn-severity tests, and nothing else fails.
    assert failed, "the unmapped type 'Övrigt ärende' should make a warn test fail"
    assert all(severity == "WARN" for _, severity in failed), failed
    assert any("has_category_mapping_stg_police__local_incidents" in name for name, _ in failed)


def test_one_dbt_invocation_per_asset_set(built) -> None:
    result = built["result"]
    steps = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS"}
    assert steps == {"est_dbt_unpartitioned", "est_dbt_weekly"}
    weekly_partitions = sorted(
        e.partition for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey(["weekly_situation"])
    )
    assert weekly_partitions == ["2021-03-01", "2021-03-08"]


def test_events_are_located_by_polygon_address_property_and_place_id(built) -> None:
    df = read_df("select source_event_id, location_method, place_id, area_id from intermediate.int_events__harmonised")
    got = {r.source_event_id: (r.location_method, r.place_id, r.area_id) for r in df.itertuples()}
    none = None
    assert got["P1"] == ("point_in_place", "NV01-P01", "NV01")  # SWEREF 99 TM point in the square
    assert got["P2"] == ("point_in_area", none, "NV02")  # open ground
    assert got["P4"] == ("unlocated", none, none)  # outside every area
    assert got["F1"] == ("point_in_place", "NV02-P01", "NV02")  # WGS84 point in the stairwell
    assert got["H1"] == ("address_register", "NV01-P01", "NV01")  # 'STORGATAN  1' matches 'Storgatan 1'
    assert got["H2"] == ("unlocated", none, none)  # unknown address, no property
    assert got["H3"] == ("property_register", none, "NV02")  # unknown address, known property
    field = [v for k, v in got.items() if k.startswith("hash-field_observations")]
    assert field == [("reported_place", "NV01-P01", "NV01")]


def test_unlocated_events_are_counted_not_dropped(built) -> None:
    df = read_df("select week_start::varchar as week, partner, source, category, events from marts.weekly_unlocated_events order by all")
    assert df.to_dict("records") == [
        {"week": "2021-03-08", "partner": "housing", "source": "property_incidents", "category": "burglary", "events": 1},
        {"week": "2021-03-08", "partner": "police", "source": "police_local", "category": "vandalism", "events": 1},
    ]


def test_unmapped_types_are_listed(built) -> None:
    df = read_df("select source, source_type, rows_unmapped from marts.unmapped_source_types")
    assert df.to_dict("records") == [{"source": "police_local", "source_type": "Övrigt ärende", "rows_unmapped": 1}]


def test_cross_partner_duplicates_count_once(built) -> None:
    row = situation("NV01", "2021-03-01", "vandalism")  # police P1 and housing H1, 80 minutes apart
    assert (row["events_police"], row["events_housing"], row["events_reported"], row["events_total"]) == (1, 1, 2, 1)
    assert row["cross_partner_duplicates"] == 1
    row = situation("NV01", "2021-03-08", "graffiti")  # police P5 and municipality F2, 140 m apart
    assert (row["events_police"], row["events_municipality"], row["events_total"]) == (1, 1, 1)
    dup = read_df(
        "select source_event_id, duplicate_of_event_id from intermediate.int_events__deduplicated "
        "where is_cross_partner_duplicate order by 1"
    )
    assert dup.to_dict("records") == [
        {"source_event_id": "H1", "duplicate_of_event_id": "police_local:P1"},
        {"source_event_id": "P5", "duplicate_of_event_id": "fault_reports:F2"},
    ]


def test_weekly_situation_grid_rates_ratings_and_context(built) -> None:
    df = read_df("select area_id, week_start, category from marts.weekly_situation")
    assert len(df) == 2 * 2 * 19  # areas × weeks × categories, zeros included
    row = situation("NV01", "2021-03-01", "vandalism")
    assert row["iso_week_label"] == "2021-W09" and row["population"] == 2000
    assert row["events_per_1000"] == pytest.approx(0.5)
    # police rated the whole area orange; the municipality re-submitted gul as röd
    assert (row["rating_max_police"], row["rating_max_municipality"], row["rating_max"]) == (2, 3, 3)
    assert row["rating_max_housing"] is None
    # The local police extract covers these weeks, so it is the police's series (P1 here) and
    # the DeSO extract's 4 crimes (25% of them in NV01) are not counted a second time.
    assert row["police_crimes"] == pytest.approx(1.0)
    assert row["police_crimes_from_deso"] == 0.0 and row["incidents_total"] == row["events_total"]
    trace = read_df("select source, reason, records, crimes from marts.police_records_not_in_areas "
                    "where source = 'police_deso'")
    assert sorted(trace.to_dict("records"), key=lambda r: r["reason"]) == [
        {"source": "police_deso", "reason": "covered_by_local_extract", "records": 1, "crimes": 4.0},
        {"source": "police_deso", "reason": "in_local_extract", "records": 1, "crimes": 1.0}]  # P2, same Id
    assert row["previous_week_events"] is None  # first week of the data period
    quiet = situation("NV02", "2021-03-08", "assault")
    assert quiet["events_total"] == 0 and quiet["previous_week_events"] == 1 and quiet["change_from_last_week"] == -1
    assert not quiet["is_unusually_high"]  # one baseline week is no baseline


def test_events_api_is_a_municipal_background_and_every_record_is_traced(built) -> None:
    background = read_df("select municipality_code, week_start::varchar as week, located_to, event_type, decision, "
                         "events from marts.weekly_police_events order by all")
    assert background.to_dict("records") == [  # summaries, the counties and Örebro left out; 101 once
        {"municipality_code": "9001", "week": "2021-03-01", "located_to": "municipality", "event_type": "Inbrott",
         "decision": "tracked", "events": 1},
        {"municipality_code": "9001", "week": "2021-03-01", "located_to": "municipality", "event_type": "Trafikolycka",
         "decision": "not_tracked", "events": 1},
        {"municipality_code": "9001", "week": "2021-03-08", "located_to": "municipality", "event_type": "Brand",
         "decision": "tracked", "events": 1},
    ]
    trace = read_df("select municipality_code, county_name, week_start::varchar as week, reason, records "
                    "from marts.police_records_not_in_areas where source = 'police_events' order by all")
    assert trace.to_dict("records") == [
        {"municipality_code": "1880", "county_name": "Örebro län", "week": "2021-03-08", "reason": "other_municipality", "records": 1},
        {"municipality_code": "9001", "county_name": None, "week": "2021-03-01", "reason": "municipality_centroid", "records": 1},
        {"municipality_code": "9001", "county_name": None, "week": "2021-03-01", "reason": "not_tracked", "records": 1},
        {"municipality_code": "9001", "county_name": None, "week": "2021-03-01", "reason": "repeat_superseded", "records": 1},
        {"municipality_code": "9001", "county_name": None, "week": "2021-03-08", "reason": "municipality_centroid", "records": 1},
        {"municipality_code": None, "county_name": "Norrviks län", "week": "2021-03-01", "reason": "summary", "records": 1},
        {"municipality_code": None, "county_name": "Norrviks län", "week": "2021-03-08", "reason": "county_centroid", "records": 1},
        # Both ways of writing Skåne län are the seed's county, counted together.
        {"municipality_code": None, "county_name": "Skåne län", "week": "2021-03-08", "reason": "county_centroid", "records": 2},
    ]
    located = read_df("select event_api_id, located_to, county_code, county_name "
                      "from intermediate.int_police_events_records where is_current order by event_api_id")
    assert located.to_dict("records") == [
        {"event_api_id": 101, "located_to": "municipality", "county_code": "90", "county_name": None},
        {"event_api_id": 102, "located_to": "municipality", "county_code": "90", "county_name": None},
        {"event_api_id": 103, "located_to": "county", "county_code": None, "county_name": "Norrviks län"},
        {"event_api_id": 104, "located_to": "county", "county_code": None, "county_name": "Norrviks län"},
        {"event_api_id": 105, "located_to": "municipality", "county_code": "18", "county_name": None},
        {"event_api_id": 106, "located_to": "municipality", "county_code": "90", "county_name": None},
        {"event_api_id": 107, "located_to": "county", "county_code": "12", "county_name": "Skåne län"},
        {"event_api_id": 108, "located_to": "county", "county_code": "12", "county_name": "Skåne län"},
    ]
    # Never per area: the areas' counts hold no events-API record.
    assert read_df("select count(*) as n from intermediate.int_events__unioned where source = 'police_events'")["n"][0] == 0


@pytest.fixture(scope="module")
def county_background(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A deployment in a real county, Örebro (1880, Örebro län), with 2026 events the API
    locates only to the county: a second, small build of weekly_police_events alone. Its
    rows are read before the environment of the module's own build is restored."""
    with data_env(tmp_path_factory.mktemp("county") / "data") as data_dir:
        warehouse = data_dir / "warehouse.duckdb"
        write_raw(warehouse, {"areas": [("OR01", "Centrum", "1880", "Örebro", square(514000, 6570000, 515000, 6571000))]})
        at = datetime(2026, 3, 3, 21, 0)  # 2026-W10
        with duckdb.connect(str(warehouse)) as con:
            insert_events_api_records(con, [
                (301, "Brand", "Örebro län", at, False, "a.json", 1),
                (302, "Brand", "ÖREBRO LÄN", at, False, "a.json", 1),  # written another way
                (303, "Inbrott", "Örebro län", at, False, "a.json", 1),
                (303, "Inbrott", "Örebro län", at, False, "b.json", 2),  # a repeat: once
                (304, "Sammanfattning natt", "Örebro län", at, True, "b.json", 2),  # a summary
                (305, "Rån", "Skåne län", at, False, "b.json", 2),  # another county
                (306, "Inbrott", "Örebro", at, False, "b.json", 2),  # the municipality itself
                (307, "Brand", "Örebro län", at + timedelta(days=7), False, "b.json", 2),  # the next week
            ])
        result = run_weekly_job(dbt_only_defs(), dg.DagsterInstance.ephemeral(), "2026-03-02", "2026-03-09",
                                marts=("weekly_police_events",))
        rows = read_df("select municipality_code, week_start::varchar as week, located_to, county_name, event_type, "
                       "events from marts.weekly_police_events order by all")
    return {"result": result, "rows": rows.to_dict("records")}


def test_events_located_only_to_the_county_are_the_county_background(county_background) -> None:
    assert county_background["result"].success
    assert [c for c in failed_checks(county_background["result"]) if c[1] == "ERROR"] == []
    row = {"municipality_code": "1880", "county_name": "Örebro län"}
    assert county_background["rows"] == [
        # Örebro län's own events, both spellings, 303 once; no summary, nothing of Skåne län.
        {**row, "week": "2026-03-02", "located_to": "county", "event_type": "Brand", "events": 2},
        {**row, "week": "2026-03-02", "located_to": "county", "event_type": "Inbrott", "events": 1},
        # The municipality's own event, as before.
        {**row, "week": "2026-03-02", "located_to": "municipality", "event_type": "Inbrott", "events": 1},
        {**row, "week": "2026-03-09", "located_to": "county", "event_type": "Brand", "events": 1},
    ]


def test_interventions_active_weeks_and_validation(built) -> None:
    df = read_df(
        "select area_id, week_start::varchar as week, intervention_id, intervention_type, intensity, responsible_partners "
        "from marts.area_week_interventions order by all"
    )
    assert df.to_dict("records") == [
        {"area_id": "NV01", "week": "2021-03-01", "intervention_id": "I1", "intervention_type": "police_patrol", "intensity": 3, "responsible_partners": "municipality, police"},
        # open-ended: active to the end of the data period
        {"area_id": "NV01", "week": "2021-03-08", "intervention_id": "I1", "intervention_type": "police_patrol", "intensity": 3, "responsible_partners": "municipality, police"},
        {"area_id": "NV02", "week": "2021-03-01", "intervention_id": "I2", "intervention_type": "cleanup", "intensity": 1, "responsible_partners": "housing"},
    ]
    # The unknown type is not active but kept, with its reason (the validated register).
    invalid = read_df("select intervention_id, quarantine_reason from intermediate.int_interventions_validated where not is_valid")
    assert invalid["intervention_id"].tolist() == ["I3"]
    assert "Okänd insats" in invalid["quarantine_reason"].iloc[0]


def test_weekly_area_summary(built) -> None:
    df = read_df("select * from marts.weekly_area_summary where area_id = 'NV01' and week_start = '2021-03-01'")
    row = df.iloc[0].to_dict()
    assert row["events_total"] == 2 and row["events_reported"] == 3
    assert row["top_category"] == "vandalism"
    assert row["top_categories"] == "vandalism (1), youth_gathering (1)"
    assert row["interventions_active"] == "police_patrol [municipality, police]"
    assert row["responsible_partners"] == "municipality, police"
    # 100 × (0.4 × (1 − e^(−1/2)) + 0.4 × mean(2, 3)/3 + 0.2 × 0)
    expected = round(100 * (0.4 * (1 - math.exp(-1.0 / 2)) + 0.4 * 2.5 / 3), 1)
    assert row["insecurity_index"] == pytest.approx(expected)
    assert len(read_df("select * from marts.weekly_area_summary")) == 4


def test_area_week_outcomes_panel(built) -> None:
    df = read_df(
        "select outcome_group, events, population from marts.area_week_outcomes "
        "where area_id = 'NV01' and week_start = '2021-03-01' order by outcome_group"
    )
    assert df.to_dict("records") == [
        {"outcome_group": "disorder", "events": 1, "population": 2000},
        {"outcome_group": "police_crimes", "events": 1, "population": 2000},  # P1 (local extract)
        {"outcome_group": "property", "events": 1, "population": 2000},
        {"outcome_group": "total", "events": 2, "population": 2000},
        {"outcome_group": "violence", "events": 0, "population": 2000},
    ]
    assert len(read_df("select * from marts.area_week_outcomes")) == 2 * 2 * 5


def test_materialisations_carry_row_counts_and_column_schema(built) -> None:
    result = built["result"]
    mats = {
        (e.asset_key.to_user_string(), e.partition): e.step_materialization_data.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    summary = mats[("weekly_situation", "2021-03-01")]
    assert summary["dagster/row_count"].value == 76
    assert summary["window_row_count"].value == 76
    columns = {c.name: c.description for c in summary["dagster/column_schema"].schema.columns}
    assert columns["events_total"].startswith("Deduplicated total")
    # The estimation panel is built per week too: the whole table after the run.
    assert mats[("area_week_outcomes", "2021-03-08")]["dagster/row_count"].value == 20  # 2 areas × 2 weeks × 5 groups


def test_docs_describe_every_mart_column(built, tmp_path: Path) -> None:
    """`dbt docs generate` works and every column of every mart is described."""
    from est_pipeline.defs.dbt.project import dbt_resource

    invocation = dbt_resource().cli(["docs", "generate"], target_path=tmp_path / "docs").wait()
    assert invocation.is_successful()
    catalog = json.loads((tmp_path / "docs" / "catalog.json").read_text())
    manifest = json.loads((tmp_path / "docs" / "manifest.json").read_text())
    for name in MY_MARTS:
        node_id = f"model.est_pipeline.{name}"
        built_columns = {c.lower() for c in catalog["nodes"][node_id]["columns"]}
        described = {c for c, spec in manifest["nodes"][node_id]["columns"].items() if spec.get("description")}
        assert built_columns and built_columns <= described, f"{name}: undescribed {sorted(built_columns - described)}"
