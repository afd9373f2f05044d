"""The pool that runs per-municipality work side by side (estimation, reports, published files)."""

from __future__ import annotations

import os

import pytest

from est_pipeline.lib.parallel import Workers, run_each, worker_count
from est_pipeline.settings import SettingsError, get_settings


def _where_and_blas(job: int) -> tuple[int, int, str | None]:
    return job * job, os.getpid(), os.environ.get("OPENBLAS_NUM_THREADS")


def _fails_on_three(job: int) -> int:
    if job == 3:
        raise ValueError(f"job {job} is malformed")
    return job


def test_jobs_run_in_other_processes_with_one_blas_thread_and_come_back_in_order(monkeypatch):
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    with Workers(most_jobs=6, workers=2) as workers:
        assert workers.processes == 2
        results = workers.map(_where_and_blas, list(range(6)))
        again = workers.map(_where_and_blas, [7])  # one job: no pool needed
    assert [r[0] for r in results] == [j * j for j in range(6)]
    assert {pid for _, pid, _ in results} - {os.getpid()}, "no job ran in a worker process"
    assert os.getpid() not in {pid for _, pid, _ in results}
    assert {blas for _, _, blas in results} == {"1"}
    assert again == [(49, os.getpid(), None)]
    assert "OPENBLAS_NUM_THREADS" not in os.environ  # only the workers got it


def test_one_worker_runs_in_this_process():
    assert run_each(_where_and_blas, [1, 2], workers=1) == [(1, os.getpid(), os.environ.get("OPENBLAS_NUM_THREADS")),
                                                           (4, os.getpid(), os.environ.get("OPENBLAS_NUM_THREADS"))]


def test_an_error_in_a_worker_is_raised_with_its_message():
    with pytest.raises(ValueError, match="job 3 is malformed"):
        run_each(_fails_on_three, [1, 2, 3, 4], workers=2)


def test_the_workers_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("EST_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("EST_WORKERS", raising=False)
    assert get_settings().workers == "auto"
    assert worker_count(50) == (os.cpu_count() or 1) and worker_count(1) == 1
    monkeypatch.setenv("EST_WORKERS", "3")
    assert get_settings().workers == 3 and worker_count(2) == 2 and worker_count(10) == 3
    for bad in ("0", "many", "-2"):
        monkeypatch.setenv("EST_WORKERS", bad)
        with pytest.raises(SettingsError, match=f"EST_WORKERS: workers must be auto or a whole number 1 or more, got '{bad}'"):
            get_settings()
    monkeypatch.delenv("EST_WORKERS")
    (tmp_path / "settings.toml").write_text("workers = 2\n")
    assert get_settings().workers == 2 and get_settings().source("workers") == "file"


def test_the_workers_end_after_an_error_a_dead_worker_and_an_ignored_sigterm():
    """The workers must end, and the caller hear why, when a job raises, when a worker dies
    (killed for memory, say) and when the process that starts them ignores SIGTERM (some
    hosts start runs that way, and the workers inherit it): never a run waiting forever. Run
    in a process of its own, with a time limit, so that a regression fails instead of hanging."""
    import subprocess
    import sys

    script = (
        "import os, signal\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "from concurrent.futures.process import BrokenProcessPool\n"
        "from est_pipeline.lib.parallel import Workers\n"
        "with Workers(4, 2) as w:\n"
        "    assert w.map(abs, [-1, -2, -3]) == [1, 2, 3]\n"
        "try:\n"
        "    with Workers(4, 2) as w:\n"
        "        w.map(int, ['1', 'x', '3', '4'])\n"
        "except ValueError as exc:\n"
        "    print('raised:', exc)\n"
        "try:\n"
        "    with Workers(4, 2) as w:\n"
        "        w.map(os._exit, [3, 3])\n"
        "except BrokenProcessPool:\n"
        "    print('a worker died')\n"
        "print('ended')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "raised: invalid literal for int() with base 10: 'x'", "a worker died", "ended"]
