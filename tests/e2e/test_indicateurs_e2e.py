"""End-to-end: the Indicateurs page in headless Chromium without internet, on Kalundborg.

It checks what a facilitator shows elected officials: the headline figures marked as estimates,
the missing factors said, the computed figures next to the published ones, the charts (drawn
by plotly, downloadable as PNG), and a factor edit that changes the figures.
"""

from __future__ import annotations

import re

import pytest
from browsing import open_tab
from playwright.sync_api import expect

PLOT = "[data-testid='stPlotlyChart'] .js-plotly-plot"
WAIT_MS = 30_000  # the pages' default timeout (conftest): waits as long as inner_text() did


def metric_value(page, label):
    """The value of a metric card, as a locator: assert on it with ``expect`` (it waits)."""
    metric = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return metric.locator("[data-testid='stMetricValue']")


def test_indicators_page_kalundborg(page, open_page, idle, outside, screenshot):
    open_page("indicateurs")
    page.get_by_role("heading", name="Indicateurs").wait_for()
    starts = {"use_inner_text": True, "timeout": WAIT_MS}
    expect(metric_value(page, "CO₂ évité (net)")).to_have_text(re.compile(r"^≈ 145"), **starts)
    expect(metric_value(page, "Eau économisée")).to_have_text(re.compile(r"^≈ 1"), **starts)
    warning = page.locator("[data-testid='stAlert']").filter(has_text="Facteurs manquants")
    expect(warning).to_contain_text("Mise en décharge de déchets industriels", timeout=WAIT_MS)
    expect(warning).not_to_contain_text("landfill_nonhazardous_industrial")
    published = page.locator("[data-testid='stDataFrame']").first
    published.wait_for()
    page.wait_for_selector(PLOT)
    # plotly.js adds its SVG a moment after the chart's div: wait for it, do not count at once
    drawn = page.locator(PLOT).first.locator(".main-svg").first
    expect(drawn).to_be_attached(timeout=WAIT_MS)  # drawn by plotly.js
    page.set_viewport_size({"width": 1600, "height": 2600})  # the whole page in one picture
    idle()
    screenshot("indicateurs-kalundborg")
    assert outside() == []


def test_chart_downloads_as_png(page, open_page):
    open_page("indicateurs")
    chart = page.locator(PLOT).first
    chart.wait_for()
    chart.hover()
    button = chart.locator("[data-title='Download plot as a PNG']")
    with page.expect_download() as download:
        button.click()
    assert download.value.suggested_filename == "kalundborg-co2_avoided_t-absolute.png"


def test_tabs_show_every_chart(page, open_page, screenshot):
    page.set_viewport_size({"width": 1600, "height": 2000})
    open_page("indicateurs")
    for tab in ("Par famille", "Qui donne à qui", "Croissance du réseau"):
        open_tab(page, tab)
        # plotly draws a chart of a hidden tab once the tab shows: wait for it, do not sample
        visible = page.locator(PLOT).filter(visible=True).first
        expect(visible, tab).to_be_visible(timeout=15_000)
        screenshot(f"indicateurs-{tab.split()[-1].lower()}")


@pytest.mark.parametrize("app_url", ["parc-rural"], indirect=True)
def test_optimal_scenario_rural_park(page, open_page, idle, screenshot):
    page.set_viewport_size({"width": 1600, "height": 2000})
    open_page("indicateurs")
    page.get_by_text("Existantes + allocation optimale des pistes").click()
    idle()
    delta = page.locator("[data-testid='stMetric']").filter(has_text="Tonnes détournées")
    # the delta shows once the rerun of the new scenario is drawn: wait for it
    expect(delta.locator("[data-testid='stMetricDelta']")).to_contain_text("+", timeout=WAIT_MS)
    screenshot("indicateurs-parc-rural-optimal")
