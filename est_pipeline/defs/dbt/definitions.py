"""Dagster definitions for the dbt concern: dbt assets, the weekly and harmonise jobs, the
weekly schedule, late data."""

import dagster as dg

from est_pipeline.defs.dbt.assets import get_dbt_assets
from est_pipeline.defs.dbt.project import dbt_resource
from est_pipeline.defs.dbt.schedules import harmonise_job, weekly_situation_job, weekly_situation_schedule
from est_pipeline.defs.dbt.sensors import build_late_data_sensor


def build_defs() -> dg.Definitions:
    return dg.Definitions(
        assets=list(get_dbt_assets()),
        jobs=[weekly_situation_job(), harmonise_job()],
        schedules=[weekly_situation_schedule()],
        sensors=[build_late_data_sensor()],
        resources={"dbt": dbt_resource()},
    )
