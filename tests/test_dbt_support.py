"""Shared helpers for the dbt and weekly-mart tests (no tests in here).

The tests run the real chain: raw tables (hand-made here, or generated and ingested) →
the dbt assets materialised by Dagster in-process → assertions on the DuckDB marts. A dbt
build costs tens of seconds, so each test module builds one warehouse (module-scoped
environment, same variables as the ``est_env`` fixture) and its tests read it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pandas as pd
import pytest

from est_pipeline.settings import export_dbt_environment

#: The marts this concern owns; their upstream dbt assets are what these tests build
#: (other concerns' marts in the same dbt project are tested by their own suites).
MY_MARTS = (
    "weekly_situation",
    "weekly_area_summary",
    "weekly_unlocated_events",
    "area_week_outcomes",
    "area_week_interventions",
    "unmapped_source_types",
    "police_records_not_in_areas",
    "weekly_police_events",
)


@contextmanager
def data_env(data_dir: Path) -> Iterator[Path]:
    """Point the settings at ``data_dir`` (like the ``est_env`` fixture, for a whole module)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EST_DATA_DIR", str(data_dir))
        mp.setenv("EST_WAREHOUSE_PATH", str(data_dir / "warehouse.duckdb"))
        mp.setenv("EST_PUBLISHED_WAREHOUSE_PATH", str(data_dir / "published" / "warehouse.duckdb"))
        mp.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        export_dbt_environment()
        yield data_dir


@cache
def fresh_manifest() -> Path:
    """``dbt parse`` once per test session, so edits to models are never hidden."""
    from est_pipeline.defs.dbt.project import prepare_manifest

    return prepare_manifest(force=True)


@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    """Session fixture: the manifest, re-parsed once per test session."""
    return fresh_manifest()


@cache
def pipeline_defs() -> dg.Definitions:
    """Ingest + dbt definitions (the two concerns this chain needs), in-process executor."""
    fresh_manifest()
    from est_pipeline.defs.dbt.definitions import build_defs as dbt_defs
    from est_pipeline.defs.ingest.definitions import build_defs as ingest_defs

    return dg.Definitions.merge(ingest_defs(), dbt_defs(), dg.Definitions(executor=dg.in_process_executor))


@cache
def dbt_only_defs() -> dg.Definitions:
    fresh_manifest()
    from est_pipeline.defs.dbt.definitions import build_defs as dbt_defs

    return dg.Definitions.merge(dbt_defs(), dg.Definitions(executor=dg.in_process_executor))


def my_dbt_keys(
    defs: dg.Definitions, weekly_only: bool = False, marts: Sequence[str] = MY_MARTS
) -> list[dg.AssetKey]:
    """Materialisable dbt assets upstream of this concern's marts, or of ``marts`` (seeds included)."""
    graph = defs.resolve_asset_graph()
    selection = dg.AssetSelection.assets(*marts).upstream()
    keys = [k for k in selection.resolve(graph) if graph.get(k).is_materializable and k.path[0] != "raw"]
    if weekly_only:
        keys = [k for k in keys if graph.get(k).partitions_def is not None]
    return sorted(keys, key=lambda k: k.to_user_string())


def run_weekly_job(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    first_week: str,
    last_week: str,
    weekly_only: bool = False,
    tags: dict[str, str] | None = None,
    marts: Sequence[str] = MY_MARTS,
) -> dg.ExecuteInProcessResult:
    """The weekly job for weeks first..last (inclusive) as ONE run (partition range tags),
    building ``marts`` (default: this concern's) and what they need."""
    from est_pipeline.defs.dbt.schedules import WEEKLY_JOB_NAME, partition_range_tags

    run_tags = {**partition_range_tags(first_week, last_week), **(tags or {})}
    return defs.resolve_job_def(WEEKLY_JOB_NAME).execute_in_process(
        instance=instance,
        tags=run_tags,
        asset_selection=my_dbt_keys(defs, weekly_only=weekly_only, marts=marts),
    )


