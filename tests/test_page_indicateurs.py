"""AppTest of the Indicators page: KPI cards, estimates, missing factors, references, editors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from eit_geo import analysis, indicators
from eit_geo.datafiles import example_path
from eit_geo.loading import load_zone
from eit_geo.matching import find_substitutions

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "indicateurs.py")


def run_page(zone: str = "kalundborg", lang: str = "fr", **state: object) -> AppTest:
    app = AppTest.from_file(PAGE, default_timeout=120)
    app.session_state["lang"] = lang
    app.session_state["zone_source"] = str(example_path(zone))
    for key, value in state.items():
        app.session_state[key] = value
    app.run()
    assert not app.exception, app.exception
    return app


@pytest.fixture(scope="module")
def kalundborg_page() -> AppTest:
    return run_page()


def test_kpi_cards_show_estimates(kalundborg_page: AppTest) -> None:
    metrics = {metric.label: metric.value for metric in kalundborg_page.metric}
    # the synergies running this year: the coal fly ash to Aalborg Portland stopped in 2019
    assert metrics["CO₂ évité (net) (t CO₂e/an)"] == "≈ 145\u202f000"
    assert metrics["Eau économisée (m³/an)"] == "≈ 1\u202f700\u202f000"
    assert metrics["Tonnes détournées (t/an)"] == "≈ 451\u202f000"
    assert metrics["Énergie récupérée (MWh/an)"] == "≈ 560\u202f000"
    assert not any(label.startswith("Économies") for label in metrics)  # no price given


def test_missing_factors_are_said(kalundborg_page: AppTest) -> None:
    (warning,) = kalundborg_page.warning
    assert "Facteurs manquants" in warning.value
    assert "Mise en décharge de déchets industriels non dangereux" in warning.value
    assert "landfill_nonhazardous_industrial" not in warning.value
    assert "gypse de désulfuration" in warning.value


def test_kalundborg_computed_next_to_published(kalundborg_page: AppTest) -> None:
    tables = [frame.value for frame in kalundborg_page.dataframe]
    comparison = next(t for t in tables if "Publié" in t.columns)
    co2 = comparison[comparison["Indicateur"].str.startswith("CO₂")]
    assert "635\u202f000" in set(co2["Publié"])
    assert set(co2["Calculé"]) == {"≈ 145\u202f000"}
    water = comparison[comparison["Indicateur"].str.startswith("Eau")]
    assert "≈ 3\u202f600\u202f000" in set(water["Publié"])  # seed figure, to be confirmed
    assert any("2018" in str(year) for year in co2["Année"])


def test_charts_are_shown(kalundborg_page: AppTest) -> None:
    charts = kalundborg_page.get("plotly_chart")
    assert len(charts) == 4  # references, families, Sankey, growth


def edit_factor(app: AppTest, key: str, value: float) -> None:
    """Edit one factor in the page's editor and run the page again."""
    factors = indicators.factor_editor_table("fr")
    row = int(factors.index[factors["key"] == key][0])
    app.session_state["indicateurs_factors"] = {
        "edited_rows": {row: {"value": value}},
        "added_rows": [],
        "deleted_rows": [],
    }
    app.run()
    assert not app.exception, app.exception


def test_editing_a_factor_recomputes() -> None:
    app = run_page()
    assert app.dataframe(key="indicateurs_factors") is not None
    edit_factor(app, "landfill_nonhazardous_industrial", 10.0)
    (warning,) = app.warning
    assert "landfill_nonhazardous_industrial" not in warning.value
    metrics = {metric.label: metric.value for metric in app.metric}
    # + 451 000 t × 10 kg/t = + 4 510 t: 144 890 + 4 510 = 149 400
    assert metrics["CO₂ évité (net) (t CO₂e/an)"] == "≈ 149\u202f000"


def test_a_factor_edited_searches_no_candidates_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's cached `Analysis` values the scenario again on the candidates it kept."""
    searches: list[int] = []
    search = analysis.find_substitutions

    def counted(*args: object, **kwargs: object) -> object:
        searches.append(1)
        return search(*args, **kwargs)

    monkeypatch.setattr(analysis, "find_substitutions", counted)
    st.cache_resource.clear()  # the dashboard's analyses forgotten: the count starts at zero
    app = run_page(indicateurs_scenario="optimal")
    label = "CO₂ évité (net) (t CO₂e/an)"
    before = {metric.label: metric.value for metric in app.metric}[label]
    edit_factor(app, "landfill_nonhazardous_industrial", 10.0)
    assert {metric.label: metric.value for metric in app.metric}[label] != before
    assert len(searches) == 1


def test_optimal_scenario_shows_the_gain() -> None:
    app = run_page(lang="en", indicateurs_scenario="optimal")
    metrics = {metric.label: metric for metric in app.metric}
    water = metrics["Water saved (m³/yr)"]
    zone = load_zone(example_path("kalundborg"))
    optimal = indicators.optimal_scenario(zone)
    gain = optimal.totals["water_saved_m3"] - 1_700_000
    assert water.value == "≈ 2,700,000"
    assert water.delta == f"+{gain:,.0f}"


def test_selected_scenario_without_workshop_says_so() -> None:
    app = run_page(lang="en", indicateurs_scenario="selected")
    assert any("No candidate has been selected" in info.value for info in app.info)
    # as `workshop.selected_ids` gives it: the existing synergies (in place) and a retained lead
    candidates = find_substitutions(load_zone(example_path("kalundborg")))
    in_place = set(candidates.loc[candidates["status"] == "existing", "candidate_id"])
    chosen = run_page(
        lang="en",
        indicateurs_scenario="selected",
        selected_candidates={*in_place, "forsyning>refinery:process_water>process_water"},
    )
    metrics = {metric.label: metric for metric in chosen.metric}
    assert metrics["Water saved (m³/yr)"].delta == "+1,000,000"


def test_user_data_without_estimates_shows_plain_figures() -> None:
    app = run_page("parc-rural", lang="en")
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Tonnes diverted (t/yr)"] == "3,600"  # fictional but given, not estimated


def test_leads_of_unknown_quantity_are_said_not_counted(tmp_path: Path) -> None:
    source = Path(__file__).parent / "data" / "engine-sugar"
    shutil.copy(source / "companies.csv", tmp_path / "companies.csv")
    lines = (source / "flows.csv").read_text(encoding="utf-8").splitlines()
    rows = [lines[0] + ";quantity_status"]
    for line in lines[1:]:
        if line.startswith("laiterie;entrée;hot_water"):
            rows.append("laiterie;entrée;hot_water;;MWh/an;Eau chaude de nettoyage;unknown")
        else:
            rows.append(line + ";published")
    (tmp_path / "flows.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    app = AppTest.from_file(PAGE, default_timeout=120)
    app.session_state["lang"] = "fr"
    app.session_state["zone_source"] = str(tmp_path)
    app.session_state["indicateurs_scenario"] = "optimal"
    app.run()
    assert not app.exception, app.exception
    warnings = [w.value for w in app.warning]
    assert any("quantité inconnue ne sont pas comptés" in w for w in warnings), warnings
