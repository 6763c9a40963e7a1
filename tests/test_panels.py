"""The synergy list's numbers are grouped as the interface language writes them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from eit_geo.datafiles import example_path
from eit_geo.i18n import t
from eit_geo.loading import load_zone
from eit_geo.matching import find_substitutions
from eit_geo.panels import company_facts, link_facts, synergy_table

if TYPE_CHECKING:
    import pandas as pd

NNBSP = "\u202f"


@pytest.fixture(scope="module")
def links() -> pd.DataFrame:
    return find_substitutions(load_zone(example_path("kalundborg")))


def _numbers(table: pd.DataFrame, column: str) -> list[float]:
    return [
        float(text.strip().replace(NNBSP, "").replace(",", "."))
        for text in table[column]
        if text.strip()
    ]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_synergy_table_writes_numbers_in_the_users_language(links: pd.DataFrame, lang: str) -> None:
    table = synergy_table(links, lang)
    distance = t("map.how_far", lang) + " (km)"
    score = t("map.score", lang)
    assert set(table.attrs["numeric"]) == {t("app.col_quantity", lang), distance, score}
    scores = [text.strip() for text in table[score]]
    if lang == "fr":
        assert all("," in text and "." not in text for text in scores)
        assert all("." not in text for text in table[distance])
    else:
        assert all("." in text and "," not in text for text in scores)
    assert set(table[t("app.col_unit", lang)]) <= {
        t(f"units.{u}", lang) for u in ("t_yr", "m3_yr", "MWh_yr")
    }


@pytest.mark.parametrize("column", ["map.how_far", "map.score", "app.col_quantity"])
def test_a_header_click_sorts_the_texts_by_value(links: pd.DataFrame, column: str) -> None:
    table = synergy_table(links, "fr")
    name = t(column, "fr") + (" (km)" if column == "map.how_far" else "")
    texts = [text for text in table[name] if text]
    assert len({len(text) for text in texts}) == 1  # one length: padded on the left
    by_text = sorted(texts)
    values = [float(x.strip().replace(NNBSP, "").replace(",", ".")) for x in by_text]
    assert values == sorted(values)


def test_sorting_by_distance_and_score(links: pd.DataFrame) -> None:
    near = _numbers(synergy_table(links, "fr", sort="distance"), t("map.how_far", "fr") + " (km)")
    assert near == sorted(near)
    best = _numbers(synergy_table(links, "fr", sort="score"), t("map.score", "fr"))
    assert best == sorted(best, reverse=True)


def test_fractional_quantities_keep_their_decimals(links: pd.DataFrame) -> None:
    halves = links.assign(quantity=links["quantity"] + 0.25)
    table = synergy_table(halves, "fr")
    assert all(text.strip().endswith(",25") for text in table[t("app.col_quantity", "fr")])


def test_facts_in_french_figures(links: pd.DataFrame) -> None:
    facts = link_facts(links.iloc[0], "fr")
    assert "," in facts[t("map.score", "fr")]
    assert "t/yr" not in " ".join(facts.values())
    company = {"sector": "35.11", "employees": 1500.0, "activity": "centrale"}
    assert company_facts(company, "fr")[t("map.employees", "fr")] == f"1{NNBSP}500"
    assert (
        company_facts({"sector": "35", "employees": None}, "fr").get(t("map.employees", "fr"))
        is None
    )


def test_synergy_list_shows_an_existing_synergy_at_its_declared_quantity() -> None:
    # The steelworks' 131,000 MWh of heat: 105,000 to Dunkerque's network, as declared.
    links = find_substitutions(load_zone(example_path("dunkerque")))
    table = synergy_table(links, "en")
    quantity = table.loc["amdk>dh_dunkerque:hot_water>hot_water", t("app.col_quantity", "en")]
    assert quantity.strip() == "105,000"


@pytest.mark.parametrize(("lang", "word"), [("fr", "par"), ("en", "by")])
def test_lead_says_how_much_is_already_used_and_by_whom(lang, word):
    zone = load_zone(example_path("dunkerque"))
    links = find_substitutions(zone)
    names = zone.company_names()
    leads = links[(links["status"] == "candidate") & (links["need_used"] > 0)]
    assert not leads.empty
    lead = leads.iloc[0]
    users = [names[i] for i in str(lead["need_used_by"]).split(",") if i]
    facts = link_facts(lead, lang, names)
    text = facts[t("map.need_used", lang)]
    assert f" {word} {users[0]}" in text
    assert lead["need_used_by"] not in text or lead["need_used_by"] in names.values()
    fresh = links[(links["status"] == "candidate") & (links["offer_used"].fillna(0) == 0)]
    assert t("map.offer_used", lang) not in link_facts(fresh.iloc[0], lang, names)
