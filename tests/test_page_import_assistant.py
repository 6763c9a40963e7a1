"""AppTest of the Données page's import assistant on a chamber-of-commerce inventory.

The inventory is the CCI table of ``importing_files`` (cp1252, ``;``, French headers, Lambert-93
X/Y, free-text resources). The files dropped are given as the upload box would return them;
the « à coder » editor's changes as the editor hands them to the page (``edited_rows``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from importing_files import write_cci_csv
from streamlit.testing.v1 import AppTest

from eit_geo.codes import resource_label
from eit_geo.datafiles import example_path
from eit_geo.ui import donnees, import_assistant, zones

if TYPE_CHECKING:
    import pytest

REPO = Path(__file__).resolve().parents[1]
DONNEES = str(REPO / "pages" / "donnees.py")
PENDING = "produits hors spécifications"  # the one resource the import leaves « à coder »


def open_assistant(
    monkeypatch: pytest.MonkeyPatch, files: list[tuple[str, bytes]], **state: object
) -> AppTest:
    monkeypatch.setattr(donnees, "upload_box", lambda: files)
    app = AppTest.from_file(DONNEES, default_timeout=240)
    app.session_state["lang"] = "fr"
    app.session_state["zone_source"] = str(example_path("kalundborg"))
    app.session_state[donnees.KEY_IMPORT_MODE] = "import"
    for key, value in state.items():
        app.session_state[key] = value
    app.run()
    assert not app.exception, app.exception
    return app


def texts(app: AppTest) -> list[str]:
    shown = [
        e.value
        for kind in ("markdown", "info", "success", "error", "warning")
        for e in app.get(kind)
    ]
    return [str(value) for value in shown]


def in_use(app: AppTest) -> str:
    """Name of the zone the session uses (the imported one, else the example's folder)."""
    if zones.KEY_IMPORTED not in app.session_state:
        return Path(app.session_state["zone_source"]).name
    imported = app.session_state[zones.KEY_IMPORTED]
    return "import" if imported is not None else Path(app.session_state["zone_source"]).name


def test_a_coded_resource_reaches_the_zone_only_after_the_load_button(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cci = write_cci_csv(tmp_path / "inventaire-cci.csv")
    label = resource_label("16 01 03", "fr")  # end-of-life tyres: what the user picks
    edits = {0: {"Code choisi": label}}
    app = open_assistant(
        monkeypatch, [(cci.name, cci.read_bytes())], **{import_assistant.KEY_EDITS: edits}
    )
    subheaders = [s.value for s in app.subheader]
    assert "1. Ce qui a été reconnu" in subheaders
    assert "3. Les ressources « à coder »" in subheaders
    shown = texts(app)
    assert any("une ligne par flux" in text and "12 lignes" in text for text in shown), shown
    assert any("5 entreprises et 12 flux" in text for text in shown), shown
    column = {box.label: box.value for box in app.selectbox}
    assert column["X"] == "x"
    assert column["Ressource"] == "resource"
    report = "\n".join(str(text.value) for text in app.text)
    assert "EPSG:2154" in report  # the positions' note: Lambert-93 recognised from the values
    assert "waste_heat" not in report  # codes named by their labels
    assert in_use(app) == "kalundborg"  # nothing replaced before the load button

    assert app.text_input(key=import_assistant.KEY_TITLE).value == "Inventaire cci"
    app.text_input(key=import_assistant.KEY_TITLE).input("Zone portuaire de Dunkerque")
    app.button(key=import_assistant.KEY_LOAD).click().run()
    assert not app.exception, app.exception
    assert in_use(app) == "import"
    zone = app.session_state[zones.KEY_IMPORTED]
    flows = zone.flows
    coded = flows[flows.astype(str).eq(PENDING).any(axis=1)]
    assert list(coded["resource"]) == ["16 01 03"], flows.head(12).to_string()
    loaded = "Zone « Zone portuaire de Dunkerque » chargée : 5 entreprises, 12 flux"
    assert any(loaded in text for text in texts(app)), texts(app)


def test_a_failed_import_keeps_the_zone_in_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    useless = "Numéro;Remarque\r\n1;rien à signaler\r\n".encode("cp1252")
    app = open_assistant(monkeypatch, [("notes.csv", useless)])
    app.button(key=import_assistant.KEY_LOAD).click().run()
    assert not app.exception, app.exception
    assert in_use(app) == "kalundborg"
    assert any("la zone en cours est gardée" in e.value for e in app.error)


def test_codes_from_edits_reads_the_editors_rows() -> None:
    rows = pd.DataFrame({"texte": ["sciure", "palettes"], "Code choisi": [None, None]})
    label = resource_label("waste_heat", "fr")
    edited = {"1": {"Code choisi": label}, 0: {"Code choisi": None}}
    assert import_assistant.codes_from_edits(rows, edited, "fr") == {
        "palettes": "waste_heat",
        "sciure": "",
    }


def test_the_report_names_codes_by_their_labels() -> None:
    line = "  - « chaleur fatale 40°C » → waste_heat (confiance 1.00, 2 flux)"
    shown = import_assistant.readable_report(line, "fr")
    assert "waste_heat" not in shown
    assert f"→ {resource_label('waste_heat', 'fr')} (confiance" in shown
    slag = import_assistant.readable_report("« laitier » → 10 02 02 (confiance 1.00)", "fr")
    assert slag == f"« laitier » → {resource_label('10 02 02', 'fr')} (confiance 1.00)"
