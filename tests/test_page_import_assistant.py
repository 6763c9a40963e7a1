"""AppTest of the Données page's import assistant on a chamber-of-commerce inventory.

The inventory is the CCI table of ``importing_files`` (cp1252, ``;``, French headers, Lambert-93
X/Y, free-text resources). The files dropped are given as the upload box would return them; the
codes chosen in the « à coder » editor as its callback keeps them (AppTest cannot edit a cell:
the end-to-end test does, in Chromium).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from importing_files import (
    CCI_HEADERS,
    GREENHOUSE,
    SEWAGE,
    SITES,
    cci_rows,
    write_campaign,
    write_cci_csv,
    write_export,
    write_sirene_positions,
)
from pyproj import Transformer
from streamlit.testing.v1 import AppTest

from eit_geo.bounded import Limits
from eit_geo.codes import resource_label
from eit_geo.datafiles import example_path
from eit_geo.import_assist import assist_import, crs_choices
from eit_geo.import_mapping import Mapping
from eit_geo.ui import donnees, import_assistant, zones

REPO = Path(__file__).resolve().parents[1]
DONNEES = str(REPO / "pages" / "donnees.py")
PENDING = "produits hors spécifications"  # the one resource the import leaves « à coder »


def open_assistant(
    monkeypatch: pytest.MonkeyPatch,
    files: list[tuple[str, bytes]],
    positions: tuple[str, bytes] | None = None,
    **state: object,
) -> AppTest:
    monkeypatch.setattr(donnees, "upload_box", lambda: files)
    monkeypatch.setattr(import_assistant, "positions_upload", lambda: positions)
    app = AppTest.from_file(DONNEES, default_timeout=240)
    app.session_state["lang"] = "fr"
    app.session_state["zone_source"] = str(example_path("kalundborg"))
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


@pytest.mark.process
def test_a_coded_resource_reaches_the_zone_only_after_the_load_button(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cci = write_cci_csv(tmp_path / "inventaire-cci.csv")
    codes = {PENDING: "16 01 03"}  # end-of-life tyres: what the user picked in the editor
    app = open_assistant(
        monkeypatch, [(cci.name, cci.read_bytes())], **{import_assistant.KEY_CODES: codes}
    )
    subheaders = [s.value for s in app.subheader]
    assert "1. Ce qui a été reconnu" in subheaders
    assert "3. Les ressources « à coder »" in subheaders
    shown = texts(app)
    kind = "Ces fichiers sont un inventaire à importer (une ligne par flux, l'entreprise répétée)"
    assert any(kind in text for text in shown), shown
    assert any("une ligne par flux" in text and "12 lignes" in text for text in shown), shown
    assert any("5 entreprises et 12 flux" in text for text in shown), shown
    column = {box.label: box.value for box in app.selectbox}
    assert column["X"] == "x"
    assert column["Ressource"] == "resource"
    report = "\n".join(str(text.value) for text in app.text)
    assert "EPSG:2154" in report  # the positions' note: Lambert-93 recognised from the values
    guessed = "en mètres sans système déclaré : France · RGF93 v1 / Lambert-93 (EPSG:2154)"
    assert any(guessed in w.value for w in app.warning), [w.value for w in app.warning]
    assert "waste_heat" not in report  # codes named by their labels
    assert "1 codée(s) par l'utilisateur, 0 à coder" in report  # the tyres picked above
    assert re.search(r"\(confiance \d,\d\d, ", report), report  # a French decimal comma
    assert not re.search(r"\d\.\d\d\b", report), report
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


@pytest.mark.process
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
    line = "  - « chaleur fatale 40°C » → waste_heat (confiance 1,00, 2 flux)"
    shown = import_assistant.readable_report(line, "fr")
    assert "waste_heat" not in shown
    assert f"→ {resource_label('waste_heat', 'fr')} (confiance" in shown
    slag = import_assistant.readable_report("« laitier » → 10 02 02 (confiance 1,00)", "fr")
    assert slag == f"« laitier » → {resource_label('10 02 02', 'fr')} (confiance 1,00)"


def test_the_editors_callback_keeps_the_code_chosen_by_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = pd.DataFrame({"texte": ["sciure", PENDING], "Code choisi": [None, None]})
    label = resource_label("16 01 03", "fr")
    state: dict[str, object] = {
        "editor": {"edited_rows": {1: {"Code choisi": label}}},
        import_assistant.KEY_CODES: {"sciure": "03 01 05"},
    }
    monkeypatch.setattr(import_assistant.st, "session_state", state)
    import_assistant.keep_codes("editor", rows, "fr")
    assert state[import_assistant.KEY_CODES] == {"sciure": "03 01 05", PENDING: "16 01 03"}


@pytest.mark.process
def test_files_of_the_format_are_said_so_and_loaded_as_they_are(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = example_path("parc-rural")
    files = [(p.name, p.read_bytes()) for p in sorted(folder.iterdir()) if p.suffix == ".csv"]
    files.append(files[0])  # one dropped again after a fix: still one zone, not a campaign
    app = open_assistant(monkeypatch, files)
    said = "Ces fichiers ont la forme d'une zone au format eit-geo : ils sont chargés tels quels"
    assert any(said in text for text in texts(app)), texts(app)
    assert "1. Ce qui a été reconnu" not in [s.value for s in app.subheader]
    assert app.session_state[zones.KEY_UPLOAD] == tuple(files)  # the zone path, as before
    assert not app.error


@pytest.mark.process
def test_a_template_campaign_is_said_in_words_and_merged(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = write_campaign(tmp_path / "campagne")
    files = [(p.name, p.read_bytes()) for p in sorted(folder.rglob("*.xlsx"))]
    app = open_assistant(monkeypatch, files)
    said = "Ces fichiers sont 5 classeurs du modèle de collecte remplis (une campagne)"
    assert any(said in text for text in texts(app)), texts(app)
    assert any("5 entreprises et 8 flux" in text for text in texts(app)), texts(app)
    lines = [
        text.replace("\\", "") for text in texts(app) if ":entreprises » : entreprises" in text
    ]
    assert len(lines) == 5, lines  # two « modele-collecte-flux (1).xlsx »: both kept
    assert sum("modele-collecte-flux (1).xlsx (2):entreprises »" in line for line in lines) == 1


@pytest.mark.process
def test_rows_above_the_header_and_totals_are_said_left_out(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    export = write_export(tmp_path / "export-flux.xlsx")
    app = open_assistant(monkeypatch, [(export.name, export.read_bytes())])
    shown = [text.replace("\\", "") for text in texts(app)]  # markdown escapes taken off
    [line] = [text for text in shown if text.startswith("- ") and "export-flux" in text]
    assert "3 lignes ; en-tête trouvé ligne 4" in line, line
    assert "ligne(s) de total laissée(s) de côté : 8" in line, line
    assert any("3 entreprises et 3 flux" in text for text in texts(app)), texts(app)


@pytest.mark.process
def test_a_table_read_as_another_shape_on_the_users_word(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cci = write_cci_csv(tmp_path / "inventaire-cci.csv")
    app = open_assistant(monkeypatch, [(cci.name, cci.read_bytes())])
    shape = next(box for box in app.selectbox if box.label == "Lire « inventaire-cci.csv » comme")
    assert shape.value == ""  # as recognised, said in words
    assert "reconnu : une ligne par flux, l'entreprise répétée" in shape.options
    shape.select("ignore").run()
    assert not app.exception, app.exception
    assert any("non reconnue, laissée de côté" in text for text in texts(app)), texts(app)
    app.button(key=import_assistant.KEY_LOAD).click().run()
    assert in_use(app) == "kalundborg"
    assert any("la zone en cours est gardée" in e.value for e in app.error)


def _cc50_csv(path: Path) -> Path:
    """The inventory with X/Y in the conic zone CC50 (Nord), as a local authority exports it."""
    to_cc50 = Transformer.from_crs("EPSG:4326", "EPSG:3950", always_xy=True)
    lines = [";".join(CCI_HEADERS)]
    by_name = {site.name: site for site in SITES}
    for row in cci_rows():
        site = by_name[row[1]]
        x, y = to_cc50.transform(site.lon, site.lat)
        row[5], row[6] = f"{x:.1f}".replace(".", ","), f"{y:.1f}".replace(".", ",")
        lines.append(";".join(row))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


@pytest.mark.process
def test_the_coordinate_system_picked_places_the_companies(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cci = _cc50_csv(tmp_path / "inventaire-cc50.csv")
    app = open_assistant(monkeypatch, [(cci.name, cci.read_bytes())])
    warned = [w.value for w in app.warning]
    assert any("aucun ne correspond aux valeurs : choisissez-le" in w for w in warned), warned
    picker = app.selectbox(key=f"{import_assistant.KEY_CRS}|fr")
    assert picker.options[0] == "reconnu d'après les valeurs, ou déclaré par le fichier"
    offered = set(picker.options)
    for name in (
        "France · RGF93 v1 / Lambert-93 (EPSG:2154)",
        "France · RGF93 v1 / CC50 (EPSG:3950)",
        "Belgique · BD72 / Belgian Lambert 72 (EPSG:31370)",
        "Québec · NAD83 / Quebec Lambert (EPSG:32198)",
        "Monde · WGS 84 / UTM zone 31N (EPSG:32631)",
        "Québec · NAD83(CSRS) / MTM zone 7 (EPSG:2949)",
    ):
        assert name in offered, name
    picker.select("EPSG:3950").run()
    assert not app.exception, app.exception
    assert not any("choisissez-le" in w.value for w in app.warning)
    app.button(key=import_assistant.KEY_LOAD).click().run()
    zone = app.session_state[zones.KEY_IMPORTED]
    steel = zone.companies.set_index("name").loc["Aciérie du Littoral"].geometry
    assert abs(steel.y - 51.0335) < 1e-4
    assert abs(steel.x - 2.3120) < 1e-4


@pytest.mark.process
def test_a_sirene_positions_table_places_the_companies_without_xy(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    lines = [";".join(CCI_HEADERS)]
    for row in cci_rows():
        if row[1] in (SEWAGE.name, GREENHOUSE.name):
            row[5] = row[6] = ""  # not surveyed
        lines.append(";".join(row))
    cci = tmp_path / "inventaire.csv"
    cci.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    sirene = write_sirene_positions(tmp_path / "geo-siret.csv", (SEWAGE, GREENHOUSE))
    app = open_assistant(
        monkeypatch, [(cci.name, cci.read_bytes())], (sirene.name, sirene.read_bytes())
    )
    said = "Tableau des positions : 2 entreprise(s) placée(s) par leur SIRET, 0 encore à localiser."
    assert said in texts(app), texts(app)
    app.button(key=import_assistant.KEY_LOAD).click().run()
    zone = app.session_state[zones.KEY_IMPORTED]
    placed = zone.companies.set_index("name").loc[GREENHOUSE.name].geometry
    assert abs(placed.y - GREENHOUSE.lat) < 1e-4


@pytest.mark.process
def test_the_row_limit_refuses_a_table_while_reading(tmp_path: Path) -> None:
    cci = write_cci_csv(tmp_path / "inventaire-cci.csv")
    assisted = assist_import([(cci.name, cci.read_bytes())], Mapping(), limits=Limits(max_rows=5))
    assert [p.message for p in assisted.problems] == ["trop de lignes (plus de 5)"]
    assert assisted.tables == []  # refused before it was read whole
    assert assisted.result is None
    assert not assisted.zone_ready


def test_the_systems_offered_have_readable_names() -> None:
    names = {choice.crs: choice.name for choice in crs_choices()}
    assert names["EPSG:2154"] == "RGF93 v1 / Lambert-93"
    assert names["EPSG:3942"] == "RGF93 v1 / CC42"
    assert names["EPSG:31370"] == "BD72 / Belgian Lambert 72"
    assert names["EPSG:2952"] == "NAD83(CSRS) / MTM zone 10"
