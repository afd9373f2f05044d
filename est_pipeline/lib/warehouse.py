"""The one way the pipeline opens the working DuckDB warehouse.

DuckDB allows one writing process per file, so connections are short-lived: open, do the
work, close. Never keep a connection open across an asset boundary (dbt runs in a
subprocess and needs the file).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from est_pipeline.settings import get_settings


@contextmanager
def connect(path: Path | None = None, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    target = Path(path) if path is not None else get_settings().warehouse_path
    if not read_only:
        target.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(target), read_only=read_only)
    try:
        yield con
    finally:
        con.close()
