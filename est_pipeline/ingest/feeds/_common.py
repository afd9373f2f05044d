"""Small value clean-ups shared by several feeds."""

from __future__ import annotations

from est_pipeline.ingest.spec import RowProblem

RATINGS = ("grön", "gul", "orange", "röd")
PARTNERS = ("Kommun", "Polis", "Fastighetsbolag")
INTENSITIES = ("låg", "medel", "hög")


def lower(text: str) -> str:
    """Ratings and intensities are compared in lower case (``Grön`` = ``grön``)."""
    return " ".join(text.split()).lower()


def partner(text: str) -> str:
    for name in PARTNERS:
        if text.strip().casefold() == name.casefold():
            return name
    raise RowProblem("value_not_allowed", f"'{text}' är ingen samverkanspart (tillåtna: {', '.join(PARTNERS)})")


def partners(text: str) -> str:
    """``polis/kommun`` -> ``Kommun, Polis`` (fixed order, so re-exports compare equal)."""
    parts = [p for p in text.replace(";", ",").replace("/", ",").replace(" och ", ",").split(",") if p.strip()]
    names = {partner(p) for p in parts}
    return ", ".join(n for n in PARTNERS if n in names)
