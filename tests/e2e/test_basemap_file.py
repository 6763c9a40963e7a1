"""End-to-end: a GIS department's MBTiles basemap drawn offline (``eit-geo app --basemap``).

The app is started with ``EIT_GEO_BASEMAP`` naming a small MBTiles file made here (PNG tiles,
TMS rows); the Carte page must draw its tiles from this machine only: every tile request goes
to 127.0.0.1, every tile image loads, and nothing leaves the machine, tiles included.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from browsing import open_app, outside_requests, save_screenshot
from playwright.sync_api import expect
from servers import REPO, AppServer
from test_map import KALUNDBORG, counts_when, map_frame

from eit_geo.mbtiles import FOLDER, read_mbtiles

BOUNDS = (11.03, 55.64, 11.16, 55.70)  # around the Kalundborg perimeter
TILES = """() => Array.from(document.querySelectorAll('img.leaflet-tile')).map(
    img => ({src: img.src, loaded: img.complete && img.naturalWidth === 256}))"""


@pytest.fixture(scope="module")
def basemap_server(
    tmp_path_factory: pytest.TempPathFactory, make_mbtiles: Callable[..., int]
) -> Iterator[AppServer]:
    folder = tmp_path_factory.mktemp("basemap")
    plan = folder / "plan-ign-kalundborg.mbtiles"
    make_mbtiles(plan, BOUNDS, range(11, 16), name="Plan IGN (service SIG)")
    # the app lays the tiles out in the static folder it serves (the only one it can):
    # this test's own folder there is removed afterwards, any other left alone
    basemaps = REPO / "static" / FOLDER
    installed = basemaps / read_mbtiles(plan).key
    assert not installed.exists()  # a name of this test's file, never a user's basemap
    server = AppServer("kalundborg", folder, env={"EIT_GEO_BASEMAP": str(plan)})
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(installed, ignore_errors=True)
        if basemaps.is_dir() and not any(basemaps.iterdir()):
            basemaps.rmdir()
    assert not installed.exists()


def test_local_basemap_drawn_from_this_machine(
    page: object, basemap_server: AppServer, request_log: list[str]
) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_app(page, basemap_server.url, "carte")
    frame = map_frame(page)
    frame.wait_for_function(
        "() => window.map.getContainer().getAttribute('data-basemap') === 'local'",
        timeout=30_000,
    )
    frame.wait_for_function(
        f"() => ({TILES})().length > 0 && ({TILES})().every(t => t.loaded)", timeout=30_000
    )
    tiles = frame.evaluate(TILES)
    assert any((REPO / "static" / FOLDER).glob("*/11/*/*.png"))  # laid out where it is served
    assert len(tiles) >= 6  # the map's screen is covered with the file's tiles
    assert {urlsplit(t["src"]).hostname for t in tiles} == {"127.0.0.1"}
    assert all("/app/static/basemaps/" in t["src"] for t in tiles)
    tile_requests = [url for url in request_log if "/basemaps/" in url or "tile" in url]
    assert tile_requests
    assert {urlsplit(url).hostname for url in tile_requests} == {"127.0.0.1"}
    assert outside_requests(request_log, tiles_allowed=False) == []  # nothing else either
    assert frame.get_by_text("Fond de carte indisponible").count() == 0
    companies = counts_when(frame, f"n.company === {KALUNDBORG['company']}")["company"]
    assert companies == KALUNDBORG["company"]
    save_screenshot(page, "basemap-file-carte-1920x1080")
    picker = page.get_by_test_id("stSidebar").get_by_role("combobox", name="Fond de carte")
    expect(picker).to_have_value("Fond local : Plan IGN (service SIG)")  # chosen first
