"""Memory freed by large arrays goes back to the system (glibc keeps it otherwise)."""

from __future__ import annotations

import ctypes
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

# A private module, on purpose: release_memory works on the whole process, and its callers
# (the command line after loading and matching, the app after loading) free and keep memory in
# the same call, so what it gave
# back cannot be told apart through them; this measures it on a heap made for the purpose.
from eit_geo._memory import release_memory
from eit_geo.cli import main
from eit_geo.datafiles import example_path

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


def test_a_command_takes_arrow_memory_from_the_heap_it_trims(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Arrow's own pool would keep what it freed; a command makes it use the C library's."""
    assert main(["validate", str(example_path("kalundborg"))]) == 0
    assert "12 entreprises" in capsys.readouterr().out
    assert pa.default_memory_pool().backend_name == "system"
