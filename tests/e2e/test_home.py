"""End-to-end: the home page opens offline, in French, on the Kalundborg example."""

from __future__ import annotations


def test_home_offline_in_french(page, open_page, outside, screenshot):
    open_page("")
    assert page.get_by_text("Entreprises").first.is_visible()
    assert page.get_by_role("heading", name="kalundborg").is_visible()
    screenshot("home-kalundborg")
    assert outside() == []
