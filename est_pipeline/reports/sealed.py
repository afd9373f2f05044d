"""One municipality's view of the working warehouse, for its own reports.

A deployment that serves several municipalities renders every report once per
municipality. The renderers stay as they are: they get a connection in which every table of
the working warehouse is replaced by a view with the same schema and name that keeps only
that municipality's rows, by its ``municipality_code``, or by its area (``area_id``, or
``omrades_id`` in the partners' raw feeds). Tables with neither (code lists, the file
registry, events no area could be found for) are the deployment's own and are seen whole:
they name no area and no municipality. The same areas decide the published files
(``est_pipeline.publish``), so a municipality's reports and its BI file agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from est_pipeline.lib.warehouse import connect
from est_pipeline.settings import get_settings

_SOURCE = "working"
#: Where the areas and their municipality are, best first (the dbt model, else the raw file).
_AREA_SOURCES = ("intermediate.int_areas", "raw.areas")
_AREA_COLUMNS = ("area_id", "omrades_id")


def municipalities(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The municipality codes of the warehouse's areas, sorted (empty without areas)."""
    for relation in _AREA_SOURCES:
        schema, table = relation.split(".")
        found = con.execute(
            "select count(*) from information_schema.columns where table_schema = ? and table_name = ? "
            "and column_name = 'municipality_code' and table_catalog = current_database()",
            [schema, table],
        ).fetchone()[0]
        if found:
            return [c for (c,) in con.execute(
                f"select distinct municipality_code from {relation} where municipality_code is not null order by 1"
            ).fetchall()]
    return []


@contextmanager
def sealed_connection(municipality_code: str, path: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only view of the warehouse that holds one municipality's rows."""
    source = Path(path or get_settings().warehouse_path)
    con = duckdb.connect(":memory:")
    try:
        with connect(source, read_only=True):
            pass  # waits (with back-off) while a writer holds the file, as every reader does
        con.execute(f"attach '{_literal(str(source))}' as {_SOURCE} (read_only)")
        columns: dict[tuple[str, str], set[str]] = {}
        for schema, table, column in con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where table_catalog = ?", [_SOURCE]
        ).fetchall():
            columns.setdefault((schema, table), set()).add(column)
        area_source = next((r for r in _AREA_SOURCES if tuple(r.split(".")) in columns
                            and "municipality_code" in columns[tuple(r.split("."))]), None)
        code = "'" + _literal(municipality_code) + "'"
        for (schema, table), cols in sorted(columns.items()):
            if "municipality_code" in cols:
                where = f"where municipality_code = {code}"
            elif area_source and (key := next((c for c in _AREA_COLUMNS if c in cols), None)):
                where = (f"where {key} in (select area_id from {_SOURCE}.{area_source} "
                         f"where municipality_code = {code})")
            else:
                where = ""
            con.execute(f'create schema if not exists "{schema}"')
            con.execute(f'create view "{schema}"."{table}" as select * from {_SOURCE}."{schema}"."{table}" {where}')
        yield con
    finally:
        con.close()


def _literal(text: str) -> str:
    return text.replace("'", "''")
