"""End-to-end: the Carte page in headless Chromium without internet, on Kalundborg.

Each test opens the app offline (see conftest), checks one thing a facilitator does, asserts
that no outside host was contacted (tiles excepted) and saves a screenshot to look at.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Error as PlaywrightError

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
KALUNDBORG = {"company": 12, "existing": 20, "candidate": 9}


def map_frame(page):
    """Return the map's iframe once Leaflet has drawn the features."""
    page.wait_for_selector("iframe[title='streamlit_folium.st_folium']")
    for _ in range(100):
        frame = next((f for f in page.frames if MAP_FRAME.search(f.url)), None)
        if frame is not None:
            try:
                frame.wait_for_function(
                    f"() => window.map && ({COUNT_FEATURES})().company > 0", timeout=20_000
                )
            except PlaywrightError:  # the frame was replaced while remounting: try the new one
                continue
            return frame
        page.wait_for_timeout(200)
    pytest.fail("the map never drew its features")
    return None


def counts(page) -> dict[str, int]:
    return map_frame(page).evaluate(COUNT_FEATURES)


def table_cells(page) -> list[str]:
    """Return the text of every cell of the page's tables (drawn on a canvas, mirrored in DOM)."""
    page.wait_for_function("() => document.querySelectorAll('[data-testid=stDataFrame] td').length")
    return page.evaluate(
        "() => Array.from(document.querySelectorAll("
        "'[data-testid=stDataFrame] td, [data-testid=stDataFrame] th')).map(e => e.textContent)"
    )


def hover_company(page, company_id: str) -> str:
    """Move the mouse over a company's circle, as a user would; return the tooltip's text."""
    frame = map_frame(page)
    frame.wait_for_function("() => !window.map._animatingZoom && !window.map._panAnim?._inProgress")
    page.wait_for_timeout(500)  # the fitting animation
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
    found = frame.evaluate(COUNT_FEATURES)
    assert found["company"] == KALUNDBORG["company"]
    assert found["link"] == KALUNDBORG["existing"] + KALUNDBORG["candidate"]
    assert found["arrow"] == found["link"]
    assert found["group"] > 0
    assert frame.get_by_text("Légende").is_visible()
    assert frame.get_by_text("Fond de carte indisponible").is_visible()
    assert page.get_by_text("12 entreprises, 20 synergies existantes, 9 pistes").is_visible()
    idle()
    screenshot("carte-kalundborg")
    assert outside() == []


def test_click_on_company_shows_inventory(page, open_page, idle, outside, screenshot):
    open_page("carte")
    assert hover_company(page, "kommune") == "Kalundborg Kommune"  # hover shows the name
    click_company(page, "kommune")
    idle()
    page.get_by_role("heading", name="Kalundborg Kommune").wait_for(timeout=15_000)
    assert page.get_by_text("Inventaire des flux").is_visible()
    cells = table_cells(page)
    assert "Granulats" in cells  # its need
    assert "10\u202f000 t/an" in cells  # with the quantity, in French units
    assert "ARGO (ex KARA/Noveren)" in cells, cells  # and its candidates
    screenshot("carte-clic-entreprise")
    assert outside() == []


def test_filter_change_changes_links_without_reloading(page, open_page, idle, outside, screenshot):
    open_page("carte")
    frame = map_frame(page)
    frame.evaluate("() => { window.__probe = 'same map'; }")
    before = frame.evaluate(COUNT_FEATURES)
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
    assert page.get_by_text("0 pistes de substitution").is_visible()
    screenshot("carte-filtre-sans-pistes")
    assert outside() == []


def test_language_switch_changes_labels(page, open_page, idle, outside, screenshot):
    open_page("carte")
    map_frame(page)
    page.get_by_test_id("stSidebar").get_by_text("English").click()
    idle()
    page.get_by_role("heading", name="Map", exact=True).wait_for(timeout=15_000)
    frame = map_frame(page)
    frame.get_by_text("Legend").wait_for(timeout=15_000)
    assert frame.get_by_text("Existing synergies").count() >= 1
    assert page.get_by_test_id("stSidebar").get_by_text("Substitution leads").is_visible()
    assert page.get_by_text("12 companies, 20 existing synergies").is_visible()
    screenshot("carte-english")
    assert outside() == []


def test_no_basemap_requests_no_tile(page, open_page, idle, request_log, screenshot):
    open_page("carte")
    map_frame(page)
    picker = page.get_by_test_id("stSelectbox").filter(has_text="Fond de carte")
    picker.scroll_into_view_if_needed()
    picker.click()
    page.get_by_role("option", name="Sans fond de carte (hors connexion)").click()
    idle()
    request_log.clear()
    frame = map_frame(page)
    frame.wait_for_function(f"() => ({COUNT_FEATURES})().company === {KALUNDBORG['company']}")
    page.wait_for_timeout(1000)
    assert frame.locator(".leaflet-tile").count() == 0
    assert frame.get_by_text("Fond de carte indisponible").count() == 0  # chosen, not a failure
    assert [url for url in request_log if "tile" in url or "cartocdn" in url] == []
    screenshot("carte-sans-fond")
