"""Swedish words for the English identifiers of the warehouse.

The marts speak English; the partners read Swedish. Category and intervention
names come from the dbt seeds so that an analyst who renames a category in the seed sees the
new name in the next report, without a code change.
"""

from __future__ import annotations

import csv
from functools import lru_cache

from est_pipeline.settings import DBT_PROJECT_DIR

PARTNERS_SV: dict[str, str] = {
    "municipality": "Kommun",
    "police": "Polis",
    "housing": "Fastighetsbolag",
}

#: Checklist colour scale (rating 0–3: grön, gul, orange, röd).
RATINGS_SV: dict[int, str] = {0: "grön", 1: "gul", 2: "orange", 3: "röd"}
RATING_COLOURS: dict[int, str] = {0: "#2e9e44", 1: "#f2c500", 2: "#f28c00", 3: "#d62728"}

OUTCOME_GROUPS_SV: dict[str, str] = {
    "property": "Egendom (skadegörelse, klotter, brand m.m.)",
    "disorder": "Ordningsstörningar",
    "violence": "Våld och hot",
    "total": "Alla händelser",
    "police_crimes": "Polisanmälda brott",
    "survey_safe": "Andel trygga (trygghetsmätning)",
}

PLACE_KINDS_SV: dict[str, str] = {
    "square": "torg",
    "park": "park",
    "school_yard": "skolgård",
    "bus_stop": "busshållplats",
    "shopping_centre": "köpcentrum",
    "stairwell": "trapphus",
    "laundry_room": "tvättstuga",
    "garage": "garage",
    "shop": "butik",
}

QUADRANTS_SV: dict[str, str] = {
    "high_need_high_influence": "Stort behov, stor påverkansmöjlighet",
    "high_need_low_influence": "Stort behov, liten påverkansmöjlighet",
    "low_need_high_influence": "Litet behov, stor påverkansmöjlighet",
    "low_need_low_influence": "Litet behov, liten påverkansmöjlighet",
}

#: The hot-spot classes in Swedish ("brännpunkt": the English method name, emerging hot spot
#: analysis, is in the period report's footnote).
HOT_SPOTS_SV: dict[str, str] = {
    "new": "ny",
    "emerging": "framväxande",
    "persistent": "ihållande",
    "intensifying": "intensifierad",
    "diminishing": "avtagande",
    "former": "tidigare",
    "none": "ingen",
}

INTENSITY_SV: dict[int, str] = {1: "låg", 2: "medel", 3: "hög"}

#: The models in Swedish; the yearly report's footnotes give the English method names.
ESTIMATORS_SV: dict[str, str] = {
    "poisson_twfe": "Enkel modell",
    "survey_fe_linear": "Linjär modell",
}


@lru_cache(maxsize=1)
def _seed(name: str) -> tuple[dict[str, str], ...]:
    with open(DBT_PROJECT_DIR / "seeds" / name, newline="", encoding="utf-8") as handle:
        return tuple(csv.DictReader(handle))


def category_sv(category: str | None) -> str:
    """``vandalism`` -> ``Skadegörelse``; an unknown code is shown as it is, never hidden."""
    if category is None:
        return "okänd kategori"
    names = {row["category"]: row["category_sv"] for row in _seed("categories.csv")}
    return names.get(category, category)


def categories() -> list[str]:
    """Every EST category, in the seed's order (grouped by outcome group)."""
    return [row["category"] for row in _seed("categories.csv")]


def intervention_type_sv(intervention_type: str | None) -> str:
    if intervention_type is None:
        return "okänd insats"
    names = {
        row["intervention_type"]: row["intervention_type_sv"]
        for row in _seed("intervention_types.csv")
    }
    return names.get(intervention_type, intervention_type)


def partner_sv(partner: str | None) -> str:
    if partner is None:
        return ""
    return PARTNERS_SV.get(partner.strip().lower(), partner.strip())


