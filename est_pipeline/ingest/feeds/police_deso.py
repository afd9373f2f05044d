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
    record_key_sv="Id",
    title_sv="Anmälda brott kodade till DeSO (polisen)",
    partner_sv="Polisen",
    notes_sv=(
        "Formatet är det som polisen lämnar ut till forskare och kommuner: kommaavgränsad "
        "CSV i UTF-8, alla fält inom citattecken, en första kolumn utan rubrik med "
        "radnummer (den ignoreras) och `NA` för saknade värden.",
        "Brottsdatum får vara tomt eller `NA`; då används inskrivningsdatum för veckan.",
        "Ett brott identifieras av polisens `Id`. Kommer samma `Id` igen i en senare fil (en "
        "ny export som överlappar en tidigare) ersätter den senaste leveransen den tidigare: "
        "brottet räknas en gång, och antalet upprepade rader syns i filregistret (rows_repeated).",
        "Ett rikstäckande utdrag går bra: rader från andra kommuner, rader utan DeSO-kod och "
        "DeSO-områden som inte hör till något EST-område räknas per kommun och vecka i "
        "marts.police_records_not_in_areas i stället för att försvinna. Är Kommun tom men Län "
        "angivet sparas länet.",
        "Varje brottskod har ett beslut i kodlistan (dbt_project/seeds/police_crime_codes.csv): "
        "den följs upp under en EST-kategori, eller följs medvetet inte upp (till exempel "
        "bedrägerier och de flesta trafikbrott). En kod som inte finns i listan visas i "
        "marts.unmapped_source_types och i veckorapporten.",
    ),
    columns=(
        Column("id", "Id", description="Ärendets id"),
        Column("brottskod", "Brottskod", parse=crime_code, description="Fyrsiffrig brottskod, t.ex. 1211"),
        Column("brottskod_klartext", "Brottskod.klartext", description="Brottskodens text"),
        Column("inskrivningsdatum", "Inskrivningsdatum", "date", description="Datum då anmälan skrevs in"),
        Column("brottsdatum", "Brottsdatum", "date", nullable=True, description="Datum för brottet (kan saknas)"),
        Column("kommun", "Kommun", nullable=True,
               description="Kommunens namn (eller kod); får vara tomt när DeSO-koden anger kommunen"),
        Column("lan", "Län", nullable=True, description="Länets namn; sparas även när Kommun är tomt"),
        Column("deso_omrade", "DeSO.område", nullable=True, aliases=("DeSO",),
               description="DeSO-kod, t.ex. 9001A0010 (kan saknas)"),
        Column("antal", "Antal", "integer", description="Antal brott"),
    ),
)
