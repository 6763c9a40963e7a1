"""End-to-end: the Carte page in headless Chromium without internet, on Kalundborg.

Each test opens the app offline (see conftest), checks one thing a facilitator does, asserts
that no outside host was contacted (tiles excepted) and saves a screenshot to look at.
"""

from __future__ import annotations

import contextlib
import re
import time

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

MAP_FRAME = re.compile(r"streamlit_folium")
COUNT_FEATURES = """() => {
    const n = {company: 0, link: 0, arrow: 0, group: 0};
    window.map.eachLayer(layer => {
        const p = layer.feature && layer.feature.properties;
        if (!p || !p.kind) { return; }
        if (p.arrow !== undefined) { n.arrow += 1; } else { n[p.kind] += 1; }
    });
    return n;
}"""
POINT_OF = """(id) => {
    let point = null;
    window.map.eachLayer(layer => {
        const p = layer.feature && layer.feature.properties;
        if (p && p.kind === 'company' && p.id === id) {
            point = window.map.latLngToContainerPoint(layer.getLatLng());
        }
    });
    return point && {x: point.x, y: point.y};
}"""
KALUNDBORG = {"company": 12, "existing": 19, "candidate": 5}  # as tests/test_pages.py
CELLS = """() => Array.from(document.querySelectorAll(
    '[data-testid=stDataFrame] td, [data-testid=stDataFrame] th')).map(e => e.textContent)"""
WAIT_MS = 30_000  # the pages' default timeout (conftest): waits as long as inner_text() did
# True once the map has not moved between two animation frames (the fitting animation is over).
STILL = """() => {
    const map = window.map;
    const view = JSON.stringify([map.getCenter(), map.getZoom(), map.getSize()]);
    const still = view === window.__eitMapView && !map._animatingZoom
        && !(map._panAnim && map._panAnim._inProgress);
    window.__eitMapView = view;
    return still;
}"""


OLD_MARK = "() => { window.__eitReplaced = true; }"  # set on a map a change will replace
# True once the page's first map iframe is a new one (not marked) with its map made.
NEW_MAP = """() => {
    const iframe = document.querySelector("iframe[title='streamlit_folium.st_folium']");
    const inner = iframe && iframe.contentWindow;
    return Boolean(inner && inner.map && inner.__eitReplaced !== true);
}"""


def map_frame(page, *, replacing=None):
    """Return the map's iframe once Leaflet has drawn the features.

    With ``replacing`` (the frame of the map before a change that draws a new one, such as the
    basemap), the old map is marked and skipped: it can stay in the page a moment after the
    rerun, still drawn, until the new iframe takes its place.
    """
    if replacing is not None:
        with contextlib.suppress(PlaywrightError):  # already gone: nothing to mark
            replacing.evaluate(OLD_MARK)
        page.wait_for_function(NEW_MAP, timeout=60_000)
    iframe = page.locator("iframe[title='streamlit_folium.st_folium']").first
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            frame = iframe.element_handle().content_frame()
            frame.wait_for_function(
                f"() => window.map && ({COUNT_FEATURES})().company > 0", timeout=20_000
            )
        except (PlaywrightError, AttributeError):  # replaced while remounting: the new one
            continue
        return frame
    pytest.fail("the map never drew its features")
    return None


def map_still(frame) -> None:
    """Wait until the Leaflet map of ``frame`` has stopped moving (fitting, zoom, pan)."""
    frame.wait_for_function("() => window.map !== undefined")
    frame.wait_for_function(STILL, polling="raf")


def maps_still(page) -> None:
    """Wait until every map of the page is drawn and still (before a screenshot)."""
    iframes = page.locator("iframe[title='streamlit_folium.st_folium']")
    iframes.first.wait_for()
    for index in range(iframes.count()):
        map_still(iframes.nth(index).element_handle().content_frame())


def counts(page) -> dict[str, int]:
    return map_frame(page).evaluate(COUNT_FEATURES)


def counts_when(frame, condition: str) -> dict[str, int]:
    """Return the features' counts once ``condition`` (JavaScript on ``n``) holds, or at 30 s.

    The test asserts on what is returned: waiting first keeps a map that is still drawing from
    failing it, and a map that never gets there still fails it, with the counts it has.
    """
    with contextlib.suppress(PlaywrightTimeout):
        frame.wait_for_function(
            f"() => {{ const n = ({COUNT_FEATURES})(); return {condition}; }}", timeout=WAIT_MS
        )
    return frame.evaluate(COUNT_FEATURES)


def table_cells(page, *expected: str) -> list[str]:
    """Return the text of every cell of the page's tables (drawn on a canvas, mirrored in DOM).

    With ``expected``, first wait (up to 30 s) until each is a cell: the tables of a rerun do
    not all show at once. The test asserts on what is returned, which may still lack them.
    """
    page.wait_for_function("() => document.querySelectorAll('[data-testid=stDataFrame] td').length")
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(
            f"(texts) => {{ const cells = ({CELLS})(); "
            "return texts.every(text => cells.includes(text)); }",
            arg=list(expected),
            timeout=WAIT_MS,
        )
    return page.evaluate(CELLS)


def hover_company(page, company_id: str) -> str:
    """Move the mouse over a company's circle, as a user would; return the tooltip's text."""
    frame = map_frame(page)
    map_still(frame)  # the fitting animation
    point = frame.evaluate(POINT_OF, company_id)
    assert point is not None, company_id
    box = page.locator("iframe[title='streamlit_folium.st_folium']").bounding_box()
    page.mouse.move(box["x"] + point["x"], box["y"] + point["y"])
    tooltip = frame.locator(".leaflet-tooltip")
    tooltip.wait_for(timeout=5_000)
    return tooltip.inner_text()


