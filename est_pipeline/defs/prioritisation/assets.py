"""The prioritisation and follow-up marts as Dagster assets (beslut om insatser, uppföljning).

Two dbt asset sets next to the dbt concern's unpartitioned and weekly ones, split by dbt tag:

- ``est_dbt_period`` (``tag:period``): period_prioritisation, period_priority_drivers,
  period_suggested_interventions, hot_spots on analysis-period partitions (quarters, or
  tertials when ``EST_ANALYSIS_PERIOD=tertial``).
- ``est_dbt_yearly`` and ``est_dbt_yearly_estimates`` (``tag:yearly``): yearly_area_followup,
  and yearly_intervention_followup (after the estimation asset), on yearly partitions.

A run of any number of partitions is one dbt invocation (``BackfillPolicy.single_run()``):
the run's window becomes ``--vars`` with ``min_date``/``max_date``, and the models delete and
re-insert exactly the periods (years) starting in it. The analysis period and the survey's
minimum group size travel as vars too, read from the settings when the run starts, so
switching to tertials or changing the suppression limit is configuration, not code.

The models' upstream (staging, intermediate, area_week_interventions, area_week_outcomes)
is the dbt concern's unpartitioned set; this module reuses its project, translator and
event reporting (``est_pipeline.defs.dbt.assets.run_dbt``).
"""


import json
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from est_pipeline.defs.dbt.assets import EstDbtTranslator, run_dbt
from est_pipeline.defs.dbt.project import get_dbt_project, prepare_manifest
from est_pipeline.defs.partitions import analysis_period_partitions, window_vars, yearly_partitions
from est_pipeline.settings import get_settings

PERIOD_TAG = "period"
#: The dbt CLI resource's key: the same resource as the weekly dbt assets.
DBT_RESOURCE_KEY = "dbt"
YEARLY_TAG = "yearly"
#: The yearly model that joins the estimation's marts.intervention_effects.
ESTIMATE_MODEL = "yearly_intervention_followup"


class PrioritisationDbtTranslator(EstDbtTranslator):
    """The dbt concern's keys and groups, except that a source which names its Dagster
    asset in ``meta.dagster.asset_key`` keeps that key: ``marts.intervention_effects`` is
    written by the estimation asset (``["marts", "intervention_effects"]``), not by ingest."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        meta = dbt_resource_props.get("meta") or dbt_resource_props.get("config", {}).get("meta") or {}
        if dbt_resource_props["resource_type"] == "source" and meta.get("dagster", {}).get("asset_key"):
            return DagsterDbtTranslator.get_asset_key(self, dbt_resource_props)
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if len(fqn) > 3 and fqn[1] == "marts" and fqn[2] in ("prioritisation", "followup"):
            return fqn[2]
        return super().get_group_name(dbt_resource_props)


TRANSLATOR = PrioritisationDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def dbt_run_vars(start: Any, end: Any) -> dict[str, Any]:
    """Everything a period or yearly run tells dbt: the window and the rhythm settings."""
    settings = get_settings()
    return {
        **window_vars(start, end),
        "analysis_period": settings.analysis_period,
        "survey_min_group_size": settings.survey_min_group_size,
    }


def _run_window(context: dg.AssetExecutionContext, dbt: DbtCliResource, unit: str) -> Iterator[Any]:
    window = context.partition_time_window
    dbt_vars = json.dumps(dbt_run_vars(window.start, window.end), sort_keys=True)
    context.log.info(f"dbt vars {dbt_vars} ({len(context.partition_keys)} {unit}(s))")
    yield from run_dbt(context, dbt, ["build", "--vars", dbt_vars], window=window_vars(window.start, window.end))


@cache
def get_prioritisation_assets() -> tuple[dg.AssetsDefinition, ...]:
    """The period asset set and the two yearly ones (built once per process).

    The yearly marts are two steps, not one: yearly_intervention_followup waits for the
    estimation asset (it joins its estimates), yearly_area_followup does not, so a failed
    estimation never holds back the area follow-up.
    """
    manifest = prepare_manifest()
    project = get_dbt_project()

    @dbt_assets(
        manifest=manifest,
        project=project,
        select=f"tag:{PERIOD_TAG}",
        name="est_dbt_period",
        partitions_def=analysis_period_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        dagster_dbt_translator=TRANSLATOR,
    )
    def est_dbt_period(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        yield from _run_window(context, dbt, get_settings().analysis_period)

    @dbt_assets(
        manifest=manifest,
        project=project,
        select=f"tag:{YEARLY_TAG}",
        exclude=ESTIMATE_MODEL,
        name="est_dbt_yearly",
        partitions_def=yearly_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        dagster_dbt_translator=TRANSLATOR,
    )
    def est_dbt_yearly(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        yield from _run_window(context, dbt, "year")

    @dbt_assets(
        manifest=manifest,
        project=project,
        select=ESTIMATE_MODEL,
        name="est_dbt_yearly_estimates",
        partitions_def=yearly_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        dagster_dbt_translator=TRANSLATOR,
    )
    def est_dbt_yearly_estimates(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        yield from _run_window(context, dbt, "year")

    return est_dbt_period, est_dbt_yearly, est_dbt_yearly_estimates


def period_assets() -> dg.AssetsDefinition:
    return get_prioritisation_assets()[0]


def yearly_assets() -> list[dg.AssetsDefinition]:
    return list(get_prioritisation_assets()[1:])
