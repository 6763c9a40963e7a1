"""The zone at a glance: headline counts and flows by family."""

from __future__ import annotations

from eit_geo import load_zone
from eit_geo.datafiles import example_path
from eit_geo.summary import figure_notes, flows_by_family, readable_table, zone_figures


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
