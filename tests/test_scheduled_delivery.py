"""The schedules deliver what the partners read: a scheduled weekly run, and a late-data re-run,
rebuild the marts, the week's lägesbild and the BI copy, in one run of the job.

Through Dagster's run machinery: the schedule (and the late-data sensor) is evaluated by
Dagster for a tick on a real instance (SQLite storage in a temporary folder); the run request
it returns is executed as a run of the job it names, with its partition and tags, as the
daemon would launch it. Data: the demo generator (4 areas, 2021-W01 … 2021-W20), ingested
by ``ingest_job``; a late partner file is ingested the same way.
"""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest
from test_reports_support import (  # noqa: F401  (dbt_manifest_now is a fixture)
    assert_figures_match,
    dbt_manifest_now,
    figures,
)

from est_pipeline.settings import export_dbt_environment, get_settings

STOCKHOLM = ZoneInfo("Europe/Stockholm")
WEEK = "2021-05-17"  # 2021-W20, the last week of the data
LABEL = "2021-W20"
MONDAY_AFTER = datetime(2021, 5, 24, 6, 0, tzinfo=STOCKHOLM)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, dbt_manifest_now: Path):
    data_dir = tmp_path_factory.mktemp("delivery") / "data"
    data_dir.mkdir()
    with pytest.MonkeyPatch.context() as mp, dg.instance_for_test() as instance:
        mp.setenv("EST_DATA_DIR", str(data_dir))
        mp.setenv("EST_WAREHOUSE_PATH", str(data_dir / "warehouse.duckdb"))
        mp.setenv("EST_PUBLISHED_WAREHOUSE_PATH", str(data_dir / "published" / "warehouse.duckdb"))
        export_dbt_environment()
        from est_pipeline.definitions import defs
        from est_pipeline.demo import DemoConfig, generate

        generate(data_dir, DemoConfig(areas=4, weeks=20, start_week="2021-W01"))
        ingest = defs.resolve_job_def("ingest_job").execute_in_process(instance=instance)
        assert ingest.success
        yield {"defs": defs, "instance": instance, "data_dir": data_dir}


def _launch(defs: dg.Definitions, instance: dg.DagsterInstance, job_name: str,
            request: dg.RunRequest, extra_tags: dict[str, str]) -> dg.ExecuteInProcessResult:
    """Run the request as the daemon would: the job it names, its partition, its tags."""
    result = defs.resolve_job_def(job_name).execute_in_process(
        instance=instance,
        partition_key=request.partition_key,
        tags={**extra_tags, **request.tags},
        raise_on_error=False,
    )
    failures = [e.event_specific_data.error.message[:1500] for e in result.all_events
                if e.event_type_value == "STEP_FAILURE"]
    assert result.success, failures
    return result


def _area_totals(report: str) -> dict[str, float]:
    return {f["key"]: float(f["value"]) for f in figures(report)
            if f["mart"] == "weekly_area_summary" and f["col"] == "incidents_total"}


def test_the_monday_schedule_delivers_the_weeks_lagesbild_and_publishes(world) -> None:
    defs, instance = world["defs"], world["instance"]
    schedule = defs.get_schedule_def("weekly_situation_schedule")
    with dg.build_schedule_context(instance=instance, scheduled_execution_time=MONDAY_AFTER,
                                   repository_def=defs.get_repository_def()) as context:
        tick = schedule.evaluate_tick(context)
    (request,) = tick.run_requests
    assert request.partition_key == WEEK

    report = get_settings().reports_dir / "weekly" / f"lagesbild_{LABEL}.html"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("last week's stale report", encoding="utf-8")

    result = _launch(defs, instance, schedule.job_name, request, dict(schedule.tags))
    run = instance.get_run_by_id(result.run_id)
    assert run.job_name == "weekly_situation_job"
    assert run.tags["est/trigger"] == "weekly_situation_schedule"
    materialised = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert {"weekly_situation", "weekly_report", "published/warehouse"} <= materialised

    # The week's report was rewritten from the marts the same run built.
    text = report.read_text(encoding="utf-8")
    assert "stale" not in text and f"({LABEL})" in text
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        checked = assert_figures_match(con, text, {
            "weekly_situation": ("select * from marts.weekly_situation where week_start = ?", [WEEK],
                                 ["area_id", "category"]),
            "weekly_area_summary": ("select * from marts.weekly_area_summary where week_start = ?", [WEEK],
                                    ["area_id"]),
        })
    assert checked > 20
    # ... and the BI copy is the state this run left.
    with duckdb.connect(str(get_settings().published_warehouse_path), read_only=True) as con:
        assert con.execute("select run_id from meta.publication").fetchone()[0] == result.run_id
        assert con.execute("select count(*) from totals.area_week where week_start = ?", [WEEK]).fetchone()[0] == 4


