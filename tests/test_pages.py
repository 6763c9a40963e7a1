"""AppTest of the dashboard's pages through the frame (app.py): home, Données, Carte, Synergies."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from streamlit.proto.SelectWidgetFilterMode_pb2 import SelectWidgetFilterMode
from streamlit.testing.v1 import AppTest

from eit_geo.datafiles import example_path

REPO = Path(__file__).resolve().parents[1]
HOSTILE = REPO / "tests" / "data" / "zones" / "hostile"


def run_app(
    page: str | None = None, *, zone: str | Path = "kalundborg", **state: object
) -> AppTest:
    """Run app.py on ``page`` (``pages/carte.py``…) with the session state given."""
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    app.session_state["lang"] = state.pop("lang", "fr")
    source = zone if isinstance(zone, Path) else example_path(zone)
    app.session_state["zone_source"] = str(source)
    for key, value in state.items():
        app.session_state[key] = value
    app.run()
    if page is not None:
        app.switch_page(page)
        app.run()
    assert not app.exception, app.exception
    return app


def texts(app: AppTest) -> list[str]:
    """Every title, header, caption, markdown and message of the page."""
    elements = [
        *app.title,
        *app.header,
        *app.subheader,
        *app.caption,
        *app.markdown,
        *app.info,
        *app.warning,
        *app.success,
    ]
    return [str(element.value) for element in elements]


def frames(app: AppTest) -> list:
    return [element.value for element in app.dataframe]


@pytest.fixture(scope="module")
def carte() -> AppTest:
    return run_app("pages/carte.py")


def test_home() -> None:
    app = run_app()
    assert app.title[0].value == "eit-geo — écologie industrielle et territoriale"
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Entreprises"] == "12"
    assert metrics["Synergies existantes"] == "19"  # as on Carte: the fly ash stopped in 2019
    assert any("1 autre(s) du fichier non comptée(s)" in caption.value for caption in app.caption)
    assert metrics["Effectif total"] == "1\u202f025"
    # a total of 3 headcounts out of 12 companies says so beside it
    assert any("3 entreprises sur 12" in caption.value for caption in app.caption)
    assert app.header[0].value == "Kalundborg (Danemark)"
    table = app.dataframe[0].value
    assert "1\u202f164\u202f500" in set(table["Quantité"])
    links = [element.proto.label for element in app.get("page_link")]
    assert len(links) == 5
    assert links[0].startswith("Carte :")


def test_donnees() -> None:
    app = run_app("pages/donnees.py")
    assert app.title[0].value == "Données"
    assert any("Zone « Kalundborg (Danemark) » chargée" in text for text in texts(app))
    assert len(frames(app)) == 3
    assert app.text_input[0].value == "Kalundborg (Danemark)"


def test_donnees_title_typed_by_the_user_is_shown_everywhere(tmp_path: Path) -> None:
    folder = tmp_path / "amiens-4-entreprises"
    shutil.copytree(example_path("parc-rural"), folder)
    app = run_app("pages/donnees.py", zone=folder)
    assert app.text_input[0].value == "Amiens 4 entreprises"  # the folder's name, as words
    app.text_input[0].input("Zone d'activités d'Amiens Nord").run()
    assert any("Zone « Zone d'activités d'Amiens Nord » chargée" in t for t in texts(app))
    app.switch_page("pages/accueil.py").run()
    assert app.header[0].value == "Zone d'activités d'Amiens Nord"


def test_carte_counts_and_filters_in_sidebar(carte: AppTest) -> None:
    assert carte.title[0].value == "Carte"
    assert any(
        "12 entreprises, 19 synergies existantes, 5 pistes de substitution, 5 mutualisations"
        in text
        for text in texts(carte)
    )
    assert carte.multiselect(key="filters_families").value == [
        "energy",
        "water",
        "gas",
        "material",
    ]
    assert carte.checkbox(key="filters_candidates").value is True
    assert carte.selectbox(key="carte_basemap").options == [
        "OpenStreetMap (fond neutre si hors connexion)",
        "OpenStreetMap",
        "Fond clair (CARTO)",
        "Sans fond de carte (hors connexion)",
    ]
    assert "Cliquez sur une entreprise, un lien ou une zone de mutualisation" in carte.info[0].value


def test_carte_filters_show_no_english_of_streamlits_own() -> None:
    """Emptied, a filter says so in French; no typing (« No results »), no « Select all »."""
    app = run_app("pages/carte.py", lang="en")
    placeholders = {}
    for key in ("filters_families", "filters_sectors_kalundborg"):
        proto = app.multiselect(key=key).proto
        placeholders[key] = proto.placeholder
        assert proto.filter_mode == SelectWidgetFilterMode.Value("FILTER_MODE_NONE")
        assert proto.select_all == 0  # never shown
    assert placeholders == {
        "filters_families": "No family: pick one or more",
        "filters_sectors_kalundborg": "No sector: pick one or more",
    }
    french = run_app("pages/carte.py").multiselect(key="filters_families").proto.placeholder
    assert french == "Aucune famille : choisissez-en une ou plusieurs"


def test_carte_filter_changes_counts() -> None:
    app = run_app("pages/carte.py")
    app.checkbox(key="filters_candidates").uncheck().run()
    assert any("19 synergies existantes, 0 pistes" in text for text in texts(app))
    app.multiselect(key="filters_families").set_value(["water"]).run()
    assert not app.exception
    assert any("12 entreprises, 6 synergies existantes, 0 pistes" in text for text in texts(app))


def test_carte_distance_filter_runs_the_engine_again() -> None:
    app = run_app("pages/carte.py", filters_km_water=500.0, filters_km_energy=500.0)
    assert any("19 synergies existantes" in text for text in texts(app))
    wide = next(text for text in texts(app) if "pistes de substitution" in text)
    assert "9 pistes" not in wide  # more candidates within 500 km


def stopped_in_2010(folder: Path) -> Path:
    """Copy Kalundborg with its FGD gypsum exchange (in place since 1993) stopped in 2010."""
    shutil.copytree(example_path("kalundborg"), folder)
    synergies = folder / "synergies.csv"
    text = synergies.read_text(encoding="utf-8")
    line = "asnaes,gyproc,10 01 05,150000,t/yr,1993,,"
    assert text.count(line) == 1
    synergies.write_text(text.replace(line, "asnaes,gyproc,10 01 05,150000,t/yr,1993,2010,"))
    return folder


def test_carte_counts_only_the_synergies_running_this_year(tmp_path: Path) -> None:
    app = run_app("pages/carte.py", zone=stopped_in_2010(tmp_path / "kalundborg"))
    # 20 declared: the fly ash stopped in 2019, the gypsum in 2010; the gypsum is a lead again
    assert any(
        "12 entreprises, 18 synergies existantes, 6 pistes de substitution" in text
        for text in texts(app)
    )
    app.switch_page("pages/synergies.py").run()
    table = frames(app)[0]
    assert table.loc["asnaes>gyproc:10 01 05>gypsum", "Statut"] == "piste de substitution"


def test_carte_company_click_shows_inventory_and_links() -> None:
    app = run_app("pages/carte.py", carte_selection=("company", "asnaes"))
    assert app.subheader[0].value == "Asnæs \\(Asnæsværket, Ørsted\\)"  # escaped Markdown
    assert "Secteur" in app.markdown[0].value
    assert "35\\.11" in app.markdown[0].value
    inventory, links = frames(app)
    assert "Gypse de désulfuration" in set(inventory["Libellé"])
    assert "150\u202f000 t/an" in set(inventory["Quantité"])
    assert "Saint-Gobain Gyproc Kalundborg" in set(links["Partenaire"])
    assert app.button(key="carte_clear")


def test_carte_link_click_shows_what_how_much_how_far() -> None:
    link = ("link", "asnaes>gyproc:10 01 05>gypsum")
    app = run_app("pages/carte.py", carte_selection=link)
    facts = app.markdown[0].value
    assert "**Quoi** : Déchets solides de désulfuration des fumées" in facts
    assert "**Combien** : 150\u202f000 t/an" in facts
    assert "**Distance** : 1,3 km" in facts
    assert "**Remplace le besoin** : Gypse" in facts


def test_carte_group_click() -> None:
    app = run_app("pages/carte.py", carte_selection=("group", "input:steam:MWh/yr:novonesis"))
    assert "3 entreprises" in app.subheader[0].value
    assert "Novo Nordisk Kalundborg" in app.markdown[0].value


def test_carte_clear_selection() -> None:
    app = run_app("pages/carte.py", carte_selection=("company", "asnaes"))
    app.button(key="carte_clear").click().run()
    assert "carte_selection" not in app.session_state
    assert "Cliquez sur une entreprise" in app.info[0].value


def test_carte_unknown_selection_is_ignored() -> None:
    app = run_app("pages/carte.py", carte_selection=("company", "nobody"))
    assert "Cliquez sur une entreprise" in app.info[0].value


def test_carte_in_english() -> None:
    app = run_app("pages/carte.py", lang="en", carte_selection=("company", "asnaes"))
    assert app.title[0].value == "Map"
    assert any("12 companies, 19 existing synergies" in text for text in texts(app))
    inventory, _ = frames(app)
    assert list(inventory.columns) == ["Direction", "Quantity", "Resource", "Label"]
    assert "150,000 t/yr" in set(inventory["Quantity"])


def test_filters_survive_a_page_without_them() -> None:
    app = run_app("pages/carte.py")
    app.checkbox(key="filters_candidates").uncheck().run()
    app.switch_page("pages/accueil.py").run()
    app.switch_page("pages/synergies.py").run()
    assert app.checkbox(key="filters_candidates").value is False
    assert any("0 pistes de substitution" in text for text in texts(app))


def test_synergies_list_sorted_by_score() -> None:
    app = run_app("pages/synergies.py")
    assert app.title[0].value == "Synergies"
    table = frames(app)[0]
    assert len(table) == 24  # 19 synergies running this year (the fly ash stopped) and 5 leads
    assert list(table.columns)[:4] == ["Statut", "Ressource", "Fournisseur", "Receveur"]
    assert table["Distance (km)"].str.strip().ne("").all()
    assert table.loc["asnaes>gyproc:10 01 05>gypsum", "Distance (km)"].strip() == "1,3"
    scores = [float(s.replace(",", ".")) for s in table["Score (0 à 1)"]]
    assert scores == sorted(scores, reverse=True)
    assert any("24 lignes" in text for text in texts(app))
    groups = frames(app)[1]
    assert len(groups) == 5


def test_synergies_sort_columns_shown_first() -> None:
    """Score and distance, the columns one sorts by, come right after the status, narrow:
    a 1400 px screen shows them without scrolling sideways (issue 17)."""
    app = run_app("pages/synergies.py")
    shown = app.dataframe[0].proto
    assert list(shown.column_order)[:4] == ["Statut", "Score (0 à 1)", "Distance (km)", "Ressource"]
    assert set(shown.column_order) == set(frames(app)[0].columns)
    config = json.loads(shown.columns)
    assert config["Score (0 à 1)"]["width"] == config["Distance (km)"]["width"] == 118  # pixels


def test_synergies_sort_by_distance() -> None:
    app = run_app("pages/synergies.py", synergies_sort="distance")
    texts = frames(app)[0]["Distance (km)"].tolist()
    distances = [float(text.replace(",", ".")) for text in texts]
    assert distances == sorted(distances)
    assert texts == sorted(texts)  # a click on the header sorts them alike


def test_synergies_in_english() -> None:
    app = run_app("pages/synergies.py", lang="en")
    assert app.title[0].value == "Synergies"
    assert list(frames(app)[0].columns)[:4] == ["Status", "Resource", "Supplier", "Receiver"]


@pytest.mark.parametrize("page", ["pages/carte.py", "pages/synergies.py"])
def test_invalid_zone_warns(page: str, tmp_path: Path) -> None:
    (tmp_path / "companies.csv").write_text("id,name\n", encoding="utf-8")
    app = run_app(page, zone=tmp_path)
    assert any("ne respecte pas le format" in text for text in texts(app))


@pytest.mark.parametrize("page", ["pages/carte.py", "pages/synergies.py"])
def test_hostile_names_shown_as_text(page: str) -> None:
    app = run_app(page, zone=HOSTILE, carte_selection=("company", "x2"))
    shown = " ".join(texts(app))
    assert "<script>" not in shown.replace("\\<script\\>", "")