def failed_checks(result: dg.ExecuteInProcessResult) -> list[tuple[str, str]]:
    evaluations = [
        e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    return [(ev.asset_check_key.name, ev.severity.value) for ev in evaluations if not ev.passed]


def read_df(sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
    """Query the test's warehouse read-only (short-lived, as everywhere in the pipeline)."""
    with duckdb.connect(os.environ["EST_WAREHOUSE_PATH"], read_only=True) as con:
        cursor = con.execute(sql, params or [])
        columns = [d[0] for d in cursor.description]
        # Python objects (None stays None), not pandas' NaN-for-missing.
        return pd.DataFrame(cursor.fetchall(), columns=columns, dtype=object)


# --- a hand-made raw layer: every locating and counting rule has a case here ----------------

#: _record_key stays NULL here, as in a warehouse loaded before record keys: staging falls
#: back to the partner's id, then to file and row.
PROVENANCE = "_file_name VARCHAR, _content_hash VARCHAR, _row_number INTEGER, _loaded_at TIMESTAMP, _record_key VARCHAR"

RAW_TABLES = {
    "police_deso_crimes": "id VARCHAR, brottskod VARCHAR, brottskod_klartext VARCHAR, inskrivningsdatum DATE, brottsdatum DATE, kommun VARCHAR, lan VARCHAR, deso_omrade VARCHAR, antal INTEGER",
    "police_local_incidents": "handelsenummer VARCHAR, handelsetid TIMESTAMP, brottskod VARCHAR, handelsetyp VARCHAR, plats VARCHAR, nord DOUBLE, ost DOUBLE",
    "police_events": "id BIGINT, published_at TIMESTAMPTZ, name VARCHAR, summary VARCHAR, url VARCHAR, type VARCHAR, location_name VARCHAR, gps_lat DOUBLE, gps_lon DOUBLE, incident_at TIMESTAMP, is_summary BOOLEAN",
    "fault_reports": "arendenummer VARCHAR, registrerad TIMESTAMP, arendetyp VARCHAR, beskrivning VARCHAR, adress VARCHAR, latitud DOUBLE, longitud DOUBLE",
    "field_observations": "datum DATE, plats_id VARCHAR, plats VARCHAR, antal_ungdomar INTEGER, stamning VARCHAR, observation VARCHAR, kommentar VARCHAR",
    "property_incidents": "arende_id VARCHAR, datum TIMESTAMP, arendetyp VARCHAR, adress VARCHAR, fastighet VARCHAR, kostnad_kr DOUBLE, beskrivning VARCHAR",
    "checklist_ratings": "vecka VARCHAR, partner VARCHAR, omrades_id VARCHAR, plats_id VARCHAR, checklistpunkt VARCHAR, bedomning VARCHAR, kommentar VARCHAR, inskickad TIMESTAMP",
    "interventions": "insats_id VARCHAR, beslutsdatum DATE, omrades_id VARCHAR, plats_id VARCHAR, insatstyp VARCHAR, ansvarig VARCHAR, startdatum DATE, slutdatum DATE, intensitet VARCHAR, kostnad_kr DOUBLE, beskrivning VARCHAR",
    "safety_survey": "svars_id VARCHAR, ar INTEGER, omrades_id VARCHAR, aldersgrupp VARCHAR, trygg_dag INTEGER, trygg_kvall INTEGER, oro_brott INTEGER, problem_ordning INTEGER",
    "areas": "area_id VARCHAR, area_name VARCHAR, municipality_code VARCHAR, municipality_name VARCHAR, geometry_wkt VARCHAR",
    "places": "place_id VARCHAR, area_id VARCHAR, place_name VARCHAR, place_type VARCHAR, place_kind VARCHAR, geometry_wkt VARCHAR",
    "addresses": "adress VARCHAR, postnummer VARCHAR, ort VARCHAR, plats_id VARCHAR, omrades_id VARCHAR, fastighet VARCHAR",
    "area_population": "omrades_id VARCHAR, ar INTEGER, folkmangd INTEGER",
    "area_deso": "omrades_id VARCHAR, deso VARCHAR, andel DOUBLE, omradesnamn VARCHAR",
    "deso_population": "deso VARCHAR, ar INTEGER, folkmangd INTEGER",
}


def square(x0: float, y0: float, x1: float, y1: float) -> str:
    return f"POLYGON(({x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0}))"


def write_handcrafted_raw(warehouse: Path) -> None:
    """Two areas side by side (NV01 west, NV02 east, 1 km squares in SWEREF 99 TM), a square
    in NV01 and a stairwell in NV02, two weeks of events (2021-W09, 2021-W10)."""
    from est_pipeline.lib.geo import sweref_to_wgs84

    stair_lat, stair_lon = sweref_to_wgs84([501520.0], [6600520.0])
    open_lat, open_lon = sweref_to_wgs84([500600.0], [6600800.0])
    rows: dict[str, list[tuple[Any, ...]]] = {
        "areas": [
            ("NV01", "Norr", "9001", "Norrvik", square(500000, 6600000, 501000, 6601000)),
            ("NV02", "Söder", "9001", "Norrvik", square(501000, 6600000, 502000, 6601000)),
        ],
        "places": [
            ("NV01-P01", "NV01", "Torget", "public", "square", square(500100, 6600100, 500300, 6600300)),
            ("NV02-P01", "NV02", "Trapphus 1", "semi_public", "stairwell", square(501500, 6600500, 501550, 6600550)),
        ],
        "addresses": [
            ("Storgatan 1", "70000", "Norrvik", "NV01-P01", "NV01", "Norrvik 1:1"),
            ("Parkvägen 2", "70001", "Norrvik", None, "NV02", "Norrvik 2:2"),
        ],
        "area_population": [("NV01", 2021, 2000), ("NV02", 2021, 4000)],
        "area_deso": [("NV01", "9001A0010", 0.25, None), ("NV02", "9001A0010", 0.75, None)],
        "police_local_incidents": [
            # in the square (SWEREF): counted; duplicated by housing case H1 80 minutes later
            ("P1", datetime(2021, 3, 3, 22, 0), "1203", "Skadegörelse", "Torget", 6600200.0, 500200.0),
            # open ground in NV02 (area only)
            ("P2", datetime(2021, 3, 4, 10, 0), "0392", "Misshandel", "Parken", 6600600.0, 501200.0),
            # an unmapped type: surfaced, not counted
            ("P3", datetime(2021, 3, 5, 10, 0), "9999", "Övrigt ärende", "x", 6600600.0, 501300.0),
            # outside both areas: unlocated
            ("P4", datetime(2021, 3, 9, 1, 0), "1203", "Skadegörelse", "Utanför", 6605000.0, 505000.0),
            # open ground NV01, 140 m from fault report F2 within the hour: duplicate
            ("P5", datetime(2021, 3, 10, 12, 0), "1202", "Klotter", "Gatan", 6600800.0, 500740.0),
        ],
        "fault_reports": [
            # WGS84 point in the NV02 stairwell
            ("F1", datetime(2021, 3, 8, 14, 0), "Klotter", "klotter", "Parkvägen 2", float(stair_lat[0]), float(stair_lon[0])),
            # WGS84 open ground NV01, 140 m from P5, 30 minutes earlier
            ("F2", datetime(2021, 3, 10, 11, 30), "Klotter", "klotter", None, float(open_lat[0]), float(open_lon[0])),
        ],
        "field_observations": [
            (date(2021, 3, 5), "NV01-P01", "Torget", 12, "gul", "Ungdomsgrupp", None),
        ],
        "property_incidents": [
            ("H1", datetime(2021, 3, 3, 23, 20), "Skadegörelse", "STORGATAN  1", None, 1000.0, None),
            ("H2", datetime(2021, 3, 10, 8, 0), "Förrådsinbrott", "Okänd gata 9", None, None, None),
            ("H3", datetime(2021, 3, 11, 8, 0), "Förrådsinbrott", "Okänd gata 9", "Norrvik 2:2", None, None),
        ],
        "checklist_ratings": [
            ("2021-W09", "Polis", "NV01", None, "Krossade rutor", "orange", None, None),
            ("2021-W09", "Kommun", "NV01", "NV01-P01", "Krossade rutor", "gul", None, None),
            ("2021-W09", "Kommun", "NV01", "NV01-P01", "Krossade rutor", "röd", None, datetime(2021, 3, 7, 9, 0)),
        ],
        "interventions": [
            ("I1", date(2021, 2, 1), "NV01", None, "Polisiär närvaro", "Polis, Kommun", date(2021, 3, 2), None, "hög", 1000.0, None),
            ("I2", date(2021, 2, 1), "NV02", None, "Städinsats", "Fastighetsbolag", date(2021, 3, 1), date(2021, 3, 7), "låg", None, None),
            ("I3", date(2021, 2, 1), "NV02", None, "Okänd insats", "Kommun", date(2021, 3, 1), None, "medel", None, None),
        ],
        "police_deso_crimes": [
            ("1", "1203", "Skadegörelse", date(2021, 3, 4), date(2021, 3, 3), "Norrvik", "Län", "9001A0010", 4),
        ],
    }
    write_raw(warehouse, rows)


def write_raw(warehouse: Path, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    """Every raw table of ``RAW_TABLES``, holding ``rows`` (a table not named stays empty)."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema if not exists raw")
        for table, columns in RAW_TABLES.items():
            con.execute(f"create or replace table raw.{table} ({columns}, {PROVENANCE})")
            for i, row in enumerate(rows.get(table, [])):
                params = ", ".join("?" for _ in row)
                con.execute(
                    f"insert into raw.{table} values ({params}, ?, ?, ?, ?, NULL)",
                    [*row, f"{table}.csv", f"hash-{table}", i + 2, datetime(2021, 3, 15, 6, 0)],
                )
