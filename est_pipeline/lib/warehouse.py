"""The one way the pipeline opens the working DuckDB warehouse.

DuckDB allows one writing process per file, and a process that opens the file read-only
still locks out every writer. So connections are short-lived (open, do the work, close;
never across an asset boundary: dbt runs in a subprocess and needs the file), and opening
waits when another process holds the file: bounded exponential back-off (0.1 s doubling
to 5 s between tries) for up to ``EST_WAREHOUSE_LOCK_TIMEOUT`` seconds (default 120).
Then it fails with ``WarehouseLocked``, whose message names the process that holds the
lock (an analyst's duckdb CLI or Python session, DBeaver, an earlier run of the pipeline,
dbt) and says what to do. Analysts never need the working file: they read the published
copy (docs/bi.md), which never locks the pipeline out.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb

from est_pipeline.settings import get_settings

log = logging.getLogger(__name__)

#: Seconds to wait for another process's lock before giving up (EST_WAREHOUSE_LOCK_TIMEOUT).
DEFAULT_LOCK_TIMEOUT = 120.0
FIRST_WAIT, MAX_WAIT = 0.1, 5.0

_PID = re.compile(r"PID (\d+)")


class WarehouseLocked(RuntimeError):
    """Another process held the warehouse for longer than the lock timeout."""

    def __init__(self, message: str, pid: int | None) -> None:
        super().__init__(message)
        self.pid = pid


def lock_timeout() -> float:
    value = os.environ.get("EST_WAREHOUSE_LOCK_TIMEOUT")
    try:
        return float(value) if value not in (None, "") else DEFAULT_LOCK_TIMEOUT
    except ValueError:
        return DEFAULT_LOCK_TIMEOUT


def is_lock_error(error: BaseException) -> bool:
    text = str(error)
    return isinstance(error, duckdb.Error) and ("Could not set lock" in text or "Conflicting lock" in text)


def describe_holder(pid: int | None) -> str:
    """Who holds the lock, in words: what the process is, since when, and what it means."""
    if pid is None:
        return "another process (DuckDB did not say which)"
    if pid == os.getpid():
        return (f"this very process (PID {pid}): a connection was left open, e.g. across an asset "
                f"boundary (a bug: report it)")
    try:
        import psutil

        proc = psutil.Process(pid)
        cmdline = " ".join(proc.cmdline()) or proc.name()
        started = datetime.fromtimestamp(proc.create_time()).strftime("%Y-%m-%d %H:%M")
        user = proc.username()
    except Exception:  # gone meanwhile, or not ours to inspect
        return f"PID {pid} (no longer running, or not visible to this user)"
    lowered = cmdline.lower()
    if "dagster" in lowered:
        kind = ("a Dagster process (an earlier run still writing, or a run that was killed and whose "
                "process has not ended yet)")
    elif "dbt" in lowered:
        kind = "dbt (a dbt run of the pipeline, or one started by hand)"
    elif re.search(r"(^|/)duckdb(\s|$)", lowered):
        kind = "a duckdb CLI session (an analyst reading the working file?)"
    elif "java" in lowered or "dbeaver" in lowered:
        kind = "a Java program (DBeaver or another BI tool reading the working file?)"
    elif "python" in lowered:
        kind = "a Python process (a notebook or script reading the working file?)"
    else:
        kind = "a program"
    if len(cmdline) > 160:
        cmdline = cmdline[:157] + "..."
    return f"{kind}: PID {pid}, user {user}, started {started}, command `{cmdline}`"


def _locked_message(target: Path, error: BaseException, waited: float) -> tuple[str, int | None]:
    match = _PID.search(str(error))
    pid = int(match.group(1)) if match else None
    published = get_settings().published_warehouse_path
    return (
        f"The working warehouse {target} is locked by {describe_holder(pid)}; waited {waited:.0f} s "
        f"(EST_WAREHOUSE_LOCK_TIMEOUT). DuckDB lets one process write a file, and a session that only "
        f"reads it still locks every writer out. If that is a reader, close it: analysts and BI tools "
        f"read the published copy {published} (docs/bi.md), which never blocks the pipeline. If it is an "
        f"earlier run, wait for it to finish (or end it in the Dagster UI), then run again. "
        f"DuckDB said: {error}",
        pid,
    )


def open_with_backoff(target: Path, read_only: bool = False, timeout: float | None = None) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect`` that waits for another process's lock (bounded back-off)."""
    limit = lock_timeout() if timeout is None else timeout
    started = time.monotonic()
    wait = FIRST_WAIT
    warned = False
    while True:
        try:
            return duckdb.connect(str(target), read_only=read_only)
        except duckdb.Error as error:
            if not is_lock_error(error):
                raise
            waited = time.monotonic() - started
            if waited >= limit:
                message, pid = _locked_message(target, error, waited)
                raise WarehouseLocked(message, pid) from None
            if not warned:
                match = _PID.search(str(error))
                log.warning("warehouse %s is locked by %s; waiting up to %.0f s", target,
                            describe_holder(int(match.group(1)) if match else None), limit)
                warned = True
            time.sleep(min(wait, max(0.0, limit - waited)))
            wait = min(wait * 2, MAX_WAIT)


@contextmanager
def connect(path: Path | None = None, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    target = Path(path) if path is not None else get_settings().warehouse_path
    if not read_only:
        target.parent.mkdir(parents=True, exist_ok=True)
    con = open_with_backoff(target, read_only=read_only)
    try:
        yield con
    finally:
        con.close()


def wait_until_writable(path: Path | None = None, timeout: float | None = None) -> None:
    """Wait (with the same back-off) until no other process holds the warehouse, for a
    writer that opens it itself (dbt); raises WarehouseLocked like ``connect``."""
    target = Path(path) if path is not None else get_settings().warehouse_path
    if not target.exists():
        return
    open_with_backoff(target, timeout=timeout).close()
