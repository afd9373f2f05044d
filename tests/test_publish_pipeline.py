"""The published warehouse under real Dagster runs of the real pipeline, in other processes.

Everything here is the project's own stack: demo data (``est_pipeline.demo``), the ingest
assets, the dbt assets and ``published/warehouse`` of the code location
``est_pipeline.definitions`` (loaded through the repository's ``workspace.yaml`` or
``-m est_pipeline.definitions``), on the repository's ``dagster_home/dagster.yaml`` copied
into a temporary DAGSTER_HOME.

State A (built once per module, in-process): demo data for weeks 2021-01-04 … 2021-02-22
ingested, the weekly marts built for the first four weeks only, and published. The runs
under test then build the weekly marts for the last four weeks, so the next published
state B has more weeks and larger totals than A.

- Reader test: a run of ``weekly_situation_job`` (its weekly marts, the last four weeks)
  is submitted as the UI does (GraphQL ``launchRun``) → the run queue → ``dagster-daemon``
  → the default run launcher, which runs it in its own process; the real
  ``publish_after_mart_runs`` sensor then requests ``publish_warehouse_job``.
  Meanwhile a reader process queries the published marts in a loop: zero failed queries,
  and every query sees exactly state A or state B, never a mix.
- Kill test: ``dagster asset materialize`` of the weekly dbt marts is SIGKILLed (with its
  dbt process) while dbt is building them, right after ``marts.weekly_situation`` was
  rewritten and before ``marts.weekly_area_summary``: the published file stays
  byte-identical and readable; the next run and publish produce a complete state B.

Every subprocess (daemon, its code server, run workers, dbt, the reader) is started in
its own session and killed by the fixtures' finalisers, also when a test fails.
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
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import psutil
import pytest

from est_pipeline.defs.dbt.schedules import WEEKLY_JOB_NAME, partition_range_tags
from est_pipeline.defs.publish.sensors import PUBLISH_JOB_NAME, SOURCE_RUN_TAG
from est_pipeline.publish.rules import FLAG_COLUMN
from est_pipeline.settings import REPO_ROOT

BIN = Path(sys.executable).parent
WORKSPACE = REPO_ROOT / "workspace.yaml"
DEMO_ARGS = [
    "--municipalities", "1", "--areas", "3", "--weeks", "8",
    "--start-week", "2021-W01", "--file-period", "quarter",
]
#: Weeks in state A, and the weeks the runs under test add.
FIRST_WEEKS = ("2021-01-04", "2021-01-25")
NEXT_WEEKS = ("2021-02-01", "2021-02-22")
WEEKLY_MARTS = ("weekly_situation", "weekly_area_summary", "weekly_unlocated_events")
#: A weekly run rebuilds the per-week grids the weekly marts read, for the same weeks.
WEEKLY_RUN_ASSETS = (
    "int_checklist_ratings", "int_checklist_area_week_category",
    "int_police_crimes_area_week_category", "int_area_week_category_events", *WEEKLY_MARTS,
)
PUBLISHED_KEY = dg.AssetKey(["published", "warehouse"])

#: What one query in one connection sees of a published state. Every part must come from
#: the same state: the publication row, the newest week and the totals of two marts (one
#: built from the other, in separate dbt models), and the row counts the meta table
#: promises versus the rows actually there.
FINGERPRINT_SQL = """
    SELECT p.run_id, p.last_week_start::VARCHAR,
           (SELECT max(week_start)::VARCHAR FROM marts.weekly_situation),
           (SELECT max(week_start)::VARCHAR FROM marts.weekly_area_summary),
           (SELECT sum(events_total) FROM marts.weekly_situation),
           (SELECT sum(events_total) FROM marts.weekly_area_summary),
           (SELECT count(*) FROM marts.weekly_situation),
           (SELECT sum(row_count) FROM meta.published_tables WHERE table_schema = 'marts')
    FROM meta.publication p
"""
COUNT_MARTS_SQL = """
    SELECT string_agg('SELECT count(*) AS n FROM marts."' || table_name || '"', ' UNION ALL ')
    FROM information_schema.tables WHERE table_schema = 'marts'
