"""End-to-end: the Synergies page offline: the list, open one row, read its details."""

from __future__ import annotations


def test_open_a_synergy_from_the_list(page, open_page, idle, outside, screenshot):
    open_page("synergies")
    grid = page.get_by_test_id("stDataFrame").first
    grid.wait_for()
    page.get_by_text("29 lignes").wait_for()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # first row's selection box
    idle()
    page.get_by_text("Détail de la ligne choisie").wait_for(timeout=15_000)
    heading = page.get_by_role("heading", name="→")
    assert "Gyproc" in heading.inner_text()  # the best: refinery gas to Gyproc
    assert page.get_by_text("Combien").first.is_visible()
    assert page.get_by_text("Distance").first.is_visible()
    screenshot("synergies-kalundborg", full_page=True)
    assert outside() == []
