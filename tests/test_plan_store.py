"""Action plan, realised quantities and snapshots in the store: SQLite always, PostgreSQL too."""

from __future__ import annotations

import multiprocessing
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from eit_geo import plan_store, store
from eit_geo.datafiles import example_path
from eit_geo.export import export_zone
from eit_geo.loading import load_zone

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

WRITERS = 6
YEARS = 8


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'decisions.sqlite'}"
    return request.getfixturevalue("postgres_url")


def _open(url: str) -> Engine:
    return plan_store.prepare(store.open_store(url))


@pytest.fixture
def engine(url: str) -> Iterator[Engine]:
    engine = _open(url)
    yield engine
    engine.dispose()


@pytest.fixture
def zone() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def _gypsum(year: int, quantity: float | None, **more: object) -> dict[str, object]:
    return {
        "from_id": "asnaes",
        "to_id": "gyproc",
        "resource": "10 01 05",
        "year": year,
        "quantity": quantity,
        "unit": "t/yr",
        "status": "measured",
        "source": "bilan matière Gyproc",
        **more,
    }


# --- action plan ------------------------------------------------------------------------------


def test_a_step_is_recorded_with_its_history(engine: Engine, zone: str) -> None:
    first = plan_store.record_step(
        engine,
        zone,
        "c1",
        {"step": "Visite du site « vapeur »", "carrier": "gyproc", "due": "2026-03-15"},
        participant="  Claire  Dubois ",
    )
    assert (first["version"], first["state"], first["changed"]) == (
        1,
        "todo",
        ("step", "carrier", "due"),
    )
    plan_store.record_step(engine, zone, "c1", {"state": "doing"}, participant="Marc")
    plan_store.record_step(
        engine, zone, "c1", {"carrier": plan_store.FACILITATOR}, participant="Claire Dubois"
    )
    steps = plan_store.get_steps(engine, zone)
    row = steps.iloc[0]
    assert (row["step"], row["carrier"], row["due"], row["state"], row["version"]) == (
        "Visite du site « vapeur »",
        plan_store.FACILITATOR,
        "2026-03-15",
        "doing",
        3,
    )
    assert str(row["updated_at"].tz) == "UTC"
    history = plan_store.step_history(engine, zone, "c1")
    assert history["participant"].tolist() == ["Claire Dubois", "Marc", "Claire Dubois"]
    assert history["changed"].tolist() == ["step,carrier,due", "state", "carrier"]
    assert history["state"].tolist() == ["todo", "doing", "doing"]


def test_a_change_equal_to_the_stored_step_writes_nothing(engine: Engine, zone: str) -> None:
    plan_store.record_step(engine, zone, "c1", {"state": "doing"}, participant="A")
    again = plan_store.record_step(engine, zone, "c1", {"state": "doing"}, participant="B")
    assert (again["version"], again["changed"]) == (1, ())
    assert len(plan_store.step_history(engine, zone)) == 1