"""

READER_SCRIPT = textwrap.dedent(
    """
    import json, os, sys, time, duckdb
    path, stop_file, out, fingerprint_sql, count_sql = sys.argv[1:6]
    observations, errors = [], []
    while not os.path.exists(stop_file):
        try:
            con = duckdb.connect(path, read_only=True)
            try:
                row = list(con.execute(fingerprint_sql).fetchone())
                union = con.execute(count_sql).fetchone()[0]
                row.append(con.execute(f"SELECT sum(n) FROM ({union})").fetchone()[0])
            finally:
                con.close()
            observations.append([str(v) if v is not None else None for v in row])
        except Exception as exc:
            errors.append(repr(exc))
        time.sleep(0.01)
    json.dump({"observations": observations, "errors": errors}, open(out, "w"))
    """
)


# --------------------------------------------------------------------------------------
# State A, built once per module with the real pipeline in-process
# --------------------------------------------------------------------------------------


def _data_env(data_dir: Path) -> dict[str, str]:
    return {
        "EST_DATA_DIR": str(data_dir),
        "EST_WAREHOUSE_PATH": str(data_dir / "warehouse.duckdb"),
        "EST_PUBLISHED_WAREHOUSE_PATH": str(data_dir / "published" / "warehouse.duckdb"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "GX_ANALYTICS_ENABLED": "false",
    }


@pytest.fixture(scope="module")
def state_a(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the working warehouse and published state A (no landing files)."""
    data = tmp_path_factory.mktemp("state_a") / "data"
    data.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        for name, value in _data_env(data).items():
            mp.setenv(name, value)
        from est_pipeline.demo.cli import main as generate

        generate(["--out", str(data), *DEMO_ARGS])
        from est_pipeline.definitions import defs
        from est_pipeline.defs.dbt.runs import materialize_weeks

        instance = dg.DagsterInstance.ephemeral()
        assert defs.resolve_job_def("ingest_job").execute_in_process(instance=instance).success
        assert materialize_weeks(*FIRST_WEEKS, defs=defs, instance=instance).success
        assert defs.resolve_job_def(PUBLISH_JOB_NAME).execute_in_process(instance=instance).success
    # Without landing files the landing sensor of the daemon has nothing to ingest, so the
    # runs under test are the only runs.
    shutil.rmtree(data / "landing")
    return data


@pytest.fixture
def pipeline_env(est_env: Path, state_a: Path, tmp_path: Path) -> dict[str, str]:
    """This test's copy of state A, a DAGSTER_HOME with the project's dagster.yaml, and
    the environment for every subprocess."""
    shutil.copytree(state_a, est_env, dirs_exist_ok=True)
    (est_env / "landing").mkdir()
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    # Create the instance's SQLite storages now: a daemon and a CLI that both find them
    # missing race to create them ("table alembic_version already exists").
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.get_runs(limit=1)
        instance.all_instigator_state()
    return {
        **os.environ,
        **_data_env(est_env),
        "DAGSTER_HOME": str(home),
        "PYTHONPATH": str(REPO_ROOT),
        "PYTHONUNBUFFERED": "1",
    }


class Processes:
    """Subprocesses started by a test, each in its own session; all killed at teardown."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen] = []

    def start(self, args: list[str], env: dict[str, str], **kwargs) -> subprocess.Popen:
        proc = subprocess.Popen(args, env=env, cwd=REPO_ROOT, start_new_session=True, **kwargs)
        self.started.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen, sig: signal.Signals = signal.SIGINT) -> None:
        """Stop a process and everything it started (code servers, run workers, dbt)."""
        try:
            tree = psutil.Process(proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            tree = []
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                pass
        for p in [*tree, psutil.Process(proc.pid) if proc.poll() is None else None]:
            if p is None:
                continue
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait(10)


@pytest.fixture
def processes() -> Iterator[Processes]:
    procs = Processes()
    try:
        yield procs
    finally:
        for proc in reversed(procs.started):
            procs.stop(proc)


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def fingerprint(path: Path) -> tuple:
    """What a reader sees of the published file, in the reader's own format."""
    with duckdb.connect(str(path), read_only=True) as con:
        row = list(con.execute(FINGERPRINT_SQL).fetchone())
        union = con.execute(COUNT_MARTS_SQL).fetchone()[0]
        row.append(con.execute(f"SELECT sum(n) FROM ({union})").fetchone()[0])
    return tuple(str(v) if v is not None else None for v in row)


