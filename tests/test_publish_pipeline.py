"""The published warehouse under real Dagster runs, in other processes.

This module is also the code location the runs load (``defs`` at the bottom of the test
helpers): synthetic mart assets that rebuild ``marts.*`` in the working warehouse in two
steps, plus the real ``published/warehouse`` asset, publish job and sensor of
``est_pipeline.defs.publish``. The instance is the repository's ``dagster_home/dagster.yaml``
copied into a temporary DAGSTER_HOME. In the reader test, runs go through
``dagster job launch`` → the run queue → ``dagster-daemon`` (queue, sensors, run
monitoring) → the default run launcher, each run in its own process, and the publish runs
are requested by the real sensor. The kill test runs ``dagster job execute`` in a
subprocess (marts then publish in one run) and SIGKILLs it between the two mart steps.

- A reader process queries the published marts in a loop while runs rebuild them: zero
  failed queries, and every query sees one state (all tables from the same build).
- A run killed with SIGKILL while it builds marts leaves the published file byte-identical;
  the next run publishes a complete new state.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from est_pipeline.defs.publish.definitions import build_defs as build_publish_defs
from est_pipeline.defs.publish.sensors import PUBLISH_JOB_NAME, SOURCE_RUN_TAG
from est_pipeline.lib.warehouse import connect
from est_pipeline.publish import publish_warehouse
from est_pipeline.settings import REPO_ROOT

THIS_FILE = Path(__file__).resolve()
BIN = Path(sys.executable).parent
STEP_SECONDS_ENV = "EST_TEST_MART_STEP_SECONDS"
BUILD_MARKER_ENV = "EST_TEST_BUILD_MARKER"

# --------------------------------------------------------------------------------------
# The code location the runs load: two marts rebuilt one after the other, then publish.
# --------------------------------------------------------------------------------------

MART_SITUATION = dg.AssetKey(["marts", "weekly_situation"])
MART_SUMMARY = dg.AssetKey(["marts", "weekly_area_summary"])


@dg.asset(key=MART_SITUATION, group_name="marts", pool="warehouse")
def weekly_situation_mart() -> dg.MaterializeResult:
    """Rebuild the weekly mart as build number N (one more than the last build)."""
    marker = os.environ.get(BUILD_MARKER_ENV)
    with connect() as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        con.execute("CREATE TABLE IF NOT EXISTS main.build_counter (n INTEGER)")
        n = (con.execute("SELECT coalesce(max(n), 0) + 1 FROM main.build_counter").fetchone()[0])
        con.execute("INSERT INTO main.build_counter VALUES (?)", [n])
        con.execute(
            f"""
            CREATE OR REPLACE TABLE marts.weekly_situation AS
            SELECT 'NV0' || (i % 3)::VARCHAR AS area_id,
                   DATE '2021-01-04' + (7 * (i // 3))::INTEGER AS week_start,
                   (10 + (i * {n}) % 7)::INTEGER AS events_total,
                   {n}::INTEGER AS build
            FROM range(300) t(i)
            """
        )
    if marker:
        Path(marker).write_text(str(n))
    time.sleep(float(os.environ.get(STEP_SECONDS_ENV, "0")))
    return dg.MaterializeResult(metadata={"build": n})


@dg.asset(key=MART_SUMMARY, group_name="marts", deps=[MART_SITUATION], pool="warehouse")
def weekly_area_summary_mart() -> dg.MaterializeResult:
    time.sleep(float(os.environ.get(STEP_SECONDS_ENV, "0")))
    with connect() as con:
        con.execute(
            """
            CREATE OR REPLACE TABLE marts.weekly_area_summary AS
            SELECT area_id, week_start, sum(events_total)::BIGINT AS events_total,
                   max(build)::INTEGER AS build
            FROM marts.weekly_situation GROUP BY ALL
            """
        )
    return dg.MaterializeResult()


build_marts_job = dg.define_asset_job(
    "build_marts", selection=dg.AssetSelection.assets(MART_SITUATION, MART_SUMMARY)
)
build_and_publish_job = dg.define_asset_job(
    "build_marts_and_publish",
    selection=dg.AssetSelection.assets(MART_SITUATION, MART_SUMMARY).downstream(),
)

defs = dg.Definitions.merge(
    dg.Definitions(
        assets=[weekly_situation_mart, weekly_area_summary_mart],
        jobs=[build_marts_job, build_and_publish_job],
    ),
    build_publish_defs(
        mart_specs=[
            dg.AssetSpec(MART_SITUATION, group_name="marts"),
            dg.AssetSpec(MART_SUMMARY, group_name="marts"),
        ]
    ),
    dg.Definitions(executor=dg.in_process_executor),
)

# --------------------------------------------------------------------------------------
# Test helpers
# --------------------------------------------------------------------------------------

READER_SCRIPT = textwrap.dedent(
    """
    import json, sys, time, duckdb
    path, stop_file, out = sys.argv[1], sys.argv[2], sys.argv[3]
    observations, errors = [], []
    import os
    while not os.path.exists(stop_file):
        try:
            con = duckdb.connect(path, read_only=True)
            try:
                row = con.execute('''
                    SELECT (SELECT run_id FROM meta.publication),
                           (SELECT min(build) FROM marts.weekly_situation),
                           (SELECT max(build) FROM marts.weekly_situation),
                           (SELECT min(build) FROM marts.weekly_area_summary),
                           (SELECT max(build) FROM marts.weekly_area_summary),
                           (SELECT sum(events_total) FROM marts.weekly_situation),
                           (SELECT sum(events_total) FROM marts.weekly_area_summary),
                           (SELECT sum(row_count) FROM meta.published_tables
                             WHERE table_schema = 'marts')
                ''').fetchone()
                counted = con.execute(
                    "SELECT (SELECT count(*) FROM marts.weekly_situation)"
                    " + (SELECT count(*) FROM marts.weekly_area_summary)"
                ).fetchone()[0]
            finally:
                con.close()
            observations.append(list(row) + [counted])
        except Exception as exc:
            errors.append(repr(exc))
        time.sleep(0.01)
    json.dump({"observations": observations, "errors": errors}, open(out, "w"))
    """
)


def _env(data_dir: Path, dagster_home: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "EST_DATA_DIR": str(data_dir),
            "EST_WAREHOUSE_PATH": str(data_dir / "warehouse.duckdb"),
            "EST_PUBLISHED_WAREHOUSE_PATH": str(data_dir / "published" / "warehouse.duckdb"),
            "DAGSTER_HOME": str(dagster_home),
            "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(THIS_FILE.parent)]),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "GX_ANALYTICS_ENABLED": "false",
        }
    )
    env.update(extra)
    return env


@pytest.fixture
def dagster_home(tmp_path: Path) -> Path:
    """The repository's instance config in a fresh DAGSTER_HOME, plus a workspace file."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    (home / "workspace.yaml").write_text(
        textwrap.dedent(
            f"""
            load_from:
              - python_file:
                  relative_path: {THIS_FILE}
                  attribute: defs
                  working_directory: {REPO_ROOT}
                  location_name: publish_test
            """
        )
    )
    return home


@pytest.fixture
def daemon(est_env: Path, dagster_home: Path) -> Iterator[subprocess.Popen]:
    log = open(dagster_home / "daemon.log", "w")
    proc = subprocess.Popen(
        [str(BIN / "dagster-daemon"), "run", "-w", str(dagster_home / "workspace.yaml")],
        env=_env(est_env, dagster_home, **{STEP_SECONDS_ENV: "1.5"}),
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=REPO_ROOT,
    )
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


def _launch(job: str, data_dir: Path, home: Path) -> None:
    subprocess.run(
        [str(BIN / "dagster"), "job", "launch", "-w", str(home / "workspace.yaml"), "-j", job],
        env=_env(data_dir, home),
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )


def _published_run_id(path: Path) -> str | None:
    if not path.exists():
        return None
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT run_id FROM meta.publication").fetchone()[0]


def _published_builds(path: Path) -> tuple[int, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "SELECT (SELECT max(build) FROM marts.weekly_situation),"
            " (SELECT max(build) FROM marts.weekly_area_summary)"
        ).fetchone()


def _wait_for(predicate, timeout_s: float, what: str, debug: Path | None = None):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    detail = debug.read_text()[-4000:] if debug and debug.exists() else ""
    raise AssertionError(f"timed out waiting for {what}\n{detail}")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------


def test_reader_never_fails_and_sees_one_state_during_queued_runs(
    est_env: Path, dagster_home: Path, daemon: subprocess.Popen, tmp_path: Path
) -> None:
    published = est_env / "published" / "warehouse.duckdb"
    daemon_log = dagster_home / "daemon.log"
    # The first state, built and published directly (no run needed for the baseline).
    weekly_situation_mart()
    weekly_area_summary_mart()
    initial = publish_warehouse(run_id="initial", manifest_path=Path("/nonexistent"))
    assert _published_builds(published) == (1, 1)
    # Let the daemon load the code location and the sensor take its first tick (a run
    # status sensor only sees runs that finish after it).
    time.sleep(4)

    stop, out = tmp_path / "stop", tmp_path / "reader.json"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER_SCRIPT, str(published), str(stop), str(out)],
        env=_env(est_env, dagster_home),
    )
    try:
        # Two rebuilds submitted at once: the queue runs them one at a time, and the
        # sensor publishes after them.
        _launch("build_marts", est_env, dagster_home)
        _launch("build_marts", est_env, dagster_home)
        _wait_for(
            lambda: published.exists() and _published_builds(published) == (3, 3),
            150,
            "the publication of build 3",
            daemon_log,
        )
        time.sleep(1)
    finally:
        stop.touch()
        reader.wait(60)

    result = json.loads(out.read_text())
    assert result["errors"] == []
    observations = result["observations"]
    assert len(observations) > 20
    states: dict[str, tuple] = {}
    for run_id, ws_lo, ws_hi, sum_lo, sum_hi, ws_total, sum_total, meta_rows, rows in observations:
        # One build in every table of one query, and totals that agree between marts.
        assert ws_lo == ws_hi == sum_lo == sum_hi, observations
        assert ws_total == sum_total
        assert meta_rows == rows
        states.setdefault(run_id, (ws_lo, ws_total))
        assert states[run_id] == (ws_lo, ws_total), "one publication, two contents"
    seen_builds = sorted(build for build, _ in states.values())
    assert seen_builds[0] == 1 and seen_builds[-1] == 3, seen_builds
    assert initial.run_id in states

    # The publish runs were requested by the sensor after the mart runs. One may still be
    # queued or running (requested after the second mart run while the first publish ran).
    runs = _runs_summary({"DAGSTER_HOME": str(dagster_home)})
    publish_runs = [r for r in runs if r["job"] == PUBLISH_JOB_NAME]
    mart_runs = [r for r in runs if r["job"] == "build_marts"]
    assert [r["status"] for r in mart_runs] == ["SUCCESS"] * 2
    finished = [r for r in publish_runs if r["end"] is not None]
    assert finished and all(r["status"] == "SUCCESS" for r in finished), publish_runs
    assert len(publish_runs) <= 2
    assert all(r["tags"].get(SOURCE_RUN_TAG) in {m["run_id"] for m in mart_runs} for r in publish_runs)
    # The queue let one run at a time write: no two finished runs overlapped.
    spans = sorted((r["start"], r["end"]) for r in runs if r["end"] is not None)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:])), spans


