"""Matching partner column headings to the contract.

Partners retype headings: ``OMRÅDES ID``, ``områdes-id``, ``Omrades_id`` all mean
``Områdes-ID``. Headings are compared after folding case, whitespace, diacritics and
punctuation away; a few aliases per column cover real synonyms.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from est_pipeline.ingest.spec import Column, FileRejected


def fold(heading: object) -> str:
    """``'Kostnad (kr)'`` -> ``'kostnadkr'``; ``'Ärende-ID'`` -> ``'arendeid'``."""
    text = unicodedata.normalize("NFKD", str(heading or "")).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^0-9a-z]", "", text)


@dataclass
class HeaderMatch:
    """Where each contract column sits in the file, and what else the file has."""

    positions: dict[str, int]
    extra: list[str]
    missing_required: list[str]

    @property
    def found(self) -> int:
        return len(self.positions)


def match_header(header: list[object], columns: tuple[Column, ...]) -> HeaderMatch:
    lookup: dict[str, Column] = {}
    for col in columns:
        for name in (col.header, col.name, *col.aliases):
            lookup.setdefault(fold(name), col)
    positions: dict[str, int] = {}
    extra: list[str] = []
    for i, heading in enumerate(header):
        col = lookup.get(fold(heading)) if fold(heading) else None
        if col is None:
            extra.append(str(heading) if heading not in (None, "") else f"(tom rubrik, kolumn {i + 1})")
            continue
        if col.name in positions:
            raise FileRejected(
                "duplicate_column",
                f"kolumnen '{col.header}' förekommer två gånger i rubrikraden "
                f"('{header[positions[col.name]]}' och '{heading}'); ta bort den ena",
            )
        positions[col.name] = i
    missing = [c.header for c in columns if c.required and c.name not in positions]
    return HeaderMatch(positions=positions, extra=extra, missing_required=missing)


def missing_columns_message(missing: list[str], header: list[object]) -> str:
    found = ", ".join(f"'{h}'" for h in header if h not in (None, "")) or "inga"
    return (
        f"obligatorisk kolumn saknas: {', '.join(repr(m) for m in missing)}. "
        f"Rubrikraden innehåller: {found}"
    )


#: dBase (the attribute table of a shapefile) cuts field names at 10 bytes, so
#: ``Områdes-ID`` (11 bytes in UTF-8) arrives as ``Områdes-I``.
DBASE_NAME_BYTES = 10


def restore_truncated(header: list[object], columns: tuple[Column, ...]) -> list[object]:
    """Shapefile headings cut at 10 bytes, read as the column whose name they begin.

    A heading is restored only when it is as long as dBase allows (so it may have been
    cut), matches no column as it is, and begins the name of exactly one column.
    """
    names: dict[str, Column] = {}
    for col in columns:
        for name in (col.header, col.name, *col.aliases):
            names.setdefault(fold(name), col)
    out: list[object] = []
    for heading in header:
        folded = fold(heading)
        if (
            isinstance(heading, str)
            and len(heading.encode("utf-8")) >= DBASE_NAME_BYTES - 1
            and folded
            and folded not in names
        ):
            hits = {col.name: col for name, col in names.items() if name.startswith(folded)}
            if len(hits) == 1:
                out.append(next(iter(hits.values())).header)
                continue
        out.append(heading)
    return out
