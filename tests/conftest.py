"""Shared fixtures: the tiny test zones, the shipped examples and zone comparisons."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import pytest
from process_marks import _unmarked_tests_start_no_process, mark_process_tests  # noqa: F401
from servers import RunningApp, postgres_bin, postgres_cluster

from eit_geo.datafiles import data_path
from eit_geo.loading import load_zone
from eit_geo.report import HEADLESS_ARGS, find_chromium

if TYPE_CHECKING:
    from eit_geo.zone import Zone

TESTS_DATA = Path(__file__).resolve().parent / "data"
ZONES = TESTS_DATA / "zones"
E2E = Path(__file__).resolve().parent / "e2e"
PG_URL_ENV = "EIT_GEO_TEST_DATABASE_URL"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``e2e`` the tests of ``tests/e2e``, then ``process`` those that start processes.

    Deselect them with ``-m "not e2e"`` or, for the quick run, ``-m "not process"``.
    """
    for item in items:
        if E2E in item.path.parents:
            item.add_marker(pytest.mark.e2e)
    mark_process_tests(items)


@pytest.fixture(scope="session")
def zones_dir() -> Path:
    """Folder of the tiny test zones (``tests/data/zones``)."""
    return ZONES


@pytest.fixture(scope="session")
def mini_dir() -> Path:
    """Four Kalundborg companies in UTF-8 CSV, English headers: the reference zone."""
    return ZONES / "mini"


@pytest.fixture(scope="session")
def mini_zone(mini_dir: Path) -> Zone:
    """The ``mini`` zone, loaded once (do not modify)."""
    return load_zone(mini_dir)


@pytest.fixture(scope="session")
def kalundborg_dir() -> Path:
    """The shipped Kalundborg example."""
    return data_path("examples", "kalundborg")


@pytest.fixture
def copy_zone(tmp_path: Path) -> Callable[[Path], Path]:
    """Return a function copying a zone folder into ``tmp_path``, to edit it there."""

    def copy(source: Path, name: str | None = None) -> Path:
        target = tmp_path / (name or source.name)
        shutil.copytree(source, target)
        return target

    return copy


@pytest.fixture
def edit_file() -> Callable[[Path, str, str], None]:
    """Return ``edit(path, old, new)``: replace one text in a UTF-8 file, failing if absent."""

    def edit(path: Path, old: str, new: str) -> None:
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {path.name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return edit


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(frame.drop(columns="geometry")).reset_index(drop=True)


def zones_equal(left: Zone, right: Zone, *, atol: float = 0.0) -> None:
    """Assert two zones hold the same companies, flows, synergies and perimeter.

    Coordinates are compared within ``atol`` degrees (0: exactly).
    """
    for zone in (left, right):
        assert zone.companies.crs == "EPSG:4326"
        assert zone.perimeter is None or zone.perimeter.crs == "EPSG:4326"
    pd.testing.assert_frame_equal(_plain(left.companies), _plain(right.companies))
    pd.testing.assert_series_equal(
        left.companies.geometry.x, right.companies.geometry.x, atol=atol, rtol=0
    )
    pd.testing.assert_series_equal(
        left.companies.geometry.y, right.companies.geometry.y, atol=atol, rtol=0
    )
    pd.testing.assert_frame_equal(left.flows, right.flows)
    pd.testing.assert_frame_equal(left.synergies, right.synergies)
    assert (left.perimeter is None) == (right.perimeter is None)
    if left.perimeter is not None and right.perimeter is not None:
        pd.testing.assert_frame_equal(_plain(left.perimeter), _plain(right.perimeter))
        assert left.perimeter.geom_equals_exact(right.perimeter, tolerance=atol).all()


@pytest.fixture
def assert_same_zone() -> Callable[..., None]:
    """Return ``check(left, right, atol=0.0)`` asserting two zones hold the same data."""
    return zones_equal


@pytest.fixture
def write_tables() -> Callable[..., Path]:
    """Return ``write(folder, ext, zone)``: write a zone's tables as one file each.

    Companies become point geometries in geographic formats (``.geojson``, ``.gpkg``, GeoParquet
    when ``geo=True``) and ``lat``/``lon`` columns otherwise; ``crs`` reprojects them.
    """

    def write(folder: Path, ext: str, zone: Zone, *, geo: bool = True, crs: str = "") -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        companies: pd.DataFrame = zone.companies.to_crs(crs) if crs else zone.companies
        geographic = ext in (".geojson", ".gpkg") or (ext == ".parquet" and geo)
        if not geographic:
            companies = pd.DataFrame(companies.drop(columns="geometry")).assign(
                lat=zone.companies.geometry.y, lon=zone.companies.geometry.x
            )
        tables = {
            "companies": companies,
            "flows": zone.flows.drop(columns=["flow_id", "family"]),
            "synergies": zone.synergies.drop(columns=["family"]),
        }
        for name, table in tables.items():
            _write_one(table, folder / f"{name}{ext}")
        return folder

    return write


def _write_one(table: pd.DataFrame, path: Path) -> None:
    if path.suffix == ".csv":
        table.to_csv(path, index=False)
    elif path.suffix == ".xlsx":
        table.to_excel(path, index=False)
    elif path.suffix == ".parquet":
        table.to_parquet(path, index=False)
    elif isinstance(table, gpd.GeoDataFrame):
        table.to_file(path, engine="pyogrio")
    else:
        import pyogrio  # noqa: PLC0415 - only attribute tables need it

        pyogrio.write_dataframe(table, path)


CHROMIUM = find_chromium() or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Debian Chromium driven by Playwright, one for the whole session.

    Playwright's sync API allows one instance per thread: every test that needs a browser (the
    end-to-end tests, the report's) shares this one.
    """
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=list(HEADLESS_ARGS))
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a PostgreSQL server: ``EIT_GEO_TEST_DATABASE_URL``, or a cluster started here.

    The cluster lives in a temporary folder, listens on a free port of 127.0.0.1 and is stopped
    and deleted after the session.
    """
    if os.environ.get(PG_URL_ENV):
        yield os.environ[PG_URL_ENV]
        return
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip(
            "no PostgreSQL binaries in /usr/lib/postgresql/*/bin: install Debian's postgresql "
            f"(bash scripts/test.sh does) or set {PG_URL_ENV}"
        )
    with postgres_cluster(bin_dir) as url:
        yield url


def _app_starter(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., RunningApp]]:
    started: list[RunningApp] = []

    def start(*args: str, env: dict[str, str] | None = None) -> RunningApp:
        folder = tmp_path_factory.mktemp("eit-geo-app")
        app = RunningApp(list(args), env or {}, folder / "server.log")
        started.append(app)
        return app

    yield start
    for app in started:
        app.stop()


