"""The same work for every municipality, spread over the machine's cores.

A deployment for many municipalities repeats three things once per municipality: the
estimation, the reports and the sealed published file. Each reads only its own
municipality's rows and writes nothing another municipality's work reads, so they can run
side by side. They are what grows with the number of municipalities; everything else (ingest,
dbt) is paid once per run whatever the size.

Jobs go to fresh worker processes (``spawn``: a Dagster step process has threads, which
``fork`` would copy half-way), each with one BLAS thread, because the processes are the
parallelism. Results come back in the order of the jobs, so what the caller writes (one
transaction at a time, from its own process, as DuckDB wants) is the same as a serial run's.
With one job or one worker everything runs in the calling process: a single-municipality
week pays no process start-up.

``concurrent.futures`` rather than ``multiprocessing.Pool``: a worker that dies (killed for
memory, say) fails the run with ``BrokenProcessPool`` instead of leaving it waiting forever
for a result that will never come, and stopping after an error cancels the jobs not yet
started instead of signalling workers, which a worker that ignores SIGTERM would survive.

How many processes: the ``workers`` setting (``EST_WORKERS``), ``auto`` meaning one per
core. A worker holds one job's data at a time and only a few jobs wait ahead of the
workers, so memory grows with the workers, not with the municipalities.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

from est_pipeline.settings import get_settings

Job = TypeVar("Job")
Result = TypeVar("Result")

#: One BLAS thread per worker process (read by numpy's BLAS when the worker imports it).
_BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
#: Jobs submitted ahead of the results taken, per worker: enough to keep every worker busy.
_AHEAD_PER_WORKER = 2


def worker_count(n_jobs: int) -> int:
    """Processes to use for ``n_jobs`` jobs: the setting (``auto``: the cores), never more
    than the jobs."""
    setting = get_settings().workers
    cores = os.cpu_count() or 1
    wanted = cores if setting == "auto" else int(setting)
    return max(1, min(wanted, n_jobs))


def _start_worker() -> None:
    """Runs first in every worker, before it imports numpy (the jobs' modules do that).

    One BLAS thread. SIGTERM back to its default: an ignored signal stays ignored across
    ``exec``, and a worker that ignored it would outlive whoever stops it that way. Ctrl-C in
    a terminal reaches the whole process group: the parent handles it and ends the pool.
    """
    os.environ.update({name: "1" for name in _BLAS_THREAD_VARIABLES})
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class Workers:
    """Worker processes for the per-municipality jobs of one asset, started on first use and
    kept for the rest of it.

    ``most_jobs`` caps the processes: there is no point in more processes than jobs.
    """

    def __init__(self, most_jobs: int, workers: int | None = None) -> None:
        self.processes = worker_count(most_jobs) if workers is None else max(1, min(workers, most_jobs))
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._executor is not None:
            # After an error (or when the caller stopped early) the jobs not yet started are
            # dropped; a job already running is let finish, and then the workers leave.
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def map(self, func: Callable[[Job], Result], jobs: Sequence[Job]) -> list[Result]:
        """``[func(job) for job in jobs]``, over the workers when there is more than one job.

        ``func`` must be a module-level function and jobs and results picklable. An
        exception in a job is raised here, as a serial run would raise it.
        """
        if self.processes <= 1 or len(jobs) <= 1:
            return [func(job) for job in jobs]
        return list(self.imap(func, jobs))

    def imap(self, func: Callable[[Job], Result], jobs: Iterable[Job]) -> Iterator[Result]:
        """Like :meth:`map`, but lazily: each result in the order of the jobs, as soon as it is
        done, and each job taken from ``jobs`` only when a worker will soon be free for it, so
        that a long run of large jobs (a municipality's panel each) is never all in memory."""
        if self.processes <= 1:
            yield from (func(job) for job in jobs)
            return
        executor = self._started()
        pending: deque[Future[Result]] = deque()
        for job in jobs:
            pending.append(executor.submit(func, job))
            if len(pending) >= _AHEAD_PER_WORKER * self.processes:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

    def _started(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.processes, mp_context=mp.get_context("spawn"), initializer=_start_worker)
        return self._executor


def run_each(func: Callable[[Job], Result], jobs: Sequence[Job], workers: int | None = None) -> list[Result]:
    """``[func(job) for job in jobs]`` over workers of its own (see :class:`Workers`)."""
    with Workers(len(jobs), workers) as pool:
        return pool.map(func, jobs)
