"""Late data: when an ingest asset loads rows for earlier weeks, rebuild exactly those weeks,
their lägesbild and the BI copy.

Every ingest asset (``raw/<table>``) reports ``weeks_touched``: the Mondays of the weeks its
new rows belong to. This sensor reads those from new materialisations of the raw tables
that dbt uses and requests the weekly job (marts, weekly report, publication) for exactly
those weeks, one run per run of consecutive weeks (partition range tags: one dbt invocation each). Weeks that are not
(yet) partitions (the current week, or before the first partition) are left to the
Monday schedule.

A week whose weekly mart was rebuilt after the rows landed is not requested again: `make
demo` ingests and then backfills every week, so the first tick of `make dev` afterwards
must not start a rebuild of three years. Only those weeks are rebuilt. A later week's trailing baseline, which includes a changed
week, is refreshed when that later week is rebuilt (its own schedule run or a backfill).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

import dagster as dg

from est_pipeline.defs.dbt.assets import get_dbt_assets
from est_pipeline.defs.delivery import TRIGGER_TAG
from est_pipeline.defs.dbt.schedules import WEEKLY_JOB_NAME, partition_range_tags, weekly_situation_job
from est_pipeline.defs.partitions import weekly_partitions


def weeks_from_metadata(value: Any) -> list[date]:
    """``weeks_touched`` as dates, whether stored as a JSON list or as JSON text."""
    raw = getattr(value, "value", value)
    if isinstance(raw, str):
        raw = json.loads(raw) if raw.strip() else []
    if raw is None:
        return []
    return sorted({date.fromisoformat(str(item)[:10]) for item in raw})


def contiguous_week_ranges(weeks: Iterable[date]) -> list[tuple[date, date]]:
    """[(first, last)] runs of consecutive Mondays, last inclusive."""
    ordered = sorted(set(weeks))
    ranges: list[tuple[date, date]] = []
    for week in ordered:
        if ranges and week - ranges[-1][1] == timedelta(days=7):
            ranges[-1] = (ranges[-1][0], week)
        else:
            ranges.append((week, week))
    return ranges


def late_data_run_requests(weeks: Sequence[date], existing_keys: set[str], run_key_prefix: str) -> list[dg.RunRequest]:
    """One RunRequest per run of consecutive weeks that are existing partitions."""
    valid = [w for w in weeks if w.isoformat() in existing_keys]
    requests = []
    for first, last in contiguous_week_ranges(valid):
        tags = partition_range_tags(first.isoformat(), last.isoformat())
        tags[TRIGGER_TAG] = "weekly_late_data_sensor"
        requests.append(
            dg.RunRequest(
                run_key=f"{run_key_prefix}:{first.isoformat()}:{last.isoformat()}",
                job_name=WEEKLY_JOB_NAME,
                tags=tags,
            )
        )
    return requests


def raw_source_keys() -> list[dg.AssetKey]:
    """The raw tables the dbt models read (the dbt sources' asset keys)."""
    unpartitioned, weekly = get_dbt_assets()
    keys = {key for assets in (unpartitioned, weekly) for key in assets.dependency_keys}
    return sorted((k for k in keys if k.path[0] == "raw"), key=lambda k: k.to_user_string())


WEEKLY_MART_KEY = dg.AssetKey(["weekly_situation"])


def _rebuilt_after(instance: dg.DagsterInstance, week_key: str, storage_id: int) -> bool:
    """Was the week's weekly mart materialised after the raw rows for it were loaded?"""
    result = instance.fetch_materializations(
        dg.AssetRecordsFilter(
            asset_key=WEEKLY_MART_KEY, asset_partitions=[week_key], after_storage_id=storage_id
        ),
        limit=1,
    )
    return bool(result.records)


def build_late_data_sensor() -> dg.SensorDefinition:
    @dg.sensor(
        name="weekly_late_data_sensor",
        jobs=[weekly_situation_job()],
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "Re-run the weekly job (marts, lägesbild, BI publication) for exactly the weeks "
            "that newly ingested rows belong to."
        ),
    )
    def weekly_late_data_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        after = int(context.cursor) if context.cursor else 0
        newest = after
        # week -> the newest raw materialisation that touched it
        touched: dict[date, int] = {}
        for key in raw_source_keys():
            result = context.instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=key, after_storage_id=after), limit=1000, ascending=True
            )
            for record in result.records:
                newest = max(newest, record.storage_id)
                materialization = record.asset_materialization
                if materialization is not None and "weeks_touched" in materialization.metadata:
                    for week in weeks_from_metadata(materialization.metadata["weeks_touched"]):
                        touched[week] = max(touched.get(week, 0), record.storage_id)
        if newest == after:
            return dg.SkipReason("no new raw table materialisations")
        existing = set(weekly_partitions.get_partition_keys(dynamic_partitions_store=context.instance))
        weeks = {
            week
            for week, storage_id in touched.items()
            if week.isoformat() in existing
            and not _rebuilt_after(context.instance, week.isoformat(), storage_id)
        }
        requests = late_data_run_requests(sorted(weeks), existing, run_key_prefix=f"late-{newest}")
        if not requests:
            return dg.SensorResult(
                skip_reason=dg.SkipReason("new raw rows touch no complete weekly partition"),
                cursor=str(newest),
            )
        return dg.SensorResult(run_requests=requests, cursor=str(newest))

    return weekly_late_data_sensor
