"""Youth-outreach field observations, aggregated per place and evening (never names)."""

from __future__ import annotations

from est_pipeline.ingest.feeds._common import lower
from est_pipeline.ingest.spec import Column, Feed

FEED = Feed(
    name="field_observations",
    table="field_observations",
    formats=("csv", "xlsx"),
    delimiter=";",
    encodings=("utf-8", "cp1252"),
    event_date=("datum",),
    # No id in the form: an observation is one place, one evening, one kind of observation.
    record_key=("datum", "plats_id", "observation"),
    record_key_sv="Datum, Plats-ID och Observation (formuläret har inget id: en rad per plats, kväll och slags observation)",
    title_sv="Fältobservationer (kommunens fältarbetare)",
    partner_sv="Kommunen",
    notes_sv=("Observationerna är sammanräknade per plats och kväll. Skriv aldrig namn.",),
    columns=(
        Column("datum", "Datum", "date"),
        Column("plats_id", "Plats-ID", description="t.ex. NV01-P03"),
        Column("plats", "Plats"),
        Column("antal_ungdomar", "Antal ungdomar", "integer", description="Heltal, 0 eller mer"),
        Column("stamning", "Stämning", parse=lower, description="grön, gul, orange eller röd"),
        Column("observation", "Observation", description="t.ex. Ungdomsgrupp, Mopedåkning"),
        Column("kommentar", "Kommentar", masked=True, nullable=True, required=False),
    ),
)
