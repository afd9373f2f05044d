"""Expected police-reported crimes per area, week and category, computed from the files alone.

An independent reading of the police's DeSO-coded crime extract (``landing/police_deso/``)
and the municipality's DeSO links (``landing/reference/area_deso.csv``), written with plain
``csv``/pandas and nothing from the pipeline, so that a test can hold the pipeline's
marts against it. The rules below ARE the pipeline's contract for this feed:

1. A row's identity is its ``Id``. When several files carry the same ``Id``, the row from
   the file that arrived last wins and counts once. Delivery order is the order of the
   file names (the demo names its files ``brott_deso_<delivery date>_<scope>.csv``, so
   names sort in delivery order). Within one file a later row beats an earlier one.
2. The crime's week is the ISO week (its Monday) of ``Brottsdatum`` when present, else
   of ``Inskrivningsdatum``.
3. Only rows whose crime code, restored to four digits (``392`` -> ``0392``), is
   ``tracked`` in ``police_crime_codes.csv`` count, under that code's category.
4. A row belongs to the municipality when its DeSO code starts with the municipality
   code. Rows with no DeSO (blank or ``NA``), with another municipality's DeSO code, or
   with a DeSO that ``area_deso.csv`` links to no area reach no area. ``Kommun`` plays no
   part: a blank ``Kommun`` with ``Län`` present is an ordinary row.
5. A crime is spread over the areas its DeSO is linked to: the area's crimes are
   ``Antal`` x ``Andel`` (fractional). When a DeSO's shares sum to less than 1, the rest
   lies outside every EST area (``share_outside_areas``).

Optionally (``data_period``), as the pipeline's marts do:

6. Only crimes whose week lies inside the data period count. The pipeline's data period
   runs from the week of the first to the week of the last registration of the
   municipality's current records (``data_period="registrations"``); a crime committed
   long before it was reported can fall before it.

Every input row gets exactly one fate, the first that applies in this order (the order
of the pipeline's ``int_police_deso_crimes``):

``quarantined``
    The row cannot be read: ``Id`` blank, ``Inskrivningsdatum`` blank or not a valid
    ``YYYY-MM-DD`` date, ``Brottsdatum`` present but not a valid date, ``Brottskod`` not
    one to four digits, ``Antal`` not a whole number. A quarantined row never competes
    for its ``Id`` (an earlier delivery of that ``Id`` then wins). The police-only demo
    plants no such rows; the unit tests do.
``repeat_superseded``
    A later row (rule 1) carries the same ``Id``.
``other_municipality``
    Its DeSO code belongs to another municipality (rule 4).
``unknown_code`` / ``not_tracked``
    Rule 3: the code is on no list, or on the list as ``not_tracked``.
``no_deso`` / ``deso_not_linked``
    Rule 4: no DeSO code, or a DeSO of the municipality that is linked to no area.
``outside_data_period``
    Rule 6, only when a data period is given.
``in_area``
    Counted, spread over the DeSO's areas (rule 5).

The pipeline also places a row without a DeSO code by its ``Kommun`` and calls it
``other_municipality`` (another municipality's name) or ``unknown_municipality`` (blank
``Kommun``); here such a row goes through the code checks and ends as ``no_deso``. Either
way it reaches no area, so the counts are the same.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

FEED = "police_deso"
FATES = ("quarantined", "repeat_superseded", "other_municipality", "unknown_code", "not_tracked",
         "no_deso", "deso_not_linked", "outside_data_period", "in_area")
_IGNORED_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CODE = re.compile(r"^\d{1,4}$")


@dataclass
class Expected:
    municipality_code: str
    #: extract files in delivery order (names inside landing/police_deso/)
    files: list[str]
    #: one row per input row: file_name, row_number (header = 1), id, crime_code (4 digits),
    #: category, antal, week_start, deso, fate, share_outside_areas, quarantine_reason
    rows: pd.DataFrame
    #: area_id, week_start (date, a Monday), category, crimes (float: Antal x Andel summed)
    counts: pd.DataFrame
    #: (first Monday, last Monday) when rule 6 was applied
    data_period: tuple[date, date] | None = None


def delivery_order(folder: Path) -> list[Path]:
    """The extract files in the order they arrived: by file name (rule 1)."""
    return sorted((p for p in folder.iterdir()
                   if p.is_file() and p.suffix.lower() == ".csv" and not p.name.startswith((".", "~$"))
                   and not p.name.lower().endswith(_IGNORED_SUFFIXES)), key=lambda p: p.name)


def _missing(value: str) -> bool:
    return value.strip() in ("", "NA")


def _date(value: str) -> date | None:
    value = value.strip()
    if not _ISO.match(value):
        raise ValueError(value)
    return date.fromisoformat(value)


def read_crime_codes(path: Path) -> dict[str, tuple[str, str]]:
    """code -> (decision, category)."""
    with path.open(encoding="utf-8", newline="") as fh:
        return {r["crime_code"]: (r["decision"], r["category"]) for r in csv.DictReader(fh)}


def read_links(path: Path) -> dict[str, list[tuple[str, float]]]:
    """DeSO -> [(area id, share)]."""
    links: dict[str, list[tuple[str, float]]] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for r in csv.DictReader(fh, delimiter=";"):
            links.setdefault(r["DeSO"].strip(), []).append(
                (r["Områdes-ID"].strip(), float(r["Andel"].strip().replace(",", "."))))
    return links


def municipality_of(reference: Path) -> str:
    """The one municipality code that the DeSOs of deso_population.csv (or area_deso.csv) share."""
    name = "deso_population.csv" if (reference / "deso_population.csv").is_file() else "area_deso.csv"
    with (reference / name).open(encoding="utf-8-sig", newline="") as fh:
        codes = {r["DeSO"].strip()[:4] for r in csv.DictReader(fh, delimiter=";")}
    if len(codes) != 1:
        raise ValueError(f"{name}: DeSOs of several municipalities {sorted(codes)}; pass municipality_code")
    return codes.pop()


def read_extract(path: Path) -> list[dict[str, str]]:
    """Rows of one R-style extract as strings, keyed by heading (the index column dropped)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return [dict(zip(header, values)) for values in reader]


