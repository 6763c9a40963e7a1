"""Tests of eit_geo.indicators' exchanges, scenarios and breakdowns: a small zone, Kalundborg."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from indicators_data import EXACT, FACTORS, factors, write_small_zone
from pyproj import Geod

from eit_geo import indicators as ind
from eit_geo.allocation import allocate
from eit_geo.datafiles import example_path
from eit_geo.loading import load_zone
from eit_geo.matching import find_substitutions

if TYPE_CHECKING:
    from eit_geo.zone import Zone


@pytest.fixture(scope="module")
def small_zone(tmp_path_factory: pytest.TempPathFactory) -> Zone:
    return load_zone(write_small_zone(tmp_path_factory.mktemp("small")))


def test_synergies_become_exchanges(small_zone: Zone) -> None:
    table = ind.exchanges_from_synergies(small_zone)
    assert list(table["input_resource"]) == [
        "cement_raw_material",
        "hot_water",
        "02 07",
        "hot_water",
    ]
    assert list(table["conversion"]) == ["", "", "", "heat_pump"]
    assert list(table["quantity_status"]) == ["published", "estimate", "published", "estimate"]
    assert list(table["from_name"]) == ["Aciérie", "Aciérie", "Biscuiterie", "Aciérie"]
    geod = Geod(ellps="WGS84")
    _, _, metres = geod.inv(2.28, 51.03, 2.30, 51.03)
    assert table.loc[0, "distance_km"] == pytest.approx(metres / 1000, rel=2e-3)


def test_existing_scenario_of_the_small_zone(small_zone: Zone) -> None:
    values = {key: value for key, value, _, _ in FACTORS}
    scenario = ind.existing_scenario(small_zone, factors=factors())
    km = scenario.exchanges.loc[0, "distance_km"]
    fly_ash = 2000 * 0.75 + 2000 * 0.020 - 2000 * km * 0.1 / 1000
    steam = 1000 * 0.25 / 0.5
    yeast = 300 * 0.020 - 300 * scenario.exchanges.loc[2, "distance_km"] * 0.1 / 1000
    heat_pump = 400 * (0.25 / 0.5 - 0.05 / 4)
    assert scenario.totals["co2_avoided_t"] == pytest.approx(
        fly_ash + steam + yeast + heat_pump, rel=EXACT
    )
    assert scenario.totals["tonnes_diverted"] == 2300
    assert scenario.totals["energy_recovered_mwh"] == 1000 + 400 * (1 - 1 / 4)
    assert scenario.estimated["energy_recovered_mwh"]
    assert not scenario.estimated["tonnes_diverted"]
    assert values  # the factors table above is the one used


def test_candidates_become_exchanges(small_zone: Zone) -> None:
    allocated = allocate(find_substitutions(small_zone))
    table = ind.exchanges_from_candidates(small_zone, allocated)
    assert (table["quantity"] > 0).all()
    assert len(table) == int((allocated["allocated_quantity"] > 0).sum())
    steam = table[table["resource"] == "steam"].iloc[0]
    assert steam["quantity_status"] == "estimate"  # the offer is an estimate
    fly_ash = table[table["resource"] == "10 01 02"].iloc[0]
    assert fly_ash["quantity_status"] == ""


def test_selected_scenario_defaults_to_existing(small_zone: Zone) -> None:
    candidates = find_substitutions(small_zone)
    none_yet = ind.selected_scenario(small_zone, candidates, None, factors=factors())
    assert set(none_yet.exchanges["status"]) == {"existing"}
    one = candidates["candidate_id"].iloc[:1].tolist()
    chosen = ind.selected_scenario(small_zone, candidates, one, factors=factors())
    assert list(chosen.exchanges["exchange_id"]) == one


def test_optimal_scenario_includes_existing(small_zone: Zone) -> None:
    existing = ind.existing_scenario(small_zone, factors=factors())
    optimal = ind.optimal_scenario(small_zone, factors=factors())
    assert optimal.totals["tonnes_diverted"] >= existing.totals["tonnes_diverted"]
    assert optimal.n_synergies >= existing.n_synergies


def test_breakdowns_add_up(small_zone: Zone) -> None:
    scenario = ind.existing_scenario(small_zone, factors=factors())
    families = ind.by_family(scenario)
    for indicator in ("tonnes_diverted", "energy_recovered_mwh", "co2_avoided_t"):
        assert families[indicator].sum() == pytest.approx(scenario.totals[indicator], rel=EXACT)
    companies = ind.by_company(scenario, small_zone).set_index("company_id")
    assert companies.loc["steel", "n_synergies"] == 3
    assert companies.loc["heat", "energy_recovered_mwh"] == 1300
    assert companies.loc["steel", "employees"] == 1000


def test_network_growth(small_zone: Zone) -> None:
    growth = ind.network_growth(small_zone)
    assert growth["year"].min() == 2001
    assert growth["year"].max() == 2010
    last = growth[growth["year"] == 2010].set_index("family")["total"]
    assert last.to_dict() == {"energy": 1, "material": 2}  # the undated one is left out


# --------------------------------------------------------------------------- Kalundborg


@pytest.fixture(scope="module")
def kalundborg() -> Zone:
    return load_zone(example_path("kalundborg"))


def test_kalundborg_existing_figures(kalundborg: Zone) -> None:
    shipped = ind.read_factors().set_index("key")["value"]
    scenario = ind.existing_scenario(kalundborg)
    valued = scenario.exchanges.set_index("exchange_id")
    fly_ash = "asnaes>aalborgportland:10 01 02"  # stopped in 2019, when Asnæs left coal
    assert fly_ash not in valued.index
    in_2010 = ind.existing_scenario(kalundborg, year=2010).exchanges.set_index("exchange_id")
    assert in_2010.loc[fly_ash, "co2_replaced_t"] == pytest.approx(
        438_000 * shipped["fly_ash_or_slag_clinker_substitution"], rel=EXACT
    )
    heat = shipped["natural_gas_lifecycle_pci"] / shipped["gas_boiler_efficiency"]
    assert valued.loc["asnaes>novonordisk:steam", "co2_avoided_t"] == pytest.approx(
        150_000 * heat, rel=EXACT
    )
    assert scenario.n_synergies == len(kalundborg.synergies) - 1
    assert scenario.totals["water_saved_m3"] == 700_000 + 1_000_000
    assert scenario.totals["energy_recovered_mwh"] == 560_000
    assert scenario.totals["tonnes_diverted"] == 150_000 + 1_000 + 300_000
    assert scenario.missing_factors == ("landfill_nonhazardous_industrial", "natural_gypsum_vs_fgd")
    assert all(scenario.estimated[key] for key in ind.AMOUNTS)
    growth = ind.network_growth(kalundborg)
    assert growth["year"].min() == 1972


def test_a_synergy_stopped_in_2010_is_no_longer_existing(kalundborg: Zone) -> None:
    synergies = kalundborg.synergies.copy()
    gypsum = synergies["from_id"].eq("asnaes") & synergies["to_id"].eq("gyproc")
    synergies.loc[gypsum, "until"] = 2010
    zone = replace(kalundborg, synergies=synergies)
    today = ind.existing_scenario(zone)
    declared = ind.existing_scenario(kalundborg)
    key = "asnaes>gyproc:10 01 05"
    assert key not in set(today.exchanges["exchange_id"])
    assert declared.totals["tonnes_diverted"] - today.totals["tonnes_diverted"] == 150_000
    assert key in set(ind.existing_scenario(zone, year=2005).exchanges["exchange_id"])
    assert key not in set(ind.existing_scenario(zone, year=2010).exchanges["exchange_id"])
    gypsum_rows = ind.optimal_scenario(zone).exchanges.query("from_id == 'asnaes'")
    gypsum_rows = gypsum_rows[gypsum_rows["to_id"] == "gyproc"]
    assert gypsum_rows["status"].tolist() == ["candidate"]  # a lead again, not in place
    assert gypsum_rows["quantity"].tolist() == [150_000]


# --------------------------------------------------------------------------- unknown quantities


def _greenhouses_unknown() -> tuple[Zone, Zone]:
    zone = load_zone(Path(__file__).parent / "data" / "engine-sugar")
    flows = zone.flows.assign(quantity=zone.flows["quantity"].astype(float))
    heat = (flows["company_id"] == "serres") & (flows["resource"] == "hot_water")
    flows.loc[heat, "quantity"] = math.nan
    return zone, replace(zone, flows=flows)


def test_scenarios_count_the_leads_they_could_not_count() -> None:
    known, unknown = _greenhouses_unknown()
    assert ind.optimal_scenario(known).uncounted == 0
    optimal = ind.optimal_scenario(unknown)
    assert optimal.uncounted == 1  # the condensates to the greenhouses: quantity unknown
    assert optimal.to_dict()["n_uncounted"] == 1
    assert "sucrerie>serres:waste_heat>hot_water" not in set(optimal.exchanges["exchange_id"])
    candidates = find_substitutions(unknown)
    lead = "sucrerie>serres:waste_heat>hot_water"
    chosen = ind.selected_scenario(unknown, candidates, [lead])
    assert (chosen.uncounted, chosen.n_synergies) == (1, 0)
    assert chosen.totals["energy_recovered_mwh"] == 0.0  # nothing known, not a guess
    assert ind.selected_scenario(unknown, candidates, None).uncounted == 0


def test_existing_synergy_of_unknown_quantity_is_not_counted_as_zero(small_zone: Zone) -> None:
    synergies = small_zone.synergies.assign(quantity=small_zone.synergies["quantity"].astype(float))
    synergies.loc[synergies.index[0], "quantity"] = math.nan
    existing = ind.existing_scenario(replace(small_zone, synergies=synergies))
    assert existing.uncounted == 1
    assert existing.n_synergies == len(synergies)
