"""Sources of the factors, the avoided-emission rules and the published cases, in the reader's
language: the Indicateurs page's tables and the report's factor table."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from eit_geo import benchmarks, indicators, report
from eit_geo.datafiles import example_path
from eit_geo.formatting import sources_in
from eit_geo.i18n import t
from eit_geo.loading import load_zone
from eit_geo.report.tables import read_table

SHIPPED = (
    "cases.csv",
    "factors.csv",
    "avoided.csv",
    "substitutions.csv",
    "quantity_factors.csv",
    "quantity_periods.csv",
)
# our own French words around the citations (titles of French documents stay as published)
FRENCH = re.compile(r"à confirmer|à vérifier|non trouvé|non daté|laissé|\bvers \d|«|»| ; ", re.I)
PATH = re.compile(r"shared/|reference/|\.md\b")


@pytest.mark.parametrize("name", SHIPPED)
def test_every_source_is_written_in_english_too(name: str) -> None:
    table = read_table(name)
    english = table["source_en"].fillna("")
    assert (english.str.len() > 5).all(), table.loc[english.str.len() <= 5, "source"].tolist()
    assert not english.str.contains(FRENCH).any(), english[english.str.contains(FRENCH)].tolist()
    assert not english.str.contains(PATH).any()  # the document, not our notes' file


def test_the_report_cites_factors_in_the_readers_language() -> None:
    column = {lang: t("workshop.col_source", lang) for lang in ("fr", "en")}
    keys = ["gas_boiler_efficiency", "natural_gas_combustion_ipcc"]
    french = report.factor_sources("fr", keys=keys)[column["fr"]].tolist()
    english = report.factor_sources("en", keys=keys)[column["en"]].tolist()
    assert "Hypothèse (ordre de grandeur d'ingénieur), à confirmer" in french
    assert "Assumption (engineer's order of magnitude), to be confirmed" in english
    assert any("table 2.2 (56,100 kg CO2/TJ)" in source for source in english)
    assert not any("shared/" in source for source in french + english)


def test_indicators_page_tables_cite_in_the_readers_language() -> None:
    english = indicators.avoided_table("en")[t("indicators.col_source", "en")]
    assert "avoided gas = heat / efficiency, × the gas factor" in set(english)
    assert not english.str.contains("gaz évité").any()
    french = indicators.avoided_table("fr")[t("indicators.col_source", "fr")]
    assert "gaz évité = chaleur / rendement, × facteur du gaz" in set(french)
    editor = indicators.factor_editor_table("en").set_index("key")["source"]
    assert editor["gas_boiler_efficiency"] == (
        "Assumption (engineer's order of magnitude), to be confirmed"
    )


def test_published_comparison_cites_in_the_readers_language() -> None:
    zone = load_zone(example_path("kalundborg"))
    comparison = benchmarks.published_comparison(indicators.existing_scenario(zone), "kalundborg")
    english = benchmarks.comparison_table(comparison, "en")[t("indicators.col_source", "en")]
    french = benchmarks.comparison_table(comparison, "fr")[t("indicators.col_source", "fr")]
    assert english.str.contains("Result examples \\(2010\\)").any()
    assert english.str.contains("number of partners not given").any()
    assert french.str.contains("nombre de partenaires non donné").any()
    assert not english.str.contains("nombre de partenaires").any()


def test_a_users_table_without_english_sources_keeps_its_own() -> None:
    """A user's cases or factors file written before the English column, or leaving it empty."""
    table = pd.DataFrame(
        {
            "source": ["Étude de la CCI (2024) ; shared/reference/cases.md", "Relevé interne"],
            "source_en": ["CCI study (2024)", ""],
        }
    )
    assert sources_in(table, "en").tolist() == ["CCI study (2024)", "Relevé interne"]
    assert sources_in(table, "fr").tolist() == ["Étude de la CCI (2024)", "Relevé interne"]
    assert sources_in(table.drop(columns="source_en"), "en").tolist()[1] == "Relevé interne"
