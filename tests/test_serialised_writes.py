"""Warehouse writes inside the pipeline are serialised, so no step fails on DuckDB's lock.

This module is also the code location the runs load (``defs`` below): two independent
assets that each open the working warehouse for writing, the shape of the ingest assets
(one per feed) that Dagster would happily run side by side. Runs are real Dagster runs in
their own process (``dagster job execute``), on the repository's ``dagster.yaml`` in a
temporary DAGSTER_HOME.

- Under the multiprocess executor the two steps overlap and one fails with DuckDB's
  ``Could not set lock on file``: the failure mode.
- Under the executor the project's Definitions use (in-process), the same assets run one
  after another in one process and the run succeeds.
- The project's code location itself uses the in-process executor for every job.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from est_pipeline.lib.warehouse import connect
from est_pipeline.settings import REPO_ROOT

THIS_FILE = Path(__file__).resolve()
BIN = Path(sys.executable).parent
BARRIER_DIR_ENV = "EST_TEST_BARRIER_DIR"
WRITERS = ("w1", "w2")


def _writer(name: str) -> dg.AssetsDefinition:
    @dg.asset(key=["writers", name], pool="warehouse")
    def write() -> None:
        """Wait until the other writer has started (if it runs in parallel), then write."""
        barrier = Path(os.environ[BARRIER_DIR_ENV])
        (barrier / name).touch()
        deadline = time.monotonic() + 5
        others = [barrier / o for o in WRITERS if o != name]
        while not all(o.exists() for o in others) and time.monotonic() < deadline:
            time.sleep(0.05)
        with connect() as con:
            opened = time.time()
            con.execute(
                "CREATE TABLE IF NOT EXISTS main.writes "
                "(writer VARCHAR, pid INTEGER, opened DOUBLE, closed DOUBLE)"
            )
            time.sleep(1.5)  # hold the file like a real load does
            con.execute(
                "INSERT INTO main.writes VALUES (?, ?, ?, ?)",
                [name, os.getpid(), opened, time.time()],
            )

    return write


_writer_assets = [_writer(n) for n in WRITERS]
_selection = dg.AssetSelection.assets(*[a.key for a in _writer_assets])

defs = dg.Definitions(
    assets=_writer_assets,
    jobs=[
        dg.define_asset_job(
            "writers_multiprocess", selection=_selection, executor_def=dg.multiprocess_executor
        ),
        dg.define_asset_job("writers_project_executor", selection=_selection),
    ],
    # As in est_pipeline/defs/__init__.py.
    executor=dg.in_process_executor,
)


def _execute(job: str, data_dir: Path, tmp_path: Path, **extra_env: str) -> tuple[int, str]:
    home = tmp_path / "dagster_home"
    home.mkdir(exist_ok=True)
    shutil.copy(REPO_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    barrier = tmp_path / f"barrier_{job}_{len(list(tmp_path.glob('barrier_*')))}"
    barrier.mkdir()
    env = {
        **os.environ,
        "EST_DATA_DIR": str(data_dir),
        "EST_WAREHOUSE_PATH": str(data_dir / "warehouse.duckdb"),
        "DAGSTER_HOME": str(home),
        "PYTHONPATH": str(REPO_ROOT),
        BARRIER_DIR_ENV: str(barrier),
        **extra_env,
    }
    log = tmp_path / f"{job}.log"
    with open(log, "w") as handle:
        proc = subprocess.run(
            [str(BIN / "dagster"), "job", "execute", "-f", str(THIS_FILE), "-a", "defs", "-j", job],
            env=env,
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            timeout=180,
        )
    return proc.returncode, log.read_text()


def _writes(data_dir: Path) -> list[tuple]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.execute("SELECT writer, pid, opened, closed FROM main.writes ORDER BY opened").fetchall()


def test_parallel_processes_fail_on_the_lock(est_env: Path, tmp_path: Path) -> None:
    """What serialisation prevents: two steps in two processes writing the warehouse. With a
    lock timeout shorter than the other writer's hold, one fails, naming the holder."""
    code, log = _execute("writers_multiprocess", est_env, tmp_path, EST_WAREHOUSE_LOCK_TIMEOUT="0.3")
    assert code != 0, log[-3000:]
    assert "Could not set lock on file" in log, log[-3000:]
    assert "is locked by" in log and "STEP_FAILURE" in log


def test_a_writer_waits_for_another_with_back_off(est_env: Path, tmp_path: Path) -> None:
    """The same overlap with the default lock timeout: the second writer waits until the
    first has closed the file, and both writes land."""
    code, log = _execute("writers_multiprocess", est_env, tmp_path)
    assert code == 0, log[-3000:]
    writes = _writes(est_env)
    assert sorted(w[0] for w in writes) == list(WRITERS)
    assert len({w[1] for w in writes}) == 2  # two processes
    assert writes[0][3] <= writes[1][2]  # one after the other


def test_project_executor_serialises_the_same_writes(est_env: Path, tmp_path: Path) -> None:
    code, log = _execute("writers_project_executor", est_env, tmp_path)
    assert code == 0, log[-3000:]
    writes = _writes(est_env)
    assert sorted(w[0] for w in writes) == list(WRITERS)
    # One process, one writer at a time: the second opened after the first closed.
    assert len({w[1] for w in writes}) == 1
    assert writes[0][3] <= writes[1][2]
    assert "Could not set lock" not in log


def test_project_code_location_runs_every_job_in_process() -> None:
    """The guard itself: every job of the real code location uses the in-process executor."""
    from est_pipeline.definitions import defs as project_defs

    repo = project_defs.get_repository_def()
    jobs = repo.get_all_jobs()
    assert jobs, "the code location defines no job"
    for job in jobs:
        assert job.executor_def.name == dg.in_process_executor.name, job.name


@pytest.fixture(autouse=True)
def _no_stray_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(BARRIER_DIR_ENV, raising=False)
