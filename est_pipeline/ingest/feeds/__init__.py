"""Every feed contract, by landing folder name."""

from __future__ import annotations

from est_pipeline.ingest.feeds import (
    checklist,
    fault_reports,
    field_observations,
    interventions,
    police_deso,
    police_events,
    police_local,
    property_incidents,
    reference,
    safety_survey,
)
from est_pipeline.ingest.spec import Feed

#: Feeds with one raw table each, keyed by landing folder.
FEEDS: dict[str, Feed] = {
    f.name: f
    for f in (
        police_deso.FEED,
        police_local.FEED,
        police_events.FEED,
        fault_reports.FEED,
        field_observations.FEED,
        property_incidents.FEED,
        checklist.FEED,
        interventions.FEED,
        safety_survey.FEED,
    )
}
#: The reference folder: one table per feed, each with its accepted file names.
REFERENCE_FEEDS: tuple[Feed, ...] = reference.REFERENCE_FEEDS
REFERENCE_FOLDER = "reference"

ALL_FOLDERS: tuple[str, ...] = (*FEEDS, REFERENCE_FOLDER)


def feeds_in_folder(folder: str) -> tuple[Feed, ...]:
    if folder == REFERENCE_FOLDER:
        return REFERENCE_FEEDS
    return (FEEDS[folder],)


def all_tables() -> tuple[Feed, ...]:
    return (*FEEDS.values(), *REFERENCE_FEEDS)
