"""dbt models as Dagster assets (informationssammanställning and lägesbild).

Two sets, split by dbt tag so later marts slot in without touching these:

- ``est_dbt_unpartitioned``: seeds, staging, intermediate and the full-history marts
  (area_week_outcomes, area_week_interventions, unmapped_source_types). Cheap to rebuild
  whole, and the weekly marts read their trailing baselines from them.
- ``est_dbt_weekly`` (``tag:weekly``): the incremental weekly marts on weekly partitions. A
  run of any number of weeks is ONE dbt invocation (``BackfillPolicy.single_run()``): the
  run's partition window becomes ``--vars {min_date, max_date}`` and each model deletes and
  re-inserts exactly those weeks.

The prioritisation concern adds ``tag:period`` and ``tag:yearly`` sets next to these; they
are excluded from the unpartitioned set by :data:`PARTITIONED_TAGS`.

dbt tests are asset checks; each check's description says in words what the test checks
and what a failure means (:mod:`est_pipeline.defs.dbt.checks`).

Metadata: DuckDB lets one process at a time open the warehouse file, and dbt holds it for
its whole run, so dagster-dbt's ``fetch_row_counts()`` / ``fetch_column_metadata()`` (which
query while dbt runs, from this process) cannot reach it. Instead the events are collected
while dbt runs and, once it has exited, row counts and column schemas are read in one
short read-only connection and attached before the events are reported.
"""

# No `from __future__ import annotations` here: Dagster reads the `context` annotation of
# the @dbt_assets functions at definition time and needs the real class, not a string.

import json
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster import AssetExecutionContext
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliInvocation, DbtCliResource, dbt_assets

from est_pipeline.defs.dbt.checks import check_description
from est_pipeline.defs.dbt.project import get_dbt_project, prepare_manifest
from est_pipeline.defs.partitions import window_vars, weekly_partitions
from est_pipeline.lib.warehouse import connect, wait_until_writable
from est_pipeline.settings import export_dbt_environment

#: dbt tags of partitioned model sets; everything else runs unpartitioned.
WEEKLY_TAG = "weekly"
PARTITIONED_TAGS = ("weekly", "period", "yearly")
UNPARTITIONED_EXCLUDE = " ".join(f"tag:{tag}" for tag in PARTITIONED_TAGS)

_LAYER_GROUPS = {"staging": "staging", "intermediate": "intermediate", "marts": "marts"}


