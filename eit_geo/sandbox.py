"""Run work on untrusted input in a worker process, with memory and time limits.

A worker is forked from a clean server process that has already imported the readers
(``multiprocessing``'s forkserver), so that it starts in a few milliseconds without inheriting the
dashboard's threads. It may add ``memory`` bytes to what it starts with (``RLIMIT_DATA``: what
it allocates, not the libraries it maps), and is killed once ``seconds`` have passed; it runs
at a lower priority than the server's own threads. At most `WORKERS` run at once: a bad file
costs its author a message and the other participants nothing.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Generic, TypeVar

from eit_geo.bounded import MEGABYTE, Size, megabytes
from eit_geo.i18n import t

__all__ = [
    "MEMORY_LIMIT",
    "TIME_LIMIT",
    "WORKERS",
    "Outcome",
    "SandboxError",
    "run_bounded",
]

MEMORY_LIMIT = 1_000 * MEGABYTE  # what a worker may allocate beyond what it starts with
TIME_LIMIT = 60.0  # seconds
WORKERS = 2  # at once; the machines of a workshop room have a few cores
PRELOAD = ["eit_geo.upload"]  # imported once by the server process that forks the workers
_NICE = 5

Result = TypeVar("Result")
_slots = threading.BoundedSemaphore(WORKERS)
_context_lock = threading.Lock()


@dataclass(frozen=True)
class Outcome(Generic[Result]):
    """What a worker returned, with what it cost.

    Attributes
    ----------
    value : the function's result
    seconds : time from the worker's start to its result
    peak_bytes : the worker's peak resident memory (its share of the server's libraries too)
    cpu_seconds : processor time the worker used (what it cost, however busy the machine)
    """

    value: Result
    seconds: float
    peak_bytes: int
    cpu_seconds: float = 0.0


class SandboxError(RuntimeError):
    """A worker stopped for its limits, or the workers were all busy.

    ``key`` is the message in ``data/i18n/limits.toml`` (``out_of_memory``, ``timeout``,
    ``killed``, ``crashed``, ``busy``), ``values`` fill it in; ``peak_bytes`` and ``taken`` say
    what the worker had used when it stopped (0 when unknown).
    """

    def __init__(
        self, key: str, *, peak_bytes: int = 0, taken: float = 0.0, **values: object
    ) -> None:
        self.key = key
        self.values = values
        self.peak_bytes = peak_bytes
        self.taken = taken
        super().__init__(f"{key} {values}")

    def message(self, lang: str) -> str:
        """Return the message in ``lang``."""
        shown = {
            k: megabytes(v, lang) if isinstance(v, Size) else v for k, v in self.values.items()
        }
        return t(self.key, lang, **shown)


def run_bounded(
    function: Callable[..., Result],
    /,
    *args: Any,  # noqa: ANN401 - passed on to the function
    memory: int = MEMORY_LIMIT,
    seconds: float = TIME_LIMIT,
) -> Outcome[Result]:
    """Call ``function(*args)`` in a worker process and return its result.

    Parameters
    ----------
    function
        A module-level function (the worker imports it by name); its arguments and result are
        pickled. It should return its errors as values: an exception is reported as a crash.
    *args
        Its arguments.
    memory
        Bytes the worker may allocate beyond what it starts with.
    seconds
        Time after which the worker is killed; waiting for a free worker counts too.

    Returns
    -------
    Outcome

    Raises
    ------
    SandboxError
        The worker needed more memory or time, died, or no worker was free in time.
    """
    started = time.monotonic()
    if not _slots.acquire(timeout=seconds):
        raise SandboxError(key="limits.busy")
    try:
        left = max(0.1, seconds - (time.monotonic() - started))
        return _run(function, args, memory, left, seconds)
    finally:
        _slots.release()


def _context() -> multiprocessing.context.ForkServerContext:
    """Return the forkserver context, its server importing `PRELOAD` and the main script once.

    A worker otherwise runs the main script again (``streamlit``, ``pytest``) before its work.
    """
    with _context_lock:
        context = multiprocessing.get_context("forkserver")
        script = getattr(sys.modules["__main__"], "__file__", None)
        main = ["__main__"] if script and Path(script).is_file() else []
        context.set_forkserver_preload([*PRELOAD, *main])
        return context


def _run(
    function: Callable[..., Result],
    args: tuple[Any, ...],
    memory: int,
    seconds: float,
    allowed: float,
) -> Outcome[Result]:
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(
        target=_work, args=(sender, function, args, memory, seconds), daemon=True
    )
    started = time.monotonic()
    try:
        worker.start()
    except OSError as error:  # no process to be had (limits of the machine): said, not raised
        receiver.close()
        sender.close()
        raise SandboxError(key="limits.crashed", reason=type(error).__name__) from None
    sender.close()
    try:
        if not receiver.poll(seconds):
            raise SandboxError(key="limits.timeout", seconds=f"{allowed:g}", taken=seconds)
        kind, payload, peak, cpu = receiver.recv()
    except EOFError:  # died without a word: killed for its memory or its processor time
        raise SandboxError(key="limits.killed", taken=time.monotonic() - started) from None
    finally:
        if worker.is_alive():
            worker.kill()
        worker.join()
        receiver.close()
    elapsed = time.monotonic() - started
    if kind == "memory":
        raise SandboxError(
            key="limits.out_of_memory", limit=Size(memory), peak_bytes=peak, taken=elapsed
        )
    if kind == "error":
        raise SandboxError(key="limits.crashed", reason=payload, peak_bytes=peak, taken=elapsed)
    return Outcome(payload, elapsed, peak, cpu)


def _work(
    sender: Connection,
    function: Callable[..., Any],
    args: tuple[Any, ...],
    memory: int,
    seconds: float,
) -> None:
    """Limit the worker, call the function, send back its result and the worker's peak memory."""
    _limit(memory, seconds)
    try:
        message: tuple[str, Any] = ("ok", function(*args))
    except MemoryError:
        message = ("memory", None)
    except Exception as error:  # reported to the server, never raised there
        message = ("error", f"{type(error).__name__}: {str(error)[:200]}")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak, cpu = usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime
    try:
        sender.send((*message, peak, cpu))
    except MemoryError:  # the result itself does not fit
        sender.send(("memory", None, peak, cpu))
    finally:
        sender.close()


def _limit(memory: int, seconds: float) -> None:
    """Bound the worker's allocations and processor time, lower its priority, no core dump."""
    allocated = _allocated_bytes()
    resource.setrlimit(resource.RLIMIT_DATA, (allocated + memory, allocated + memory))
    cpu = int(seconds) + 2
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.nice(_NICE)


def _allocated_bytes() -> int:
    """Return the worker's data segment now (``VmData``: what RLIMIT_DATA counts)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:  # noqa: PTH123 - Linux only
            for line in status:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
