"""The deployment's run launcher: Dagster's default one, plus a health check of the worker.

Runs here are processes on this machine (the default launcher starts each run as a
subprocess of the code server; ``make demo`` runs in its own process), and the run queue
lets one run at a time write the warehouse (``dagster_home/dagster.yaml``). A run whose
process dies without a word (SIGKILL, out of memory, a reboot) stays STARTED, and with one
run at a time it blocks the queue, so sensor-driven ingestion stops. Dagster's default
launcher cannot tell a dead worker from a busy one, so run monitoring could only end such
a run after ``max_runtime_seconds``.

This launcher can: every run records its worker's PID in an engine event ("Started process
for run (pid: N)", or "Executing steps in process (pid: N)" for a run executed in
process), and the daemon's run monitoring asks ``check_run_worker_health`` every
``poll_interval_seconds``. A worker whose PID no longer runs (or now belongs to a process
started after the run) is FAILED, the run is marked failed with that reason, and the next
queued run starts. Nothing is resumed: ingest and dbt are idempotent, so the next run (or
the sensor's next request) simply does the work again.
"""

from __future__ import annotations

from datetime import datetime

import dagster as dg
from dagster._core.events import DagsterEventType
from dagster._core.launcher import CheckRunHealthResult, DefaultRunLauncher, WorkerStatus
from dagster._core.storage.dagster_run import DagsterRun

#: Seconds a process may have started after the event that names it (clock granularity).
_PID_SLACK_SECONDS = 2.0


def worker_pid(instance: dg.DagsterInstance, run_id: str) -> tuple[int, float] | None:
    """(pid, event timestamp) of the run's worker process, from its engine events."""
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT):
        event = entry.dagster_event
        data = getattr(event, "engine_event_data", None) if event is not None else None
        pid = (data.metadata or {}).get("pid") if data is not None else None
        if pid is not None:
            try:
                return int(getattr(pid, "value", pid)), entry.timestamp
            except (TypeError, ValueError):
                continue
    return None


def process_alive(pid: int, since: float) -> bool:
    """Whether ``pid`` still runs the process that started before ``since`` (not a zombie,
    not a new process that reused the number)."""
    import psutil

    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return proc.create_time() <= since + _PID_SLACK_SECONDS
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


class EstRunLauncher(DefaultRunLauncher):
    """DefaultRunLauncher whose run workers' health can be checked (local processes)."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        found = worker_pid(self._instance, run.run_id)
        if found is None:
            # Between RUN_START and the worker's first engine event: nothing to judge yet.
            return CheckRunHealthResult(WorkerStatus.RUNNING, "no worker pid recorded yet")
        pid, since = found
        if process_alive(pid, since):
            return CheckRunHealthResult(WorkerStatus.RUNNING, f"worker process {pid} is running")
        return CheckRunHealthResult(
            WorkerStatus.FAILED,
            f"the run's worker process (pid {pid}, started "
            f"{datetime.fromtimestamp(since):%Y-%m-%d %H:%M:%S}) is gone: it was killed or crashed "
            f"without finishing the run",
        )
