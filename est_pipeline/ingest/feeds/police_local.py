"""Police local incident extract with SWEREF 99 TM coordinates."""

from __future__ import annotations

from est_pipeline.ingest.spec import Column, Feed

FEED = Feed(
    name="police_local",
    table="police_local_incidents",
    formats=("csv", "xlsx"),
    delimiter=";",
    encodings=("utf-8", "cp1252"),
    event_date=("handelsetid",),
    record_key=("handelsenummer",),
    record_key_sv="Händelsenummer",
    coordinates=(("nord", "ost", "sweref99tm"),),
    title_sv="Lokalt händelseutdrag (polisen)",
    partner_sv="Polisen",
    notes_sv=(
        "Koordinaterna är SWEREF 99 TM i meter (Nord 6 100 000–7 700 000, Öst 200 000–1 000 000); "
        "heltal eller decimalkomma.",
        "Fritext i Plats granskas: personnummer, telefonnummer, e-postadresser och "
        "registreringsnummer maskeras innan de sparas.",
    ),
    columns=(
        Column("handelsenummer", "Händelsenummer", aliases=("Händelsenr", "Händelse-nr")),
        Column("handelsetid", "Händelsetid", "timestamp", description="Datum och tid, t.ex. 2021-03-05 22:14"),
        Column("brottskod", "Brottskod", nullable=True),
        Column("handelsetyp", "Händelsetyp", description="Typ av händelse, t.ex. Skadegörelse"),
        Column("plats", "Plats", masked=True, nullable=True, description="Platsbeskrivning i fritext"),
        Column("nord", "Nord", "double", aliases=("N", "Northing"), description="SWEREF 99 TM nord (m)"),
        Column("ost", "Öst", "double", aliases=("E", "Easting", "Ost"), description="SWEREF 99 TM öst (m)"),
    ),
)
