"""SQLAlchemy with duckdb_engine (what Superset and similar tools use) on the published file.

The URL is the one docs/bi.md gives; it must open read-only, list the published tables,
reflect their columns with comments (what Superset and Metabase-style tools call when they
add a dataset), read a mart, refuse writes, and (with NullPool) see a new state after a swap.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from est_pipeline.publish import publish_warehouse
from est_pipeline.settings import get_settings
# pytest puts tests/ on sys.path (rootdir-relative "prepend" import mode).
from test_publish_library import build_working_warehouse


def _url(path: Path) -> str:
    # duckdb:/// + absolute path; access_mode is passed to duckdb.connect(config=...).
    return f"duckdb:///{path}?access_mode=read_only"


def test_sqlalchemy_lists_published_tables_and_reads_a_mart(est_env: Path) -> None:
    build_working_warehouse(get_settings().warehouse_path)
    publish_warehouse(run_id="sa-1", manifest_path=Path("/nonexistent"))
    engine = sa.create_engine(_url(get_settings().published_warehouse_path), poolclass=NullPool)
    try:
        inspector = sa.inspect(engine)
        assert {"warehouse.marts", "warehouse.reference", "warehouse.meta"} <= set(
            inspector.get_schema_names()
        )
        assert "warehouse.raw" not in inspector.get_schema_names()
        assert set(inspector.get_table_names(schema="marts")) == {
            "weekly_situation",
            "weekly_area_summary",
            "yearly_followup",
            "intervention_effects",
        }
        with engine.connect() as con:
            rows = con.execute(
                sa.text(
                    "SELECT area_id, count(*) AS n, sum(events_total) AS total "
                    "FROM marts.weekly_situation GROUP BY area_id ORDER BY area_id"
                )
            ).all()
            assert [r.area_id for r in rows] == ["NV01", "NV02"]
            assert all(r.n == 8 for r in rows)
            # Comments are plain SQL away for tools that do not reflect them.
            comment = con.execute(
                sa.text(
                    "SELECT comment FROM duckdb_columns() WHERE schema_name = 'marts' "
                    "AND table_name = 'weekly_situation' AND column_name = 'events_police'"
                )
            ).scalar_one()
            assert comment.startswith("Events reported by the police.")
            with pytest.raises(sa.exc.SQLAlchemyError, match="read-only"):
                con.execute(sa.text("CREATE TABLE marts.scratch (a INTEGER)"))
    finally:
        engine.dispose()


def test_superset_style_reflection_lists_columns_with_comments(est_env: Path) -> None:
    """Exactly the calls a BI tool makes when it adds a table as a dataset. With SQLAlchemy
    2.0.45 or later and duckdb_engine 0.17, get_columns fails on pg_catalog.pg_collation and
    get_pk_constraint / get_foreign_keys on REGCLASS; the project pins a version where they work."""
    build_working_warehouse(get_settings().warehouse_path)
    publish_warehouse(run_id="sa-reflect", manifest_path=Path("/nonexistent"))
    engine = sa.create_engine(_url(get_settings().published_warehouse_path), poolclass=NullPool)
    try:
        inspector = sa.inspect(engine)
        for schema, table in (("marts", "weekly_situation"), ("totals", "area_week")):
            assert table in inspector.get_table_names(schema=schema)
            columns = inspector.get_columns(table, schema=schema)
            with duckdb.connect(str(get_settings().published_warehouse_path), read_only=True) as con:
                expected = con.execute(
                    "SELECT column_name, comment FROM duckdb_columns() WHERE schema_name = ? "
                    "AND table_name = ? ORDER BY column_index", [schema, table]).fetchall()
            assert [(c["name"], c["comment"]) for c in columns] == expected
            assert any(c["comment"] for c in columns)  # comments reach the tool
            assert inspector.get_pk_constraint(table, schema=schema)["constrained_columns"] == []
            assert inspector.get_foreign_keys(table, schema=schema) == []
            assert inspector.get_table_comment(table, schema=schema)["text"]
            reflected = sa.Table(table, sa.MetaData(), schema=schema, autoload_with=engine)
            with engine.connect() as con:
                rows = con.execute(sa.select(reflected).limit(3)).all()
            assert len(rows) == 3 and len(rows[0]) == len(expected)
    finally:
        engine.dispose()


def test_sqlalchemy_reader_sees_the_next_state_after_a_swap(est_env: Path) -> None:
    working = get_settings().warehouse_path
    build_working_warehouse(working, version=1)
    publish_warehouse(run_id="first", manifest_path=Path("/nonexistent"))
    engine = sa.create_engine(_url(get_settings().published_warehouse_path), poolclass=NullPool)
    query = sa.text("SELECT run_id FROM meta.publication")
    try:
        with engine.connect() as con:
            assert con.execute(query).scalar_one() == "first"
            build_working_warehouse(working, version=2)
            publish_warehouse(run_id="second", manifest_path=Path("/nonexistent"))
            # An open connection keeps reading the state it opened: never a mix.
            assert con.execute(query).scalar_one() == "first"
        with engine.connect() as con:
            assert con.execute(query).scalar_one() == "second"
    finally:
        engine.dispose()
