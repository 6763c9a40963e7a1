"""Give the memory freed by large arrays back to the system, and say where Arrow takes it.

glibc keeps freed heap pages for later (more so with threads, each with its own arena), and so
does Arrow's memory pool: after reading a region's files or searching millions of pairs, the
process would stay hundreds of MB larger than it needs.
"""

from __future__ import annotations

import ctypes
import functools
import sys

import pyarrow as pa

__all__ = ["release_memory", "use_system_allocator"]


@functools.cache
def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # another C library (musl)
        return None


def release_memory() -> bool:
    """Return free memory to the system: Arrow's pool, then glibc's heap (``malloc_trim``).

    Tells whether glibc's heap could be trimmed (not on other systems).
    """
    pa.default_memory_pool().release_unused()
    libc = _libc()
    trim = getattr(libc, "malloc_trim", None)
    if trim is None:
        return False
    trim(0)
    return True


def use_system_allocator() -> None:
    """Let Arrow take its memory from the C library's heap, which `release_memory` trims.

    Arrow's own pool (mimalloc) keeps what it freed for later: ``eit-geo match`` on a region of
    100,000 companies peaked 60 to 100 MB higher with it (``benchmarks/bench_matching.py``),
    for the same time. For a command, which ends after one job; a library leaves the choice to
    the application.
    """
    pa.set_memory_pool(pa.system_memory_pool())
