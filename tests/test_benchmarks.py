"""Tests of eit_geo.benchmarks: reference cases and the zone compared with them."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pytest

from eit_geo import benchmarks, indicators
from eit_geo.datafiles import example_path
from eit_geo.loading import load_zone

if TYPE_CHECKING:
    import pandas as pd

    from eit_geo.zone import Zone


@pytest.fixture(scope="module")
def kalundborg() -> Zone:
    return load_zone(example_path("kalundborg"))


@pytest.fixture(scope="module")
def scenario(kalundborg: Zone) -> indicators.Scenario:
    return indicators.existing_scenario(kalundborg)


def test_cases_have_source_status_and_only_yearly_figures() -> None:
    cases = benchmarks.read_cases()
    assert cases["case_id"].is_unique
    assert set(cases["status"]) <= {"published", "to_confirm"}
    assert (cases["source"].str.len() > 20).all()
    # cumulative totals (NISP, Ulsan EIP) are never in the per-year columns
    cumulative = cases.set_index("case_id").loc[
        ["nisp", "ulsan_eip"], list(benchmarks.CASE_FIGURES)
    ]
    assert cumulative.isna().all().all()
    kalundborg = cases[cases["example"] == "kalundborg"].set_index("case_id")
    assert kalundborg.loc["kalundborg_2018", "co2_avoided_t"] == 635_000
    assert kalundborg.loc["kalundborg_2018", "reference_year"] == 2018
    assert kalundborg.loc["kalundborg_seed", "water_saved_m3"] == 3_600_000
    assert kalundborg.loc["kalundborg_seed", "status"] == "to_confirm"


def test_benchmark_table(scenario: indicators.Scenario, kalundborg: Zone) -> None:
    table = benchmarks.benchmark_table(scenario, kalundborg, lang="en")

    def value(case: str, indicator: str, basis: str) -> float:
        row = table[
            (table.case_id == case) & (table.indicator == indicator) & (table.basis == basis)
        ]
        return float(row["value"].iloc[0]) if len(row) else math.nan

    co2 = scenario.totals["co2_avoided_t"]
    assert value("zone", "co2_avoided_t", "absolute") == co2
    assert value("zone", "co2_avoided_t", "per_partner") == co2 / len(scenario.partners)
    # headcounts of most Kalundborg partners are not published: no per-employee figure
    assert math.isnan(value("zone", "co2_avoided_t", "per_employee"))
    assert value("roussillon", "co2_avoided_t", "per_employee") == 30_000 / 1_450
    assert value("kalundborg_2018", "co2_avoided_t", "per_partner") == 635_000 / 8
    zone_rows = table[table.is_zone]
    assert zone_rows["estimate"].all()
    assert set(table.loc[table.case_id == "kalundborg_2022", "estimate"]) == {True}
    assert set(table.loc[table.case_id == "kalundborg_2018", "estimate"]) == {False}
    assert table.loc[table.case_id == "zone", "label"].iloc[0] == "kalundborg (computed here)"
    titled = benchmarks.benchmark_table(
        scenario, kalundborg, lang="fr", title="Kalundborg (Danemark)"
    )
    assert (
        titled.loc[titled.case_id == "zone", "label"].iloc[0]
        == "Kalundborg (Danemark) (calculé ici)"
    )
    assert table["value"].notna().all()


def test_per_employee_when_every_partner_gives_a_headcount(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    folder = tmp_path_factory.mktemp("headcount")
    (folder / "companies.csv").write_text(
        "id,name,lat,lon,employees\na,A,45.0,5.0,30\nb,B,45.0,5.01,20\n", encoding="utf-8"
    )
    (folder / "flows.csv").write_text(
        "company_id,direction,resource,quantity,unit\n"
        "a,output,steam,100,MWh/yr\nb,input,steam,100,MWh/yr\n",
        encoding="utf-8",
    )
    (folder / "synergies.csv").write_text(
        "from_id,to_id,resource,quantity,unit\na,b,steam,100,MWh/yr\n", encoding="utf-8"
    )
    zone = load_zone(folder)
    scenario = indicators.existing_scenario(zone)
    table = benchmarks.benchmark_table(scenario, zone)
    row = table[(table.case_id == "zone") & (table.indicator == "energy_recovered_mwh")]
    assert row.set_index("basis")["value"].to_dict() == {
        "absolute": 100.0,
        "per_partner": 50.0,
        "per_employee": 2.0,
    }


def test_published_comparison(scenario: indicators.Scenario) -> None:
    table: pd.DataFrame = benchmarks.published_comparison(scenario, "kalundborg")
    co2 = table[table.indicator == "co2_avoided_t"].set_index("case_id")
    assert co2.loc["kalundborg_2018", "published"] == 635_000
    assert co2.loc["kalundborg_2018", "computed"] == scenario.totals["co2_avoided_t"]
    water = table[table.indicator == "water_saved_m3"].set_index("case_id")
    assert water.loc["kalundborg_seed", "published"] == 3_600_000
    assert water.loc["kalundborg_seed", "status"] == "to_confirm"
    assert benchmarks.published_comparison(scenario, "nowhere").empty
