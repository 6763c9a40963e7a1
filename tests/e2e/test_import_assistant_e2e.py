"""End-to-end: the import assistant of the Données page, walked through as a facilitator does.

The files are written the way users produce them: the chamber-of-commerce inventory exported by
French Excel (cp1252, ``;``, decimal commas, Lambert-93 X/Y with no CRS declared, two companies
not surveyed) and INSEE's geolocated SIRENE table for those two. The walk: drop the inventory →
the page says what it is → drop the positions → pick a code in the « à coder » table (a cell
edited in Chromium: AppTest cannot) → type a title → load. Screenshots at 1400×900 in French
and in English land in ``tests/artifacts/``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from browsing import open_tab, scroll_still
from importing_files import CCI_HEADERS, GREENHOUSE, SEWAGE, cci_rows, write_sirene_positions
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

WAIT_MS = 90_000  # imports in a worker on a loaded machine
VIEWPORT = {"width": 1400, "height": 900}
PENDING = "produits hors spécifications"  # the one text the import leaves « à coder »
HEADER_PX, ROW_PX = 35, 35  # Streamlit's table: header and row heights


def write_inventory(path: Path) -> Path:
    """The CCI inventory as French Excel saves it, the sewage plant and greenhouses not surveyed."""
    lines = [";".join(CCI_HEADERS)]
    for row in cci_rows():
        if row[1] in (SEWAGE.name, GREENHOUSE.name):
            row[5] = row[6] = ""
        lines.append(";".join(row))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


def _drop(page: object, uploader: object, path: Path, mime: str) -> None:
    del page
    field = uploader.locator("input[type='file']")  # type: ignore[attr-defined]
    field.set_input_files([{"name": path.name, "mimeType": mime, "buffer": path.read_bytes()}])


SELECTED = """() => Array.from(document.querySelectorAll('[data-testid=stSelectbox]')).map(
    box => box.innerText + ' ' + Array.from(box.querySelectorAll('input'))
        .map(field => field.value + ' ' + field.placeholder).join(' '))"""
"""What each selectbox shows (its text, or its search field's value or placeholder)."""

STEPS = {
    "fr": ("1. Ce qui a été reconnu", "3. Les ressources « à coder »", "4. Unités et positions",
           "5. Charger la zone"),
    "en": ("1. What was recognised", "3. Resources “to code”", "4. Units and positions",
           "5. Load the zone"),
}  # fmt: skip


def _shoot_steps(page: object, screenshot: Callable[..., Path], lang: str) -> None:
    """Screenshot the page from the top, then with each step's heading at the top."""
    page.get_by_text(STEPS[lang][0]).evaluate(
        "e => e.closest('[data-testid=stMain]').scrollTo(0, 0)"
    )  # type: ignore[attr-defined]
    scroll_still(page)
    screenshot(f"donnees-assistant-{lang}-0")
    for number, heading in enumerate(STEPS[lang], start=1):
        page.get_by_text(heading).evaluate("e => e.scrollIntoView({block: 'start'})")  # type: ignore[attr-defined]
        scroll_still(page)
        screenshot(f"donnees-assistant-{lang}-{number}")


CELLS = (
    "(grid) => Array.from(document.querySelectorAll(grid + ' td'))"
    ".map(e => e.textContent).join('\\n')"
)


def _cells(page: object, grid: str, *expected: str) -> str:
    """Return the text of the cells of the tables matching ``grid`` (their accessible copy).

    With ``expected``, first wait until each is in them (a table drawn once its tab shows); the
    test asserts on what is returned, which may still lack them.
    """
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(  # type: ignore[attr-defined]
            f"([grid, texts]) => {{ const cells = ({CELLS})(grid); "
            "return texts.every((text) => cells.includes(text)); }",
            arg=[grid, list(expected)],
            timeout=WAIT_MS,
        )
    return page.evaluate(CELLS, grid)  # type: ignore[attr-defined]


def _pick_code(page: object, row: int, search: str, code: str) -> None:
    """Edit the « code chosen » cell (4th column) of ``row`` in the « à coder » table.

    The cell's editor (a searchable list in the page's overlay) is waited for, then ``search``
    typed in it, then the list waited for until ``code`` is its first option, which is picked.
    """
    grid = page.get_by_test_id("stDataFrame").first  # type: ignore[attr-defined]
    grid.scroll_into_view_if_needed()
    grid.click(position={"x": 30, "y": HEADER_PX + ROW_PX * row + ROW_PX / 2})
    for _ in range(3):
        page.keyboard.press("ArrowRight")  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    overlay = page.get_by_test_id("portal")  # type: ignore[attr-defined]
    editor = overlay.get_by_role("combobox")
    expect(editor).to_be_focused(timeout=WAIT_MS)
    editor.press_sequentially(search)
    expect(overlay.get_by_role("option").first).to_have_text(code, timeout=WAIT_MS)
    page.keyboard.press("Enter")  # type: ignore[attr-defined]


def test_an_inventory_is_imported_step_by_step(
    page: object,
    open_page: Callable[[str], None],
    idle: Callable[[], None],
    screenshot: Callable[..., Path],
    tmp_path: Path,
) -> None:
    page.set_viewport_size(VIEWPORT)  # type: ignore[attr-defined]
    open_page("donnees")
    inventory = write_inventory(tmp_path / "inventaire-cci.csv")
    uploaders = page.get_by_test_id("stFileUploader")  # type: ignore[attr-defined]
    _drop(page, uploaders.first, inventory, "text/csv")
    page.get_by_text("5. Charger la zone").wait_for(timeout=WAIT_MS)  # type: ignore[attr-defined]
    idle()
    said = "Ces fichiers sont un inventaire à importer (une ligne par flux, l'entreprise répétée)"
    expect(page.get_by_text(said)).to_be_visible()  # type: ignore[attr-defined]
    expect(page.get_by_text("RGF93 v1 / Lambert-93 (EPSG:2154) a été reconnu")).to_be_visible()  # type: ignore[attr-defined]

    positions = write_sirene_positions(tmp_path / "geo-siret.csv", (SEWAGE, GREENHOUSE))
    _drop(page, uploaders.filter(has_text="Positions par SIRET"), positions, "text/csv")
    placed = "Tableau des positions : 2 entreprise(s) placée(s) par leur SIRET"
    page.get_by_text(placed, exact=False).wait_for(timeout=WAIT_MS)  # type: ignore[attr-defined]
    idle()

    assert PENDING in _cells(page, "[data-testid='stDataFrame']:first-of-type")
    chosen = "16 01 03 — Pneus hors d'usage"
    _pick_code(page, 0, "pneus hors", chosen)
    idle()
    cells = _cells(page, "[data-testid='stDataFrame']:first-of-type")
    assert chosen in cells, cells
    _shoot_steps(page, screenshot, "fr")
    title = page.get_by_role("textbox", name="Titre de la zone").first  # type: ignore[attr-defined]
    title.fill("Zone portuaire de Dunkerque")
    title.press("Enter")
    idle()
    page.get_by_role("button", name="Charger cette zone").click()  # type: ignore[attr-defined]
    loaded = "Zone « Zone portuaire de Dunkerque » chargée : 5 entreprises, 12 flux."
    expect(page.get_by_text(loaded)).to_be_visible(timeout=WAIT_MS)  # type: ignore[attr-defined]
    idle()
    open_tab(page, "Flux")
    flows = _cells(page, "[data-testid='stTabs'] [data-testid='stDataFrame']", PENDING, chosen)
    assert PENDING in flows, flows
    assert chosen in flows, flows  # the code picked in the editor reached the zone loaded

    page.get_by_test_id("stSidebar").get_by_text("English").click()  # type: ignore[attr-defined]
    page.get_by_text("5. Load the zone").wait_for(timeout=WAIT_MS)  # type: ignore[attr-defined]
    idle()
    _shoot_steps(page, screenshot, "en")
    # every choice is shown in English, and kept: the inventory still read by the assistant
    boxes = page.evaluate(SELECTED)  # type: ignore[attr-defined]
    assert any("recognised: one row per flow, the company repeated" in box for box in boxes), boxes
    assert not any("reconnu" in box for box in boxes), boxes
    assistant = page.get_by_role("radio", name="an inventory, with the import assistant")  # type: ignore[attr-defined]
    expect(assistant).to_be_checked()
