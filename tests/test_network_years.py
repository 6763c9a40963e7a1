"""The network at a chosen year: optional start and end years, read from French spreadsheets."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from eit_geo import network_years
from eit_geo.datafiles import example_path
from eit_geo.errors import Problem, ZoneError
from eit_geo.loading import load_zone
from eit_geo.matching import find_substitutions

COMPANIES = """identifiant;nom;latitude;longitude;depuis;fermeture
usine;Papeterie du Val;45,10;5,70;;2012
chaufferie;Chaufferie bois;45,11;5,71;2005;
serre;Serres maraîchères;45,12;5,72;;
"""
FLOWS = """entreprise;sens;ressource;quantité;unité;fermeture
usine;sortie;03 03 01;500;t/an;2012
chaufferie;sortie;hot_water;2000;MWh/an;
serre;entrée;hot_water;2500;MWh/an;
serre;entrée;wood;300;t/an;2015
chaufferie;entrée;wood;900;t/an;
"""
SYNERGIES = """fournisseur;receveur;ressource;quantité;unité;depuis;jusqu'à
usine;chaufferie;03 03 01;400;t/an;2006;2012
chaufferie;serre;hot_water;1800;MWh/an;2008;
chaufferie;serre;wood;10;t/an;;
"""


def _write(folder: Path, companies: str = COMPANIES, synergies: str = SYNERGIES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (
        ("entreprises.csv", companies),
        ("flux.csv", FLOWS),
        ("synergies.csv", synergies),
    ):
        (folder / name).write_text(text, encoding="cp1252")
    return folder


@pytest.fixture
def valley(tmp_path: Path):
    return load_zone(_write(tmp_path / "vallee"))


def test_years_are_read_from_french_headers(valley) -> None:
    assert valley.companies["closed"].tolist()[0] == 2012
    assert str(valley.companies["since"].dtype) == "Int64"
    assert valley.synergies["until"].tolist()[:1] == [2012]
    assert valley.flows["closed"].notna().sum() == 2


@pytest.mark.parametrize(
    ("year", "companies", "synergies"),
    [
        (2004, ["usine", "serre"], []),
        (2006, ["usine", "chaufferie", "serre"], [("usine", "chaufferie")]),
        (
            2011,
            ["usine", "chaufferie", "serre"],
            [("usine", "chaufferie"), ("chaufferie", "serre")],
        ),
        (2012, ["chaufferie", "serre"], [("chaufferie", "serre")]),
    ],
)
def test_network_at_a_past_year(
    valley, year: int, companies: list[str], synergies: list[tuple[str, str]]
) -> None:
    past = network_years.network_at(valley, year)
    assert past.companies["id"].tolist() == companies
    assert list(zip(past.synergies["from_id"], past.synergies["to_id"], strict=True)) == synergies
    assert set(past.flows["company_id"]) <= set(companies)
    assert len(valley.synergies) == 3  # the zone itself is untouched


def test_a_closed_flow_stops_but_its_company_stays(valley) -> None:
    in_2014 = network_years.network_at(valley, 2014)
    in_2015 = network_years.network_at(valley, 2015)
    wood = (in_2014.flows["company_id"] == "serre") & (in_2014.flows["resource"] == "wood")
    assert wood.sum() == 1
    later = in_2015.flows
    assert not ((later["company_id"] == "serre") & (later["resource"] == "wood")).any()
    assert "serre" in set(in_2015.companies["id"])


def test_undated_synergies_count_only_today(valley) -> None:
    today = network_years.current_year()
    assert len(network_years.network_at(valley, today).synergies) == 2
    assert len(network_years.network_at(valley, today - 1).synergies) == 1
    assert len(network_years.network_at(valley, today - 1, undated=True).synergies) == 2
    assert network_years.undated_synergies(valley) == 1


def test_running_now_leaves_out_closed_companies_and_ended_flows(valley) -> None:
    today = network_years.running_now(valley)
    assert today.companies["id"].tolist() == ["chaufferie", "serre"]  # the mill closed in 2012
    assert set(today.flows["company_id"]) == {"chaufferie", "serre"}
    assert not (today.flows["resource"] == "wood").loc[today.flows["company_id"] == "serre"].any()
    assert list(zip(today.synergies["from_id"], today.synergies["resource"], strict=True)) == [
        ("chaufferie", "hot_water"),
        ("chaufferie", "wood"),
    ]
    in_2010 = network_years.running_now(valley, 2010)
    assert list(in_2010.synergies["resource"]) == ["03 03 01", "hot_water"]  # undated: not in 2010
    assert "usine" in set(in_2010.companies["id"])
    assert len(valley.synergies) == 3  # the zone is left alone
    assert len(valley.companies) == 3


def _kalundborg_with_closings(folder: Path, *, year: int) -> Path:
    """Copy Kalundborg, ARGO closed and Asnæs' 10 01 01 (bottom ash) offer ended in ``year``."""
    source = example_path("kalundborg")
    shutil.copytree(source, folder)
    companies = pd.read_csv(folder / "companies.csv", dtype=str)
    companies["closed"] = companies["id"].map({"argo": str(year)})
    companies.to_csv(folder / "companies.csv", index=False)
    flows = pd.read_csv(folder / "flows.csv", dtype=str)
    ended = (flows["company_id"] == "asnaes") & (flows["resource"] == "10 01 01")
    flows["closed"] = ended.map({True: str(year), False: None})
    flows.to_csv(folder / "flows.csv", index=False)
    return folder