def _runs_summary(env: dict[str, str]) -> list[dict]:
    """Read the run records in a subprocess (the instance is the temp DAGSTER_HOME's)."""
    script = textwrap.dedent(
        """
        import json, dagster as dg
        instance = dg.DagsterInstance.get()
        out = []
        for r in instance.get_run_records():
            out.append({"run_id": r.dagster_run.run_id, "job": r.dagster_run.job_name,
                        "status": r.dagster_run.status.value, "tags": dict(r.dagster_run.tags),
                        "start": r.start_time, "end": r.end_time})
        print(json.dumps(out))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_killed_run_leaves_published_state_and_next_run_publishes(
    est_env: Path, dagster_home: Path, tmp_path: Path
) -> None:
    published = est_env / "published" / "warehouse.duckdb"
    marker = tmp_path / "building"

    logs: list[Path] = []

    def execute(step_seconds: str) -> subprocess.Popen:
        log = tmp_path / f"run{len(logs) + 1}.log"
        logs.append(log)
        with open(log, "w") as handle:
            return subprocess.Popen(
                [
                    str(BIN / "dagster"), "job", "execute",
                    "-f", str(THIS_FILE), "-a", "defs", "-j", "build_marts_and_publish",
                ],
                env=_env(
                    est_env, dagster_home,
                    **{STEP_SECONDS_ENV: step_seconds, BUILD_MARKER_ENV: str(marker)},
                ),
                cwd=REPO_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
            )

    def finish(proc: subprocess.Popen) -> None:
        try:
            proc.wait(120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        assert proc.returncode == 0, logs[-1].read_text()[-3000:]

    finish(execute("0"))
    first_run = _published_run_id(published)
    assert first_run and _published_builds(published) == (1, 1)
    before = _sha(published)
    marker.unlink()

    # Second run: killed while it is between the two mart steps (build 2 half-done).
    second = execute("30")
    _wait_for(lambda: marker.exists(), 90, "the second run to start building marts")
    second.send_signal(signal.SIGKILL)
    second.wait(30)
    assert second.returncode == -signal.SIGKILL

    assert _sha(published) == before
    assert _published_run_id(published) == first_run
    assert _published_builds(published) == (1, 1)
    # The working warehouse is half-rebuilt (build 2 in one mart, build 1 in the other):
    # exactly the state a BI tool must never see.
    with duckdb.connect(str(est_env / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute(
            "SELECT (SELECT max(build) FROM marts.weekly_situation),"
            " (SELECT max(build) FROM marts.weekly_area_summary)"
        ).fetchone() == (2, 1)

    finish(execute("0"))
    third_run = _published_run_id(published)
    assert third_run not in (None, first_run)
    assert _published_builds(published) == (3, 3)
    assert not list(published.parent.glob(".warehouse.duckdb.*.tmp*"))
