"""Workers with limits: a runaway parse is stopped, and costs the other sessions nothing."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time

import pytest
from servers import wait_until

from eit_geo import sandbox
from eit_geo.bounded import MEGABYTE
from eit_geo.datafiles import example_path
from eit_geo.loading import load_zone
from eit_geo.sandbox import SandboxError, run_bounded


def _double(value: int) -> int:
    return 2 * value


def _eat_memory(megabytes: int) -> int:
    kept = [bytearray(MEGABYTE) for _ in range(megabytes)]
    return len(kept)


def _endless_view() -> int:
    """What a GeoPackage layer made of a recursive view does to SQLite: it never ends."""
    connection = sqlite3.connect(":memory:")
    connection.execute(
        "CREATE VIEW flows AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) "
        "SELECT n FROM r ORDER BY n DESC"
    )
    return connection.execute("SELECT count(*) FROM flows").fetchone()[0]


def _fail() -> None:
    message = "lecteur en panne"
    raise RuntimeError(message)


@pytest.mark.process
def test_a_result_comes_back_with_its_cost() -> None:
    outcome = run_bounded(_double, 21)
    assert outcome.value == 42
    assert 0 < outcome.seconds < 30
    assert 10 * MEGABYTE < outcome.peak_bytes < 500 * MEGABYTE


@pytest.mark.process
def test_a_worker_over_its_memory_is_stopped() -> None:
    with pytest.raises(SandboxError) as caught:
        run_bounded(_eat_memory, 2_000, memory=200 * MEGABYTE, seconds=30)
    assert caught.value.key == "limits.out_of_memory"
    assert caught.value.message("fr") == (
        "la lecture demandait plus de 200 Mo de mémoire : fichier refusé"
    )
    # The limit is on address space above what the worker starts with; its resident peak also
    # counts the pages it shares with the forkserver, larger late in a full test run.
    assert 0 < caught.value.peak_bytes < 1000 * MEGABYTE


@pytest.mark.process
def test_an_endless_worker_is_killed_and_the_others_answer_meanwhile() -> None:
    """A worker stuck in SQLite for good, while another session loads a zone and gets it."""
    errors: list[SandboxError] = []

    def attack() -> None:
        try:
            run_bounded(_endless_view, seconds=8)
        except SandboxError as error:
            errors.append(error)

    attacker = threading.Thread(target=attack)
    started = time.monotonic()
    attacker.start()
    wait_until(lambda: multiprocessing.active_children() != [], timeout=30, what="the worker")
    zone = load_zone(example_path("kalundborg"))
    answered = time.monotonic() - started
    assert len(zone.companies) == 12
    assert attacker.is_alive()  # the normal load did not wait for the attack
    attacker.join(60)
    stopped = time.monotonic() - started
    assert [e.key for e in errors] == ["limits.timeout"]
    assert errors[0].message("en") == "reading took more than 8 s: file refused"
    assert answered < stopped
    assert stopped < 30
    assert multiprocessing.active_children() == []  # killed, not left burning a core


@pytest.mark.process
def test_an_exception_in_a_worker_is_a_message() -> None:
    with pytest.raises(SandboxError) as caught:
        run_bounded(_fail)
    assert caught.value.message("fr") == (
        "la lecture s'est arrêtée net (RuntimeError: lecteur en panne) : fichier refusé"
    )


@pytest.mark.process
def test_no_free_worker_in_time_is_a_message() -> None:
    """Every worker busy reading (two endless files): a third file waits, then is refused."""

    def read_endless_file() -> None:
        with pytest.raises(SandboxError):
            run_bounded(_endless_view, seconds=10)

    busy = [threading.Thread(target=read_endless_file) for _ in range(sandbox.WORKERS)]
    for thread in busy:
        thread.start()
    wait_until(
        lambda: len(multiprocessing.active_children()) == sandbox.WORKERS,
        timeout=30,
        what="every worker busy",
    )
    try:
        with pytest.raises(SandboxError) as caught:
            run_bounded(_double, 1, seconds=0.5)
    finally:
        for thread in busy:
            thread.join(60)
    assert caught.value.message("en") == (
        "the server is already reading other files: try again in a moment"
    )
