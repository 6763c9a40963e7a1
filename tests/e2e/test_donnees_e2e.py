"""End-to-end: uploading a zone on the Données page, a bad one then a French spreadsheet export."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

ZONES = Path(__file__).resolve().parents[1] / "data" / "zones"
BAD_COMPANIES = (
    "identifiant;nom;lat;lon\na;Alpha;48,85;2,35\na;Alpha bis;48,86;2,36\nb;Beta;148,86;2,37\n"
)
BAD_FLOWS = "entreprise;sens;ressource;quantité;unité\na;sortie;charbon;-5;MWh/an\n"


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
    alert = page.locator("[data-testid='stAlert']").first.inner_text()  # type: ignore[attr-defined]
    assert "4 problème(s) : rien n'a été chargé." in alert
    cells = page.evaluate(  # type: ignore[attr-defined]
        "() => Array.from(document.querySelectorAll('[data-testid=stDataFrame] td'))"
        ".map(e => e.textContent)"
    )
    assert any("identifiant en double (déjà ligne 2)" in cell for cell in cells), cells
    assert any("semblent inversées" in cell for cell in cells), cells
    assert any("strictement positif" in cell for cell in cells), cells
    screenshot("donnees-import-refuse")

    folder = ZONES / "francais-cp1252"
    files = sorted(folder.glob("*.csv"))
    _upload(
        page,
        [{"name": f.name, "mimeType": "text/csv", "buffer": f.read_bytes()} for f in files],
    )
    page.get_by_text("chargée").wait_for(timeout=30_000)  # type: ignore[attr-defined]
    idle()
    success = page.locator("[data-testid='stAlert']").first.inner_text()  # type: ignore[attr-defined]
    assert "entreprises" in success
    assert "rien n'a été chargé" not in page.inner_text("body")  # type: ignore[attr-defined]
    screenshot("donnees-import-accepte")
    assert outside() == []
