"""End-to-end: the home page opens offline, in French, on the Kalundborg example."""

from __future__ import annotations

from playwright.sync_api import expect


def test_home_offline_in_french(page, open_page, outside, screenshot):
    open_page("")
    # waited for, not sampled: Streamlit may still be drawing the page when the script is done
    expect(page.get_by_text("Entreprises").first).to_be_visible(timeout=15_000)
    expect(page.get_by_role("heading", name="kalundborg")).to_be_visible(timeout=15_000)
    screenshot("home-kalundborg")
    assert outside() == []
