"""End-to-end: figures an elected official can read, in French and in English.

The rural park (fictional, with one lead retained in its workshop) and Kalundborg are opened in
headless Chromium; each page's text must hold no internal name (our files, keys, « None »,
« UTC »), no English number format in French, and the report (HTML and PDF) likewise.
Full-page screenshots land in ``tests/artifacts/figures-*.png``: look at them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browsing import ARTIFACTS
from playwright.sync_api import expect

from eit_geo import report, store, workshop
from eit_geo.datafiles import data_path, example_path
from eit_geo.loading import load_zone
from eit_geo.matching import find_substitutions

if TYPE_CHECKING:
    from collections.abc import Callable

WAIT_MS = 30_000
INTERNAL = re.compile(
    r"data/|shared/|README|\b[\w-]+\.(?:md|csv|toml)\b|\bUTC\b|\bNone\b|\bnan\b"
    r"|\d+MB per file|landfill_|_nonhazardous"  # Streamlit's own uploader line, a factor key
)
# « 0.80 », « 1,500.00 », « 1,200,000 » (« 1,111 » may be a French decimal)
ENGLISH_FIGURE = re.compile(r"\b\d+\.\d+\b|\b[1-9]\d{0,2}(?:,\d{3}){2,}(?![\d,])")
FRENCH_FIGURE = re.compile(r"\d,\d")
# how Streamlit's table sorts a text column on a header click (glide data grid, « default » mode)
SORT_AS_GLIDE = "(cells) => [...cells].sort((a, b) => a.localeCompare(b))"
PAGES = ("", "synergies", "indicateurs", "atelier", "presentation", "donnees")
# Every Plotly chart shown has drawn its SVG and every table shown its grid (app and report).
DRAWN = """() => {
    const shown = (selector) => [...document.querySelectorAll(selector)]
        .filter((element) => element.checkVisibility());
    return shown(".js-plotly-plot, [data-testid=stPlotlyChart]")
            .every((chart) => chart.querySelector(".main-svg") !== null)
        && shown("[data-testid=stDataFrame]").every((table) => table.querySelector("th") !== null);
}"""


@pytest.fixture(scope="module")
def rural_park(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the rural park whose workshop retained one lead (store beside the zone)."""
    folder = tmp_path_factory.mktemp("figures") / "parc-rural"
    shutil.copytree(example_path("parc-rural"), folder)
    zone = load_zone(folder)
    url = store.default_database_url(zone.source, shipped=data_path("examples"))
    engine = store.open_store(url)
    candidates = find_substitutions(zone)
    lead = str(candidates.loc[candidates["status"] == "candidate", "candidate_id"].iloc[0])
    store.record_decision(
        engine, store.zone_key(zone), lead, {"status": "retained"}, participant="Anne"
    )
    engine.dispose()
    return folder


@pytest.fixture
def rural_url(
    rural_park: Path, app_servers: Callable[[str], object], monkeypatch: pytest.MonkeyPatch
) -> str:
    monkeypatch.delenv(store.DATABASE_ENV, raising=False)
    return app_servers(str(rural_park)).url  # type: ignore[attr-defined]


# The Données page's upload box is drawn and reads the interface's word (its style sheet applies).
STYLED = """() => {
    const buttons = [...document.querySelectorAll("[data-testid='stFileUploaderDropzone'] button")];
    const styled = (b) => getComputedStyle(b, '::after').content !== 'none';
    return buttons.length > 0 && buttons.every(styled);
}"""


def open_in(page, base_url: str, path: str, lang: str, idle: Callable[[], None]) -> str:
    """Open a page in ``lang`` and return its main text once drawn."""
    page.goto(f"{base_url}/{path}", wait_until="domcontentloaded")
    idle()
    if lang == "en":
        page.get_by_test_id("stSidebar").get_by_text("English").click()
        idle()
    main = page.get_by_test_id("stMain")
    expect(main.locator("h1").first).to_be_visible(timeout=WAIT_MS)
    page.wait_for_function(DRAWN, timeout=WAIT_MS)  # charts and tables finish drawing
    if path == "donnees":
        page.wait_for_function(STYLED, timeout=WAIT_MS)
    return main.inner_text()


def assert_readable(text: str, lang: str) -> None:
    assert INTERNAL.findall(text) == []
    if lang == "fr":
        assert ENGLISH_FIGURE.findall(text) == []


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("path", PAGES)
def test_pages_read_well(page, rural_url, idle, screenshot, path, lang):  # noqa: PLR0917
    page.set_viewport_size({"width": 1600, "height": 1400})
    text = open_in(page, rural_url, path, lang, idle)
    assert_readable(text, lang)
    if path == "":
        caption = "sur 11" if lang == "fr" else "out of 11"
        assert caption not in text  # every company of the park gives its headcount
    if path == "indicateurs":
        added = page.get_by_text("seul le transport ajouté" if lang == "fr" else "only the added")
        expect(added.first).to_be_attached(timeout=WAIT_MS)  # was an expect() asserting nothing
    if path == "donnees":  # the upload button reads the interface's word, not « Upload »
        button = page.get_by_test_id("stFileUploaderDropzone").locator("button")
        word = button.evaluate("b => getComputedStyle(b, '::after').content")
        assert word == ('"Parcourir"' if lang == "fr" else '"Browse"')
        assert button.inner_text().strip() == ""
    screenshot(f"figures-{path or 'accueil'}-{lang}", full_page=True)


