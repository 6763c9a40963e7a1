"""End-to-end: the Synergies page offline: the list, open one row, read its details."""

from __future__ import annotations

from playwright.sync_api import expect

WAIT_MS = 30_000  # the pages' default timeout (conftest): waits as long as inner_text() did


def test_open_a_synergy_from_the_list(page, open_page, idle, outside, screenshot):
    open_page("synergies")
    grid = page.get_by_test_id("stDataFrame").first
    grid.wait_for()
    page.get_by_text("24 lignes").wait_for()  # 19 synergies running this year, 5 leads
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # first row's selection box
    idle()
    page.get_by_text("Détail de la ligne choisie").wait_for(timeout=15_000)
    # the detail may show before the rerun is over: wait for each part, do not sample at once
    heading = page.get_by_role("heading", name="→")
    expect(heading).to_contain_text("Gyproc", timeout=WAIT_MS)  # the best: refinery gas to Gyproc
    expect(page.get_by_text("Combien").first).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("Distance").first).to_be_visible(timeout=WAIT_MS)
    screenshot("synergies-kalundborg", full_page=True)
    assert outside() == []