def _parse(row: dict[str, str]) -> dict:
    """The typed row, or a ``quarantine_reason``."""
    out: dict = {"id": row.get("Id", "").strip(), "quarantine_reason": None}
    try:
        if not out["id"]:
            raise ValueError("Id blank")
        code = row.get("Brottskod", "").strip()
        if not _CODE.match(code):
            raise ValueError(f"Brottskod {code!r}")
        out["crime_code"] = code.zfill(4)
        if _missing(row.get("Inskrivningsdatum", "")):
            raise ValueError("Inskrivningsdatum blank")
        try:
            out["registered"] = _date(row["Inskrivningsdatum"])
        except ValueError:
            raise ValueError(f"Inskrivningsdatum {row['Inskrivningsdatum']!r}") from None
        crime = row.get("Brottsdatum", "")
        try:
            out["crime_date"] = None if _missing(crime) else _date(crime)
        except ValueError:
            raise ValueError(f"Brottsdatum {crime!r}") from None
        antal = row.get("Antal", "").strip()
        if not antal.isdigit():
            raise ValueError(f"Antal {antal!r}")
        out["antal"] = int(antal)
        deso = row.get("DeSO.område", row.get("DeSO", ""))
        out["deso"] = None if _missing(deso) else deso.strip()
    except ValueError as exc:
        out["quarantine_reason"] = str(exc)
    return out


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def compute(landing: Path, crime_codes_csv: Path, municipality_code: str | None = None,
            data_period: tuple[date, date] | str | None = None) -> Expected:
    """Apply the rules to ``landing/police_deso/`` and ``landing/reference/area_deso.csv``.

    ``data_period``: None (count every week), ``(first Monday, last Monday)`` inclusive,
    or ``"registrations"`` for the pipeline's period (rule 6).
    """
    landing = Path(landing)
    codes = read_crime_codes(Path(crime_codes_csv))
    links = read_links(landing / "reference" / "area_deso.csv")
    muni = municipality_code or municipality_of(landing / "reference")

    rows: list[dict] = []
    files = delivery_order(landing / FEED)
    for path in files:
        for n, raw in enumerate(read_extract(path), start=2):
            r = _parse(raw)
            r.update(file_name=path.name, row_number=n)
            rows.append(r)

    # Rule 1: the last readable row of an Id wins (rows are in delivery order already).
    winner: dict[str, int] = {}
    for i, r in enumerate(rows):
        if r["quarantine_reason"] is None:
            winner[r["id"]] = i
    if data_period == "registrations":
        own = [rows[i]["registered"] for i in winner.values()
               if rows[i]["deso"] is not None and rows[i]["deso"].startswith(muni)]
        data_period = (_monday(min(own)), _monday(max(own)))

    counts: dict[tuple[str, date, str], float] = {}
    for i, r in enumerate(rows):
        r.setdefault("category", None)
        r.setdefault("share_outside_areas", None)
        r["week_start"] = None
        if r["quarantine_reason"] is not None:
            r["fate"] = "quarantined"
            continue
        r["week_start"] = _monday(r["crime_date"] or r["registered"])  # rule 2
        decision, category = codes.get(r["crime_code"], (None, None))
        r["category"] = category or None
        deso = r["deso"]
        if winner[r["id"]] != i:
            r["fate"] = "repeat_superseded"
        elif deso is not None and not deso.startswith(muni):
            r["fate"] = "other_municipality"
        elif decision is None:
            r["fate"] = "unknown_code"
        elif decision != "tracked":
            r["fate"] = "not_tracked"
        elif deso is None:
            r["fate"] = "no_deso"
        elif deso not in links:
            r["fate"] = "deso_not_linked"
        elif data_period is not None and not data_period[0] <= r["week_start"] <= data_period[1]:
            r["fate"] = "outside_data_period"
        else:
            r["fate"] = "in_area"
            shares = links[deso]
            r["share_outside_areas"] = max(0.0, 1.0 - sum(s for _, s in shares))
            for area, share in shares:  # rule 5
                key = (area, r["week_start"], category)
                counts[key] = counts.get(key, 0.0) + r["antal"] * share

    cols = ["file_name", "row_number", "id", "crime_code", "category", "antal", "registered",
            "crime_date", "week_start", "deso", "fate", "share_outside_areas", "quarantine_reason"]
    table = pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=cols)
    count_table = pd.DataFrame(
        [(a, w, c, v) for (a, w, c), v in sorted(counts.items())],
        columns=["area_id", "week_start", "category", "crimes"])
    return Expected(municipality_code=muni, files=[p.name for p in files], rows=table, counts=count_table,
                    data_period=data_period)
