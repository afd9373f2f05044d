"""The same work for every municipality, spread over the machine's cores.

A deployment for many municipalities repeats three things once per municipality: the
estimation, the reports and the sealed published file. Each reads only its own
municipality's rows and writes nothing another municipality's work reads, so they can run
side by side. They are what grows with the number of municipalities; everything else (ingest,
dbt) is paid once per run whatever the size.

Jobs go to a pool of fresh processes (``spawn``: a Dagster step process has threads, which
``fork`` would copy half-way), each with one BLAS thread, because the processes are the
parallelism. Results come back in the order of the jobs, so what the caller writes (one
transaction at a time, from its own process, as DuckDB wants) is the same as a serial run's.
With one job or one worker everything runs in the calling process: a single-municipality
deployment pays no process start-up.

How many processes: the ``workers`` setting (``EST_WORKERS``), ``auto`` meaning one per
core. Each process holds one municipality's data at a time, so memory grows with the
workers, not with the municipalities.
"""

from __future__ import annotations

import multiprocessing as mp
import multiprocessing.pool
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from est_pipeline.settings import get_settings

Job = TypeVar("Job")
Result = TypeVar("Result")

#: One BLAS thread per worker process (read by numpy's BLAS when the worker imports it).
_BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def worker_count(n_jobs: int) -> int:
    """Processes to use for ``n_jobs`` jobs: the setting (``auto``: the cores), never more
    than the jobs."""
    setting = get_settings().workers
    cores = os.cpu_count() or 1
    wanted = cores if setting == "auto" else int(setting)
    return max(1, min(wanted, n_jobs))


@contextmanager
def _one_blas_thread_in_children() -> Iterator[None]:
    """The variables the spawned workers inherit, set only while they start."""
    saved = {name: os.environ.get(name) for name in _BLAS_THREAD_VARIABLES}
    os.environ.update({name: "1" for name in _BLAS_THREAD_VARIABLES})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class Workers:
    """A pool for the per-municipality jobs of one asset, started on first use and kept for
    its later batches (the reports render one partition after another).

    ``most_jobs`` caps the processes: there is no point in more processes than jobs.
    """

    def __init__(self, most_jobs: int, workers: int | None = None) -> None:
        self.processes = worker_count(most_jobs) if workers is None else max(1, min(workers, most_jobs))
        self._pool: mp.pool.Pool | None = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def map(self, func: Callable[[Job], Result], jobs: Sequence[Job]) -> list[Result]:
        """``[func(job) for job in jobs]``, over the pool when there is more than one job.

        ``func`` must be a module-level function and jobs and results picklable. An
        exception in a job is raised here, as a serial run would raise it.
        """
        if self.processes <= 1 or len(jobs) <= 1:
            return [func(job) for job in jobs]
        # chunksize 1: municipalities differ in size, so hand them out one at a time.
        return self._started().map(func, jobs, chunksize=1)

    def imap(self, func: Callable[[Job], Result], jobs: Iterable[Job]) -> Iterator[Result]:
        """Like :meth:`map`, but lazily: each result as soon as it and those before it are
        done, and jobs made only as the workers take them (the pool's pipe holds only a few
        ahead), so a long list of large jobs is never in memory at once."""
        if self.processes <= 1:
            return (func(job) for job in jobs)
        return self._started().imap(func, jobs, chunksize=1)

    def _started(self) -> mp.pool.Pool:
        if self._pool is None:
            with _one_blas_thread_in_children():
                self._pool = mp.get_context("spawn").Pool(self.processes)
        return self._pool


def run_each(func: Callable[[Job], Result], jobs: Sequence[Job], workers: int | None = None) -> list[Result]:
    """``[func(job) for job in jobs]`` over a pool of its own (see :class:`Workers`)."""
    with Workers(len(jobs), workers) as pool:
        return pool.map(func, jobs)