def test_a_closed_company_and_an_ended_flow_give_no_lead(tmp_path: Path) -> None:
    given = load_zone(example_path("kalundborg"))
    before = find_substitutions(network_years.running_now(given))
    pairs = set(zip(before["from_id"], before["to_id"], before["resource"], strict=True))
    assert {("kommune", "argo", "20 03 01"), ("asnaes", "kommune", "10 01 01")} <= pairs
    last_year = network_years.current_year() - 1
    zone = load_zone(_kalundborg_with_closings(tmp_path / "kalundborg", year=last_year))
    now = network_years.running_now(zone)
    assert "argo" not in set(now.companies["id"])
    assert len(now.flows) == len(zone.flows) - 1 - int((zone.flows["company_id"] == "argo").sum())
    after = find_substitutions(now)
    assert "argo" not in set(after["from_id"]) | set(after["to_id"])
    assert not ((after["from_id"] == "asnaes") & (after["resource"] == "10 01 01")).any()
    assert len(after) < len(before)
    # the year before they stopped, both are there again
    then = find_substitutions(network_years.running_now(zone, last_year - 1))
    assert "argo" in set(then["to_id"])


def test_network_years_lists_every_dated_change(valley) -> None:
    years = network_years.network_years(valley)
    assert years[:5] == [2005, 2006, 2008, 2012, 2015]
    assert years[-1] == network_years.current_year()


def test_zone_without_year_columns_runs_every_year(mini_zone) -> None:
    assert "until" not in mini_zone.synergies
    past = network_years.network_at(mini_zone, 1990)
    assert len(past.companies) == len(mini_zone.companies)
    assert sorted(past.synergies["since"].dropna().tolist()) == [1982, 1989]


def test_end_before_start_is_refused_with_its_row(tmp_path: Path) -> None:
    synergies = SYNERGIES.replace("2006;2012", "2006;2003")
    companies = COMPANIES.replace("5,71;2005;", "5,71;2005;1999")
    with pytest.raises(ZoneError) as info:
        load_zone(_write(tmp_path / "bad", companies=companies, synergies=synergies))
    assert info.value.problems == [
        Problem(
            "entreprises.csv",
            3,
            "fermeture",
            "1999",
            "l'année de fin est antérieure à l'année de début (2005)",
        ),
        Problem(
            "synergies.csv",
            2,
            "jusqu'à",
            "2003",
            "l'année de fin est antérieure à l'année de début (2006)",
        ),
    ]


def test_bad_end_year_is_refused(tmp_path: Path) -> None:
    synergies = SYNERGIES.replace("2006;2012", "2006;bientôt")
    with pytest.raises(ZoneError) as info:
        load_zone(_write(tmp_path / "bad", synergies=synergies))
    (problem,) = info.value.problems
    assert (problem.row, problem.column, problem.value) == (2, "jusqu'à", "bientôt")
    assert "2100" in problem.message


def test_kalundborg_in_1995_and_today() -> None:
    zone = load_zone(example_path("kalundborg"))
    then = network_years.network_at(zone, 1995)
    now = network_years.network_at(zone, network_years.current_year())
    ash = ("asnaes", "aalborgportland", "10 01 02")
    keys = {(s.from_id, s.to_id, s.resource) for s in then.synergies.itertuples()}
    assert ash in keys
    assert ash not in {(s.from_id, s.to_id, s.resource) for s in now.synergies.itertuples()}
    assert "bioenergi" not in set(then.companies["id"])
    assert "bioenergi" in set(now.companies["id"])
    assert len(then.synergies) == 13
    assert len(now.synergies) == len(zone.synergies) - 1
