"""The interventions register (insatsregister), re-exported whole each time."""

from __future__ import annotations

from est_pipeline.ingest.feeds._common import lower, partners
from est_pipeline.ingest.spec import Column, Feed

FEED = Feed(
    name="interventions",
    table="interventions",
    formats=("csv", "xlsx"),
    delimiter=";",
    encodings=("utf-8", "cp1252"),
    event_date=("startdatum",),
    record_key=("insats_id",),
    record_key_sv="Insats-ID",
    title_sv="Insatsregistret",
    partner_sv="Kommunen, polisen och fastighetsbolaget",
    notes_sv=(
        "Hela registret skickas varje gång. Behåll samma filnamn (t.ex. `insatser.csv`): en "
        "ny fil med samma namn ersätter den förra helt.",
        "Slutdatum lämnas tomt för en insats som pågår tills vidare. Startdatum och slutdatum "
        "får ligga i framtiden.",
        "Kontroller som okänt område, slut före start eller okänd insatstyp görs i nästa steg "
        "och syns i rapporterna, inte här.",
    ),
    columns=(
        Column("insats_id", "Insats-ID"),
        Column("beslutsdatum", "Beslutsdatum", "date"),
        Column("omrades_id", "Områdes-ID"),
        Column("plats_id", "Plats-ID", nullable=True, required=False),
        Column("insatstyp", "Insatstyp", description="t.ex. Förbättrad belysning"),
        Column("ansvarig", "Ansvarig", parse=partners,
               description="En eller flera av Kommun, Polis, Fastighetsbolag, åtskilda med komma"),
        Column("startdatum", "Startdatum", "date", future_ok=True),
        Column("slutdatum", "Slutdatum", "date", nullable=True, future_ok=True,
               description="Tomt = tills vidare"),
        Column("intensitet", "Intensitet", parse=lower, description="låg, medel eller hög"),
        Column("kostnad_kr", "Kostnad (kr)", "double", nullable=True, required=False,
               aliases=("Kostnad",)),
        Column("beskrivning", "Beskrivning", masked=True, nullable=True, required=False),
    ),
)
