"""Lock contention on the working warehouse: a real reader in another process.

DuckDB lets one process write a file, and a process that only reads it locks every writer
out. Writers wait with bounded back-off and then fail with a message that names the
holder; a reader that goes away in time costs a short wait, not a failed run.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from est_pipeline.ingest import examples
from est_pipeline.ingest.loader import ensure_schema, ingest_folder
from est_pipeline.lib import warehouse

READER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("select count(*) from raw.file_registry").fetchall()
print("ready", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def _reader(path: Path, hold: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", READER, str(path), str(hold)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def test_a_reader_that_stays_makes_writers_fail_with_a_message_naming_it(
        est_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ensure_schema()
    monkeypatch.setenv("EST_WAREHOUSE_LOCK_TIMEOUT", "1.5")
    proc = _reader(est_env / "warehouse.duckdb", 30)
    try:
        started = time.monotonic()
        with pytest.raises(warehouse.WarehouseLocked) as caught:
            with warehouse.connect():
                pass
        assert 1.4 <= time.monotonic() - started < 10  # waited, bounded
        message = str(caught.value)
        assert caught.value.pid == proc.pid
        assert f"PID {proc.pid}" in message and "a Python process" in message
        assert "published" in message and "docs/bi.md" in message
    finally:
        proc.kill()
        proc.wait()


def test_a_reader_that_leaves_costs_a_wait_not_a_failed_ingest(
        est_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ensure_schema()
    examples.write_examples(est_env / "landing", reference=False)
    monkeypatch.setenv("EST_WAREHOUSE_LOCK_TIMEOUT", "60")
    proc = _reader(est_env / "warehouse.duckdb", 1.5)
    try:
        result = ingest_folder("checklist")
        assert [f.status for f in result.files] == ["loaded"]
        assert proc.poll() is not None  # the ingest could only write after the reader left
    finally:
        proc.kill()
        proc.wait()


def test_holder_descriptions() -> None:
    assert "this very process" in warehouse.describe_holder(__import__("os").getpid())
    assert "DuckDB did not say" in warehouse.describe_holder(None)
