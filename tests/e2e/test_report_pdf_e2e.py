"""End-to-end: the report for elected officials printed to PDF, its pages looked at as images.

The workshop retained one lead. The PDF is printed by `report.report_pdf` (the machine's
Chromium, once the page is drawn), turned into PNG pages by ``pdftoppm``
(``tests/artifacts/rapport-page-N.png``: look at them) and read by ``pdftotext``: a first page
read in one minute (the gain, the retained exchange, the next steps), the map filling a page of
its own with the dashboard's colours, no plotly toolbar on paper.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from browsing import ARTIFACTS
from PIL import Image, ImageOps
from playwright.sync_api import expect

from eit_geo import report, store, workshop
from eit_geo.datafiles import example_path
from eit_geo.loading import load_zone
from eit_geo.map_controls import family_colours
from eit_geo.matching import find_substitutions

RETAINED = "forsyning>refinery:process_water>process_water"
pytestmark = pytest.mark.skipif(
    shutil.which("pdftoppm") is None or report.find_chromium() is None,
    reason="needs pdftoppm (poppler-utils) and Chromium",
)


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    folder = tmp_path_factory.mktemp("rapport")
    zone = load_zone(example_path("kalundborg"))
    engine = store.open_store(f"sqlite:///{folder / 'decisions.sqlite'}")
    store.record_decision(
        engine, "z", RETAINED, {"status": "retained", "technical": "ok"}, participant="Anne"
    )
    board = workshop.build_board(
        find_substitutions(zone), store.get_decisions(engine, "z"), store.get_votes(engine, "z")
    )
    document = report.workshop_report(
        zone, board, store.history(engine, "z"), zone_label="Kalundborg (Danemark)"
    )
    engine.dispose()
    pdf = folder / "rapport.pdf"
    pdf.write_bytes(report.report_pdf(document))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("rapport-page-*.png"):
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-r", "80", "-png", str(pdf), str(ARTIFACTS / "rapport-page")], check=True
    )
    return document, pdf


def page_text(pdf: Path, number: int) -> str:
    command = ["pdftotext", "-layout", "-f", str(number), "-l", str(number), str(pdf), "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def page_image(number: int) -> Image.Image:
    found = sorted(ARTIFACTS.glob("rapport-page-*.png"))
    return Image.open(found[number - 1]).convert("L")


def test_first_page_read_in_one_minute(printed: tuple[str, Path]) -> None:
    _, pdf = printed
    first = " ".join(page_text(pdf, 1).split())
    assert "Synergies industrielles — Kalundborg (Danemark)" in first
    assert "L'essentiel" in first
    assert "≈ +1 M" in first  # the gain first, in large type, an estimate
    assert "Eau économisée" in first
    assert "Kalundborg Forsyning → Raffinerie de Kalundborg" in first  # the retained exchange
    assert "Prochaines étapes" in first
    assert "Carte des synergies" not in first  # the map has its own page


def test_map_fills_its_own_page(printed: tuple[str, Path]) -> None:
    _, pdf = printed
    second = " ".join(page_text(pdf, 2).split())
    assert "Carte des synergies" in second
    # the far partner named at the frame's edge (text with a halo: pdftotext reads it twice)
    assert "Aalborg Portland" in second
    assert "168" in second
    image = page_image(2)
    assert image.width > image.height  # a wide zone: the page is turned
    ink = ImageOps.invert(image).point(lambda v: 255 if v > 12 else 0).getbbox()
    assert ink is not None
    left, top, right, bottom = ink
    assert (right - left) * (bottom - top) >= 0.6 * image.width * image.height


def test_map_coloured_as_the_dashboard(printed: tuple[str, Path]) -> None:
    document, _ = printed
    svg = document[document.index('<svg xmlns="http://www.w3.org/2000/svg"') :]
    svg = svg[: svg.index("</svg>")]
    strokes = set(re.findall(r'<polyline[^>]* stroke="(#[0-9A-Fa-f]{6})"', svg))
    assert strokes
    assert strokes <= set(family_colours().values())  # by family, as the interactive map
    assert "#E69F00" not in strokes  # not by workshop status any more


def test_no_toolbar_on_paper(printed: tuple[str, Path], tmp_path: Path, browser: object) -> None:
    document, _ = printed
    path = tmp_path / "rapport.html"
    path.write_text(document, encoding="utf-8")
    context = browser.new_context()
    page = context.new_page()
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    page.goto(path.as_uri())
    page.wait_for_selector(".js-plotly-plot .main-svg")
    page.emulate_media(media="print")
    bars = page.locator(".modebar-container")
    expect(bars.first).to_be_attached()  # each chart's toolbar exists, then is read hidden
    assert all(not bar.is_visible() for bar in bars.all())
    context.close()
