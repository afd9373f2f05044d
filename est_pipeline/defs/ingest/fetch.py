"""Fetch the police's public events API every hour into landing/police_events/.

One op, no asset: the run only lands files (``est_pipeline.ingest.fetch_police_events``)
and never opens the warehouse; the landing sensor ingests what it stored. The schedule
is on by default only when ``EST_POLICE_EVENTS_LOCATIONS`` names at least one location.
"""

import dagster as dg

from est_pipeline.ingest.fetch_police_events import fetch_all
from est_pipeline.settings import get_settings

JOB_NAME = "police_events_fetch_job"
SCHEDULE_NAME = "police_events_fetch_schedule"


@dg.op(description="Fetch EST_POLICE_EVENTS_URL for every location in EST_POLICE_EVENTS_LOCATIONS "
                   "and land each new response body unchanged in landing/police_events/.")
def fetch_police_events(context: dg.OpExecutionContext) -> dg.Output[None]:
    settings = get_settings()
    if not settings.police_events_locations:
        context.log.info("EST_POLICE_EVENTS_LOCATIONS is empty: no location to fetch")
    report = fetch_all()
    for r in report.results:
        context.log.info(f"{r.location}: {r.records} events, "
                         + (f"stored {r.path.name}" if r.stored else r.note))
    metadata = {
        "locations": len(settings.police_events_locations),
        "files_stored": len(report.stored),
        "stored": dg.MetadataValue.json([r.path.name for r in report.stored]),
        "events_stored": sum(r.records for r in report.stored),
        "unchanged": dg.MetadataValue.json([r.location for r in report.results if not r.stored]),
        "errors": dg.MetadataValue.json(report.errors),
    }
    if report.errors:
        raise dg.Failure(description="The police events API could not be fetched for every location: "
                                     + "; ".join(report.errors), metadata=metadata)
    return dg.Output(None, metadata=metadata)


@dg.job(name=JOB_NAME, description="Fetch the police's public events API into landing/police_events/ "
                                   "(the landing sensor ingests the files).",
        tags={"est/concern": "ingest"})
def police_events_fetch_job() -> None:
    fetch_police_events()


def police_events_fetch_schedule() -> dg.ScheduleDefinition:
    """Hourly; RUNNING by default only when locations are configured (read when the code loads)."""
    settings = get_settings()
    configured = bool(settings.police_events_locations)
    return dg.ScheduleDefinition(
        name=SCHEDULE_NAME,
        job=police_events_fetch_job,
        cron_schedule="0 * * * *",
        execution_timezone=settings.timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING if configured else dg.DefaultScheduleStatus.STOPPED,
        description="Every hour: fetch the police events API for EST_POLICE_EVENTS_LOCATIONS "
                    + ("" if configured else "(off: no location configured)"),
    )