class EstDbtTranslator(DagsterDbtTranslator):
    """Model and seed keys are their names (``AssetKey(["weekly_situation"])``, what the
    other concerns depend on; dagster-dbt would prefix the custom schema); sources are the
    ingest concern's ``raw/<table>`` assets; groups follow the dbt layer folders."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey(["raw", dbt_resource_props["name"]])
        meta = dbt_resource_props.get("config", {}).get("meta", {}) or dbt_resource_props.get("meta", {})
        if meta.get("dagster", {}).get("asset_key"):
            return super().get_asset_key(dbt_resource_props)
        return dg.AssetKey([dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "seeds"
        fqn = dbt_resource_props.get("fqn", [])
        if len(fqn) > 2 and fqn[1] in _LAYER_GROUPS:
            return _LAYER_GROUPS[fqn[1]]
        return super().get_group_name(dbt_resource_props)

    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: Any,
    ) -> dg.AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        return spec._replace(description=check_description(manifest["nodes"][unique_id], manifest))


TRANSLATOR = EstDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def dbt_window_args(start: datetime | date, end: datetime | date) -> list[str]:
    """The ``--vars`` arguments for a partition window (start inclusive, end exclusive).

    The window is a run's whole partition range, so a backfill of 156 weeks is one
    ``dbt build`` with ``min_date`` the first Monday and ``max_date`` the Monday after.
    """
    return ["--vars", json.dumps(window_vars(start, end), sort_keys=True)]


def _table_metadata(con: Any, schema: str, name: str, node: Mapping[str, Any], window: Mapping[str, str] | None) -> dict[str, Any]:
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, name],
    ).fetchall()
    if not columns:
        return {}
    described = node.get("columns", {})
    schema_meta = dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=column,
                type=data_type,
                description=(described.get(column) or {}).get("description") or None,
            )
            for column, data_type in columns
        ]
    )
    meta: dict[str, Any] = {"dagster/column_schema": schema_meta}
    if node["config"].get("materialized") != "view":
        meta["dagster/row_count"] = dg.MetadataValue.int(
            con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
        )
        if window is not None and "week_start" in {c for c, _ in columns}:
            meta["window_row_count"] = dg.MetadataValue.int(
                con.execute(
                    f'select count(*) from "{schema}"."{name}" where week_start >= ? and week_start < ?',
                    [window["min_date"], window["max_date"]],
                ).fetchone()[0]
            )
            meta["window"] = f"{window['min_date']} .. {window['max_date']} (end exclusive)"
    return meta


def _with_table_metadata(con: Any, event: Any, manifest: Mapping[str, Any], window: Mapping[str, str] | None) -> Any:
    if not isinstance(event, (dg.Output, dg.AssetMaterialization)) or "unique_id" not in event.metadata:
        return event
    node = manifest["nodes"].get(event.metadata["unique_id"].value)
    if node is None:
        return event
    extra = _table_metadata(con, node["schema"], node.get("alias") or node["name"], node, window)
    return event.with_metadata({**event.metadata, **extra})


def run_dbt(
    context: AssetExecutionContext,
    dbt: DbtCliResource,
    args: Sequence[str],
    window: Mapping[str, str] | None = None,
) -> Iterator[Any]:
    """Run one dbt command for the selected assets and report its events with metadata.

    Events are held until dbt exits (see module docstring), then reported with row counts
    and column schemas. A failed model or test fails the step after every successful
    model's materialisation has been reported, so Dagster's record matches the warehouse.
    """
    export_dbt_environment()
    # dbt opens the warehouse itself and fails at once on another process's lock (an
    # analyst's session): wait for it here with the same bounded back-off as every other
    # writer, and fail with a message that names the holder.
    wait_until_writable()
    # A test that spans both sets (a weekly mart's relationship to a staging model) must run
    # with the weekly set, when both of its models exist. dbt's default "eager" selection
    # would also run it with the unpartitioned set, before the weekly table exists.
    # "buildable" runs a test when all its parents are selected or upstream of the
    # selection. (dagster-dbt overrides this itself when it selects tests explicitly.) The
    # dbt subprocess copies the environment when it starts, so the change is scoped to it.
    previous = os.environ.get("DBT_INDIRECT_SELECTION")
    os.environ["DBT_INDIRECT_SELECTION"] = "buildable"
    try:
        invocation: DbtCliInvocation = dbt.cli(list(args), context=context, raise_on_error=False)
    finally:
        if previous is None:
            os.environ.pop("DBT_INDIRECT_SELECTION", None)
        else:
            os.environ["DBT_INDIRECT_SELECTION"] = previous
    events = list(invocation.stream())
    reported = events
    try:
        with connect(read_only=True) as con:
            reported = [_with_table_metadata(con, event, invocation.manifest, window) for event in events]
    except duckdb.Error as error:  # metadata is a courtesy: never lose the events over it
        context.log.warning(f"could not read table metadata from the warehouse: {error}")
    yield from reported
    if not invocation.is_successful():
        # Keep the invocation's target/ folder: the error names its dbt.log.
        raise invocation.get_error() or dg.Failure(f"dbt {' '.join(args)} failed")
    # Every invocation writes its own target/<step>-<run>/ folder; once its events are
    # reported it has served its purpose, and weekly runs would otherwise pile them up.
    project_target = (get_dbt_project().project_dir / get_dbt_project().target_path).resolve()
    run_target = Path(invocation.target_path).resolve()
    if run_target.parent == project_target:  # never the shared target/ with the manifest
        shutil.rmtree(run_target, ignore_errors=True)


@cache
def get_dbt_assets() -> tuple[dg.AssetsDefinition, dg.AssetsDefinition]:
    """The two dbt asset sets (built once per process, after making sure of the manifest)."""
    manifest = prepare_manifest()
    project = get_dbt_project()

    @dbt_assets(
        manifest=manifest,
        project=project,
        exclude=UNPARTITIONED_EXCLUDE,
        name="est_dbt_unpartitioned",
        dagster_dbt_translator=TRANSLATOR,
    )
    def est_dbt_unpartitioned(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        yield from run_dbt(context, dbt, ["build"])

    @dbt_assets(
        manifest=manifest,
        project=project,
        select=f"tag:{WEEKLY_TAG}",
        name="est_dbt_weekly",
        partitions_def=weekly_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        dagster_dbt_translator=TRANSLATOR,
    )
    def est_dbt_weekly(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        window = context.partition_time_window
        args = dbt_window_args(window.start, window.end)
        context.log.info(f"dbt window {args[1]} ({len(context.partition_keys)} week(s))")
        yield from run_dbt(context, dbt, ["build", *args], window=window_vars(window.start, window.end))

    return est_dbt_unpartitioned, est_dbt_weekly


def unpartitioned_dbt_assets() -> dg.AssetsDefinition:
    return get_dbt_assets()[0]


def weekly_dbt_assets() -> dg.AssetsDefinition:
    return get_dbt_assets()[1]
