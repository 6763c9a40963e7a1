"""Give the memory freed by large arrays back to the system.

glibc keeps freed heap pages for later (more so with threads, each with its own arena): after
a search over millions of pairs the process would stay hundreds of MB larger than it needs.
"""

from __future__ import annotations

import ctypes
import functools
import sys

__all__ = ["release_memory"]


@functools.cache
def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # another C library (musl)
        return None


def release_memory() -> bool:
    """Return free heap pages to the system (glibc ``malloc_trim``); tell whether it could."""
    libc = _libc()
    trim = getattr(libc, "malloc_trim", None)
    if trim is None:
        return False
    trim(0)
    return True
