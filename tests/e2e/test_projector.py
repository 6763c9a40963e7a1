"""End-to-end: the Carte page on a projector (1920×1080) and a laptop (1400×900), offline.

A facilitator preparing a meeting opens the map: it must take the screen (not a thumbnail),
show every company's name at a size read from 3 m, keep its legend and notes off the
companies, point to far partners at the zone's edge, and stay readable when leads are many.
Screenshots go to ``tests/artifacts/projector-*.png``: look at them.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from browsing import open_app
from playwright.sync_api import expect
from test_map import (
    COUNT_FEATURES,
    WAIT_MS,
    click_company,
    counts_when,
    map_frame,
    table_cells,
)

from eit_geo.datafiles import example_path

SCREENS = {"1920x1080": (1920, 1080), "1400x900": (1400, 900)}
MAP_IFRAME = "iframe[title='streamlit_folium.st_folium']"
# Every company's circle centre, and what the map's page has on top there.
COVERED = """() => {
    const out = [];
    window.map.eachLayer(layer => {
        const p = layer.feature && layer.feature.properties;
        if (!p || p.kind !== 'company') { return; }
        const c = window.map.latLngToContainerPoint(layer.getLatLng());
        const size = window.map.getSize();
        if (c.x < 0 || c.y < 0 || c.x > size.x || c.y > size.y) { return; }
        const top = document.elementFromPoint(c.x, c.y);
        if (top && top.tagName !== 'CANVAS') { out.push([p.id, top.className]); }
    });
    return out;
}"""


def open_carte(page, open_page, screen: str):
    width, height = SCREENS[screen]
    page.set_viewport_size({"width": width, "height": height})
    open_page("carte")
    frame = map_frame(page)
    frame.wait_for_function("() => Number(window.map.getContainer().dataset.labels) > 0")
    return frame


@pytest.fixture(scope="module")
def kalundborg_2018(app_servers, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Return the URL of an app on Kalundborg before 2019, when its far partner still ran.

    Asnæs' coal fly ash went to Aalborg Portland, 168 km away, until 2019: on today's network
    no synergy leaves the zone's frame, so the far-partner arrow is checked on a copy where
    that exchange has not stopped.
    """
    folder = tmp_path_factory.mktemp("kalundborg-2018")
    shutil.copytree(example_path("kalundborg"), folder, dirs_exist_ok=True)
    synergies = pd.read_csv(folder / "synergies.csv", dtype=str, keep_default_na=False)
    running = synergies["to_id"].eq("aalborgportland")
    assert running.sum() == 1, "Kalundborg's far exchange is no longer in the example"
    synergies.loc[running, "until"] = ""
    synergies.to_csv(folder / "synergies.csv", index=False)
    return app_servers(str(folder)).url


def main_width(page) -> float:
    return page.get_by_test_id("stMainBlockContainer").bounding_box()["width"]


@pytest.mark.parametrize("screen", list(SCREENS))
def test_map_takes_the_screen(page, kalundborg_2018: str, outside, screenshot, screen: str) -> None:
    frame = open_carte(page, lambda path: open_app(page, kalundborg_2018, path), screen)
    height = SCREENS[screen][1]
    box = page.locator(MAP_IFRAME).bounding_box()
    assert box["width"] >= 0.9 * main_width(page) - 96  # the page's width, less its margins
    assert box["height"] >= 0.7 * height
    assert box["y"] + box["height"] <= height  # all of it in the first screen
    inner = frame.evaluate("() => window.map.getSize()")
    assert inner["y"] >= box["height"] - 2  # the map fills its frame
    frame.wait_for_function(
        "() => window.map.getContainer().getAttribute('data-basemap') === 'offline'",
        timeout=15_000,
    )
    assert frame.evaluate(COVERED) == []  # no legend, note or label over a company
    labels = frame.locator(".eit-label")
    expect(labels.nth(7)).to_be_attached()  # at least 8 of the 11 companies in the zone's frame
    size = labels.first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 15
    far = frame.locator(".eit-far-text")
    expect(far).to_have_text("Aalborg Portland · 168 km")
    assert far.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 15
    far_box, map_box = far.bounding_box(), frame.locator("#map_div").bounding_box()
    assert map_box["x"] <= far_box["x"]
    assert far_box["x"] + far_box["width"] <= map_box["x"] + map_box["width"]
    screenshot(f"projector-carte-{screen}")
    assert outside() == []


