"""The zone at a glance: headline counts and flows by family."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from eit_geo import load_zone
from eit_geo.datafiles import example_path
from eit_geo.network_years import current_year
from eit_geo.summary import (
    figure_notes,
    flows_by_family,
    readable_table,
    running_sentence,
    zone_figures,
    zone_label,
)


def test_zone_figures_count_the_example() -> None:
    zone = load_zone(example_path("kalundborg"))
    figures = zone_figures(zone)
    assert figures["companies"] == len(zone.companies)
    assert figures["outputs"] + figures["inputs"] == len(zone.flows)
    # the coal fly ash to Aalborg Portland stopped in 2019: 19 running, as on the map
    assert len(zone.synergies) == 20
    assert figures["existing_synergies"] == 19
    assert figures["employees"] == int(zone.companies["employees"].sum())


def test_the_stopped_synergy_is_said_beside_the_count() -> None:
    zone = load_zone(example_path("kalundborg"))
    assert figure_notes(zone)["existing_synergies"].startswith(
        "En service cette année ; 1 autre(s) du fichier non comptée(s)"
    )
    assert figure_notes(zone, "en")["existing_synergies"].startswith("Running this year; 1 other")
    dunkerque = load_zone(example_path("dunkerque"))  # no end year: all run, nothing to say
    assert "existing_synergies" not in figure_notes(dunkerque)


def test_flows_by_family_sums_each_family_in_its_unit() -> None:
    zone = load_zone(example_path("kalundborg"))
    table = flows_by_family(zone, "en")
    assert list(table.columns) == ["Family", "Direction", "Unit", "Count", "Quantity"]
    assert table["Count"].sum() == len(zone.flows)
    water_out = table[(table["Family"] == "Water") & (table["Direction"] == "output")]
    expected = zone.flows.query("family == 'water' and direction == 'output'")["quantity"].sum()
    assert water_out["Quantity"].item() == f"{expected:,.0f}"
    assert water_out["Unit"].item() == "m³/yr"


def test_readable_table_translates_contract_headers_and_keeps_the_others() -> None:
    zone = load_zone(example_path("kalundborg"))
    companies = readable_table(zone.companies, "fr")
    assert list(companies.columns[:4]) == ["Identifiant", "Nom", "Secteur (NAF)", "Effectif"]
    assert "geometry" not in companies
    assert "Activité" in companies  # an optional column of the examples, in words
    assert "activity" not in companies
    flows = readable_table(zone.flows, "en")
    assert list(flows.columns[:4]) == ["Company", "Direction", "Resource", "Family"]
    assert len(flows) == len(zone.flows)
    extra = readable_table(zone.companies.assign(my_column="x"), "fr")
    assert "my_column" in extra  # a column of the user's file keeps the name they gave it


def test_readable_table_writes_figures_and_leaves_blanks_empty() -> None:
    zone = load_zone(example_path("kalundborg"))
    companies = readable_table(zone.companies, "fr")
    headcounts = list(companies["Effectif"])
    assert headcounts[0] == "600"
    assert "" in headcounts  # a headcount nobody gave
    cells = {str(v) for column in companies for v in companies[column]}
    assert not cells & {"None", "nan", "<NA>", "NaN"}
    assert not any("shared/reference" in cell for cell in cells)
    flows = readable_table(zone.flows, "fr")
    assert set(flows["Unité"]) <= {"t/an", "m³/an", "MWh/an"}
    assert all("." not in q for q in flows["Quantité"])
    synergies = readable_table(zone.synergies, "en")
    assert set(synergies["Since"]) <= {str(y) for y in range(1950, 2030)} | {""}


def test_readable_table_says_the_statuses_of_an_import_in_words() -> None:
    import pandas as pd  # noqa: PLC0415 - only this test builds a table by hand

    companies = pd.DataFrame(
        {"id": ["a", "b"], "position_status": ["à localiser", "sirene"], "siret_number": ["", "1"]}
    )
    flows = pd.DataFrame({"resource_status": ["à coder", ""], "source_file": ["x.csv", "y.csv"]})
    assert readable_table(companies, "en")["Position"].tolist() == ["to be located", "from SIRENE"]
    assert readable_table(companies, "fr").columns.tolist() == ["Identifiant", "Position", "SIRET"]
    shown = readable_table(flows, "en")
    assert shown["Resource coding"].tolist() == ["to code", ""]
    assert shown["Source file"].tolist() == ["x.csv", "y.csv"]


def test_running_sentence_says_the_file_and_this_year(tmp_path: Path) -> None:
    """The home page: the file's counts beside those running this year, as the map counts."""
    zone = load_zone(example_path("kalundborg"))
    assert running_sentence(zone) == (
        "12 entreprises, dont 12 en activité cette année ; 42 flux, dont 41 en cours cette année."
    )  # Asnæs' coal fly ash stopped in 2019
    assert running_sentence(zone, "en") == (
        "12 companies, 12 of them active this year; 42 flows, 41 of them running this year."
    )
    folder = shutil.copytree(example_path("kalundborg"), tmp_path / "kalundborg")
    companies = pd.read_csv(folder / "companies.csv", dtype=str)
    last_year = str(current_year() - 1)
    companies["closed"] = companies["id"].map({"argo": last_year})  # ARGO takes in two flows
    companies.to_csv(folder / "companies.csv", index=False)
    assert running_sentence(load_zone(folder)) == (
        "12 entreprises, dont 11 en activité cette année ; 42 flux, dont 39 en cours cette année."
    )


def test_running_sentence_writes_large_counts_and_one_company(tmp_path: Path) -> None:
    rows = [f"c{i};Usine {i};45,{i:04d};5,7;" for i in range(1_200)]
    (tmp_path / "entreprises.csv").write_text(
        "identifiant;nom;latitude;longitude;fermeture\n" + "\n".join(rows) + "\n", "utf-8"
    )
    (tmp_path / "flux.csv").write_text(
        "entreprise;sens;ressource;quantité;unité\nc1;sortie;wood;10;t/an\n", "utf-8"
    )
    many = load_zone(tmp_path)
    assert running_sentence(many).startswith("1\u202f200 entreprises, dont 1\u202f200 en activité")
    assert running_sentence(many, "en").startswith("1,200 companies, 1,200 of them active")
    assert running_sentence(many, "en").endswith("; 1 flow, 1 running this year.")


def test_a_zone_is_named_in_words_never_by_its_folder(tmp_path: Path) -> None:
    """A shipped example by its label, another zone by its folder's name written as words."""
    kalundborg = load_zone(example_path("kalundborg"))
    assert zone_label(kalundborg) == "Kalundborg (Danemark)"
    assert zone_label(kalundborg, "en") == "Kalundborg (Denmark)"
    assert zone_label(load_zone(example_path("parc-rural"))) == (
        "Parc d'activités rural (exemple fictif)"
    )
    copied = shutil.copytree(example_path("kalundborg"), tmp_path / "amiens-4_entreprises")
    assert zone_label(load_zone(copied)) == "Amiens 4 entreprises"  # a copy is not the example


def test_counts_take_the_running_zone_the_caller_already_has() -> None:
    """The home page passes its cached running zone; the counts are made from it."""
    zone = load_zone(example_path("kalundborg"))
    assert zone_figures(zone)["existing_synergies"] == 19  # the fly ash stopped in 2019
    assert zone_figures(zone, running=zone)["existing_synergies"] == 20  # as given
    assert "existing_synergies" in figure_notes(zone)
    assert "existing_synergies" not in figure_notes(zone, running=zone)
    assert running_sentence(zone, running=zone).endswith("42 flux, dont 42 en cours cette année.")
