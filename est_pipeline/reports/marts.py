"""Read what a report shows from the warehouse, straight from the mart rows.

Reports show the numbers BI users see in the marts: every figure in a report is a value of a
mart row, selected here by plain SQL and never recomputed in Python. (Charts may sum mart
rows; tables never do.) A missing mart or column fails with a message that names it, because
a silently blank report section is worse than a failed run the analyst can see.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import duckdb


class MartMissingError(RuntimeError):
    """A report needs a relation (or column) that the warehouse does not have."""


def relation_exists(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    schema, name = relation.split(".", 1)
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ? "
        "and table_catalog = current_database()",
        [schema, name],
    ).fetchone()
    return bool(row and row[0])


def columns_of(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    schema, name = relation.split(".", 1)
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ? and table_catalog = current_database() "
        "order by ordinal_position",
        [schema, name],
    ).fetchall()
    return [r[0] for r in rows]


def require(
    con: duckdb.DuckDBPyConnection, relation: str, columns: Iterable[str], report: str
) -> None:
    """Fail early, naming the relation and the columns the report needs from it."""
    if not relation_exists(con, relation):
        raise MartMissingError(
            f"The {report} report reads {relation}, which does not exist in the warehouse. "
            f"Materialise the asset that builds it first."
        )
    have = set(columns_of(con, relation))
    missing = [c for c in columns if c not in have]
    if missing:
        raise MartMissingError(
            f"The {report} report needs columns {missing} in {relation}; it has {sorted(have)}."
        )


def fetch(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None
) -> list[dict[str, Any]]:
    """Rows as dicts, values exactly as DuckDB returns them."""
    cursor = con.execute(sql, list(params or []))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


#: Every EST area (drawn with boundaries or defined by its DeSO areas) with its municipality.
AREAS = "intermediate.int_areas"