def test_home_partial_headcount_kalundborg(page, open_page, screenshot):
    open_page("")
    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text("3 entreprises sur 12", timeout=WAIT_MS)
    expect(main.get_by_role("heading", name="Kalundborg (Danemark)")).to_be_visible()
    assert_readable(main.inner_text(), "fr")
    screenshot("figures-accueil-kalundborg-fr", full_page=True)


def test_synergy_list_sorts_french_figures_on_a_header_click(page, open_page, screenshot):
    """A header click sorts a text column with the browser's collation (localeCompare):
    the distances and scores, written « 2,6 » and padded, must come out in numeric order."""
    page.set_viewport_size({"width": 1600, "height": 1200})
    open_page("synergies")
    grid = page.get_by_test_id("stDataFrame").first
    expect(grid).to_be_visible(timeout=WAIT_MS)
    header = grid.locator("[role='columnheader']").filter(has_text="Distance (km)")
    expect(header).to_be_attached(timeout=WAIT_MS)
    headers = grid.locator("[role='columnheader']").all_text_contents()
    rows = grid.locator("[role='row']")
    expect(rows.nth(5)).to_be_attached(timeout=WAIT_MS)
    for name in ("Distance (km)", "Score (0 à 1)", "Quantité"):
        column = headers.index(name) + 1
        cells = grid.locator(f"[role='gridcell'][aria-colindex='{column}']").all_text_contents()
        assert cells, name
        assert all("." not in cell for cell in cells)
        by_browser = page.evaluate(
            "(cells) => [...cells].sort((a, b) => a.localeCompare(b))", cells
        )
        values = [
            float(cell.strip().replace("\u202f", "").replace(",", ".")) for cell in by_browser
        ]
        assert values == sorted(values), (name, by_browser)
    screenshot("figures-synergies-kalundborg-fr", full_page=True)


@pytest.mark.parametrize("zone", ["dunkerque", "kalundborg"])
def test_indicators_computed_next_to_published(page, app_servers, idle, screenshot, zone):
    page.set_viewport_size({"width": 1600, "height": 2400})
    text = open_in(page, app_servers(zone).url, "indicateurs", "fr", idle)
    assert "Pourquoi l'écart" in text
    table = page.get_by_test_id("stDataFrame").first
    expect(table).to_be_visible(timeout=WAIT_MS)
    header = table.locator("[role='columnheader']")
    expect(header.first).to_be_attached(timeout=WAIT_MS)  # the grid draws after the frame
    expect(table.locator("[role='gridcell']").first).to_be_attached(timeout=WAIT_MS)
    headers = header.all_text_contents()
    assert headers[:3] == ["Indicateur", "Calculé", "Publié"]
    cells = table.locator("[role='gridcell']").all_text_contents()
    assert_readable("\n".join(cells), "fr")
    assert_readable(text, "fr")
    screenshot(f"figures-indicateurs-{zone}-fr", full_page=True)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_report_html_and_pdf(browser, rural_park, lang):
    zone = load_zone(rural_park)
    url = store.default_database_url(zone.source, shipped=data_path("examples"))
    engine = store.open_store(url)
    key = store.zone_key(zone)
    board = workshop.build_board(
        find_substitutions(zone), store.get_decisions(engine, key), store.get_votes(engine, key)
    )
    document = report.workshop_report(
        zone, board, store.history(engine, key), lang=lang, zone_label="Parc rural"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    html_path = ARTIFACTS / f"figures-report-{lang}.html"
    html_path.write_text(document, encoding="utf-8")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        view = context.new_page()
        view.goto(html_path.as_uri())
        view.wait_for_function(DRAWN, timeout=WAIT_MS)
        text = view.locator("main").inner_text()
        view.screenshot(path=str(ARTIFACTS / f"figures-report-{lang}.png"), full_page=True)
    finally:
        context.close()
    assert_readable(text, lang)
    if lang == "fr":
        assert FRENCH_FIGURE.search(text)
    if shutil.which("pdftoppm") is None or report.find_chromium() is None:
        pytest.skip("pdftoppm or Chromium missing: the PDF is not drawn")
    pdf = ARTIFACTS / f"figures-report-{lang}.pdf"
    pdf.write_bytes(report.report_pdf(document))
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", str(pdf), str(ARTIFACTS / f"figures-report-{lang}-pdf")],
        check=True,
    )
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        printed = subprocess.run(
            [pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert_readable(printed, lang)
