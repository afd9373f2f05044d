"""Which rows belong to one municipality: the rule the sealed BI files and the reports share.

A deployment can serve several municipalities. Both the published files
(``est_pipeline.publish``) and the reports (``est_pipeline.reports.sealed``) keep one
municipality's rows by the same rule, here, so that a municipality's reports and its BI
file can never disagree about what is its own: a row is the municipality's by its
``municipality_code``, else by its area (``area_id``, or ``omrades_id`` in the partners'
raw feeds) through the areas model. A table with neither says nothing about whose it is;
each caller decides what to do with it.
"""

from __future__ import annotations

import duckdb

#: Where the areas and their municipality are, best first (the dbt model, else the raw file).
AREA_SOURCES = ("intermediate.int_areas", "raw.areas")
#: Columns that hold an area id, in the marts and in the partners' raw feeds.
AREA_COLUMNS = ("area_id", "omrades_id")


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def areas_relation(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> str | None:
    """The best areas relation with a municipality code, qualified with ``catalog``."""
    for relation in AREA_SOURCES:
        schema, table = relation.split(".")
        found = con.execute(
            "select count(*) from information_schema.columns where table_schema = ? and table_name = ? "
            "and column_name = 'municipality_code' and table_catalog = coalesce(?, current_database())",
            [schema, table, catalog],
        ).fetchone()[0]
        if found:
            return f'{catalog}."{schema}"."{table}"' if catalog else f'"{schema}"."{table}"'
    return None


def municipality_codes(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> list[str]:
    """The municipality codes of the areas, sorted (empty without an areas table)."""
    relation = areas_relation(con, catalog)
    if relation is None:
        return []
    return [c for (c,) in con.execute(
        f"select distinct municipality_code from {relation} where municipality_code is not null order by 1"
    ).fetchall()]


def row_filter(columns: set[str], municipality_code: str, areas: str | None) -> str | None:
    """The WHERE clause that keeps ``municipality_code``'s rows of a table with ``columns``;
    None when the table has neither a municipality nor an area column (or no areas to use)."""
    code = sql_literal(municipality_code)
    if "municipality_code" in columns:
        return f"WHERE municipality_code = {code}"
    key = next((c for c in AREA_COLUMNS if c in columns), None)
    if key is not None and areas is not None:
        return f"WHERE {key} IN (SELECT area_id FROM {areas} WHERE municipality_code = {code})"
    return None
