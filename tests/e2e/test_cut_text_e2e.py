"""End-to-end: nothing a facilitator shows is cut, at 1400×900 with the sidebar open, in French
and in English: the metric cards (labels and figures) of the Présentation, Atelier and
Indicateurs pages, the legend of the comparison chart. Screenshots: ``tests/artifacts/cut-*.png``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from browsing import open_app, save_screenshot, wait_idle
from playwright.sync_api import expect

# the Présentation tests' app, two leads retained (a fixture of this module's own)
from test_presentation_e2e import UNCUT, workshop_server  # noqa: F401

if TYPE_CHECKING:
    from servers import AppServer

# the chart's annotations (its legend line) inside the figure's own width
ANNOTATIONS_INSIDE = """e => { const svg = e.querySelector('svg.main-svg');
    const right = svg.getBoundingClientRect().right;
    return Array.from(e.querySelectorAll('.annotation')).every(
        a => a.getBoundingClientRect().right <= right + 1); }"""


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_cards_and_legends_are_whole(
    page: object,
    workshop_server: AppServer,  # noqa: F811
    lang: str,
) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    open_app(page, workshop_server.url)
    if lang == "en":
        page.get_by_test_id("stSidebar").get_by_text("English").click()
        wait_idle(page)
    for path in ("presentation", "atelier", "indicateurs"):
        page.locator(f'[data-testid="stSidebarNav"] a[href$="/{path}"]').first.click()
        wait_idle(page)
        cards = page.get_by_test_id("stMetric")
        expect(cards.nth(4), path).to_be_attached()  # at least five, drawn before read
        for part in ("stMetricLabel", "stMetricValue"):
            for locator in page.get_by_test_id(part).all():
                locator.scroll_into_view_if_needed()
                assert locator.evaluate(UNCUT), f"{path}: {locator.inner_text()}"
        save_screenshot(page, f"cut-{path}-{lang}")
    chart = page.locator(".stPlotlyChart").first
    chart.scroll_into_view_if_needed()
    chart.locator("svg.main-svg").first.wait_for()
    assert chart.evaluate(ANNOTATIONS_INSIDE)
