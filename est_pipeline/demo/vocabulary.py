"""The shared vocabulary, read from the dbt seeds at run time.

The generator must never carry its own copy of the category mapping: if an analyst edits
the seed, the demo data follows, and every type the generator writes is one dbt can map
(except the deliberately unknown ones listed here, which the ground truth records).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from est_pipeline.settings import DBT_PROJECT_DIR

SEEDS_DIR = DBT_PROJECT_DIR / "seeds"

#: Feeds whose rows are single events located at a place or point (the model's outputs).
EVENT_FEEDS = ("police_local", "fault_reports", "field_observations", "property_incidents")

#: Which partner stands behind each event feed (for per-partner expected counts).
FEED_PARTNER = {
    "police_local": "police",
    "fault_reports": "municipality",
    "field_observations": "municipality",
    "property_incidents": "housing",
}

#: Types that no mapping knows, planted on purpose (about 1% of event rows). For the
#: police local extract each entry is (Händelsetyp, Brottskod); a blank code means the
#: event is not a crime and so never reaches the DeSO extract.
UNKNOWN_TYPES: dict[str, list] = {
    "police_local": [("Djur på vägen", ""), ("Övrigt ärende", ""), ("Bedrägeri", "0937")],
    "fault_reports": ["Parkeringsfråga", "Övrigt ärende", "Snöröjning"],
    "field_observations": ["Övrigt", "Hundar lösa"],
    "property_incidents": ["Vattenskada", "Övrigt ärende"],
    # Events-API types on no list (the police's list has Trafikolycka, Övrigt, … as not tracked).
    "police_events": ["Djur på vägen", "Vattenläcka", "Okänd händelse"],
}

#: Police events API: summaries are not incidents (is_summary), and not "unknown types".
SUMMARY_TYPE = "Sammanfattning natt"


@dataclass(frozen=True)
class Vocabulary:
    categories: list[str]  # categories the incidence model draws (reported by some event feed)
    category_sv: dict[str, str]
    outcome_group: dict[str, str]
    #: source -> category -> list of source types mapping to it (seed order)
    types: dict[str, dict[str, list[str]]]
    #: English intervention type -> (Swedish register name, target outcome group)
    intervention_types: dict[str, tuple[str, str]]

    def feed_categories(self, source: str) -> list[str]:
        return list(self.types.get(source, {}))

    def checklist_items(self) -> list[tuple[str, str]]:
        """(item text, category) for every checklist item in the mapping."""
        return [(t, c) for c, ts in self.types.get("checklist", {}).items() for t in ts]


def _read(name: str, seeds_dir: Path) -> list[dict[str, str]]:
    path = seeds_dir / name
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def crime_code_texts(seeds_dir: Path = SEEDS_DIR) -> dict[str, str]:
    """Crime code -> its text in the police's code list (for the DeSO extract's klartext)."""
    return {r["crime_code"]: r["crime_code_text"] for r in _read("police_crime_codes.csv", seeds_dir)}


def load_vocabulary(seeds_dir: Path = SEEDS_DIR) -> Vocabulary:
    cats = _read("categories.csv", seeds_dir)
    category_sv = {r["category"]: r["category_sv"] for r in cats}
    outcome_group = {r["category"]: r["outcome_group"] for r in cats}

    types: dict[str, dict[str, list[str]]] = {}
    for i, r in enumerate(_read("category_mapping.csv", seeds_dir), start=2):
        if r["category"] not in category_sv:
            raise ValueError(
                f"{seeds_dir / 'category_mapping.csv'} row {i}: category {r['category']!r} "
                "is not in categories.csv"
            )
        types.setdefault(r["source"], {}).setdefault(r["category"], []).append(r["source_type"])

    # The police's code lists: the tracked crime codes and events-API types, by category.
    for source, file_name, column in (
        ("police_deso", "police_crime_codes.csv", "crime_code"),
        ("police_events", "police_event_types.csv", "event_type"),
    ):
        for i, r in enumerate(_read(file_name, seeds_dir), start=2):
            if r["decision"].strip().lower() != "tracked":
                continue
            if r["category"] not in category_sv:
                raise ValueError(
                    f"{seeds_dir / file_name} row {i}: category {r['category']!r} is not in categories.csv"
                )
            types.setdefault(source, {}).setdefault(r["category"], []).append(r[column])

    reported = {c for feed in EVENT_FEEDS for c in types.get(feed, {})}
    categories = [c for c in category_sv if c in reported]

    interventions = {
        r["intervention_type"]: (r["intervention_type_sv"], r["target_outcome_group"])
        for r in _read("intervention_types.csv", seeds_dir)
    }
    return Vocabulary(
        categories=categories,
        category_sv=category_sv,
        outcome_group=outcome_group,
        types=types,
        intervention_types=interventions,
    )
