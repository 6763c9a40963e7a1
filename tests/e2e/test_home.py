"""End-to-end: the home page opens offline, in French, on the Kalundborg example."""

from __future__ import annotations

from playwright.sync_api import expect

WAIT_MS = 30_000  # the pages' default timeout (conftest): waits as long as inner_text() did


def test_home_offline_in_french(page, open_page, outside, screenshot):
    open_page("")
    # waited for, not sampled: Streamlit may still be drawing the page when the script is done
    expect(page.get_by_text("Entreprises").first).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("heading", name="kalundborg")).to_be_visible(timeout=WAIT_MS)
    # the file's counts beside this year's (the coal fly ash stopped in 2019), as the map counts
    running = "12 entreprises, dont 12 en activité cette année ; 42 flux, dont 41 en cours"
    expect(page.get_by_text(running)).to_be_visible(timeout=WAIT_MS)
    screenshot("home-kalundborg")
    assert outside() == []
