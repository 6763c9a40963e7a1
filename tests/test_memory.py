"""Memory freed by large arrays goes back to the system (glibc keeps it otherwise)."""

from __future__ import annotations

import ctypes
import sys
from pathlib import Path

import numpy as np
import pytest

# A private module, on purpose: release_memory works on the whole process, and its callers
# (load_zone, the upload, the CLI's end) free and keep memory in the same call, so what it gave
# back cannot be told apart through them; this measures it on a heap made for the purpose.
from eit_geo._memory import release_memory

GLIBC = sys.platform.startswith("linux") and hasattr(ctypes.CDLL(None), "gnu_get_libc_version")


def resident_mb() -> float:
    lines = Path("/proc/self/status").read_text().splitlines()
    return next(int(line.split()[1]) / 1024 for line in lines if line.startswith("VmRSS:"))


@pytest.mark.skipif(not GLIBC, reason="malloc_trim is a glibc function")
def test_freed_heap_goes_back_to_the_system() -> None:
    np.ones(40 * 2**20 // 8).sum()  # a large array freed: glibc then keeps smaller ones on its heap
    arrays = [np.ones(2**20 // 8 * 3 // 4) for _ in range(300)]  # 300 × 0.75 MB, heap pages
    del arrays[:-1]  # all but the last: the heap cannot shrink from its top by itself
    before = resident_mb()
    assert release_memory() is True
    assert before - resident_mb() > 100
