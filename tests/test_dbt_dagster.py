"""The Dagster side of the dbt concern, without running dbt: asset graph, partition window →
dbt vars, the Monday schedule and the late-data sensor's decisions."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from est_pipeline.defs.dbt.assets import dbt_window_args, get_dbt_assets
from est_pipeline.defs.dbt.sensors import contiguous_week_ranges, late_data_run_requests, weeks_from_metadata
from est_pipeline.defs.partitions import weekly_partitions
from test_dbt_support import dbt_manifest, dbt_only_defs  # noqa: F401 (dbt_manifest: session fixture)

pytestmark = pytest.mark.usefixtures("dbt_manifest")

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def window_of(first_key: str, last_key: str) -> tuple[datetime, datetime]:
    start = weekly_partitions.time_window_for_partition_key(first_key).start
    end = weekly_partitions.time_window_for_partition_key(last_key).end
    return start, end


def vars_of(args: list[str]) -> dict[str, str]:
    assert args[0] == "--vars"
    return json.loads(args[1])


def test_one_partition_becomes_its_monday_to_next_monday() -> None:
    assert vars_of(dbt_window_args(*window_of("2021-03-01", "2021-03-01"))) == {
        "min_date": "2021-03-01", "max_date": "2021-03-08"
    }


def test_week_53_and_summer_time_change_keep_whole_local_days() -> None:
    # 2020-W53 spans the new year; 2021-03-29's week starts the day after clocks go forward.
    assert vars_of(dbt_window_args(*window_of("2020-12-28", "2020-12-28"))) == {
        "min_date": "2020-12-28", "max_date": "2021-01-04"
    }
    start, end = window_of("2021-03-22", "2021-03-29")
    assert start.tzinfo is not None and start.utcoffset() != end.utcoffset()
    assert vars_of(dbt_window_args(start, end)) == {"min_date": "2021-03-22", "max_date": "2021-04-05"}


def test_a_range_of_weeks_is_one_window() -> None:
    """Three demo years are one --vars window, i.e. one dbt invocation."""
    start, end = window_of("2019-12-30", "2022-12-26")
    assert vars_of(dbt_window_args(start, end)) == {"min_date": "2019-12-30", "max_date": "2023-01-02"}


def test_asset_graph_keys_groups_and_partitions() -> None:
    defs = dbt_only_defs()
    graph = defs.resolve_asset_graph()
    weekly = graph.get(dg.AssetKey(["weekly_situation"]))
    assert weekly.partitions_def == weekly_partitions
    assert weekly.group_name == "marts"
    assert graph.get(dg.AssetKey(["int_events__deduplicated"])).group_name == "intermediate"
    assert graph.get(dg.AssetKey(["stg_police__local_incidents"])).group_name == "staging"
    assert graph.get(dg.AssetKey(["category_mapping"])).group_name == "seeds"
    # The full-history event models are unpartitioned; the per-week grids (the estimation
    # panel included) are built per weekly partition, so a Monday touches one week.
    assert graph.get(dg.AssetKey(["int_events__deduplicated"])).partitions_def is None
    assert graph.get(dg.AssetKey(["area_week_outcomes"])).partitions_def == weekly_partitions
    # dbt sources are the ingest concern's raw/<table> assets
    assert dg.AssetKey(["raw", "police_local_incidents"]) in graph.get(
        dg.AssetKey(["stg_police__local_incidents"])
    ).parent_keys
    # dbt tests are asset checks
    assert any(k.asset_key == dg.AssetKey(["weekly_situation"]) for k in graph.asset_check_keys)
    unpartitioned, weekly_assets = get_dbt_assets()
    assert weekly_assets.backfill_policy == dg.BackfillPolicy.single_run()
    assert {k.to_user_string() for k in weekly_assets.keys} == {
        "weekly_situation", "weekly_area_summary", "weekly_unlocated_events", "area_week_outcomes",
        "int_area_week_category_events", "int_police_crimes_area_week_category",
        "int_checklist_ratings", "int_checklist_area_week_category",
    }
    assert not (set(unpartitioned.keys) & set(weekly_assets.keys))


def test_schedule_runs_last_week_every_monday_at_six_stockholm() -> None:
    defs = dbt_only_defs()
    schedule = defs.get_schedule_def("weekly_situation_schedule")
    assert schedule.cron_schedule == "0 6 * * 1"
    assert schedule.execution_timezone == "Europe/Stockholm"
    tick = datetime(2021, 3, 8, 6, 0, tzinfo=STOCKHOLM)  # Monday of 2021-W10
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=tick)
        result = schedule.evaluate_tick(context)
    assert [r.partition_key for r in result.run_requests] == ["2021-03-01"]


def test_weeks_touched_metadata_is_read_as_json_list_or_text() -> None:
    expected = [date(2021, 3, 1), date(2021, 3, 8)]
    assert weeks_from_metadata(dg.MetadataValue.json(["2021-03-08", "2021-03-01", "2021-03-01"])) == expected
    assert weeks_from_metadata('["2021-03-01", "2021-03-08"]') == expected
    assert weeks_from_metadata(dg.MetadataValue.json([])) == []


def test_consecutive_weeks_become_ranges() -> None:
    weeks = [date(2021, 3, 1), date(2021, 3, 8), date(2021, 3, 22), date(2020, 12, 28), date(2021, 1, 4)]
    assert contiguous_week_ranges(weeks) == [
        (date(2020, 12, 28), date(2021, 1, 4)),
        (date(2021, 3, 1), date(2021, 3, 8)),
        (date(2021, 3, 22), date(2021, 3, 22)),
    ]


def test_run_requests_skip_weeks_that_are_not_partitions() -> None:
    existing = {"2021-03-01", "2021-03-08"}
    requests = late_data_run_requests([date(2021, 3, 1), date(2021, 3, 8), date(2099, 1, 5)], existing, "late-1")
    assert len(requests) == 1
    assert requests[0].tags["dagster/asset_partition_range_start"] == "2021-03-01"
    assert requests[0].tags["dagster/asset_partition_range_end"] == "2021-03-08"
    assert requests[0].job_name == "weekly_situation_job"


def _report(instance: dg.DagsterInstance, table: str, weeks: list[str]) -> None:
    instance.report_runless_asset_event(
        dg.AssetMaterialization(
            asset_key=dg.AssetKey(["raw", table]),
            metadata={"weeks_touched": dg.MetadataValue.json(weeks)},
        )
    )


def test_sensor_requests_exactly_the_touched_weeks_once() -> None:
    defs = dbt_only_defs()
    sensor = defs.get_sensor_def("weekly_late_data_sensor")
    with dg.instance_for_test() as instance:
        empty = sensor(dg.build_sensor_context(instance=instance, definitions=defs))
        assert isinstance(empty, dg.SkipReason)

        _report(instance, "police_local_incidents", ["2021-03-01", "2021-03-08"])
        _report(instance, "checklist_ratings", ["2021-03-22"])
        _report(instance, "fault_reports", ["2099-01-05"])  # not a partition (yet): left to the schedule
        result = sensor(dg.build_sensor_context(instance=instance, definitions=defs))
        ranges = sorted(
            (r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
            for r in result.run_requests
        )
        assert ranges == [("2021-03-01", "2021-03-08"), ("2021-03-22", "2021-03-22")]

        again = sensor(dg.build_sensor_context(instance=instance, definitions=defs, cursor=result.cursor))
        assert isinstance(again, dg.SkipReason)

        _report(instance, "property_incidents", ["2021-03-08"])
        late = sensor(dg.build_sensor_context(instance=instance, definitions=defs, cursor=result.cursor))
        assert [(r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
                for r in late.run_requests] == [("2021-03-08", "2021-03-08")]


@pytest.mark.parametrize("key", ["2019-12-30", "2020-12-28", "2022-12-26"])
def test_partition_keys_are_mondays(key: str) -> None:
    assert key in weekly_partitions.get_partition_keys()
    assert date.fromisoformat(key).isoweekday() == 1


def test_sensor_skips_weeks_rebuilt_after_the_rows_landed() -> None:
    """`make demo` ingests, then backfills every week: the first tick of `make dev` afterwards
    must not rebuild them again; a file that lands after the rebuild still does."""
    defs = dbt_only_defs()
    sensor = defs.get_sensor_def("weekly_late_data_sensor")
    with dg.instance_for_test() as instance:
        _report(instance, "police_local_incidents", ["2021-03-01", "2021-03-08"])
        instance.report_runless_asset_event(
            dg.AssetMaterialization(asset_key=dg.AssetKey(["weekly_situation"]), partition="2021-03-01")
        )
        result = sensor(dg.build_sensor_context(instance=instance, definitions=defs))
        assert [
            (r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
            for r in result.run_requests
        ] == [("2021-03-08", "2021-03-08")]

        _report(instance, "fault_reports", ["2021-03-01"])
        late = sensor(dg.build_sensor_context(instance=instance, definitions=defs, cursor=result.cursor))
        assert [
            (r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
            for r in late.run_requests
        ] == [("2021-03-01", "2021-03-01")]
