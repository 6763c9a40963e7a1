"""End-to-end: the import assistant of the Données page on a chamber-of-commerce inventory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from importing_files import write_cci_csv
from playwright.sync_api import expect

WAIT_MS = 60_000  # two imports in a worker on a loaded machine


def test_an_inventory_is_imported_step_by_step(
    page: object,
    open_page: Callable[[str], None],
    idle: Callable[[], None],
    screenshot: Callable[..., Path],
    tmp_path: Path,
) -> None:
    open_page("donnees")
    page.get_by_text("Importer un inventaire").click()  # type: ignore[attr-defined]
    cci = write_cci_csv(tmp_path / "inventaire-cci.csv")
    field = page.locator("[data-testid='stFileUploaderDropzoneInput']").first  # type: ignore[attr-defined]
    field.set_input_files([{"name": cci.name, "mimeType": "text/csv", "buffer": cci.read_bytes()}])
    page.get_by_text("1. Ce qui a été reconnu").wait_for(timeout=WAIT_MS)  # type: ignore[attr-defined]
    page.get_by_text("5. Charger la zone").wait_for(timeout=WAIT_MS)  # type: ignore[attr-defined]
    idle()
    expect(page.get_by_text("L'import donne 5 entreprises et 12 flux.")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.get_by_text("3. Les ressources « à coder »")).to_be_visible()  # type: ignore[attr-defined]
    screenshot("donnees-assistant-import")
    page.get_by_text("4. Unités et positions").scroll_into_view_if_needed()  # type: ignore[attr-defined]
    idle()
    screenshot("donnees-assistant-a-coder")
    page.get_by_role("button", name="Charger cette zone").click()  # type: ignore[attr-defined]
    loaded = page.get_by_text("Zone « Inventaire cci » chargée : 5 entreprises, 12 flux.")  # type: ignore[attr-defined]
    expect(loaded).to_be_visible(timeout=WAIT_MS)
