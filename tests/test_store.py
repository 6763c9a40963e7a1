"""Decision store on SQLite (always) and on a throwaway PostgreSQL cluster (Debian binaries)."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.exc import OperationalError

from eit_geo import store
from eit_geo.datafiles import data_path, example_path
from eit_geo.loading import load_zone, load_zone_files
from eit_geo.store import engine as store_engine

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

PG_URL_ENV = "EIT_GEO_TEST_DATABASE_URL"


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'decisions.sqlite'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def engine(url: str) -> Iterator[Engine]:
    engine = store.open_store(url)
    yield engine
    engine.dispose()


@pytest.fixture
def zone() -> str:
    """A fresh zone key per test, so tests sharing the PostgreSQL cluster never meet."""
    return f"test-{uuid.uuid4().hex[:12]}"


# --- recording and reading --------------------------------------------------------------------


def test_record_and_read(engine: Engine, zone: str) -> None:
    decision = store.record_decision(
        engine,
        zone,
        "c1",
        {"status": "retained", "technical": "ok", "technical_note": "qualité « OK » <testée>"},
        participant="  Anne   Martin ",
    )
    assert decision.version == 1
    assert decision.participant == "Anne Martin"
    table = store.get_decisions(engine, zone)
    assert table["candidate_id"].tolist() == ["c1"]
    row = table.iloc[0]
    assert row["status"] == "retained"
    assert row["technical"] == "ok"
    assert row["technical_note"] == "qualité « OK » <testée>"
    assert row["regulatory"] == "pending"
    assert row["comment"] == ""
    assert str(row["updated_at"].tz) == "UTC"
    steps = store.history(engine, zone, "c1")
    assert steps["changed"].tolist() == ["status,technical,technical_note"]


def test_empty_zone_gives_empty_tables(engine: Engine, zone: str) -> None:
    assert store.get_decisions(engine, zone).empty
    assert store.history(engine, zone).empty
    votes = store.get_votes(engine, zone)
    assert votes.empty
    assert list(votes.columns) == ["candidate_id", "votes", "points", "voters"]


def test_partial_changes_merge_and_history_keeps_both(engine: Engine, zone: str) -> None:
    store.record_decision(engine, zone, "c1", {"technical": "ok"}, participant="Anne")
    store.record_decision(engine, zone, "c1", {"status": "retained"}, participant="Bruno")
    store.record_decision(engine, zone, "c1", {"status": "in_place"}, participant="Anne")
    row = store.get_decisions(engine, zone).iloc[0]
    assert (row["status"], row["technical"], row["version"]) == ("in_place", "ok", 3)
    steps = store.history(engine, zone, "c1")
    assert steps["participant"].tolist() == ["Anne", "Bruno", "Anne"]
    assert steps["version"].tolist() == [1, 2, 3]
    assert steps["status"].tolist() == ["to_study", "retained", "in_place"]


def test_expected_version_refuses_an_outdated_change(engine: Engine, zone: str) -> None:
    store.record_decision(engine, zone, "c1", {"status": "retained"}, participant="Anne")
    with pytest.raises(store.ConflictError, match="by Anne: expected version 0, found 1") as info:
        store.record_decision(
            engine, zone, "c1", {"status": "rejected"}, participant="Bruno", expected_version=0
        )
    assert info.value.current is not None
    assert info.value.current.status == "retained"
    assert store.get_decisions(engine, zone).iloc[0]["status"] == "retained"
    done = store.record_decision(
        engine, zone, "c1", {"status": "rejected"}, participant="Bruno", expected_version=1
    )
    assert done.version == 2


@pytest.mark.parametrize(
    ("changes", "participant", "message"),
    [
        ({"status": "maybe"}, "Anne", "status='maybe'; expected one of to_study, retained"),
        ({"economic": "good"}, "Anne", "economic='good'; expected one of pending, ok"),
        ({"colour": "red"}, "Anne", "unknown field 'colour'"),
        ({"comment": "x" * 5000}, "Anne", "comment is longer than 4000"),
        ({"status": "retained"}, "   ", "participant: a name is required"),
    ],
)
def test_bad_changes_are_refused(
    engine: Engine, zone: str, changes: dict[str, str], participant: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        store.record_decision(engine, zone, "c1", changes, participant=participant)
    assert store.get_decisions(engine, zone).empty
    assert store.history(engine, zone).empty


def test_zones_are_kept_apart(engine: Engine, zone: str) -> None:
    store.record_decision(engine, zone, "c1", {"status": "retained"}, participant="Anne")
    store.record_decision(engine, f"{zone}-other", "c1", {"status": "rejected"}, participant="B")
    assert store.get_decisions(engine, zone).iloc[0]["status"] == "retained"
    assert store.get_decisions(engine, f"{zone}-other").iloc[0]["status"] == "rejected"


# --- votes ------------------------------------------------------------------------------------


def test_votes_one_per_participant(engine: Engine, zone: str) -> None:
    store.vote(engine, zone, "c1", participant="Anne", weight=1)
    store.vote(engine, zone, "c1", participant="Anne", weight=3)
    store.vote(engine, zone, "c1", participant="Bruno", weight=2)
    store.vote(engine, zone, "c2", participant="Bruno", weight=1)
    store.vote(engine, zone, "c2", participant="Bruno", weight=0)
    table = store.get_votes(engine, zone)
    assert table.to_dict("records") == [
        {"candidate_id": "c1", "votes": 2, "points": 5, "voters": "Anne, Bruno"}
    ]
    with pytest.raises(ValueError, match="weight=4; expected 0"):
        store.vote(engine, zone, "c1", participant="Anne", weight=4)


# --- concurrent writers -----------------------------------------------------------------------

WRITERS = 6
WRITES = 8


def _write_many(url: str, zone: str, name: str) -> int:
    """Each writer decides on its own candidate and on one shared by all, and votes."""
    engine = store.open_store(url)
    try:
        for index in range(WRITES):
            status = store.STATUSES[index % len(store.STATUSES)]
            store.record_decision(
                engine,
                zone,
                f"own-{name}",
                {"status": status, "comment": f"{index}"},
                participant=name,
            )
            store.record_decision(
                engine, zone, "shared", {"comment": f"{name} {index}"}, participant=name
            )
            store.vote(engine, zone, "shared", participant=name, weight=1 + index % 3)
    finally:
        engine.dispose()
    return WRITES


def _check_nothing_lost(url: str, zone: str) -> None:
    engine = store.open_store(url)
    names = [f"p{i}" for i in range(WRITERS)]
    table = store.get_decisions(engine, zone).set_index("candidate_id")
    assert sorted(table.index) == sorted([*(f"own-{n}" for n in names), "shared"])
    for name in names:
        assert table.at[f"own-{name}", "version"] == WRITES
        assert table.at[f"own-{name}", "comment"] == f"{WRITES - 1}"
    assert table.at["shared", "version"] == WRITERS * WRITES
    shared = store.history(engine, zone, "shared")
    assert sorted(shared["version"]) == list(range(1, WRITERS * WRITES + 1))
    assert sorted(shared["comment"]) == sorted(f"{n} {i}" for n in names for i in range(WRITES))
    votes = store.get_votes(engine, zone, detail=True)
    assert sorted(votes["participant"]) == names
    assert len(store.history(engine, zone)) == 2 * WRITERS * WRITES
    engine.dispose()


def test_concurrent_threads_lose_nothing(url: str, zone: str) -> None:
    store.open_store(url).dispose()
    barrier = threading.Barrier(WRITERS)

    def writer(name: str) -> int:
        barrier.wait()
        return _write_many(url, zone, name)

    with ThreadPoolExecutor(WRITERS) as pool:
        done = list(pool.map(writer, [f"p{i}" for i in range(WRITERS)]))
    assert done == [WRITES] * WRITERS
    _check_nothing_lost(url, zone)


@pytest.mark.process
def test_concurrent_processes_lose_nothing(url: str, zone: str) -> None:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(WRITERS, mp_context=context) as pool:
        futures = [pool.submit(_write_many, url, zone, f"p{i}") for i in range(WRITERS)]
        done = [future.result(timeout=300) for future in futures]
    assert done == [WRITES] * WRITERS
    _check_nothing_lost(url, zone)


def test_many_open_a_new_sqlite_store_at_once(tmp_path: Path) -> None:
    """Participants opening the same new store at the same moment: none is told it is locked.

    (SQLite does not wait its busy timeout when a connection switches the file to WAL mode.)
    """
    for attempt in range(20):
        url = f"sqlite:///{tmp_path / f'store-{attempt}.sqlite'}"
        barrier = threading.Barrier(WRITERS)

        def open_now(url: str = url, barrier: threading.Barrier = barrier) -> str:
            barrier.wait()
            engine = store.open_store(url)
            with engine.connect() as conn:
                mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
            engine.dispose()
            return mode

        with ThreadPoolExecutor(WRITERS) as pool:
            assert list(pool.map(lambda _: open_now(), range(WRITERS))) == ["wal"] * WRITERS


def test_concurrent_first_decisions_on_one_candidate(url: str, zone: str) -> None:
    """Many participants create the same, new decision at once: one row, every change kept."""
    engines = [store.open_store(url) for _ in range(WRITERS)]
    barrier = threading.Barrier(WRITERS)

    def first(index: int) -> int:
        barrier.wait()
        decision = store.record_decision(
            engines[index], zone, "new", {"status": "retained"}, participant=f"p{index}"
        )
        return decision.version

    with ThreadPoolExecutor(WRITERS) as pool:
        versions = sorted(pool.map(first, range(WRITERS)))
    assert versions == list(range(1, WRITERS + 1))
    assert len(store.get_decisions(engines[0], zone)) == 1
    for engine in engines:
        engine.dispose()


# --- persistence ------------------------------------------------------------------------------


def test_decisions_survive_a_restart(url: str, zone: str) -> None:
    engine = store.open_store(url)
    store.record_decision(engine, zone, "c1", {"status": "retained"}, participant="Anne")
    store.vote(engine, zone, "c1", participant="Anne", weight=2)
    engine.dispose()
    del engine
    reopened = store.open_store(url)
    row = store.get_decisions(reopened, zone).iloc[0]
    assert (row["candidate_id"], row["status"], row["participant"]) == ("c1", "retained", "Anne")
    assert store.get_votes(reopened, zone)["points"].tolist() == [2]
    reopened.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    engine = store.open_store(f"sqlite:///{tmp_path / 'sub' / 'd.sqlite'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    engine.dispose()


# --- keys and locations -----------------------------------------------------------------------


def test_zone_key_is_stable_and_distinct() -> None:
    kalundborg = load_zone(example_path("kalundborg"))
    again = load_zone(example_path("kalundborg"))
    again.flows.loc[0, "quantity"] = 1.0
    assert store.zone_key(kalundborg) == store.zone_key(again)
    assert store.zone_key(kalundborg).startswith("kalundborg-")
    other = load_zone(example_path("dunkerque"))
    other.name = "kalundborg"
    assert store.zone_key(other) != store.zone_key(kalundborg)


def test_default_database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(store.DATABASE_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    zone_dir = tmp_path / "zone"
    zone_dir.mkdir()
    expected = f"sqlite:///{zone_dir.resolve() / '.eit-geo' / 'decisions.sqlite'}"
    assert store.default_database_url(zone_dir) == expected
    assert store.default_database_url(zone_dir / "zone.gpkg") == expected
    user = f"sqlite:///{tmp_path / 'share' / 'eit-geo' / 'decisions.sqlite'}"
    assert store.default_database_url("upload") == user
    shipped = data_path("examples")
    assert store.default_database_url(example_path("kalundborg"), shipped=shipped) == user
    own = f"sqlite:///{tmp_path / 'share' / 'eit-geo' / 'zones' / 'upload_z-1.sqlite'}"
    assert store.default_database_url("upload", key="upload:z-1") == own
    monkeypatch.setenv(store.DATABASE_ENV, "postgresql://u@h/eit")
    assert store.default_database_url(zone_dir) == "postgresql://u@h/eit"


def test_uploads_and_examples_never_share_a_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upload of the very example (same name, same companies) gets its own key and file."""
    monkeypatch.delenv(store.DATABASE_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    example = load_zone(example_path("kalundborg"))
    uploaded = load_zone_files(
        [(p.name, p.read_bytes()) for p in sorted(example_path("kalundborg").iterdir())],
        name="kalundborg",
    )
    changed = load_zone(example_path("kalundborg"))
    changed.source = "upload"
    changed.flows.loc[0, "quantity"] = 1.0
    keys = {store.zone_key(zone) for zone in (example, uploaded, changed)}
    assert len(keys) == 3
    assert store.zone_key(uploaded).startswith("upload:kalundborg-")
    assert store.zone_key(uploaded) == store.zone_key(uploaded)  # stable, computed once
    shipped = data_path("examples")
    urls = {
        store.default_database_url(z.source, shipped=shipped, key=store.zone_key(z))
        for z in (example, uploaded, changed)
    }
    assert len(urls) == 3
    folder = tmp_path / "share" / "eit-geo" / "zones"
    assert all(url.startswith(f"sqlite:///{folder}/") for url in urls)
    assert all(":" not in url.rsplit("/", 1)[1] for url in urls)


# --- 24 participants on one lead ---------------------------------------------------------------

PARTICIPANTS = 24
CHANGES = 4


def test_twenty_four_participants_on_one_lead_lose_and_refuse_nothing(url: str, zone: str) -> None:
    """24 sessions of one server (one engine, as `ui.decisions.decision_engine` shares it) each
    change the same lead and vote on it at once: every change is kept, none is refused."""
    engine = store.open_store(url)
    barrier = threading.Barrier(PARTICIPANTS)

    def participant(index: int) -> list[int]:
        barrier.wait()
        versions = []
        for step in range(CHANGES):
            status = store.STATUSES[(index + step) % len(store.STATUSES)]
            decision = store.record_decision(
                engine,
                zone,
                "lead",
                {"status": status, "comment": f"p{index}-{step}"},
                participant=f"p{index}",
            )
            versions.append(decision.version)
            store.vote(engine, zone, "lead", participant=f"p{index}", weight=1 + step % 3)
        return versions

    with ThreadPoolExecutor(PARTICIPANTS) as pool:
        versions = [v for found in pool.map(participant, range(PARTICIPANTS)) for v in found]
    total = PARTICIPANTS * CHANGES
    assert sorted(versions) == list(range(1, total + 1))
    steps = store.history(engine, zone, "lead")
    assert sorted(steps["version"]) == list(range(1, total + 1))
    assert sorted(steps["comment"]) == sorted(
        f"p{i}-{s}" for i in range(PARTICIPANTS) for s in range(CHANGES)
    )
    assert store.get_decisions(engine, zone).iloc[0]["version"] == total
    assert len(store.get_votes(engine, zone, detail=True)) == PARTICIPANTS
    engine.dispose()


class _DeadlockError(Exception):
    sqlstate = "40P01"


def test_a_transaction_given_up_is_tried_again_after_a_growing_random_pause(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pauses: list[float] = []
    monkeypatch.setattr(store_engine.time, "sleep", pauses.append)
    tries = iter(range(100))

    def busy_twice() -> str:
        if next(tries) < 2:
            raise OperationalError(statement="UPDATE", params={}, orig=_DeadlockError())
        return "done"

    assert store.retrying(busy_twice) == "done"
    assert len(pauses) == 2
    assert 0.01 <= pauses[0] <= 0.03
    assert 0.02 <= pauses[1] <= 0.06

    def always_locked() -> None:
        locked = sqlite3.OperationalError("database is locked")
        raise OperationalError(statement="BEGIN", params={}, orig=locked)

    pauses.clear()
    with pytest.raises(store.StoreBusyError):
        store.retrying(always_locked)
    assert len(pauses) == store_engine.RETRIES
    assert max(pauses) <= 1.5 * store_engine.PAUSE_MAX

    def broken() -> None:
        missing = sqlite3.OperationalError("no such table: x")
        raise OperationalError(statement="SELECT", params={}, orig=missing)

    with pytest.raises(OperationalError):
        store.retrying(broken)


def test_an_older_store_gains_the_import_marks(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = store.open_store(url)
    store.record_decision(engine, "z", "c1", {"status": "retained"}, participant="Anne")
    with engine.begin() as conn:
        for table in ("decisions", "decision_history", "votes"):
            conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN import_id")
    engine.dispose()
    reopened = store.open_store(url)
    assert store.get_decisions(reopened, "z")["imported_from"].tolist() == [""]
    store.record_decision(reopened, "z", "c1", {"status": "in_place"}, participant="Bruno")
    assert store.history(reopened, "z", "c1")["version"].tolist() == [1, 2]
    reopened.dispose()
