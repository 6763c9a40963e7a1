"""End-to-end: uploading a zone on the Données page, a bad one then a French spreadsheet export."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

ZONES = Path(__file__).resolve().parents[1] / "data" / "zones"
BAD_COMPANIES = (
    "identifiant;nom;lat;lon\na;Alpha;48,85;2,35\na;Alpha bis;48,86;2,36\nb;Beta;148,86;2,37\n"
)
BAD_FLOWS = "entreprise;sens;ressource;quantité;unité\na;sortie;charbon;-5;MWh/an\n"
WAIT_MS = 30_000  # the pages' default timeout (conftest): waits as long as inner_text() did


CELLS_CONTAIN = """(texts) => {
    const cells = Array.from(document.querySelectorAll('[data-testid=stDataFrame] td'))
        .map(e => e.textContent);
    return texts.every(text => cells.some(cell => cell.includes(text)));
}"""


def _cells(page: object, *expected: str) -> list[str]:
    """Return the text of the tables' cells once some cell holds each expected text.

    The table is drawn after the alert: wait for it (up to 30 s) rather than read it at once;
    if it never comes, return what is there so that the test's assertions say what is missing.
    """
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(CELLS_CONTAIN, arg=list(expected), timeout=WAIT_MS)  # type: ignore[attr-defined]
    return page.evaluate(  # type: ignore[attr-defined]
        "() => Array.from(document.querySelectorAll('[data-testid=stDataFrame] td'))"
        ".map(e => e.textContent)"
    )


def _upload(page: object, files: list[dict[str, object]]) -> None:
    field = page.locator("[data-testid='stFileUploaderDropzoneInput']")  # type: ignore[attr-defined]
    field.set_input_files(files)


def test_bad_upload_lists_every_problem_then_a_good_one_loads(
    page: object,
    open_page: Callable[[str], None],
    idle: Callable[[], None],
    outside: Callable[[], list[str]],
    screenshot: Callable[..., Path],
) -> None:
    open_page("donnees")
    _upload(
        page,
        [
            {"name": "entreprises.csv", "mimeType": "text/csv", "buffer": BAD_COMPANIES.encode()},
            {"name": "flux.csv", "mimeType": "text/csv", "buffer": BAD_FLOWS.encode("cp1252")},
        ],
    )
    page.get_by_text("rien n'a été chargé").wait_for(timeout=30_000)  # type: ignore[attr-defined]
    idle()
    kind = "Ces fichiers ont la forme d'une zone au format eit-geo"  # recognised by themselves
    expect(page.get_by_text(kind)).to_be_visible()  # type: ignore[attr-defined]
    alerts = page.locator("[data-testid='stAlert']")  # type: ignore[attr-defined]
    alert = alerts.filter(has_text="rien n'a été chargé").first
    expect(alert).to_contain_text("4 problème(s) : rien n'a été chargé.", timeout=WAIT_MS)
    expect(page.get_by_text("choisissez ci-dessus « un inventaire")).to_be_visible()  # type: ignore[attr-defined]
    double, swapped, positive = (
        "identifiant en double (déjà ligne 2)",
        "semblent inversées",
        "strictement positif",
    )
    cells = _cells(page, double, swapped, positive)
    assert any(double in cell for cell in cells), cells
    assert any(swapped in cell for cell in cells), cells
    assert any(positive in cell for cell in cells), cells
    screenshot("donnees-import-refuse")

    folder = ZONES / "francais-cp1252"
    files = sorted(folder.glob("*.csv"))
    _upload(
        page,
        [{"name": f.name, "mimeType": "text/csv", "buffer": f.read_bytes()} for f in files],
    )
    page.get_by_text("chargée").wait_for(timeout=30_000)  # type: ignore[attr-defined]
    idle()
    success = alerts.filter(has_text="chargée :").first
    expect(success).to_contain_text("entreprises", timeout=WAIT_MS)
    # the refusal of the first upload goes away with the rerun: wait for it to go
    body = page.locator("body")  # type: ignore[attr-defined]
    expect(body).not_to_contain_text("rien n'a été chargé", use_inner_text=True, timeout=WAIT_MS)
    screenshot("donnees-import-accepte")
    assert outside() == []
