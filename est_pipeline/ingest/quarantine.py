"""Rows that could not be loaded, with the file, row, column and reason.

Every problem is one quarantine row (a row with two bad values appears twice), so a
partner sees everything to fix at once; ``rows_quarantined`` counts distinct rows. The
raw record is kept as JSON with personal data masked: the quarantine is in the
warehouse, not in the archive.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from est_pipeline.lib.pii import mask_text


@dataclass(frozen=True)
class Problem:
    row_number: int
    column: str | None
    reason_code: str
    reason: str


#: A quarantined cell longer than this is cut in ``raw_record`` (the archive keeps it whole).
RECORD_CELL_CHARS = 2_000


def masked_record(header: list[Any], cells: list[Any]) -> tuple[str, dict[str, int]]:
    """The row as JSON text keyed by the partner's headings, every text value masked."""
    from est_pipeline.ingest.convert import cell_text

    record: dict[str, Any] = {}
    counts: dict[str, int] = {}
    for i, cell in enumerate(cells):
        key = str(header[i]) if i < len(header) and header[i] not in (None, "") else f"kolumn_{i + 1}"
        key = mask_text(key)[0] or key
        if isinstance(cell, (dict, list)):
            text = json.dumps(cell, ensure_ascii=False, default=str)
        else:
            text = cell_text(cell) if not hasattr(cell, "value") else json.dumps(cell.value, default=str)
        if text is not None:
            text = text.replace("\x00", "\u2400")  # NUL is shown, never stored
            if len(text) > RECORD_CELL_CHARS:
                text = f"{text[:RECORD_CELL_CHARS]}… ({len(text):,} tecken)".replace(",", " ")
        masked, c = mask_text(text)
        for kind, n in c.items():
            counts[kind] = counts.get(kind, 0) + n
        record[key] = masked
    return json.dumps(record, ensure_ascii=False), counts


def reason_text(file_name: str, row_number: int, column: str | None, message: str) -> str:
    """The partner-facing reason, masked: a refused value is quoted in it, and it may be a
    personal identity number, a phone number or a registration number."""
    where = f"fil '{file_name}', rad {row_number}"
    if column:
        where += f", kolumn '{column}'"
    return mask_text(f"{where}: {message}")[0] or where


QUARANTINE_SCHEMA = pa.schema([
    ("feed", pa.string()), ("file_name", pa.string()), ("content_hash", pa.string()),
    ("row_number", pa.int32()), ("column_name", pa.string()), ("reason", pa.string()),
    ("raw_record", pa.string()), ("quarantined_at", pa.timestamp("us")), ("reason_code", pa.string()),
])

QuarantineRow = dict


def rows_of(
    feed: str,
    file_name: str,
    content_hash: str,
    problems: list[Problem],
    records: dict[int, str],
    at: datetime,
) -> list[QuarantineRow]:
    return [
        {
            "feed": feed, "file_name": file_name, "content_hash": content_hash,
            "row_number": p.row_number, "column_name": mask_text(p.column)[0] if p.column else None,
            "reason": reason_text(file_name, p.row_number, p.column, p.reason),
            "raw_record": records.get(p.row_number), "quarantined_at": at,
            "reason_code": p.reason_code,
        }
        for p in problems
    ]


def insert(con: duckdb.DuckDBPyConnection, rows: list[QuarantineRow]) -> None:
    if not rows:
        return
    table = pa.Table.from_pylist(rows, schema=QUARANTINE_SCHEMA)
    con.register("_quarantine_batch", table)
    try:
        cols = ", ".join(QUARANTINE_SCHEMA.names)
        con.execute(f"INSERT INTO raw.quarantine ({cols}) SELECT {cols} FROM _quarantine_batch")
    finally:
        con.unregister("_quarantine_batch")


def write(
    con: duckdb.DuckDBPyConnection,
    feed: str,
    file_name: str,
    content_hash: str,
    problems: list[Problem],
    records: dict[int, str],
    at: datetime,
) -> None:
    insert(con, rows_of(feed, file_name, content_hash, problems, records, at))
