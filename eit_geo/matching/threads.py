"""The number of threads the engine works on: a parameter, by default the machine's cores."""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["machine_threads"]

_T = TypeVar("_T")


def machine_threads() -> int:
    """Return the cores this process may run on (its affinity where the system tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on macOS or Windows
        return os.cpu_count() or 1


def thread_count(threads: int | None) -> int:
    """Return ``threads``, or the machine's cores when None; at least 1.

    Raises
    ------
    ValueError
        For fewer than 1 thread.
    """
    if threads is None:
        return machine_threads()
    if threads < 1:
        msg = f"threads = {threads}: expected 1 or more"
        raise ValueError(msg)
    return threads


def in_background(
    function: Callable[..., _T], *args: object, threads: int, **kwargs: object
) -> Future[_T]:
    """Run ``function`` on a thread of its own when ``threads`` > 1, else now; return its Future.

    The thread ends with the function: none is left once it is done.
    """
    if threads > 1:
        worker = ThreadPoolExecutor(max_workers=1)
        try:
            return worker.submit(function, *args, **kwargs)
        finally:
            worker.shutdown(wait=False)  # the work goes on
    done: Future[_T] = Future()
    try:
        done.set_result(function(*args, **kwargs))
    except Exception as error:
        done.set_exception(error)
    return done
