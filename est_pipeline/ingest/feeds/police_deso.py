"""Police extract of reported crimes coded to SCB's DeSO areas (R-style CSV)."""

from __future__ import annotations

from est_pipeline.ingest.spec import Column, Feed, RowProblem


def crime_code(text: str) -> str:
    """Four digits; a code that lost its leading zero in Excel (``392``) is restored."""
    if not text.isdigit() or len(text) > 4:
        raise RowProblem("invalid_format", f"brottskoden '{text}' ska vara fyra siffror")
    return text.zfill(4)


FEED = Feed(
    name="police_deso",
    table="police_deso_crimes",
    formats=("csv",),
    delimiter=",",
    encodings=("utf-8",),
    null_tokens=("NA",),
    event_date=("brottsdatum", "inskrivningsdatum"),
    record_key=("id",),
    title_sv="Anmälda brott kodade till DeSO (polisen)",
    partner_sv="Polisen",
    notes_sv=(
        "Formatet är det som polisen lämnar ut till forskare och kommuner: kommaavgränsad "
        "CSV i UTF-8, alla fält inom citattecken, en första kolumn utan rubrik med "
        "radnummer (den ignoreras) och `NA` för saknade värden.",
        "Brottsdatum får vara tomt eller `NA`; då används inskrivningsdatum för veckan.",
    ),
    columns=(
        Column("id", "Id", description="Ärendets id"),
        Column("brottskod", "Brottskod", parse=crime_code, description="Fyrsiffrig brottskod, t.ex. 1211"),
        Column("brottskod_klartext", "Brottskod.klartext", description="Brottskodens text"),
        Column("inskrivningsdatum", "Inskrivningsdatum", "date", description="Datum då anmälan skrevs in"),
        Column("brottsdatum", "Brottsdatum", "date", nullable=True, description="Datum för brottet (kan saknas)"),
        Column("kommun", "Kommun"),
        Column("lan", "Län"),
        Column("deso_omrade", "DeSO.område", nullable=True, aliases=("DeSO",),
               description="DeSO-kod, t.ex. 9001A0010 (kan saknas)"),
        Column("antal", "Antal", "integer", description="Antal brott"),
    ),
)