def _late_file(landing: Path) -> int:
    """Two more municipal fault reports in 2021-W20, at the place and of the type of one already
    counted in an area (same partner: never merged as duplicates). Returns how many."""
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        row = con.execute(
            """
            select f.registrerad, f.arendetyp, f.adress, f.latitud, f.longitud
            from raw.fault_reports f
            join intermediate.int_events__deduplicated e
              on e.source = 'fault_reports' and e.source_event_id = f.arendenummer
            where e.week_start = ? and e.is_counted and e.area_id is not null
              and dayofweek(f.registrerad) between 1 and 5 and hour(f.registrerad) < 20
            order by f.arendenummer limit 1
            """, [WEEK]).fetchone()
    assert row is not None, "a counted fault report in the week"
    at, kind, address, lat, lon = row
    path = landing / "fault_reports" / "felanmalningar_sen_leverans.csv"
    with open(path, "w", encoding="cp1252", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Ärendenummer", "Registrerad", "Ärendetyp", "Beskrivning", "Adress", "Latitud", "Longitud"])
        for i in (1, 2):
            writer.writerow([f"FE-SEN-{i}", (at + timedelta(minutes=10 * i)).strftime("%Y-%m-%d %H:%M"), kind,
                             "Sen leverans", address or "", str(lat).replace(".", ","), str(lon).replace(".", ",")])
    return 2


def test_late_data_rebuilds_the_weeks_report_and_publishes(world) -> None:
    defs, instance = world["defs"], world["instance"]
    report = get_settings().reports_dir / "weekly" / f"lagesbild_{LABEL}.html"
    before = _area_totals(report.read_text(encoding="utf-8"))
    assert before, "the scheduled run delivered the report first"
    sensor = defs.get_sensor_def("weekly_late_data_sensor")
    # The sensor has seen everything so far (a running deployment's cursor).
    cursor = str(instance.event_log_storage.get_maximum_record_id())

    added = _late_file(get_settings().landing_dir)
    landing = defs.get_sensor_def("landing_sensor")
    landing_result = landing(dg.build_sensor_context(instance=instance, definitions=defs))
    (ingest_request,) = landing_result.run_requests
    ingest = defs.resolve_job_def("ingest_job").execute_in_process(
        instance=instance, asset_selection=list(ingest_request.asset_selection), tags=ingest_request.tags)
    assert ingest.success

    late = sensor(dg.build_sensor_context(instance=instance, definitions=defs, cursor=cursor))
    (request,) = late.run_requests
    assert request.job_name == "weekly_situation_job"
    assert (request.tags["dagster/asset_partition_range_start"], request.tags["dagster/asset_partition_range_end"]) == (WEEK, WEEK)
    result = _launch(defs, instance, request.job_name, request, {})
    assert instance.get_run_by_id(result.run_id).tags["est/trigger"] == "weekly_late_data_sensor"

    after = _area_totals(report.read_text(encoding="utf-8"))
    assert sum(after.values()) == pytest.approx(sum(before.values()) + added)
    with duckdb.connect(str(get_settings().published_warehouse_path), read_only=True) as con:
        assert con.execute("select run_id from meta.publication").fetchone()[0] == result.run_id
        published = con.execute("select sum(incidents_total) from totals.area_week where week_start = ?",
                                [WEEK]).fetchone()[0]
    assert published == pytest.approx(sum(after.values()))
