"""Housing company cases (ärenden), XLSX with an optional title row."""

from __future__ import annotations

from est_pipeline.ingest.spec import Column, Feed

FEED = Feed(
    name="property_incidents",
    table="property_incidents",
    formats=("xlsx", "csv"),
    delimiter=";",
    encodings=("utf-8", "cp1252"),
    event_date=("datum",),
    record_key=("arende_id",),
    record_key_sv="Ärende-ID",
    title_sv="Ärenden från fastighetsbolaget",
    partner_sv="Fastighetsbolaget",
    notes_sv=(
        "Excel-arbetsbok (.xlsx), första bladet. En eller flera titelrader ovanför rubrikraden "
        "går bra (rubrikraden söks bland de tio första raderna). Radnumren i felmeddelanden "
        "är Excels egna radnummer, titelraderna medräknade.",
    ),
    columns=(
        Column("arende_id", "Ärende-ID", aliases=("Ärendenummer", "Ärende")),
        Column("datum", "Datum", "timestamp", description="Datum, gärna med tid"),
        Column("arendetyp", "Ärendetyp"),
        Column("adress", "Adress"),
        Column("kommun", "Kommun", nullable=True, required=False, aliases=("Kommunnamn", "Kommunkod"),
               description="Kommunens namn eller fyrsiffriga kod. Behövs bara när samma adress finns i "
                           "flera av de kommuner som systemet tjänar (Storgatan 1 i två orter)."),
        Column("fastighet", "Fastighet", nullable=True, required=False),
        Column("kostnad_kr", "Kostnad (kr)", "double", nullable=True, required=False,
               aliases=("Kostnad", "Kostnad SEK")),
        Column("beskrivning", "Beskrivning", masked=True, nullable=True),
    ),
)
