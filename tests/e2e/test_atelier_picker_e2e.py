"""End-to-end: the Atelier's lead picker stays in step with saves and with clicks on the map.

After a save the picker names the lead with its new status; after a lead is opened from the
map the picker names that lead (not its placeholder). Offline, on a decision store of its own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browsing import open_app, save_screenshot, seen, tick, wait_idle
from playwright.sync_api import expect
from servers import AppServer
from test_map import map_still
from test_workshop_e2e import WAIT_MS, WATER, open_lead

from eit_geo import store

PICKER = "Ouvrir une piste"
# The arrow of a lead not yet decided that is the topmost drawing where it lies (Leaflet's own
# canvas hit test), so that a click there opens it: its place in the map's pixels, its tooltip.
LINK_POINT = """() => {
    const arrows = [];
    window.map.eachLayer(layer => {
        const p = layer.feature && layer.feature.properties;
        if (p && p.kind === 'link' && p.arrow !== undefined && p.status === 'candidate') {
            arrows.push(layer);
        }
    });
    const size = window.map.getSize();
    for (const arrow of arrows) {
        const c = window.map.latLngToContainerPoint(arrow.getLatLng());
        const point = window.map.containerPointToLayerPoint(c);
        let top = null;
        for (let o = arrow._renderer._drawFirst; o; o = o.next) {
            if (o.layer.options.interactive && o.layer._containsPoint(point)) { top = o.layer; }
        }
        if (top === arrow && c.x > 20 && c.y > 20 && c.x < size.x - 20 && c.y < size.y - 80) {
            const text = document.createElement('textarea');
            text.innerHTML = arrow.feature.properties.tip;
            return {x: c.x, y: c.y, tip: text.value};
        }
    }
    return null;
}"""


@pytest.fixture(scope="module")
def atelier_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    folder = tmp_path_factory.mktemp("picker")
    url = f"sqlite:///{folder / 'decisions.sqlite'}"
    server = AppServer("kalundborg", folder, env={store.DATABASE_ENV: url})
    yield server
    server.stop()


def test_picker_follows_saves_and_map_clicks(page: object, atelier_server: AppServer) -> None:
    page.set_viewport_size({"width": 1600, "height": 1400})
    open_app(page, atelier_server.url, "atelier")
    field = page.get_by_role("textbox", name="Votre nom (participant)")
    field.fill("Anne Martin")
    field.press("Enter")
    wait_idle(page)
    picker = page.get_by_role("combobox", name=PICKER)

    open_lead(page, WATER)
    opened = picker.input_value()
    assert opened.startswith("à étudier · ")
    assert WATER in opened
    form = page.get_by_test_id("stForm")
    tick(form, "retenue")
    form.get_by_role("button", name="Enregistrer la décision").click()
    wait_idle(page)
    seen(page, "Décision enregistrée")
    # the picker says the lead's new status, not the one it had when it was opened
    expect(picker).to_have_value("retenue · " + opened.split(" · ", 1)[1], timeout=WAIT_MS)

    iframe = page.locator("iframe[title='streamlit_folium.st_folium']")
    iframe.scroll_into_view_if_needed()  # waits for the map's iframe, drawn after the run
    frame = iframe.element_handle().content_frame()
    map_still(frame)
    # the leads are drawn once the map is: wait for one that a click can reach, then read it
    frame.wait_for_function(f"() => window.map !== undefined && ({LINK_POINT})() !== null")
    point = frame.evaluate(LINK_POINT)
    assert point is not None
    lead = point["tip"].split(" · ")[0]  # « resource : supplier → receiver »
    box = page.locator("iframe[title='streamlit_folium.st_folium']").bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    wait_idle(page)
    save_screenshot(page, "atelier-picker-after-map-click")
    # the lead clicked on the map is the one the picker names
    expect(picker).to_have_value(f"à étudier · {lead}", timeout=WAIT_MS)
