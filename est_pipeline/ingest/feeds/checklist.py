"""The weekly checklist form export from all three partners."""

from __future__ import annotations

import re
from datetime import date

from est_pipeline.ingest.feeds._common import lower, partner
from est_pipeline.ingest.spec import Column, Feed, RowProblem

_WEEK = re.compile(r"^(\d{4})\s*[-/]?\s*(?:W|V|v\.?|vecka)\s*(\d{1,2})$", re.IGNORECASE)
_WEEK_FIRST = re.compile(r"^(?:W|V|v\.?|vecka)\s*(\d{1,2})\s*[-/,]?\s*(\d{4})$", re.IGNORECASE)


def iso_week(text: str) -> str:
    """``2021-W7``, ``2021W07``, ``v7 2021``, ``Vecka 7 2021`` -> ``2021-W07``."""
    t = text.strip()
    m = _WEEK.match(t)
    year, week = (int(m[1]), int(m[2])) if m else (None, None)
    if not m:
        m2 = _WEEK_FIRST.match(t)
        if not m2:
            raise RowProblem("invalid_week", f"veckan '{text}' ska skrivas ÅÅÅÅ-Wvv, t.ex. 2021-W07")
        year, week = int(m2[2]), int(m2[1])
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        raise RowProblem("invalid_week", f"vecka {week} finns inte år {year}") from None
    return f"{year}-W{week:02d}"


FEED = Feed(
    name="checklist",
    table="checklist_ratings",
    formats=("csv", "xlsx"),
    delimiter=";",
    encodings=("utf-8", "cp1252"),
    event_date=("vecka",),
    # The form's grain: one rating per partner, area (and place), item and week.
    record_key=("vecka", "partner", "omrades_id", "plats_id", "checklistpunkt"),
    record_key_sv="Vecka, Partner, Områdes-ID, Plats-ID och Checklistpunkt (en bedömning per samverkanspart, område, plats, punkt och vecka)",
    title_sv="Checklista (veckans bedömningar)",
    partner_sv="Kommunen, polisen och fastighetsbolaget",
    notes_sv=(
        "En rad per samverkanspart, område (och plats), checklistpunkt och vecka.",
        "Lämna Plats-ID tomt när bedömningen gäller hela området.",
    ),
    columns=(
        Column("vecka", "Vecka", parse=iso_week, description="ISO-vecka, t.ex. 2021-W07"),
        Column("partner", "Partner", parse=partner, aliases=("Samverkanspart",),
               description="Kommun, Polis eller Fastighetsbolag"),
        Column("omrades_id", "Områdes-ID", description="t.ex. NV01"),
        Column("plats_id", "Plats-ID", nullable=True, required=False, description="Tomt = hela området"),
        Column("checklistpunkt", "Checklistpunkt"),
        Column("bedomning", "Bedömning", parse=lower, description="grön, gul, orange eller röd"),
        Column("kommentar", "Kommentar", masked=True, nullable=True, required=False),
        Column("inskickad", "Inskickad", "timestamp", nullable=True, required=False,
               description="När formuläret skickades in"),
    ),
)
