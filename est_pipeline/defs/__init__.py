"""Dagster definitions, one subpackage per concern of the EST method.

Each subpackage exposes ``build_defs() -> dagster.Definitions``; ``est_pipeline.definitions``
merges them. Shared, non-Dagster code lives in ``est_pipeline.lib`` and the concern
libraries (``est_pipeline.ingest``, ``est_pipeline.estimation``, ...).
"""

from __future__ import annotations

import importlib

import dagster as dg

#: The concerns, in the order of the method's steps. Each is a subpackage with a
#: ``definitions.py`` exposing ``build_defs()``.
CONCERNS = (
    "ingest",  # informationsinsamling
    "dbt",  # informationssammanställning and the weekly lägesbild (dbt)
    "prioritisation",  # beslut om insatser: quarterly prioritisation, yearly follow-up (dbt)
    "estimation",  # uppföljning: which interventions go with safer areas
    "reports",  # återkoppling
    "publish",  # serve the marts to BI tools
)


def load_all_defs() -> dg.Definitions:
    parts = [
        importlib.import_module(f"est_pipeline.defs.{name}.definitions").build_defs()
        for name in CONCERNS
    ]
    # Several concerns need the same resource (e.g. the dbt CLI) and each declares it so that
    # it can be materialised on its own in tests; the code location binds each key once.
    resources: dict[str, object] = {}
    for part in parts:
        for key, resource in (part.resources or {}).items():
            if key in resources and type(resources[key]) is not type(resource):
                raise ValueError(f"Concerns disagree on the type of resource {key!r}")
            resources.setdefault(key, resource)
    unbound = [
        dg.Definitions(
            assets=part.assets,
            asset_checks=part.asset_checks,
            schedules=part.schedules,
            sensors=part.sensors,
            jobs=part.jobs,
        )
        for part in parts
    ]
    # One writer at a time: DuckDB allows one writing process per file, so every step
    # of a run executes in the run's own process, one after another. Runs themselves
    # are serialised by the run queue in dagster_home/dagster.yaml.
    return dg.Definitions.merge(
        *unbound, dg.Definitions(resources=resources, executor=dg.in_process_executor)
    )
