"""Municipality fault reports (felanmälningar): semicolon CSV from Excel, WGS84."""

from __future__ import annotations

from est_pipeline.ingest.spec import Column, Feed

FEED = Feed(
    name="fault_reports",
    table="fault_reports",
    formats=("csv", "xlsx"),
    delimiter=";",
    encodings=("utf-8", "cp1252"),
    event_date=("registrerad",),
    record_key=("arendenummer",),
    record_key_sv="Ärendenummer",
    coordinates=(("latitud", "longitud", "wgs84"),),
    title_sv="Felanmälningar (kommunen)",
    partner_sv="Kommunen",
    notes_sv=(
        "Koordinaterna är WGS84 i grader med decimalkomma (Latitud 55–70, Longitud 10–25). "
        "En felanmälan utanför kommunen läses in men hamnar inte i något område.",
    ),
    columns=(
        Column("arendenummer", "Ärendenummer", aliases=("Ärendenr", "Ärende-nr")),
        Column("registrerad", "Registrerad", "timestamp", description="t.ex. 2021-03-05 14:02"),
        Column("arendetyp", "Ärendetyp", description="t.ex. Klotter, Trasig belysning"),
        Column("beskrivning", "Beskrivning", masked=True, nullable=True),
        Column("adress", "Adress", nullable=True),
        Column("kommun", "Kommun", nullable=True, required=False, aliases=("Kommunnamn", "Kommunkod"),
               description="Kommunens namn eller fyrsiffriga kod. Behövs bara när samma adress finns i "
                           "flera av de kommuner som systemet tjänar (Storgatan 1 i två orter)."),
        Column("latitud", "Latitud", "double", aliases=("Lat", "Latitude")),
        Column("longitud", "Longitud", "double", aliases=("Lon", "Long", "Longitude")),
    ),
)
