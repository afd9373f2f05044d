"""The police crime code list, read from the dbt seed at run time.

``dbt_project/seeds/police_crime_codes.csv`` says for every four-digit crime code whether
EST tracks it (and under which category) or leaves it out on purpose. The generator never
carries its own copy: when analysts edit the seed, the demo data follows.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from est_pipeline.demo.vocabulary import SEEDS_DIR

FILE_NAME = "police_crime_codes.csv"
#: The columns the generator needs (others, e.g. ``source``, are ignored).
HEADER = ["crime_code", "crime_code_text", "category", "decision", "reason"]
DECISIONS = ("tracked", "not_tracked")
_CODE = re.compile(r"^\d{4}$")


@dataclass(frozen=True)
class CrimeCodes:
    #: code -> text, for every code in the seed (seed order)
    text: dict[str, str]
    #: tracked code -> EST category
    category: dict[str, str]
    #: category -> its tracked codes (seed order; categories in order of first appearance)
    tracked_by_category: dict[str, list[str]]
    not_tracked: list[str]

    @property
    def tracked(self) -> list[str]:
        return list(self.category)


def load_crime_codes(seeds_dir: Path = SEEDS_DIR) -> CrimeCodes:
    path = seeds_dir / FILE_NAME
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in HEADER if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: columns {', '.join(missing)} are missing (needs {','.join(HEADER)})")
        rows = list(reader)
    with (seeds_dir / "categories.csv").open(encoding="utf-8", newline="") as fh:
        known_categories = {r["category"] for r in csv.DictReader(fh)}

    text: dict[str, str] = {}
    category: dict[str, str] = {}
    by_category: dict[str, list[str]] = {}
    not_tracked: list[str] = []
    for line, r in enumerate(rows, start=2):
        code, decision = r["crime_code"].strip(), r["decision"].strip().lower()
        cat = (r["category"] or "").strip()
        where = f"{path} row {line}"
        if not _CODE.match(code):
            raise ValueError(f"{where}: crime_code {code!r} is not four digits")
        if code in text:
            raise ValueError(f"{where}: crime_code {code} appears twice")
        if decision not in DECISIONS:
            raise ValueError(f"{where}: decision {decision!r} must be one of {DECISIONS}")
        if decision == "tracked":
            if cat not in known_categories:
                raise ValueError(f"{where}: tracked code {code} has category {cat!r}, not in categories.csv")
            category[code] = cat
            by_category.setdefault(cat, []).append(code)
        else:
            not_tracked.append(code)
        text[code] = r["crime_code_text"].strip()
    if not category or not not_tracked:
        raise ValueError(f"{path}: needs at least one tracked and one not_tracked code")
    return CrimeCodes(text=text, category=category, tracked_by_category=by_category,
                      not_tracked=not_tracked)
