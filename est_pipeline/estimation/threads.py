"""One BLAS thread while estimating, so that the same input gives the same bits.

OpenBLAS splits dense products between threads differently for different thread counts,
and the last bits of a sum depend on the split (measured: 3e-15 between one and two
threads on the same panel). The mart must be byte-identical on re-runs whether the run
comes from ``make``, which sets ``OPENBLAS_NUM_THREADS=1``, or from the Dagster UI, which
may not. The estimation's matrices are small and many, so one thread is also the faster
choice on a shared machine (a QR step measured 0.015 s with one thread, 0.49 s with two).

numpy loads OpenBLAS before any of our code runs, so the environment variable is too late
here; this sets the thread count of the loaded libraries through their C API (what
threadpoolctl does) and restores it afterwards. Libraries it does not recognise are left
alone.
"""

from __future__ import annotations

import contextlib
import ctypes
from collections.abc import Iterator

# (getter, setter) pairs of the OpenBLAS builds numpy and scipy ship or link.
_APIS = [
    ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
    ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
    ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
    ("openblas_get_num_threads", "openblas_set_num_threads"),
]


def _loaded_openblas() -> list[tuple[ctypes._FuncPointer, ctypes._FuncPointer]]:
    try:
        with open("/proc/self/maps", encoding="utf-8") as fh:
            paths = sorted({line.split()[-1] for line in fh if "openblas" in line.lower() and "/" in line})
    except OSError:  # not Linux: leave the BLAS as it is
        return []
    found = []
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for get, set_ in _APIS:
            if hasattr(lib, get) and hasattr(lib, set_):
                found.append((getattr(lib, get), getattr(lib, set_)))
                break
    return found


@contextlib.contextmanager
def single_blas_thread() -> Iterator[None]:
    libs = _loaded_openblas()
    before = [int(get()) for get, _ in libs]
    for _, set_ in libs:
        set_(1)
    try:
        yield
    finally:
        for (_, set_), n in zip(libs, before):
            set_(n)
