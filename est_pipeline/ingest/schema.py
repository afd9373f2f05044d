"""The DDL of the raw layer, generated from the feed contracts.

Every raw table and both bookkeeping tables exist after any ingest run, even for feeds
that have never received a file, because dbt sources select from them. Schema ``held``
has the same tables for the rows of held files (``holds``): nothing downstream reads it.
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
    ("hold_code", "VARCHAR"),
    ("accepted_at", "TIMESTAMP"),
    ("accepted_by", "VARCHAR"),
    ("accept_note", "VARCHAR"),
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


def record_key_sql(feed: Feed, prefix: str = "") -> str:
    """The SQL of a row's ``_record_key``: md5 over the key's values, text trimmed, upper
    case and without inner whitespace (``fe-9001 12`` = ``FE-900112``), NULL as a mark of
    its own. ``prefix`` names the columns holding the values as they came (the loader
    passes them unmasked); without it the stored columns are used (an old warehouse)."""
    types = {c.name: c.type for c in feed.columns}
    parts = []
    for name in feed.record_key:
        column = f'"{prefix}{name}"'
        if types[name] == "text":
            value = f"upper(regexp_replace(trim({column}), '\\s+', '', 'g'))"
        else:
            value = f"cast({column} AS VARCHAR)"
        parts.append(f"coalesce({value}, chr(1))")
    return f"md5(concat_ws(chr(31), {', '.join(parts)}))"


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    existing = {(s, t) for s, t in con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN ('raw', 'held')"
    ).fetchall()}
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute("CREATE SCHEMA IF NOT EXISTS held")
    for feed in all_tables():
        for schema in ("raw", "held"):
            _create(con, f"{schema}.{feed.table}", table_columns(feed))
            if (schema, feed.table) in existing:
                _add_missing_columns(con, f"{schema}.{feed.table}", table_columns(feed))
        if feed.record_key and ("raw", feed.table) in existing:
            # Rows loaded before record keys existed get theirs from the stored values.
            con.execute(f"UPDATE raw.{feed.table} SET _record_key = {record_key_sql(feed)} "
                        f"WHERE _record_key IS NULL")
    for name, columns in (("raw.file_registry", FILE_REGISTRY_COLUMNS), ("raw.quarantine", QUARANTINE_COLUMNS)):
        _create(con, name, columns)
        if tuple(name.split(".")) in existing:
            _add_missing_columns(con, name, columns)