def _wait_for(predicate: Callable[[], object], timeout_s: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    detail = log.read_text()[-5000:] if log and log.exists() else ""
    raise AssertionError(f"timed out waiting for {what}\n{detail}")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _runs(env: dict[str, str]) -> list[dict]:
    """The run records of the test's instance (read in a subprocess: its DAGSTER_HOME)."""
    script = textwrap.dedent(
        """
        import json, dagster as dg
        out = []
        for r in dg.DagsterInstance.get().get_run_records():
            out.append({"run_id": r.dagster_run.run_id, "job": r.dagster_run.job_name,
                        "status": r.dagster_run.status.value, "tags": dict(r.dagster_run.tags),
                        "start": r.start_time, "end": r.end_time})
        print(json.dumps(out))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], env=env, check=True, capture_output=True, text=True,
        timeout=60,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


LAUNCH_RUN_GRAPHQL = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""


def launch_run(env: dict[str, str], job: str, assets: tuple[str, ...], weeks: tuple[str, str]) -> str:
    """Submit a run of ``job`` limited to ``assets`` for ``weeks`` through the instance's
    run coordinator (the queue), like "Materialize selected" in the UI; returns its id.

    ``dagster job launch`` cannot select assets, and the whole weekly job would add a
    second dbt invocation (staging, intermediate) that this test does not need.
    """
    params = {
        "selector": {
            "repositoryLocationName": "est_pipeline.definitions",
            "repositoryName": "__repository__",
            "jobName": job,
            "assetSelection": [{"path": [name]} for name in assets],
        },
        "executionMetadata": {
            "tags": [{"key": k, "value": v} for k, v in partition_range_tags(*weeks).items()]
        },
    }
    proc = subprocess.run(
        [str(BIN / "dagster-graphql"), "-w", str(WORKSPACE), "-t", LAUNCH_RUN_GRAPHQL,
         "-v", json.dumps({"params": params})],
        env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )
    answers = [line for line in proc.stdout.splitlines() if line.startswith('{"data"')]
    assert proc.returncode == 0 and answers, proc.stdout[-3000:] + proc.stderr[-3000:]
    launched = json.loads(answers[-1])["data"]["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    assert launched["run"]["status"] == "QUEUED", launched
    return launched["run"]["runId"]


def _mart_counts(path: Path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [t for (t,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'"
        ).fetchall()]
        return {
            t: con.execute(f'SELECT count(*) FROM marts."{t}"').fetchone()[0] for t in tables
        }


def _last_weeks(path: Path) -> tuple[date, date]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "SELECT (SELECT max(week_start) FROM marts.weekly_situation),"
            " (SELECT max(week_start) FROM marts.weekly_area_summary)"
        ).fetchone()


def assert_complete_state(working: Path, published: Path, run_id: str) -> None:
    """The published file is one complete state of the working warehouse, from ``run_id``."""
    assert fingerprint(published)[0] == run_id
    assert _mart_counts(published) == _mart_counts(working)
    assert _last_weeks(published) == (date.fromisoformat(NEXT_WEEKS[1]),) * 2
    assert not list(published.parent.glob(".warehouse.duckdb.*.tmp*"))


# --------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------


def test_reader_sees_one_state_while_queued_run_rebuilds_real_marts(
    est_env: Path, pipeline_env: dict[str, str], processes: Processes, tmp_path: Path
) -> None:
    published = est_env / "published" / "warehouse.duckdb"
    working = est_env / "warehouse.duckdb"
    home = Path(pipeline_env["DAGSTER_HOME"])
    state_a_print = fingerprint(published)
    assert state_a_print[2] == state_a_print[3] == FIRST_WEEKS[1]

    daemon_log = home / "daemon.log"
    with open(daemon_log, "w") as log:
        processes.start(
            [str(BIN / "dagster-daemon"), "run", "-w", str(WORKSPACE)],
            pipeline_env, stdout=log, stderr=subprocess.STDOUT,
        )
    stop, out = tmp_path / "stop", tmp_path / "reader.json"
    reader = processes.start(
        [sys.executable, "-c", READER_SCRIPT, str(published), str(stop), str(out),
         FINGERPRINT_SQL, COUNT_MARTS_SQL],
        pipeline_env,
    )

    # The weekly marts of the weekly job for the last four weeks, launched as the UI does
    # (GraphQL ``launchRun``) → the run queue → the daemon → a run worker process.
    weekly_run_id = launch_run(pipeline_env, WEEKLY_JOB_NAME, WEEKLY_RUN_ASSETS, NEXT_WEEKS)
    _wait_for(
        lambda: "Checking for new runs for sensor: publish_after_mart_runs" in daemon_log.read_text(),
        60, "the publish sensor's first tick", daemon_log,
    )
    _wait_for(
        lambda: fingerprint(published)[0] != state_a_print[0], 240,
        "the sensor's publish run to publish the rebuilt marts", daemon_log,
    )
    time.sleep(1)  # a few more reads of the new state
    stop.touch()
    reader.wait(60)
    state_b_print = fingerprint(published)

    # The reader: zero failed queries, each query saw exactly state A or state B.
    result = json.loads(out.read_text())
    assert result["errors"] == []
    seen = [tuple(o) for o in result["observations"]]
    assert len(seen) > 20
    assert state_a_print != state_b_print
    assert set(seen) == {state_a_print, state_b_print}, set(seen) - {state_a_print, state_b_print}
    switch = seen.index(state_b_print)
    assert set(seen[:switch]) == {state_a_print} and set(seen[switch:]) == {state_b_print}
    for run_id, last_week, ws_week, was_week, ws_total, was_total, ws_rows, meta_rows, rows in seen:
        assert ws_week == was_week  # the two marts are from the same build
        assert meta_rows == rows  # meta.published_tables describes the tables there
    # State B has the new weeks and more events than A.
    assert state_b_print[2] == NEXT_WEEKS[1]
    assert int(state_b_print[4]) > int(state_a_print[4])

    # The runs: the weekly run, then the publish run the sensor requested after it.
    runs = {r["run_id"]: r for r in _runs(pipeline_env)}
    publish_runs = [r for r in runs.values() if r["job"] == PUBLISH_JOB_NAME]
    assert runs[weekly_run_id]["status"] == "SUCCESS"
    assert [r["status"] for r in publish_runs] == ["SUCCESS"], publish_runs
    assert publish_runs[0]["tags"][SOURCE_RUN_TAG] == weekly_run_id
    assert publish_runs[0]["run_id"] == state_b_print[0]
    assert set(runs) == {weekly_run_id, publish_runs[0]["run_id"]}, runs
    # The queue let one run at a time write: the publish run started after the weekly run.
    assert runs[weekly_run_id]["end"] <= publish_runs[0]["start"]
    assert_complete_state(working, published, publish_runs[0]["run_id"])

    # What BI tools get from the real marts: only marts/reference/meta, the small-count
    # rule, dbt's descriptions as comments, and where the marts came from.
    with duckdb.connect(str(working), read_only=True) as con:
        exact = {
            r[:3]: r[3]
            for r in con.execute(
                "SELECT area_id, week_start, category, events_total FROM marts.weekly_situation"
            ).fetchall()
        }
    with duckdb.connect(str(published), read_only=True) as con:
        schemas = {s for (s,) in con.execute(
            "SELECT DISTINCT table_schema FROM information_schema.tables").fetchall()}
        shown = {
            r[:3]: r[3:]
            for r in con.execute(
                f"SELECT area_id, week_start, category, events_total, {FLAG_COLUMN} "
                "FROM marts.weekly_situation"
            ).fetchall()
        }
        sources = {
            r[0]: r[1:]
            for r in con.execute(
                "SELECT table_name, source_run_id, partitions_materialized, first_partition, "
                "last_partition FROM meta.published_tables WHERE table_schema = 'marts'"
            ).fetchall()
        }
        described = con.execute(
            "SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'marts' "
            "AND table_name = 'weekly_situation' AND comment IS NOT NULL"
        ).fetchone()[0]
        threshold = con.execute("SELECT small_count_threshold FROM meta.publication").fetchone()[0]
    assert schemas == {"marts", "totals", "reference", "meta"}
    assert exact and set(shown) == set(exact)
    for key, total in exact.items():
        pub_total, flagged = shown[key]
        if 1 <= total < threshold:
            assert pub_total is None and flagged
        else:
            assert pub_total == total
    assert any(1 <= t < threshold for t in exact.values())
    # This instance saw the weekly run materialise the last four weekly partitions.
    for mart in WEEKLY_MARTS:
        assert sources[mart] == (weekly_run_id, 4, *NEXT_WEEKS), (mart, sources[mart])
    assert described > 5  # dbt's column descriptions reached the published table
    # The publish asset depends on the real dbt marts, found when the definitions load.
    from est_pipeline.definitions import defs

    graph = defs.resolve_asset_graph()
    assert {dg.AssetKey([m]) for m in WEEKLY_MARTS} <= set(graph.get(PUBLISHED_KEY).parent_keys)


def test_killed_run_leaves_published_state_and_next_run_publishes(
    est_env: Path, pipeline_env: dict[str, str], processes: Processes, tmp_path: Path
) -> None:
    published = est_env / "published" / "warehouse.duckdb"
    working = est_env / "warehouse.duckdb"
    before, state_a_print = _sha(published), fingerprint(published)
    materialize_weekly = [
        str(BIN / "dagster"), "asset", "materialize", "-m", "est_pipeline.definitions",
        "--select", ",".join(WEEKLY_RUN_ASSETS), "--partition-range", "...".join(NEXT_WEEKS),
    ]

    # The run, killed (with its dbt process) once dbt has rewritten one weekly mart and
    # before it rewrites the next one.
    killed_log = tmp_path / "killed_run.log"
    run = processes.start(
        materialize_weekly, pipeline_env,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    building = threading.Event()

    def follow() -> None:
        with open(killed_log, "w") as log:
            for line in run.stdout:
                log.write(line)
                if "OK created sql incremental model marts.weekly_situation" in line:
                    building.set()

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    assert building.wait(180), killed_log.read_text()[-5000:]
    tree = psutil.Process(run.pid).children(recursive=True)
    assert any("dbt" in " ".join(p.cmdline()) for p in tree)  # dbt is still running
    os.killpg(run.pid, signal.SIGKILL)  # the run's process and its dbt, at once
    run.wait(30)
    _, alive = psutil.wait_procs(tree, timeout=10)
    assert not alive
    follower.join(30)
    assert run.returncode == -signal.SIGKILL
    assert "marts.weekly_area_summary" not in killed_log.read_text()

    # The published file: byte-identical, readable, state A.
    assert _sha(published) == before
    assert fingerprint(published) == state_a_print
    # The working warehouse is half-rebuilt: the state a BI tool must never see.
    assert _last_weeks(working) == (
        date.fromisoformat(NEXT_WEEKS[1]),
        date.fromisoformat(FIRST_WEEKS[1]),
    )

    # The next run rebuilds the marts; the publish run publishes a complete new state.
    for args, name in [
        (materialize_weekly, "rerun"),
        ([str(BIN / "dagster"), "job", "execute", "-m", "est_pipeline.definitions",
          "-j", PUBLISH_JOB_NAME], "publish"),
    ]:
        log = tmp_path / f"{name}.log"
        with open(log, "w") as handle:
            proc = processes.start(
                args, pipeline_env, stdin=subprocess.DEVNULL, stdout=handle,
                stderr=subprocess.STDOUT,
            )
            try:
                proc.wait(240)
            finally:
                processes.stop(proc)
        assert proc.returncode == 0, log.read_text()[-5000:]

    runs = _runs(pipeline_env)
    publish_runs = [r for r in runs if r["job"] == PUBLISH_JOB_NAME]
    assert [r["status"] for r in publish_runs] == ["SUCCESS"]
    assert _sha(published) != before
    assert_complete_state(working, published, publish_runs[0]["run_id"])
    state_b_print = fingerprint(published)
    assert int(state_b_print[4]) > int(state_a_print[4])
