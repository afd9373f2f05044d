"""The DDL of the raw layer, generated from the feed contracts.

Every raw table and both bookkeeping tables exist after any ingest run, even for feeds
that have never received a file, because dbt sources select from them.
"""

from __future__ import annotations

import duckdb

from est_pipeline.ingest.feeds import all_tables
from est_pipeline.ingest.spec import PROVENANCE_COLUMNS, Feed

FILE_REGISTRY_COLUMNS = (
    ("feed", "VARCHAR"),
    ("file_name", "VARCHAR"),
    ("content_hash", "VARCHAR"),
    ("size_bytes", "BIGINT"),
    ("arrived_at", "TIMESTAMP"),
    ("archived_path", "VARCHAR"),
    ("loaded_at", "TIMESTAMP"),
    ("status", "VARCHAR"),
    ("rows_in", "INTEGER"),
    ("rows_loaded", "INTEGER"),
    ("rows_quarantined", "INTEGER"),
    ("pii_masked", "INTEGER"),
    ("message", "VARCHAR"),
    ("superseded_by", "VARCHAR"),
    ("error_code", "VARCHAR"),
    ("rows_repeated", "INTEGER"),
)

QUARANTINE_COLUMNS = (
    ("feed", "VARCHAR"),
    ("file_name", "VARCHAR"),
    ("content_hash", "VARCHAR"),
    ("row_number", "INTEGER"),
    ("column_name", "VARCHAR"),
    ("reason", "VARCHAR"),
    ("raw_record", "VARCHAR"),
    ("quarantined_at", "TIMESTAMP"),
    ("reason_code", "VARCHAR"),
)


def table_columns(feed: Feed) -> list[tuple[str, str]]:
    return [(c.name, c.duckdb_type) for c in feed.table_columns] + list(PROVENANCE_COLUMNS)


def _create(con: duckdb.DuckDBPyConnection, name: str, columns: list[tuple[str, str]] | tuple[tuple[str, str], ...]) -> None:
    cols = ", ".join(f'"{n}" {t}' for n, t in columns)
    con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({cols})")


def _add_missing_columns(con: duckdb.DuckDBPyConnection, name: str, columns: list[tuple[str, str]] | tuple[tuple[str, str], ...]) -> None:
    """A warehouse built by an earlier version gains the columns added since (as NULL)."""
    for column, data_type in columns:
        con.execute(f'ALTER TABLE {name} ADD COLUMN IF NOT EXISTS "{column}" {data_type}')


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    for feed in all_tables():
        _create(con, f"raw.{feed.table}", table_columns(feed))
        _add_missing_columns(con, f"raw.{feed.table}", table_columns(feed))
    for name, columns in (("raw.file_registry", FILE_REGISTRY_COLUMNS), ("raw.quarantine", QUARANTINE_COLUMNS)):
        _create(con, name, columns)
        _add_missing_columns(con, name, columns)