@pytest.mark.parametrize(
    ("changes", "participant", "message"),
    [
        ({"state": "fini"}, "A", "state='fini'; expected one of todo, doing, done, blocked"),
        ({"due": "15/03/2026"}, "A", "due='15/03/2026'; expected a date written YYYY-MM-DD"),
        ({"due": "2026-02-30"}, "A", "due='2026-02-30'"),
        ({"owner": "x"}, "A", "unknown field 'owner'"),
        ({"step": "x" * 5000}, "A", "step is longer than 4000"),
        ({"state": "done"}, "  ", "participant: a name is required"),
    ],
)
def test_bad_steps_are_refused(
    engine: Engine, zone: str, changes: dict[str, str], participant: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        plan_store.record_step(engine, zone, "c1", changes, participant=participant)
    assert plan_store.get_steps(engine, zone).empty
    assert plan_store.step_history(engine, zone).empty


def test_two_participants_editing_one_step_lose_nothing(url: str, zone: str) -> None:
    """Each participant changes one field of the same step at the same moment: all land."""
    engines = [_open(url) for _ in range(4)]
    barrier = threading.Barrier(4)
    changes = [
        {"step": "Chiffrer le raccordement"},
        {"carrier": "refinery"},
        {"due": "2026-06-30"},
        {"state": "blocked"},
    ]

    def edit(index: int) -> int:
        barrier.wait()
        done = plan_store.record_step(
            engines[index], zone, "c9", changes[index], participant=f"p{index}"
        )
        return int(done["version"])

    with ThreadPoolExecutor(4) as pool:
        versions = sorted(pool.map(edit, range(4)))
    assert versions == [1, 2, 3, 4]
    row = plan_store.get_steps(engines[0], zone).iloc[0]
    assert (row["step"], row["carrier"], row["due"], row["state"]) == (
        "Chiffrer le raccordement",
        "refinery",
        "2026-06-30",
        "blocked",
    )
    assert len(plan_store.step_history(engines[0], zone)) == 4
    for each in engines:
        each.dispose()


# --- realised quantities ----------------------------------------------------------------------


def test_realised_figures_by_year_and_month(engine: Engine, zone: str) -> None:
    plan_store.record_realised(engine, zone, _gypsum(2023, 142_000.0), participant="Claire")
    plan_store.record_realised(
        engine, zone, _gypsum(2024, 11_500.0, month=1, status="estimated"), participant="Claire"
    )
    table = plan_store.get_realised(engine, zone)
    assert table[["year", "month", "quantity", "status"]].values.tolist() == [
        [2023, 0, 142_000.0, "measured"],
        [2024, 1, 11_500.0, "estimated"],
    ]
    corrected = plan_store.record_realised(
        engine, zone, _gypsum(2023, 139_800.0), participant="Marc"
    )
    assert (corrected["version"], corrected["changed"]) == (2, ("quantity",))
    assert plan_store.get_realised(engine, zone)["quantity"].tolist()[0] == 139_800.0
    plan_store.record_realised(engine, zone, _gypsum(2023, None), participant="Marc")
    assert plan_store.get_realised(engine, zone)["year"].tolist() == [2024]
    history = plan_store.realised_history(engine, zone)
    assert history["quantity"].tolist()[:3] == [142_000.0, 11_500.0, 139_800.0]
    assert history["quantity"].isna().tolist()[-1]
    assert history["participant"].tolist() == ["Claire", "Claire", "Marc", "Marc"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (_gypsum(1850, 10.0), "year=1850"),
        (_gypsum(2024, 10.0, month=13), "month=13"),
        (_gypsum(2024, -5.0), "quantity=-5.0; expected a number, zero or more"),
        (_gypsum(2024, "beaucoup"), "quantity='beaucoup'; expected a number, zero or more"),
        (_gypsum(2024, 10.0, status="mesuré"), "status='mesuré'; expected one of measured"),
        (_gypsum(2024, 10.0, to_id=""), "to_id=''"),
    ],
)
def test_bad_realised_figures_are_refused(
    engine: Engine, zone: str, row: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        plan_store.record_realised(engine, zone, row, participant="A")
    assert plan_store.get_realised(engine, zone).empty


def test_an_imported_sheet_lands_whole_or_not_at_all(engine: Engine, zone: str) -> None:
    rows = [_gypsum(2021, 150_000.0), _gypsum(2022, 148_000.0), _gypsum(2023, -1.0)]
    with pytest.raises(ValueError, match=r"quantity=-1\.0"):
        plan_store.record_realised_rows(engine, zone, rows, participant="Claire")
    assert plan_store.get_realised(engine, zone).empty
    assert plan_store.record_realised_rows(engine, zone, rows[:2], participant="Claire") == 2
    again = [_gypsum(2021, 150_000.0), _gypsum(2022, 147_000.0)]
    assert plan_store.record_realised_rows(engine, zone, again, participant="Marc") == 1
    assert len(plan_store.realised_history(engine, zone)) == 3


def _record_years(url: str, zone: str, name: str) -> int:
    engine = _open(url)
    for year in range(2000, 2000 + YEARS):
        plan_store.record_realised(
            engine, zone, _gypsum(year, 1000.0 + year, to_id=f"to-{name}"), participant=name
        )
        plan_store.record_step(engine, zone, "shared", {"step": f"{name}-{year}"}, participant=name)
    engine.dispose()
    return YEARS


@pytest.mark.process
def test_concurrent_processes_lose_no_figure(url: str, zone: str) -> None:
    _open(url).dispose()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(WRITERS, mp_context=context) as pool:
        futures = [pool.submit(_record_years, url, zone, f"p{i}") for i in range(WRITERS)]
        assert [future.result(timeout=300) for future in futures] == [YEARS] * WRITERS
    engine = _open(url)
    figures = plan_store.get_realised(engine, zone)
    assert len(figures) == WRITERS * YEARS
    assert len(plan_store.realised_history(engine, zone)) == WRITERS * YEARS
    steps = plan_store.step_history(engine, zone, "shared")
    assert len(steps) == WRITERS * YEARS
    assert sorted(steps["version"]) == list(range(1, WRITERS * YEARS + 1))
    engine.dispose()


# --- snapshots --------------------------------------------------------------------------------


def test_snapshots_keep_each_version_of_the_data_once(engine: Engine, zone: str) -> None:
    assert plan_store.latest_snapshot(engine, zone) is None
    assert plan_store.record_snapshot(engine, zone, "aaa", {"companies": [["a", "Alpha"]]})
    assert not plan_store.record_snapshot(engine, zone, "aaa", {"companies": [["a", "Alpha"]]})
    assert plan_store.record_snapshot(engine, zone, "bbb", {"companies": [["a", "Alpha é"]]})
    assert plan_store.snapshots(engine, zone)["fingerprint"].tolist() == ["aaa", "bbb"]
    when, content = plan_store.latest_snapshot(engine, zone)
    assert content == {"companies": [["a", "Alpha é"]]}
    assert when.tzinfo is not None
    past = datetime.now(UTC) - timedelta(days=30)
    assert plan_store.snapshot_before(engine, zone, past) is None
    found = plan_store.snapshot_before(engine, zone, datetime.now(UTC))
    assert found is not None
    assert found[1]["companies"][0][1] == "Alpha é"


def test_plan_layers_are_plain_tables(engine: Engine, zone: str) -> None:
    plan_store.record_step(engine, zone, "c1", {"step": "Visite"}, participant="A")
    plan_store.record_realised(engine, zone, _gypsum(2024, 10.0), participant="A")
    layers = plan_store.plan_layers(engine, zone)
    assert set(layers) == {"plan_steps", "plan_history", "realised", "realised_history"}
    assert layers["plan_steps"]["updated_at"].str.endswith("+00:00").all()


def test_the_plan_travels_in_the_geopackage(engine: Engine, zone: str, tmp_path: Path) -> None:
    kalundborg = load_zone(example_path("kalundborg"))
    plan_store.record_step(
        engine, zone, "c1", {"step": "Visite", "due": "2026-03-01"}, participant="A"
    )
    plan_store.record_step(engine, zone, "c1", {"state": "done"}, participant="B")
    plan_store.record_realised(engine, zone, _gypsum(2023, 141_000.0), participant="C")
    plan_store.record_realised(engine, zone, _gypsum(2024, 98_000.0, month=2), participant="C")
    path = export_zone(
        kalundborg, tmp_path / "projet.gpkg", extra_layers=plan_store.plan_layers(engine, zone)
    )
    layers = plan_store.read_plan_layers(path)
    assert set(layers) == set(plan_store.PLAN_LAYERS)

    elsewhere = _open(f"sqlite:///{tmp_path / 'other.sqlite'}")
    plan_store.record_realised(elsewhere, zone, _gypsum(2023, 1.0), participant="live")
    assert plan_store.restore_plan(elsewhere, zone, layers) == 2  # the step, the 2024 month
    step = plan_store.get_steps(elsewhere, zone).iloc[0]
    assert (step["step"], step["state"], step["participant"], step["version"]) == (
        "Visite",
        "done",
        "B",
        2,
    )
    assert plan_store.step_history(elsewhere, zone)["participant"].tolist() == ["A", "B"]
    figures = plan_store.get_realised(elsewhere, zone)
    assert figures[["year", "month", "quantity", "participant"]].to_numpy().tolist() == [
        [2023, 0, 1.0, "live"],  # the live store is never overwritten
        [2024, 2, 98_000.0, "C"],
    ]
    assert plan_store.restore_plan(elsewhere, zone, layers) == 0
    assert plan_store.read_plan_layers(tmp_path / "nothing.gpkg") == {}
    elsewhere.dispose()