@pytest.fixture
def start_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., RunningApp]]:
    """Return ``start(*args, env={})``: run ``eit-geo app ARGS`` until the test ends."""
    yield from _app_starter(tmp_path_factory)


@pytest.fixture(scope="module")
def start_module_app(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., RunningApp]]:
    """Return ``start(*args, env={})``: run ``eit-geo app ARGS`` for the tests of a module."""
    yield from _app_starter(tmp_path_factory)


def write_mbtiles(
    path: Path,
    bounds: tuple[float, float, float, float],
    zooms: range,
    *,
    name: str = "Plan de test",
    metadata: dict[str, str] | None = None,
) -> int:
    """Write a raster MBTiles file as QGIS does: ``metadata`` and ``tiles`` tables, TMS rows.

    Each PNG tile (Pillow) is pale beige with a blue « river » across it and its XYZ address
    written in it, so that a screenshot shows which tile is where. Returns the tile count.
    """
    import math  # noqa: PLC0415 - only this helper needs them
    import sqlite3  # noqa: PLC0415
    from io import BytesIO  # noqa: PLC0415

    from PIL import Image, ImageDraw  # noqa: PLC0415

    def column_row(lon: float, lat: float, zoom: int) -> tuple[int, int]:
        n = 2**zoom
        y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
        return int((lon + 180) / 360 * n), int(y)

    west, south, east, north = bounds
    meta = {
        "name": name,
        "format": "png",
        "type": "baselayer",
        "minzoom": str(zooms.start),
        "maxzoom": str(zooms.stop - 1),
        "bounds": f"{west},{south},{east},{north}",
        "attribution": "Service SIG <test>",
        **(metadata or {}),
    }
    count = 0
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute(
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER,"
            " tile_data BLOB)"
        )
        db.executemany("INSERT INTO metadata VALUES (?, ?)", list(meta.items()))
        for zoom in zooms:
            x0, y0 = column_row(west, north, zoom)
            x1, y1 = column_row(east, south, zoom)
            for x in range(x0, x1 + 1):
                for y in range(y0, y1 + 1):
                    image = Image.new("RGB", (256, 256), (240, 232, 214))
                    draw = ImageDraw.Draw(image)
                    draw.line([(0, 200), (256, 60)], fill=(90, 150, 220), width=14)
                    draw.rectangle([0, 0, 255, 255], outline=(200, 190, 170))
                    draw.text((10, 10), f"{zoom}/{x}/{y}", fill=(120, 110, 90))
                    data = BytesIO()
                    image.save(data, format="PNG")
                    row = 2**zoom - 1 - y  # MBTiles count rows from the south (TMS)
                    db.execute(
                        "INSERT INTO tiles VALUES (?, ?, ?, ?)", (zoom, x, row, data.getvalue())
                    )
                    count += 1
    return count


@pytest.fixture(scope="session")
def make_mbtiles() -> Callable[..., int]:
    """Return `write_mbtiles`: ``make_mbtiles(path, bounds, zooms, name=...)`` -> tile count."""
    return write_mbtiles
