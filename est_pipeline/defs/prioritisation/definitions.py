"""Dagster definitions for the prioritisation concern: the period and yearly dbt marts,
their jobs and the period and yearly schedules.

The dbt CLI resource is the one the weekly dbt assets use (``dbt_resource()`` is cached, so
the merged code location binds one object under ``dbt``).
"""

import dagster as dg

from est_pipeline.defs.dbt.project import dbt_resource
from est_pipeline.defs.prioritisation.assets import DBT_RESOURCE_KEY, get_prioritisation_assets
from est_pipeline.defs.prioritisation.schedules import (
    period_prioritisation_job,
    period_prioritisation_schedule,
    yearly_followup_job,
    yearly_followup_schedule,
)


def build_defs() -> dg.Definitions:
    return dg.Definitions(
        assets=list(get_prioritisation_assets()),
        jobs=[period_prioritisation_job(), yearly_followup_job()],
        schedules=[period_prioritisation_schedule(), yearly_followup_schedule()],
        resources={DBT_RESOURCE_KEY: dbt_resource()},
    )
