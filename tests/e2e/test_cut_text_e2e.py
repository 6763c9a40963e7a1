"""End-to-end: nothing a facilitator shows is cut, at 1400×900 with the sidebar open, in French
and in English: the Atelier's and Indicateurs' metric cards (labels and figures), the legend of
the comparison chart. Screenshots: ``tests/artifacts/cut-*.png``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import AppServer, open_app, save_screenshot, wait_idle
from test_presentation_e2e import RETAINED, UNCUT

from eit_geo import store
from eit_geo.datafiles import example_path
from eit_geo.loading import load_zone

# the chart's annotations (its legend line) inside the figure's own width
ANNOTATIONS_INSIDE = """e => { const svg = e.querySelector('svg.main-svg');
    const right = svg.getBoundingClientRect().right;
    return Array.from(e.querySelectorAll('.annotation')).every(
        a => a.getBoundingClientRect().right <= right + 1); }"""


@pytest.fixture(scope="module")
def decided_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    folder = tmp_path_factory.mktemp("cut")
    url = f"sqlite:///{folder / 'decisions.sqlite'}"
    engine = store.open_store(url)
    key = store.zone_key(load_zone(example_path("kalundborg")))
    for lead in RETAINED:
        store.record_decision(engine, key, lead, {"status": "retained"}, participant="Anne")
    engine.dispose()
    server = AppServer("kalundborg", folder, env={store.DATABASE_ENV: url})
    yield server
    server.stop()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_cards_and_legends_are_whole(page: object, decided_server: AppServer, lang: str) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    open_app(page, decided_server.url)
    if lang == "en":
        page.get_by_test_id("stSidebar").get_by_text("English").click()
        wait_idle(page)
    for path in ("atelier", "indicateurs"):
        page.locator(f'[data-testid="stSidebarNav"] a[href$="/{path}"]').first.click()
        wait_idle(page)
        cards = page.get_by_test_id("stMetric")
        assert cards.count() >= 5, path
        for part in ("stMetricLabel", "stMetricValue"):
            for locator in page.get_by_test_id(part).all():
                locator.scroll_into_view_if_needed()
                assert locator.evaluate(UNCUT), f"{path}: {locator.inner_text()}"
        save_screenshot(page, f"cut-{path}-{lang}")
    chart = page.locator(".stPlotlyChart").first
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    assert chart.evaluate(ANNOTATIONS_INSIDE)
