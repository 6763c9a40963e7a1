"""The ``process`` mark: tests that start processes say so, and the quick run skips them.

``pytest -m "not process"`` leaves out every test that starts a process (servers, CLI runs,
Chromium, PostgreSQL, multiprocessing workers). A test is marked when it is an end-to-end test,
uses a fixture that starts one (``PROCESS_FIXTURES``) or carries ``@pytest.mark.process``.
The check keeps the mark honest: every process started while an unmarked test runs is recorded
(Python's audit events, and ``multiprocessing`` starts, which the forkserver hides from them),
and the test then fails, naming the command.
"""

from __future__ import annotations

import multiprocessing.process
import sys
from collections.abc import Iterator
from typing import Any

import pytest

PROCESS_FIXTURES = frozenset(
    {"browser", "start_app", "start_module_app", "app_servers", "postgres_url"}
)
# Audit events raised when this Python process starts another program.
PROCESS_EVENTS = frozenset(
    {
        "subprocess.Popen",
        "os.fork",
        "os.forkpty",
        "os.posix_spawn",
        "os.spawn",
        "os.exec",
        "os.system",
    }
)

_started: list[str] | None = None  # what the running unmarked test started; None: not watching


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _started is not None and event in PROCESS_EVENTS:
        _started.append(f"{event} {args[:2]!r}"[:300])


sys.addaudithook(_audit)


def mark_process_tests(items: list[pytest.Item]) -> None:
    """Mark ``process`` the tests using a process-starting fixture, and the e2e/postgres ones."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        marked = {mark.name for mark in item.iter_markers()}
        if fixtures & PROCESS_FIXTURES or marked & {"e2e", "postgres"}:
            item.add_marker(pytest.mark.process)


@pytest.fixture(autouse=True)
def _unmarked_tests_start_no_process(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Fail an unmarked test that started a process (see the module's docstring)."""
    global _started  # noqa: PLW0603 - the audit hook, process-wide, reads it
    if request.node.get_closest_marker("process") is not None:
        yield
        return
    started: list[str] = []
    start = multiprocessing.process.BaseProcess.start

    def recorded_start(process: multiprocessing.process.BaseProcess) -> None:
        started.append(f"multiprocessing {process.name}")
        start(process)

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", recorded_start)
    _started = started
    try:
        yield
    finally:
        _started = None
    if started:
        pytest.fail(
            "this test started processes but is not marked `process` (add"
            f" @pytest.mark.process, or use a fixture of PROCESS_FIXTURES): {started[:5]}",
            pytrace=False,
        )
