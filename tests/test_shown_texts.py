"""What people read: sentences of their language, never our files, keys, « None » or « UTC ».

Every translation is scanned, then every page of the dashboard is run (``AppTest``) on the
shipped examples in both languages and every text, metric and table cell it shows is scanned;
the report is scanned too. In French, figures have a decimal comma.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from eit_geo import report, store, workshop
from eit_geo.datafiles import example_path
from eit_geo.i18n import translations
from eit_geo.loading import load_zone
from eit_geo.matching import find_substitutions

REPO = Path(__file__).resolve().parents[1]
INTERNAL = re.compile(
    r"data/|shared/|README|\b[\w-]+\.(?:md|csv|toml|py)\b|\bUTC\b|\bNone\b|\bnan\b|<NA>"
    r"|\b[a-z]+(?:_[a-z0-9]+)+\b"  # a snake_case key: landfill_nonhazardous_industrial
)
ENGLISH_DECIMAL = re.compile(r"\d\.\d")  # « 0.80 », « 1,500.00 » inside French
# Columns that show what users typed as it is (ids, codes of their files)
AS_TYPED = {"Identifiant", "Id", "Secteur (NAF)", "Sector (NACE)"}
IDS = {"Entreprise", "Company", "Fournisseur", "Supplier", "Receveur", "Receiver"}
# Raw columns of the factor and price editors: hidden (key) or shown through a format function
EDITED = {"key", "status", "unit", "code"}


def test_no_internal_name_in_translations() -> None:
    found = []
    for key, entry in translations().items():
        for lang, text in entry.items():
            bare = re.sub(r"\{[^}]*\}", "", text)  # {placeholders} are filled in
            found += [(key, lang, hit) for hit in INTERNAL.findall(bare)]
    assert found == []


def run_page(page: str, zone: str, lang: str) -> AppTest:
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    app.session_state["lang"] = lang
    app.session_state["zone_source"] = str(example_path(zone))
    app.run()
    app.switch_page(page)
    app.run()
    assert not app.exception, app.exception
    return app


def shown(app: AppTest, *, skip_columns: set[str] = frozenset()) -> list[str]:
    """Every text of a page: titles, captions, messages, metrics, table headers and cells."""
    texts = [
        element.value
        for kind in ("title", "header", "subheader", "caption", "markdown", "info", "warning")
        for element in getattr(app, kind)
    ]
    texts += [e.value for e in app.success] + [e.value for e in app.error]
    texts += [m.label for m in app.metric] + [m.value for m in app.metric]
    for frame in app.dataframe:
        table = frame.value
        if not EDITED & set(table.columns):  # editors' headers are set by their column config
            texts += [str(c) for c in table.columns]
        # a missing value reads as the table's placeholder (« — »), Streamlit's own is « None »
        missing = frame.proto.placeholder if frame.proto.HasField("placeholder") else "None"
        for column in table.columns:
            if str(column) not in skip_columns:
                texts += [_cell(v, missing) for v in table[column]]
    return texts


def _cell(value: object, missing: str) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return missing
    return str(value)


PAGES = [
    "pages/accueil.py",
    "pages/carte.py",
    "pages/synergies.py",
    "pages/indicateurs.py",
    "pages/atelier.py",
    "pages/suivi.py",
    "pages/presentation.py",
    "pages/donnees.py",
]


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_pages_show_no_internal_name(page: str, lang: str) -> None:
    zone = "parc-rural" if page.endswith(("accueil.py", "indicateurs.py")) else "kalundborg"
    app = run_page(page, zone, lang)
    skip = AS_TYPED | EDITED | (IDS if page.endswith("donnees.py") else set())
    hits = [(text[:80], INTERNAL.findall(text)) for text in shown(app, skip_columns=skip)]
    assert [hit for hit in hits if hit[1]] == []


@pytest.mark.parametrize("zone", ["kalundborg", "dunkerque", "parc-rural"])
def test_french_figures_have_a_decimal_comma(zone: str) -> None:
    for page in ("pages/accueil.py", "pages/indicateurs.py", "pages/synergies.py"):
        app = run_page(page, zone, "fr")
        figures = [m.value for m in app.metric]
        for frame in app.dataframe:
            table = frame.value
            figures += [
                str(v)
                for column in table.columns
                if any(w in str(column) for w in ("Quantité", "Distance", "Score", "(t", "(m³"))
                for v in table[column]
            ]
        assert [f for f in figures if ENGLISH_DECIMAL.search(f)] == []
        assert not any(f.startswith(("-0", "−0")) and f.strip("-−0,") == "" for f in figures)


def test_counts_are_whole_numbers_on_the_home_page() -> None:
    app = run_page("pages/accueil.py", "dunkerque", "fr")
    values = {m.label: m.value for m in app.metric}
    assert values["Entreprises"] == "8"
    assert values["Synergies existantes"] == "5"
    assert values["Effectif total"] == "80"
    assert any("1 entreprises sur 8" in c.value or "1 entreprise" in c.value for c in app.caption)


def test_rural_park_negative_co2_is_explained() -> None:
    app = run_page("pages/indicateurs.py", "parc-rural", "fr")
    co2 = next(m for m in app.metric if m.label.startswith("CO₂ évité"))
    assert co2.value.startswith("≈ -0,129")
    notes = [c.value for c in app.caption]
    assert any("seul le transport ajouté" in n and "Plaquettes forestières" in n for n in notes)


def test_dunkerque_computed_next_to_published() -> None:
    app = run_page("pages/indicateurs.py", "dunkerque", "fr")
    table = app.dataframe[0].value
    assert list(table.columns[:3]) == ["Indicateur", "Calculé", "Publié"]
    cases = set(table["Cas"])
    assert "Dunkerque DK6 (gaz sidérurgiques → électricité)" in cases
    assert "Ecocem Dunkerque (laitier de haut fourneau)" in cases
    assert any(text.startswith("Pourquoi l'écart") for text in shown(app))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_report_shows_no_internal_name(lang: str, tmp_path: Path) -> None:
    zone = load_zone(example_path("parc-rural"))
    candidates = find_substitutions(zone)
    engine = store.open_store(f"sqlite:///{tmp_path / 'd.sqlite'}")
    first = str(candidates.loc[candidates["status"] == "candidate", "candidate_id"].iloc[0])
    store.record_decision(engine, "z", first, {"status": "retained"}, participant="Anne")
    board = workshop.build_board(
        candidates, store.get_decisions(engine, "z"), store.get_votes(engine, "z")
    )
    document = report.workshop_report(zone, board, store.history(engine, "z"), lang=lang)
    text = re.sub(r"<script.*?</script>|<style.*?</style>|<[^>]+>", " ", document, flags=re.S)
    text = re.sub(r"srcdoc=\"[^\"]*\"", " ", text)
    hits = set(INTERNAL.findall(text))
    assert hits == set()
    if lang == "fr":
        assert not ENGLISH_DECIMAL.search(text)


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("selection", [("company", "asnaes"), ("link", "first")])
def test_map_details_read_well(selection: tuple[str, str], lang: str) -> None:
    zone = load_zone(example_path("kalundborg"))
    if selection[1] == "first":
        selection = ("link", str(find_substitutions(zone)["candidate_id"].iloc[0]))
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    app.session_state["lang"] = lang
    app.session_state["zone_source"] = str(example_path("kalundborg"))
    app.session_state["carte_selection"] = selection
    app.run()
    app.switch_page("pages/carte.py")
    app.run()
    assert not app.exception, app.exception
    texts = shown(app, skip_columns=AS_TYPED)
    headings = " ".join(h.value for h in app.subheader)
    assert ("Asn" if selection[0] == "company" else "→") in headings  # the details are shown
    hits = [(text[:80], INTERNAL.findall(text)) for text in texts]
    assert [hit for hit in hits if hit[1]] == []
    if lang == "fr":
        facts = " ".join(m.value for m in app.markdown)
        assert not ENGLISH_DECIMAL.search(facts), facts
        assert "t/yr" not in facts
