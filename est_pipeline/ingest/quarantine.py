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


def masked_record(header: list[Any], cells: list[Any]) -> tuple[str, dict[str, int]]:
    """The row as JSON text keyed by the partner's headings, every text value masked."""
    from est_pipeline.ingest.convert import cell_text

    record: dict[str, Any] = {}
    counts: dict[str, int] = {}
    for i, cell in enumerate(cells):
        key = str(header[i]) if i < len(header) and header[i] not in (None, "") else f"kolumn_{i + 1}"
        if isinstance(cell, (dict, list)):
            text = json.dumps(cell, ensure_ascii=False, default=str)
        else:
            text = cell_text(cell) if not hasattr(cell, "value") else json.dumps(cell.value, default=str)
        masked, c = mask_text(text)
        for kind, n in c.items():
            counts[kind] = counts.get(kind, 0) + n
        record[key] = masked
    return json.dumps(record, ensure_ascii=False), counts


def reason_text(file_name: str, row_number: int, column: str | None, message: str) -> str:
    where = f"fil '{file_name}', rad {row_number}"
    if column:
        where += f", kolumn '{column}'"
    return f"{where}: {message}"


QUARANTINE_SCHEMA = pa.schema([
    ("feed", pa.string()), ("file_name", pa.string()), ("content_hash", pa.string()),
    ("row_number", pa.int32()), ("column_name", pa.string()), ("reason", pa.string()),
    ("raw_record", pa.string()), ("quarantined_at", pa.timestamp("us")), ("reason_code", pa.string()),
])


def write(
    con: duckdb.DuckDBPyConnection,
    feed: str,
    file_name: str,
    content_hash: str,
    problems: list[Problem],
    records: dict[int, str],
    at: datetime,
) -> None:
    if not problems:
        return
    table = pa.Table.from_pylist(
        [
            {
                "feed": feed, "file_name": file_name, "content_hash": content_hash,
                "row_number": p.row_number, "column_name": p.column,
                "reason": reason_text(file_name, p.row_number, p.column, p.reason),
                "raw_record": records.get(p.row_number), "quarantined_at": at,
                "reason_code": p.reason_code,
            }
            for p in problems
        ],
        schema=QUARANTINE_SCHEMA,
    )
    con.register("_quarantine_batch", table)
    try:
        cols = ", ".join(QUARANTINE_SCHEMA.names)
        con.execute(f"INSERT INTO raw.quarantine ({cols}) SELECT {cols} FROM _quarantine_batch")
    finally:
        con.unregister("_quarantine_batch")
