"""The annual safety survey (trygghetsmätning), one anonymous response per row."""

from __future__ import annotations

from est_pipeline.ingest.spec import Column, Feed

FEED = Feed(
    name="safety_survey",
    table="safety_survey",
    formats=("csv", "xlsx"),
    delimiter=",",
    encodings=("utf-8", "cp1252"),
    record_key=("ar", "svars_id"),
    record_key_sv="År och Svars-ID",
    title_sv="Trygghetsmätning (kommunen)",
    partner_sv="Kommunen",
    notes_sv=(
        "Ett anonymt svar per rad. Trygg_dag och Trygg_kvall på skalan 1–4 (1 mycket otrygg … "
        "4 mycket trygg); Oro_brott och Problem_ordning på 1–5.",
        "Mätningen är årlig och hör inte till någon vecka.",
    ),
    columns=(
        Column("svars_id", "Svars-ID"),
        Column("ar", "År", "integer"),
        Column("omrades_id", "Områdes-ID"),
        Column("aldersgrupp", "Åldersgrupp"),
        Column("trygg_dag", "Trygg_dag", "integer"),
        Column("trygg_kvall", "Trygg_kvall", "integer", nullable=True),
        Column("oro_brott", "Oro_brott", "integer", nullable=True),
        Column("problem_ordning", "Problem_ordning", "integer", nullable=True),
    ),
)
