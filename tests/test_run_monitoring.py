"""A run killed with SIGKILL is recognised and cleared, and the next queued run starts.

Real components: the repository's dagster.yaml (queue of one run, the project's run
launcher, run monitoring) in a temporary DAGSTER_HOME, a real ``dagster-daemon`` process,
a run launched with ``dagster job launch`` into the queue. Only the intervals are short
(monitoring poll and dequeue every second instead of 30 and 5 s) so that the test takes
seconds, not minutes.

The killed run is one executed in its own process on the instance, as ``make demo`` and
``make run`` execute theirs: no code server watches that process, so before the project's
launcher it stayed STARTED until max_runtime_seconds and held the one-run queue. (A run
launched through the daemon's code server is failed by the code server itself when its
process dies; the daemon-level check covers every run.)

This module is also the code location the daemon loads (``defs`` below) and, run as a
script, the process that executes ``sleeper`` in process: it writes its PID and sleeps.
``quick`` writes a marker and ends.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
import yaml

from est_pipeline.settings import REPO_ROOT

THIS_FILE = Path(__file__).resolve()
BIN = Path(sys.executable).parent
MARKERS_ENV = "EST_TEST_MONITORING_DIR"


@dg.op
def sleep_and_report_pid() -> None:
    folder = Path(os.environ[MARKERS_ENV])
    (folder / "sleeper.pid").write_text(str(os.getpid()))
    time.sleep(300)


@dg.op
def write_marker() -> None:
    (Path(os.environ[MARKERS_ENV]) / "quick.done").write_text("done")


@dg.job
def sleeper() -> None:
    sleep_and_report_pid()


@dg.job
def quick() -> None:
    write_marker()


# In process, as every job of the project (est_pipeline/defs/__init__.py): the op runs in the
# run worker itself, so the PID it reports is the worker's.
defs = dg.Definitions(jobs=[sleeper, quick], executor=dg.in_process_executor)


def _home(tmp_path: Path) -> Path:
    """The repository's instance config, with short intervals for a test."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    config = yaml.safe_load((REPO_ROOT / "dagster_home" / "dagster.yaml").read_text())
    assert config["run_launcher"]["class"] == "EstRunLauncher"
    assert config["run_monitoring"]["enabled"] and config["run_monitoring"]["max_resume_run_attempts"] == 0
    assert config["concurrency"]["runs"]["max_concurrent_runs"] == 1
    config["run_monitoring"]["poll_interval_seconds"] = 1
    config["run_coordinator"]["config"] = {"dequeue_interval_seconds": 1}
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    (tmp_path / "workspace.yaml").write_text(yaml.safe_dump(
        {"load_from": [{"python_file": {"relative_path": str(THIS_FILE), "attribute": "defs",
                                        "working_directory": str(REPO_ROOT)}}]}))
    return home


def _wait(what: str, predicate, timeout: float = 90.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_killed_run_is_failed_and_the_next_queued_run_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = _home(tmp_path)
    # The project's event log lives under $DAGSTER_HOME (as for the webserver and the daemon):
    # this process reads the runs' events through the same instance.
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    markers = tmp_path / "markers"
    markers.mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(home), MARKERS_ENV: str(markers), "PYTHONPATH": str(REPO_ROOT),
           "EST_DATA_DIR": str(tmp_path / "data")}
    workspace = ["-w", str(tmp_path / "workspace.yaml")]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.get_runs()  # create the storage once, before two processes race to do it
    log = open(tmp_path / "daemon.log", "w")
    daemon = subprocess.Popen([str(BIN / "dagster-daemon"), "run", *workspace], env=env, cwd=tmp_path,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def launch(job: str) -> None:
            done = subprocess.run([str(BIN / "dagster"), "job", "launch", *workspace, "-j", job], env=env,
                                  cwd=tmp_path, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]

        with dg.DagsterInstance.from_config(str(home)) as instance:
            _wait("the daemon's run queue and monitoring", lambda: {"QUEUED_RUN_COORDINATOR", "MONITORING"} <= set(
                instance.get_daemon_heartbeats()))
        runner = subprocess.Popen([sys.executable, str(THIS_FILE)], env=env, cwd=tmp_path,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pid_file = markers / "sleeper.pid"
        worker = int(_wait("the sleeper's worker to start", lambda: pid_file.exists() and pid_file.read_text()))
        assert worker == runner.pid
        launch("quick")  # queued behind the sleeper: one run at a time

        with dg.DagsterInstance.from_config(str(home)) as instance:
            def runs() -> dict[str, dg.DagsterRun]:
                return {r.job_name: r for r in instance.get_runs()}

            assert runs()["sleeper"].status == dg.DagsterRunStatus.STARTED
            time.sleep(2)
            assert runs()["quick"].status == dg.DagsterRunStatus.QUEUED  # blocked by the sleeper

            os.kill(worker, signal.SIGKILL)
            runner.wait()
            killed_at = time.monotonic()
            failed = _wait("the killed run to be marked failed",
                           lambda: runs()["sleeper"].status == dg.DagsterRunStatus.FAILURE and runs()["sleeper"])
            detected = time.monotonic() - killed_at
            _wait("the queued run to succeed", lambda: runs()["quick"].status == dg.DagsterRunStatus.SUCCESS)
            assert (markers / "quick.done").read_text() == "done"
            # Failed by run monitoring, with the launcher's reason (not by a timeout).
            reasons = [str(e.message) + str(getattr(e.dagster_event, "event_specific_data", ""))
                       for e in instance.all_logs(failed.run_id)]
            assert any(f"pid {worker}" in r and "is gone" in r for r in reasons), reasons[-5:]
            print(f"killed run marked failed {detected:.1f} s after SIGKILL; next queued run succeeded")
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
            daemon.wait()
        log.close()


if __name__ == "__main__":  # the run that gets killed: executed in this process, on the instance
    sleeper.execute_in_process(instance=dg.DagsterInstance.get())


@pytest.fixture(autouse=True)
def _no_stray_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MARKERS_ENV, raising=False)