@pytest.mark.parametrize("screen", list(SCREENS))
def test_details_open_without_shrinking_the_map(
    page, open_page, idle, outside, screenshot, *, screen: str
) -> None:
    open_carte(page, open_page, screen)
    click_company(page, "kommune")
    idle()
    heading = page.get_by_role("heading", name="Kalundborg Kommune")
    heading.wait_for(timeout=15_000)
    table_cells(page, "Granulats", "ARGO (ex KARA/Noveren)")  # its tables are drawn
    idle()
    width, height = SCREENS[screen]
    box = page.locator(MAP_IFRAME).bounding_box()
    assert box["width"] >= 0.6 * main_width(page)
    assert box["height"] >= 0.5 * height
    details = heading.bounding_box()
    if width >= 1500:  # beside the map
        assert details["x"] >= box["x"] + box["width"]
        assert details["y"] < box["y"] + box["height"]
    else:  # below it, the map keeping the whole width
        assert details["y"] >= box["y"] + box["height"]
    screenshot(f"projector-carte-detail-{screen}")
    assert outside() == []


@pytest.mark.parametrize("app_url", ["parc-rural"], indirect=True)
def test_dense_zone_views(page, open_page, idle, outside, screenshot) -> None:
    frame = open_carte(page, open_page, "1920x1080")
    every = counts_when(frame, "n.link === 38 && n.group === 7")
    faded = frame.evaluate(
        """() => { let n = 0; window.map.eachLayer(l => {
            const p = l.feature && l.feature.properties;
            if (p && p.kind === 'link' && p.arrow === undefined && p.faded) { n += 1; } });
            return n; }"""
    )
    assert faded == every["link"] - 12 - frame.evaluate(
        """() => { let n = 0; window.map.eachLayer(l => {
            const p = l.feature && l.feature.properties;
            if (p && p.kind === 'link' && p.arrow === undefined && p.status === 'existing') {
                n += 1; } }); return n; }"""
    )
    screenshot("projector-rural-toutes")
    page.get_by_test_id("stButtonGroup").get_by_text("En place").click()
    idle()
    in_place = counts_when(frame, "n.group === 0 && n.link === 2")
    assert in_place["group"] == 0
    assert (
        frame.evaluate(
            """() => { let n = 0; window.map.eachLayer(l => {
            const p = l.feature && l.feature.properties;
            if (p && p.kind === 'link' && p.status === 'candidate') { n += 1; } }); return n; }"""
        )
        == 0
    )
    screenshot("projector-rural-en-place")
    assert every["company"] == frame.evaluate(COUNT_FEATURES)["company"]
    expect(page.get_by_text("Toutes les pistes")).to_be_visible(timeout=WAIT_MS)
    assert outside() == []


def test_synergy_list_fits_a_laptop(page, open_page, screenshot) -> None:
    """At 1400×900 the list shows score and distance (the columns one sorts by) unscrolled."""
    page.set_viewport_size({"width": 1400, "height": 900})
    open_page("synergies")
    grid = page.get_by_test_id("stDataFrame").first
    grid.locator("th").nth(2).wait_for(state="attached")  # the grid's headers, drawn
    headers = grid.evaluate(
        """g => Array.from(g.querySelectorAll('th')).map(th => th.textContent.trim())"""
    )
    assert headers[:3] == ["Statut", "Score (0 à 1)", "Distance (km)"]
    box = grid.bounding_box()
    assert box["x"] + box["width"] <= 1400
    screenshot("projector-synergies-1400x900")
