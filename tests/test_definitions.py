"""The code location loads, runs steps in-process, and its asset keys do not drift by accident."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import pytest

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_keys.txt"


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    from est_pipeline.defs import load_all_defs

    return load_all_defs()


def test_definitions_load_and_validate(defs: dg.Definitions) -> None:
    dg.Definitions.validate_loadable(defs)


def test_every_run_executes_in_process(defs: dg.Definitions) -> None:
    # DuckDB allows one writing process per file: the multiprocess executor would make two
    # steps of one run fight over the warehouse lock.
    assert defs.executor is dg.in_process_executor


def test_asset_keys_match_snapshot(defs: dg.Definitions) -> None:
    keys = sorted(k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys())
    if os.environ.get("EST_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text("\n".join(keys) + "\n", encoding="utf-8")
    expected = SNAPSHOT.read_text(encoding="utf-8").split()
    assert keys == expected, (
        "Asset keys changed. BI tools, schedules and sensors depend on them; if the change is "
        "intended, rerun with EST_UPDATE_SNAPSHOTS=1 and commit tests/snapshots/asset_keys.txt"
    )


def test_schedules_follow_the_method_rhythm(defs: dg.Definitions) -> None:
    schedules = {s.name: s for s in defs.schedules or []}
    weekly = [s for s in schedules.values() if s.cron_schedule == "0 6 * * 1"]
    assert weekly, f"no Monday 06:00 schedule among {sorted(schedules)}"
    assert all(s.execution_timezone == "Europe/Stockholm" for s in schedules.values())


def test_sensors_for_landing_files_and_late_data_exist(defs: dg.Definitions) -> None:
    names = {s.name for s in defs.sensors or []}
    assert "landing_sensor" in names
    assert len(names) >= 2, names


def test_every_scheduled_or_sensor_job_delivers_its_report_and_publishes(defs: dg.Definitions) -> None:
    """A run that rebuilds marts also renders the report built from them and publishes."""
    expected = {
        "weekly_situation_schedule": ("weekly_situation_job", "weekly_report", "weekly_situation"),
        "period_prioritisation_schedule": ("period_prioritisation_job", "period_report", "period_prioritisation"),
        "yearly_followup_schedule": ("yearly_followup_job", "yearly_report", "yearly_area_followup"),
    }
    schedules = {s.name: s for s in defs.schedules or []}
    jobs = {job: (report, mart) for job, report, mart in expected.values()}
    for name, (job, _report, _mart) in expected.items():
        assert schedules[name].job_name == job
    late = next(s for s in defs.sensors or [] if s.name == "weekly_late_data_sensor")
    assert [j.name for j in late.jobs] == ["weekly_situation_job"]
    for job, (report, mart) in jobs.items():
        keys = {k.to_user_string() for k in defs.resolve_job_def(job).asset_layer.selected_asset_keys}
        assert {mart, report, "published/warehouse"} <= keys, (job, sorted(keys))
    yearly = {k.to_user_string() for k in defs.resolve_job_def("yearly_followup_job").asset_layer.selected_asset_keys}
    assert "marts/intervention_effects" in yearly
    assert schedules["yearly_followup_schedule"].cron_schedule == "0 8 * 1 1"
