"""Publish after every successful run that materialised a mart.

A weekly schedule run (or a backfill, or a click in the UI) rebuilds marts in a partitioned
run; the published warehouse is unpartitioned, so it is brought up to date by a run of its
own that this sensor requests when such a run succeeds. Failed runs request nothing: the
published state stays the last complete one.
"""

from __future__ import annotations

import dagster as dg

from est_pipeline.defs.publish.assets import PUBLISHED_KEY
from est_pipeline.defs.publish.marts import is_mart

PUBLISH_JOB_NAME = "publish_warehouse_job"
SOURCE_RUN_TAG = "est/published_after_run"

publish_job = dg.define_asset_job(
    PUBLISH_JOB_NAME,
    selection=dg.AssetSelection.assets(PUBLISHED_KEY),
    description="Publish the marts to the read-only BI warehouse (docs/bi.md).",
)


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    name="publish_after_mart_runs",
    request_job=publish_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=5,
    description="Requests a publish run after each successful run that materialised a mart.",
)
def publish_after_mart_runs(context: dg.RunStatusSensorContext):
    return decide_publish(context)


def decide_publish(context: dg.RunStatusSensorContext) -> dg.RunRequest | dg.SkipReason:
    run = context.dagster_run
    if run.job_name == PUBLISH_JOB_NAME:
        return dg.SkipReason("The run was a publish run.")
    materialised = {
        record.asset_key
        for record in _materialisations(context.instance, run.run_id)
        if record.asset_key is not None
    }
    if PUBLISHED_KEY in materialised:
        return dg.SkipReason(f"Run {run.run_id} already published the warehouse.")
    graph = context.repository_def.asset_graph if context.repository_def else None
    marts = sorted(
        key.to_user_string()
        for key in materialised
        if graph is not None
        and graph.has(key)
        and is_mart(key, graph.get(key).group_name, graph.get(key).tags, graph.get(key).metadata)
    )
    if not marts:
        return dg.SkipReason(f"Run {run.run_id} materialised no mart.")
    waiting = context.instance.get_runs(
        filters=dg.RunsFilter(
            job_name=PUBLISH_JOB_NAME,
            statuses=[dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED],
        ),
        limit=1,
    )
    if waiting:
        # The queued publish run reads the warehouse when it starts, so it already covers
        # this run: a backfill of 150 weeks ends with one publish, not 150.
        return dg.SkipReason(f"Publish run {waiting[0].run_id} is already waiting in the queue.")
    return dg.RunRequest(
        run_key=f"publish-after-{run.run_id}",
        tags={SOURCE_RUN_TAG: run.run_id},
    )


def _materialisations(instance: dg.DagsterInstance, run_id: str):
    return [
        entry.dagster_event.event_specific_data.materialization
        for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
        if entry.dagster_event is not None
    ]