def click_company(page, company_id: str) -> None:
    hover_company(page, company_id)
    page.mouse.down()
    page.mouse.up()


def test_map_drawn_offline_with_companies_and_links(page, open_page, idle, outside, screenshot):
    open_page("carte")
    frame = map_frame(page)
    frame.wait_for_function(
        "() => window.map.getContainer().getAttribute('data-basemap') === 'offline'",
        timeout=15_000,
    )
    links = KALUNDBORG["existing"] + KALUNDBORG["candidate"]
    found = counts_when(
        frame,
        f"n.company === {KALUNDBORG['company']} && n.link === {links}"
        " && n.arrow === n.link && n.group > 0",
    )
    assert found["company"] == KALUNDBORG["company"]
    assert found["link"] == links
    assert found["arrow"] == found["link"]
    assert found["group"] > 0
    expect(frame.get_by_text("Légende")).to_be_visible(timeout=WAIT_MS)
    expect(frame.get_by_text("Fond de carte indisponible")).to_be_visible(timeout=WAIT_MS)
    caption = page.get_by_text("12 entreprises, 19 synergies existantes, 5 pistes")
    expect(caption).to_be_visible(timeout=WAIT_MS)
    idle()
    screenshot("carte-kalundborg")
    assert outside() == []


def test_click_on_company_shows_inventory(page, open_page, idle, outside, screenshot):
    open_page("carte")
    assert hover_company(page, "kommune") == "Kalundborg Kommune"  # hover shows the name
    click_company(page, "kommune")
    idle()
    page.get_by_role("heading", name="Kalundborg Kommune").wait_for(timeout=15_000)
    expect(page.get_by_text("Inventaire des flux")).to_be_visible(timeout=WAIT_MS)
    cells = table_cells(page, "Granulats", "10\u202f000 t/an", "ARGO (ex KARA/Noveren)")
    assert "Granulats" in cells  # its need
    assert "10\u202f000 t/an" in cells  # with the quantity, in French units
    assert "ARGO (ex KARA/Noveren)" in cells, cells  # and its candidates
    screenshot("carte-clic-entreprise")
    assert outside() == []


def test_filter_change_changes_links_without_reloading(page, open_page, idle, outside, screenshot):
    open_page("carte")
    frame = map_frame(page)
    frame.evaluate("() => { window.__probe = 'same map'; }")
    before = counts_when(frame, f"n.link === {KALUNDBORG['existing'] + KALUNDBORG['candidate']}")
    page.get_by_test_id("stSidebar").get_by_text("Pistes de substitution").click()
    idle()
    frame.wait_for_function(
        f"() => ({COUNT_FEATURES})().link === {KALUNDBORG['existing']}", timeout=15_000
    )
    after = frame.evaluate(COUNT_FEATURES)
    assert before["link"] == KALUNDBORG["existing"] + KALUNDBORG["candidate"]
    assert after["link"] == KALUNDBORG["existing"]
    assert after["company"] == before["company"]
    assert frame.evaluate("() => window.__probe") == "same map"  # not reloaded: no flicker
    expect(page.get_by_text("0 pistes de substitution")).to_be_visible(timeout=WAIT_MS)
    screenshot("carte-filtre-sans-pistes")
    assert outside() == []


def test_language_switch_changes_labels(page, open_page, idle, outside, screenshot):
    open_page("carte")
    before = map_frame(page)
    before.evaluate(OLD_MARK)  # a new language draws a new map: the one without the mark
    page.get_by_test_id("stSidebar").get_by_text("English").click()
    idle()
    page.get_by_role("heading", name="Map", exact=True).wait_for(timeout=15_000)
    frame = map_frame(page, replacing=before)
    frame.get_by_text("Legend").wait_for(timeout=15_000)
    expect(frame.get_by_text("Existing synergies").first).to_be_attached(timeout=WAIT_MS)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Substitution leads")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("12 companies, 19 existing synergies")).to_be_visible(timeout=WAIT_MS)
    screenshot("carte-english")
    assert outside() == []


NO_BASEMAP = "Sans fond de carte (hors connexion)"


def test_no_basemap_requests_no_tile(page, open_page, idle, request_log, screenshot):
    open_page("carte")
    before = map_frame(page)
    before.evaluate(OLD_MARK)  # marked now: the new map is the one without the mark
    picker = page.get_by_test_id("stSelectbox").filter(has_text="Fond de carte")
    chosen = picker.get_by_role("combobox")
    for _ in range(5):  # a click landing while the map asks for a rerun can be lost: again
        picker.scroll_into_view_if_needed()
        picker.click()
        page.get_by_role("option", name=NO_BASEMAP).click()
        idle()
        try:
            expect(chosen).to_have_value(NO_BASEMAP, timeout=3_000)
            break
        except AssertionError:
            continue
    expect(chosen).to_have_value(NO_BASEMAP)
    request_log.clear()
    frame = map_frame(page, replacing=before)
    frame.wait_for_function(f"() => ({COUNT_FEATURES})().company === {KALUNDBORG['company']}")
    # waited for, not counted once: the tiles of the map before the change may still be there
    expect(frame.locator(".leaflet-tile")).to_have_count(0, timeout=WAIT_MS)
    # chosen, not a failure
    expect(frame.get_by_text("Fond de carte indisponible")).to_have_count(0, timeout=WAIT_MS)
    assert [url for url in request_log if "tile" in url or "cartocdn" in url] == []
    screenshot("carte-sans-fond")
