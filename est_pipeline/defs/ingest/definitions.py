"""Dagster definitions for the ingest concern (informationsinsamling)."""

import dagster as dg

from est_pipeline.defs.ingest.assets import feed_assets, reference_assets
from est_pipeline.defs.ingest.fetch import police_events_fetch_job, police_events_fetch_schedule
from est_pipeline.defs.ingest.sensors import ingest_job, landing_sensor


def build_defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[*feed_assets, reference_assets],
        jobs=[ingest_job, police_events_fetch_job],
        schedules=[police_events_fetch_schedule()],
        sensors=[landing_sensor],
    )
