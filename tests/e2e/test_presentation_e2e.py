"""End-to-end: the Présentation page as one 16:9 screen, at 1920×1080 and 1400×900, offline.

The workshop retained one lead (decision store made here). The gain it brings comes first in
figures at least 48 px high, the totals second, the map in the first screen with the retained
list beside it, in the normal view and in full screen. Screenshots:
``tests/artifacts/presentation-*.png``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browsing import open_app, outside_requests, save_screenshot, wait_idle
from playwright.sync_api import expect
from servers import AppServer
from test_map import map_frame, map_still

from eit_geo import store
from eit_geo.datafiles import example_path
from eit_geo.loading import load_zone

SCREENS = {"1920x1080": (1920, 1080), "1400x900": (1400, 900)}
MAP_IFRAME = ".st-key-presentation_map iframe"
RETAINED = (  # process water, bottom ash as aggregates: four gains, one of 10 000 t
    "forsyning>refinery:process_water>process_water",
    "asnaes>kommune:10 01 01>aggregates",
)
# the size the figure's text is drawn at: its innermost element's
UNCUT = """e => Array.from(e.querySelectorAll('*')).concat([e]).every(
    n => n.scrollWidth <= n.clientWidth + 1)"""
FONT = """e => { let n = e; while (n.firstElementChild) { n = n.firstElementChild; }
    return parseFloat(getComputedStyle(n).fontSize); }"""


@pytest.fixture(scope="module")
def workshop_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    folder = tmp_path_factory.mktemp("presentation")
    url = f"sqlite:///{folder / 'decisions.sqlite'}"
    engine = store.open_store(url)
    key = store.zone_key(load_zone(example_path("kalundborg")))
    for lead in RETAINED:
        store.record_decision(engine, key, lead, {"status": "retained"}, participant="Anne")
    engine.dispose()
    server = AppServer("kalundborg", folder, env={store.DATABASE_ENV: url})
    yield server
    server.stop()


@pytest.mark.parametrize("fullscreen", [False, True], ids=["normal", "plein-ecran"])
@pytest.mark.parametrize("screen", list(SCREENS))
def test_one_screen(
    page: object,
    workshop_server: AppServer,
    request_log: list[str],
    screen: str,
    *,
    fullscreen: bool,
) -> None:
    width, height = SCREENS[screen]
    page.set_viewport_size({"width": width, "height": height})
    open_app(page, workshop_server.url, "presentation")
    if fullscreen:
        page.get_by_text("Plein écran").click()
        wait_idle(page)
    frame = map_frame(page)
    wait_idle(page)  # the rerun the map's first value starts
    map_still(frame)  # the map's fitting
    mode = "plein-ecran" if fullscreen else "normal"
    save_screenshot(page, f"presentation-{mode}-{screen}")
    gain = page.locator(".st-key-presentation_gain [data-testid=stMetricValue]")
    expect(gain.first).to_have_text("+2")
    expect(gain.nth(3)).to_be_attached()  # every card drawn before they are read
    # both leads rest on estimated quantities: their gains read « ≈ »
    assert {"≈ +1\u00a0M", "≈ +10\u202f000"} <= set(gain.all_inner_texts())
    assert gain.count() >= 4, gain.all_inner_texts()  # the count, tonnes, water, CO2
    sizes = [g.evaluate(FONT) for g in gain.all()]
    totals = page.locator(".st-key-presentation_totals [data-testid=stMetricValue]")
    expect(totals).to_have_count(5)
    total_sizes = [t.evaluate(FONT) for t in totals.all()]
    assert min(total_sizes) >= 48  # read from the back of the room
    assert min(sizes) >= max(total_sizes)  # the gain, first and largest
    if fullscreen and width >= 1920:
        assert min(sizes) >= 64
    gain_box, totals_box = gain.first.bounding_box(), totals.first.bounding_box()
    assert gain_box["y"] < totals_box["y"]  # the gain before the totals
    for locator in (*gain.all(), *totals.all()):  # no figure cut by its card (« 889… »)
        assert locator.evaluate(UNCUT), locator.inner_text()
    switches = page.get_by_test_id("stMain").get_by_test_id("stCheckbox")
    expect(switches).to_have_count(2)  # anonymised view, full screen
    for switch in switches.all():  # no switch's label cut (« Plein écran (masquer le men… »)
        label = switch.get_by_test_id("stMarkdownContainer").first
        assert label.evaluate(UNCUT), switch.inner_text()
    box = page.locator(MAP_IFRAME).bounding_box()
    assert box["height"] >= 340
    if fullscreen or width >= 1920:
        assert box["y"] + box["height"] <= height + 2  # the whole map in the first screen
    else:  # the facilitator's view, sidebar open: the totals wrap, the map starts on screen
        assert box["y"] + 150 <= height
    heading = page.get_by_role("heading", name="Synergies retenues")
    listed = heading.bounding_box()
    assert listed["x"] >= box["x"] + box["width"]  # the retained list beside the map
    assert listed["y"] < box["y"] + box["height"]
    if fullscreen:
        assert not page.get_by_test_id("stSidebar").is_visible()
    assert outside_requests(request_log) == []