def partners_sv(partners: str | list[str] | None) -> str:
    """``police,housing`` (or a list) -> ``Polis, Fastighetsbolag``.

    The marts may store responsible partners as a comma-separated text or a DuckDB list; the
    report shows both the same way.
    """
    if partners is None:
        return ""
    items = partners.split(",") if isinstance(partners, str) else list(partners)
    return ", ".join(partner_sv(item) for item in items if item and str(item).strip())


def rating_sv(rating: float | int | None) -> str:
    if rating is None or rating != rating:  # NaN
        return "–"
    return RATINGS_SV.get(int(round(rating)), str(rating))


def rating_colour(rating: float | int | None) -> str:
    if rating is None or rating != rating:
        return "#eeeeee"
    return RATING_COLOURS.get(int(round(rating)), "#eeeeee")


def estimator_sv(estimator: str) -> str:
    if estimator.startswith("robust"):
        return "Robust modell"
    return ESTIMATORS_SV.get(estimator, estimator)


#: Municipalities whose name takes no genitive -s although it ends in a consonant.
_NO_GENITIVE_S = {"Kalmar": "Kalmar kommun", "Orust": "Orust kommun", "Falun": "Falu kommun"}
_SUFFIXES = (" kommun", " stad", " Kommun", " Stad")


def municipality_title(name: str | None, code: str | None = None) -> str:
    """The municipality as it names itself: ``Norrvik`` -> ``Norrviks kommun``.

    A municipality in SCB's list (``municipalities`` seed) gets its official name
    (``Stockholms stad``, ``Falu kommun``), found by code or by name; any other (a fictional
    demo municipality, a name the seed does not know) follows Swedish grammar: "X kommun"
    takes the genitive -s unless X ends in a vowel, s, x or z (``Örebro kommun``,
    ``Borås kommun``), with Kalmar, Orust and Falun as exceptions. A name delivered with
    "kommun" or "stad" is read without it (``Norrvik kommun`` -> ``Norrviks kommun``; a
    delivered ``Norrviks kommun`` stays as it is).
    """
    if not name or not name.strip():
        return "Kommunen"
    base = name.strip()
    for suffix in _SUFFIXES:
        if base.endswith(suffix):
            base = base[: -len(suffix)].strip()
            break
    official = _official_names().get(code or "")
    if official:
        return official
    by_name = _official_by_name().get(base.casefold())
    if by_name:
        return by_name
    if base in _NO_GENITIVE_S:
        return _NO_GENITIVE_S[base]
    if base[-1].lower() in "aeiouyåäösxz":
        return f"{base} kommun"
    return f"{base}s kommun"


def municipalities_title(areas: list[dict[str, object]]) -> str:
    """The municipality (or municipalities) of the areas a report covers, as each names
    itself: ``Norrviks kommun``; two: ``Norrviks kommun och Örebro kommun``."""
    seen: dict[str, str] = {}
    for area in areas:
        name = area.get("municipality_name")
        code = area.get("municipality_code")
        if not name and not code:
            continue
        title = municipality_title(str(name) if name else None, str(code) if code else None)
        seen.setdefault(str(code or name), title)
    titles = sorted(set(seen.values()))
    if not titles:
        return ""
    return titles[0] if len(titles) == 1 else ", ".join(titles[:-1]) + " och " + titles[-1]


@lru_cache(maxsize=1)
def _official_names() -> dict[str, str]:
    return {
        row["municipality_code"]: row["municipality_name_official"]
        for row in _seed("municipalities.csv")
        if row.get("municipality_name_official")
    }


@lru_cache(maxsize=1)
def _official_by_name() -> dict[str, str]:
    return {
        row["municipality_name"].casefold(): row["municipality_name_official"]
        for row in _seed("municipalities.csv")
        if row.get("municipality_name_official")
    }


def outcome_group_sv(group: str) -> str:
    return OUTCOME_GROUPS_SV.get(group, group)
