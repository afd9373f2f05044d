"""One municipality's view of the working warehouse, for its own reports.

A deployment that serves several municipalities renders every report once per
municipality. The renderers stay as they are: they get a connection in which every table of
the working warehouse is replaced by a view with the same schema and name that keeps only
that municipality's rows, by its ``municipality_code``, or by its area (``area_id``, or
``omrades_id`` in the partners' raw feeds). Tables with neither (code lists, the file
registry, events no area could be found for) are the deployment's own and are seen whole:
they name no area and no municipality. The rule is the one the published files use
(``est_pipeline.lib.municipality_scope``), so a municipality's reports and its BI file agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from est_pipeline.lib import municipality_scope
from est_pipeline.lib.warehouse import connect
from est_pipeline.settings import get_settings

_SOURCE = "working"
Report = TypeVar("Report")


def municipalities(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The municipality codes of the warehouse's areas, sorted (empty without areas)."""
    return municipality_scope.municipality_codes(con)


@contextmanager
def sealed_connection(municipality_code: str, path: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only view of the warehouse that holds one municipality's rows."""
    source = Path(path or get_settings().warehouse_path)
    con = duckdb.connect(":memory:")
    try:
        with connect(source, read_only=True):
            pass  # waits (with back-off) while a writer holds the file, as every reader does
        con.execute(f"attach {municipality_scope.sql_literal(str(source))} as {_SOURCE} (read_only)")
        columns: dict[tuple[str, str], set[str]] = {}
        for schema, table, column in con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where table_catalog = ?", [_SOURCE]
        ).fetchall():
            columns.setdefault((schema, table), set()).add(column)
        areas = municipality_scope.areas_relation(con, _SOURCE)
        for (schema, table), cols in sorted(columns.items()):
            # Tables with neither a municipality nor an area are the deployment's own: whole.
            where = municipality_scope.row_filter(cols, municipality_code, areas) or ""
            con.execute(f'create schema if not exists "{schema}"')
            con.execute(f'create view "{schema}"."{table}" as select * from {_SOURCE}."{schema}"."{table}" {where}')
        yield con
    finally:
        con.close()


def render_for(job: tuple[Callable[[Any, date, Path], Report], str | None, date, Path]) -> Report:
    """``render(con, day, folder)`` for municipality ``code`` from its sealed view, into
    ``reports_dir/<code>``; with ``code`` None (a deployment of one municipality), from the
    whole warehouse into ``reports_dir``. In whichever process renders it: the reports of a
    run are rendered side by side in worker processes."""
    render, code, day, reports_dir = job
    if code is None:
        with connect(read_only=True) as con:
            return render(con, day, reports_dir)
    with sealed_connection(code) as con:
        return render(con, day, reports_dir / code)
