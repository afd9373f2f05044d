"""Compare every table of two DuckDB warehouses: same columns, same types, same rows.

    .venv/bin/python scripts/compare_warehouses.py before.duckdb after.duckdb

For checking that a change to the dbt SQL leaves DuckDB's results as they were: build one
copy of a warehouse with the old models and one with the new (`dbt run --full-refresh` on
two copies of the same raw data), then compare them. Doubles are compared to 9 decimals:
DuckDB sums in parallel, so two runs of the same SQL can differ in the last bits. Exits 1
when a table differs.
"""

from __future__ import annotations

import sys

import duckdb

SCHEMAS = ("staging", "intermediate", "marts", "seeds")


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, name: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_catalog = ? and table_schema = ? and table_name = ? order by ordinal_position",
        [catalog, schema, name],
    ).fetchall()


def compare(before: str, after: str) -> int:
    con = duckdb.connect()
    con.execute(f"attach '{before}' as a (read_only)")
    con.execute(f"attach '{after}' as b (read_only)")
    relations = con.execute(
        "select table_schema, table_name from information_schema.tables"
        f" where table_catalog = 'a' and table_schema in {SCHEMAS} order by 1, 2"
    ).fetchall()
    differ = 0
    for schema, name in relations:
        cols_a, cols_b = _columns(con, "a", schema, name), _columns(con, "b", schema, name)
        if cols_a != cols_b:
            differ += 1
            print(f"DIFFERENT {schema}.{name}: columns {sorted(set(cols_a) ^ set(cols_b))}")
            continue
        select = ", ".join(
            f'round("{c}", 9) as "{c}"' if t in ("DOUBLE", "FLOAT") else f'"{c}"' for c, t in cols_a
        )
        a_only, b_only = (
            con.execute(
                f'select count(*) from (select {select} from {x}."{schema}"."{name}"'
                f' except all select {select} from {y}."{schema}"."{name}")'
            ).fetchone()[0]
            for x, y in (("a", "b"), ("b", "a"))
        )
        rows = con.execute(f'select count(*) from a."{schema}"."{name}"').fetchone()[0]
        same = a_only == 0 and b_only == 0
        differ += not same
        print(f"{'same' if same else 'DIFFERENT':9} {schema}.{name}: {rows} rows"
              + ("" if same else f", {a_only} only in before, {b_only} only in after"))
    print(f"{len(relations)} relations, {differ} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    raise SystemExit(compare(sys.argv[1], sys.argv[2]))
