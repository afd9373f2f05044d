"""Sum every published table and compare it with the working warehouse (no tests in here).

A BI user sums columns. The contract (docs/bi.md): a table that ``meta.published_tables`` says
is ``safe_to_sum`` gives the true totals, per group as well as overall; a table that is not
says so loudly (its comment starts with NOT SAFE TO SUM and names the tables to sum instead),
has the flag column, and those tables give its true totals. :func:`problems` lists every
breach; the tests call it on real publications, and on a tampered one to show it can fail.
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb

from est_pipeline.publish.rules import FLAG_COLUMN
from est_pipeline.publish.totals import SOURCE_MART, TOTALS_TABLES

NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "DOUBLE", "FLOAT", "REAL", "DECIMAL")
TOLERANCE = 1e-6
#: The group of each totals table, as computed independently from the working fine-grained mart.
GROUPS = {
    "area_week": ["area_id", "week_start"],
    "municipality_week_category": ["municipality_code", "week_start", "category"],
}


def _numeric_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    return [
        name for name, dtype in con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = ? AND table_name = ? ORDER BY column_index", [schema, table]).fetchall()
        if dtype.upper().startswith(NUMERIC) and name != FLAG_COLUMN
    ]


def _sum(con: duckdb.DuckDBPyConnection, relation: str, column: str) -> float:
    value = con.execute(f'SELECT sum("{column}")::DOUBLE FROM {relation}').fetchone()[0]
    return float(value or 0.0)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=1e-3)


def problems(published: Path, working: Path) -> list[str]:
    """Every way the published file breaks the sum contract (empty when it keeps it)."""
    found: list[str] = []
    with duckdb.connect(str(published), read_only=True) as con:
        con.execute(f"ATTACH '{working}' AS working (READ_ONLY)")
        tables = con.execute(
            "SELECT table_schema, table_name, safe_to_sum, sum_instead, suppressed_rows "
            "FROM meta.published_tables ORDER BY 1, 2").fetchall()
        assert tables, "nothing published"
        totals_keys = {t.name: t.keys for t in TOTALS_TABLES}
        for schema, table, safe, instead, suppressed in tables:
            relation = f'"{schema}"."{table}"'
            comment = con.execute(
                "SELECT comment FROM duckdb_tables() WHERE database_name = current_database() "
                "AND schema_name = ? AND table_name = ?", [schema, table]).fetchone()[0] or ""
            columns = _numeric_columns(con, schema, table)
            if schema == "marts":
                source = f'working.marts."{table}"'
                for column in columns:
                    ours, theirs = _sum(con, relation, column), _sum(con, source, column)
                    if safe and not _close(ours, theirs):
                        found.append(f"{schema}.{table}.{column}: claims safe to sum, sums to {ours} "
                                     f"against {theirs} in the working warehouse")
                if not safe:
                    if not comment.startswith("NOT SAFE TO SUM"):
                        found.append(f"{schema}.{table}: not safe to sum, and its comment does not say so first")
                    flag = con.execute(
                        "SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database() "
                        "AND schema_name = ? AND table_name = ? AND column_name = ?",
                        [schema, table, FLAG_COLUMN]).fetchone()[0]
                    if not flag:
                        found.append(f"{schema}.{table}: not safe to sum, and no {FLAG_COLUMN} column")
                    for other in (instead or "").split(", "):
                        if not other:
                            continue
                        if other not in comment:
                            found.append(f"{schema}.{table}: its comment does not name {other}")
                        other_schema, other_table = other.split(".")
                        other_columns = set(_numeric_columns(con, other_schema, other_table))
                        other_columns -= set(totals_keys.get(other_table, ()))
                        for column in columns:
                            if column in other_columns and table == SOURCE_MART:
                                exact, total = _sum(con, f"working.marts.{SOURCE_MART}", column), _sum(con, other, column)
                                if not _close(exact, total):
                                    found.append(f"{other}.{column}: sums to {total}, the true total is {exact}")
            elif schema == "totals":
                if not safe:
                    found.append(f"{schema}.{table}: an exact totals table must be safe to sum")
                if "SAFE TO SUM" not in comment:
                    found.append(f"{schema}.{table}: its comment does not say it is safe to sum")
                group = GROUPS.get(table)
                if group is None:
                    found.append(f"{schema}.{table}: a totals table this check does not know")
                    continue
                keys = set(totals_keys.get(table, ()))
                for column in columns:
                    if column in keys:
                        continue
                    mismatch = con.execute(
                        f"""
                        SELECT count(*) FROM (
                            SELECT {', '.join(group)}, sum(s."{column}")::DOUBLE AS v
                            FROM working.marts.{SOURCE_MART} AS s
                            LEFT JOIN (SELECT DISTINCT area_id, municipality_code FROM reference.areas) AS a
                                USING (area_id)
                            GROUP BY ALL) w
                        FULL JOIN (
                            SELECT {', '.join(group)}, sum("{column}")::DOUBLE AS v
                            FROM {relation} GROUP BY ALL) p USING ({', '.join(group)})
                        WHERE NOT coalesce(abs(p.v - w.v) <= 1e-3, p.v IS NULL AND w.v IS NULL)
                        """).fetchone()[0]
                    if mismatch:
                        found.append(f"{schema}.{table}.{column}: {mismatch} groups differ from the working warehouse")
            elif not safe:
                found.append(f"{schema}.{table}: reference tables are never blanked")
    return found
