"""The synergy list's numbers are grouped as the interface language writes them."""

from __future__ import annotations

import pandas as pd
import pytest

from eit_geo.datafiles import example_path
from eit_geo.i18n import t
from eit_geo.loading import load_zone
from eit_geo.matching import find_substitutions
from eit_geo.panels import format_number, number_format, synergy_table


@pytest.fixture(scope="module")
def links() -> pd.DataFrame:
    return find_substitutions(load_zone(example_path("kalundborg")))


def test_number_format_groups_thousands_as_the_language_does() -> None:
    assert number_format("fr") == "%'\u202f,.0f"  # sprintf-js: the character after ' groups
    assert number_format("en", decimals=1) == "%,.1f"
    # the same grouping as the texts of the app (home page, panels)
    assert format_number(150000, "fr") == "150\u202f000"
    assert format_number(150000, "en") == "150,000"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_synergy_table_gives_each_number_column_its_format(links: pd.DataFrame, lang: str) -> None:
    table = synergy_table(links, lang)
    formats = table.attrs["numeric"]
    assert set(formats) <= set(table.columns)
    assert formats[t("app.col_quantity", lang)] == number_format(lang)  # whole quantities
    assert formats[t("map.how_far", lang) + " (km)"] == number_format(lang, decimals=1)
    assert all(pd.api.types.is_float_dtype(table[name]) for name in formats)  # sortable


def test_fractional_quantities_keep_their_decimals(links: pd.DataFrame) -> None:
    halves = links.assign(quantity=links["quantity"] + 0.25)
    table = synergy_table(halves, "fr")
    assert table.attrs["numeric"][t("app.col_quantity", "fr")] == number_format("fr", decimals=2)
