"""Hardening: a zone whose names and labels are HTML/JS injections, opened with ``eit-geo app``.

Every page is opened in headless Chromium; on every map every company, link and group is hovered
and clicked. No script of the data may run (no dialog opens, no injected element exists) and the
names show as plain text.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from servers import REPO, RunningApp
from test_map import map_still

HOSTILE_ZONE = REPO / "tests" / "data" / "zones" / "hostile"
# Every page, with the number of Leaflet maps it draws on this zone (each with its features).
PAGES = {
    "": 0,
    "carte": 1,
    "synergies": 0,
    "indicateurs": 0,
    "atelier": 1,
    "presentation": 1,
    "donnees": 0,
}
MAPS = "iframe[title='streamlit_folium.st_folium']"
WAIT_MS = 30_000  # for a map to be drawn on a loaded machine
INJECTED = (
    "img[src='x'], img[src='y'], img[src='z'], svg[onload], iframe[src^='javascript'], "
    "details[ontoggle], marquee, body[onload], script:not([src]):is([data-hostile])"
)
FEATURE_POINTS = """() => {
    const points = [];
    if (!window.map) { return points; }
    window.map.eachLayer(layer => {
        const p = layer.feature && layer.feature.properties;
        if (!p || !p.kind) { return; }
        let at = null;
        if (layer.getLatLng) { at = layer.getLatLng(); }
        else if (layer.getBounds) { at = layer.getBounds().getCenter(); }
        if (at) {
            const xy = window.map.latLngToContainerPoint(at);
            points.push({kind: p.kind, x: xy.x, y: xy.y});
        }
    });
    return points;
}"""


HAS_FEATURES = f"() => window.map !== undefined && ({FEATURE_POINTS})().length > 0"
TOOLTIP_TEXTS = """() => {
    const texts = [];
    window.map.eachLayer(layer => {
        const p = layer.feature && layer.feature.properties;
        if (p && p.kind === 'company' && layer.getTooltip && layer.getTooltip()) {
            layer.openTooltip();
            texts.push(layer.getTooltip().getElement().innerText);
            layer.closeTooltip();
        }
    });
    return texts;
}"""


@pytest.fixture(scope="module")
def hostile_app(start_module_app: Callable[..., RunningApp]) -> str:
    """Start the dashboard on the hostile zone exactly as a user does: ``eit-geo app ZONE``."""
    return start_module_app(str(HOSTILE_ZONE)).url


def _injected_elements(page: object) -> int:
    return sum(frame.locator(INJECTED).count() for frame in page.frames)  # type: ignore[attr-defined]


def _poke_every_feature(page: object, maps: int) -> int:
    """Hover and click every feature of the page's ``maps`` Leaflet maps; return how many.

    The maps are drawn in iframes after Streamlit's run is over: wait for the iframes, for each
    map and for its features before reading where they are.
    """
    poked = 0
    iframes = page.locator(MAPS)  # type: ignore[attr-defined]
    expect(iframes).to_have_count(maps, timeout=WAIT_MS)
    for index in range(maps):
        element = iframes.nth(index)
        element.scroll_into_view_if_needed()
        frame = element.element_handle().content_frame()
        # the features are added to the map after it is created: wait for them
        frame.wait_for_function(HAS_FEATURES, timeout=WAIT_MS)
        map_still(frame)  # the fitting animation
        box = element.bounding_box()
        for point in frame.evaluate(FEATURE_POINTS):
            x, y = box["x"] + point["x"], box["y"] + point["y"]
            if not (0 <= point["x"] <= box["width"] and 0 <= point["y"] <= box["height"]):
                continue
            page.mouse.move(x, y)  # type: ignore[attr-defined]
            page.mouse.click(x, y)  # type: ignore[attr-defined]
            poked += 1
    return poked


def test_hostile_texts_never_run_on_any_page(
    page: object, hostile_app: str, idle: Callable[[], None], screenshot: Callable[..., Path]
) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))  # type: ignore[attr-defined]
    poked = 0
    for path, maps in PAGES.items():
        page.goto(f"{hostile_app}/{path}", wait_until="domcontentloaded")  # type: ignore[attr-defined]
        idle()
        on_page = _poke_every_feature(page, maps)
        assert on_page > 0 or maps == 0, f"no feature of the map reached on page {path!r}"
        poked += on_page
        idle()
        assert dialogs == [], f"a dialog opened on page {path!r}: {dialogs}"
        assert _injected_elements(page) == 0, f"an injected element exists on page {path!r}"
        screenshot(f"hostile-{path or 'accueil'}")
    assert poked >= 10, "the maps' features were not reached"


def test_hostile_name_shows_as_plain_text_in_the_tooltip(
    page: object, hostile_app: str, idle: Callable[[], None], screenshot: Callable[..., Path]
) -> None:
    page.goto(f"{hostile_app}/carte", wait_until="domcontentloaded")  # type: ignore[attr-defined]
    idle()
    element = page.locator("iframe[title='streamlit_folium.st_folium']").first  # type: ignore[attr-defined]
    frame = element.element_handle().content_frame()
    frame.wait_for_function("() => window.map !== undefined", timeout=20_000)
    # the companies are added to the map after it is created: wait for their tooltips, then
    # assert on what they say (still there if the wait ran out, for the failure message)
    with contextlib.suppress(PlaywrightTimeout):
        frame.wait_for_function(
            f"() => window.map !== undefined && ({TOOLTIP_TEXTS})().length > 0",
            timeout=30_000,
            polling=250,
        )
    texts = frame.evaluate(TOOLTIP_TEXTS)
    assert any("<img src=x onerror=alert(1)>" in text for text in texts), texts
    assert any('"><script>alert(2)</script>' in text for text in texts), texts
    screenshot("hostile-tooltip")
