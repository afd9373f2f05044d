"""What the published warehouse contains, and nothing else.

Every table and view in schema ``marts`` (marts added later are published without a code
change), plus a short whitelist of *reference* tables that a BI user needs to label and
filter the marts: area and place names, population, categories. Reference tables are
copied column by column from an explicit list (never geometry, never free text), so no raw
partner row or quarantined record can reach a BI tool by accident.
"""

from __future__ import annotations

from dataclasses import dataclass

MARTS_SCHEMA = "marts"
REFERENCE_SCHEMA = "reference"
META_SCHEMA = "meta"


@dataclass(frozen=True)
class ReferenceTable:
    """One published reference table: the first source found wins."""

    name: str
    description: str
    #: (schema, table, {published column: source column expression}); tried in order.
    sources: tuple[tuple[str, str, dict[str, str]], ...]
    column_docs: dict[str, str]


_AREA_COLS = {
    "area_id": "area_id",
    "area_name": "area_name",
    "municipality_code": "municipality_code",
    "municipality_name": "municipality_name",
}
_PLACE_COLS = {
    "place_id": "place_id",
    "area_id": "area_id",
    "place_name": "place_name",
    "place_type": "place_type",
    "place_kind": "place_kind",
}
_POPULATION_COLS = {"area_id": "omrades_id", "year": "ar", "population": "folkmangd"}
_CATEGORY_COLS = {
    "category": "category",
    "category_sv": "category_sv",
    "outcome_group": "outcome_group",
}

# dbt-duckdb puts seeds in the target schema (``main``) unless the project says otherwise;
# the candidates cover both.
_SEED_SCHEMAS = ("seeds", "main", "main_seeds", "reference")

REFERENCE_TABLES: tuple[ReferenceTable, ...] = (
    ReferenceTable(
        "areas",
        "EST areas (områden), drawn by the municipality or defined by the DeSO areas that make "
        "them up; polygons are not published.",
        (("intermediate", "int_areas", _AREA_COLS), ("raw", "areas", _AREA_COLS)),
        {
            "area_id": "Area id (områdes-ID), e.g. NV01.",
            "area_name": "Area name as the partners use it.",
            "municipality_code": "Four-digit municipality code (kommunkod).",
            "municipality_name": "Municipality (kommun).",
        },
    ),
    ReferenceTable(
        "places",
        "Public and semi-public places (platser) inside the areas; no geometry.",
        (("raw", "places", _PLACE_COLS),),
        {
            "place_id": "Place id (plats-ID), e.g. NV01-P03.",
            "area_id": "The area the place lies in.",
            "place_name": "Place name.",
            "place_type": "public or semi_public.",
            "place_kind": "square, park, school_yard, bus_stop, shopping_centre, stairwell, "
            "laundry_room, garage or shop.",
        },
    ),
    ReferenceTable(
        "area_population",
        "Population per area and year (folkmängd), the denominator of rates: the area's own "
        "figure, else the sum over its DeSO areas of their residents times the area's share, "
        "carried to the years without a figure by the latest earlier one.",
        (
            ("intermediate", "int_area_year_population",
             {"area_id": "area_id", "year": "year", "population": "population"}),
            ("raw", "area_population", _POPULATION_COLS),
        ),
        {
            "area_id": "Area id.",
            "year": "Year.",
            "population": "Number of residents (folkmängd).",
        },
    ),
    ReferenceTable(
        "categories",
        "EST categories with their Swedish label and outcome group.",
        tuple((schema, "categories", _CATEGORY_COLS) for schema in _SEED_SCHEMAS),
        {
            "category": "EST category (English identifier used in the marts).",
            "category_sv": "Swedish label for reports.",
            "outcome_group": "property, disorder or violence.",
        },
    ),
)
