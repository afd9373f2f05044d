"""Exact totals for BI users, published beside the marts whose small counts are blanked.

The small-count rule blanks counts from 1 to 2 in the fine-grained marts. Most events of a
municipality sit in exactly such cells (an area, a week, a category: 1 or 2 events), so a BI
user who sums ``marts.weekly_situation.events_total`` gets a fraction of the true total. The
totals below are sums over whole groups, which identify no one: every event of an area in a
week (all categories together), and every event of a municipality in a week and category
(all areas together). They are computed from the working warehouse's exact values at
publication and published without suppression, in schema ``totals``:

- ``totals.area_week``: area × ISO week, every count column of ``marts.weekly_situation``
  summed over the categories;
- ``totals.municipality_week_category``: municipality × ISO week × category, summed over the
  areas.

Each table says in its comment that it is safe to sum, and ``meta.published_tables`` says
so too (``safe_to_sum``); the fine-grained tables say that they are not, and name these.
Known limitation (docs/bi.md): an exact total beside a table with blanked cells lets a blanked
cell be recovered by subtraction when it is the only one blanked in its group.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from est_pipeline.publish import rules

TOTALS_SCHEMA = "totals"
#: The fine-grained mart the totals are computed from.
SOURCE_MART = "weekly_situation"


@dataclass(frozen=True)
class TotalsTable:
    name: str
    description: str
    #: Columns that identify a group, in order, when the source (or the areas) has them.
    keys: tuple[str, ...]
    #: What the group's sums are taken over, for the column comments.
    over: str


AREA_WEEK = TotalsTable(
    "area_week",
    "Exact totals per area and ISO week, all categories together, computed from the working "
    "warehouse at publication. SAFE TO SUM: nothing is blanked here, so sums over areas, weeks "
    "or both give the true totals (the small-count rule blanks only the per-category cells of "
    "marts.weekly_situation).",
    ("municipality_code", "municipality_name", "area_id", "area_name", "week_start", "iso_year",
     "iso_week", "iso_week_label"),
    "every category of the area and week",
)
MUNICIPALITY_WEEK_CATEGORY = TotalsTable(
    "municipality_week_category",
    "Exact totals per municipality, ISO week and category, all areas together, computed from the "
    "working warehouse at publication. SAFE TO SUM: nothing is blanked here, so sums over weeks, "
    "categories or both give the true totals of the EST areas.",
    ("municipality_code", "municipality_name", "week_start", "iso_year", "iso_week",
     "iso_week_label", "category", "category_sv", "outcome_group"),
    "every EST area of the municipality in the week and category",
)
TOTALS_TABLES = (AREA_WEEK, MUNICIPALITY_WEEK_CATEGORY)

KEY_DOCS = {
    "municipality_code": "Four-digit municipality code (kommunkod).",
    "municipality_name": "Municipality (kommun).",
    "area_id": "Area id (områdes-ID), as in reference.areas.",
    "area_name": "Area name.",
    "week_start": "Monday of the ISO week.",
    "iso_year": "ISO year of the week.",
    "iso_week": "ISO week number (vecka 1–53).",
    "iso_week_label": "Week as partners write it, YYYY-Www.",
    "category": "EST category (reference.categories).",
    "category_sv": "Category in Swedish.",
    "outcome_group": "property, disorder or violence.",
}


#: Fine-grained marts whose counts are the weekly situation's counts, and the totals tables
#: that give their true sums. Other marts count other things (the events API's municipal
#: background, events in no area, periods): for those there is no exact totals table, and
#: their comments say so.
SUM_INSTEAD: dict[str, tuple[str, ...]] = {
    SOURCE_MART: (AREA_WEEK.name, MUNICIPALITY_WEEK_CATEGORY.name),
    "weekly_area_summary": (AREA_WEEK.name,),
    "area_week_outcomes": (AREA_WEEK.name, MUNICIPALITY_WEEK_CATEGORY.name),
}


def sum_instead(table: str, built: set[str]) -> str | None:
    """Which totals tables give the exact sums of a fine-grained mart, if any were built."""
    names = [f"{TOTALS_SCHEMA}.{name}" for name in SUM_INSTEAD.get(table, ()) if name in built]
    return ", ".join(names) or None


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def build_totals(
    con: duckdb.DuckDBPyConnection,
    source_alias: str,
    source_columns: list[rules.Column],
    areas_source: tuple[str, str] | None,
) -> dict[str, dict[str, str]]:
    """Create the totals tables in the (new) published database; returns their column docs.

    ``source_columns`` are the columns of the working ``marts.weekly_situation``;
    ``areas_source`` the (schema, table) of the areas with their municipality, for sources
    that carry only the area id.
    """
    names = {c.name for c in source_columns}
    plan = rules.plan_for(SOURCE_MART, source_columns)
    counts = [c for c in source_columns if c.name in plan.counts]
    if not counts or "week_start" not in names:
        return {}
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {TOTALS_SCHEMA}")
    join_areas = (
        areas_source is not None
        and "area_id" in names
        and not {"municipality_code", "municipality_name"} <= names
    )
    docs: dict[str, dict[str, str]] = {}
    for table in TOTALS_TABLES:
        selected = []
        for key in table.keys:
            if key in names:
                selected.append(f"s.{_q(key)}")
            elif join_areas and key in ("municipality_code", "municipality_name"):
                selected.append(f"a.{_q(key)}")
        # Whole counts stay whole (BIGINT, not DuckDB's HUGEINT sum, which some ODBC drivers
        # refuse); fractional ones (police crimes spread by population share) are rounded to
        # six decimals so that float noise does not show as 2.9999999.
        sums = [
            f"CAST(sum(s.{_q(c.name)}) AS BIGINT) AS {_q(c.name)}"
            if c.is_integer
            else f"CAST(round(sum(s.{_q(c.name)}), 6) AS DOUBLE) AS {_q(c.name)}"
            for c in counts
        ]
        join = ""
        if join_areas:
            schema, areas = areas_source  # type: ignore[misc]
            join = (
                "LEFT JOIN (SELECT DISTINCT area_id, municipality_code, municipality_name "
                f"FROM {source_alias}.{_q(schema)}.{_q(areas)}) AS a ON a.area_id = s.area_id"
            )
        con.execute(
            f"CREATE TABLE {TOTALS_SCHEMA}.{_q(table.name)} AS "
            f"SELECT {', '.join(selected + sums)} "
            f"FROM {source_alias}.marts.{_q(SOURCE_MART)} AS s {join} "
            f"GROUP BY ALL ORDER BY ALL"
        )
        columns = {k: KEY_DOCS[k] for k in table.keys}
        for c in counts:
            columns[c.name] = (
                f"Exact sum of marts.{SOURCE_MART}.{c.name} over {table.over}; never blanked."
            )
        docs[table.name] = columns
    return docs
