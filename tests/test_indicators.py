"""Tests of eit_geo.indicators: each indicator computed by hand on a small zone."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest
from pyproj import Geod

from eit_geo import indicators as ind
from eit_geo._formula import formula_keys
from eit_geo.allocation import allocate
from eit_geo.cli import main
from eit_geo.codes import FAMILIES, resource_table
from eit_geo.datafiles import example_path
from eit_geo.loading import load_zone
from eit_geo.matching import find_substitutions

if TYPE_CHECKING:
    from eit_geo.zone import Zone

EXACT = 1e-12  # relative tolerance: equal to the last digits of a float

# Round factor values, so that every expected figure below can be checked with pencil and paper.
FACTORS = [
    ("natural_gas_lifecycle_pci", "0.25", "kgCO2e/kWh_PCI", "sourced"),
    ("gas_boiler_efficiency", "0.5", "ratio", "sourced"),
    ("electricity_france_2023", "0.05", "kgCO2e/kWh", "sourced"),
    ("heat_pump_cop_low_temp_waste_heat", "4", "ratio", "sourced"),
    ("biomethane_injected", "0.05", "kgCO2e/kWh_PCI", "sourced"),
    ("fly_ash_or_slag_clinker_substitution", "0.75", "tCO2/t_substituted", "sourced"),
    ("landfill_nonhazardous_industrial", "20", "kgCO2e/t", "sourced"),
    ("road_freight_articulated_40t", "0.1", "kgCO2e/t.km", "sourced"),
    ("drinking_water_range", "0.5", "kgCO2e/m3", "sourced"),
    ("sludge_n_content", "0.05", "kg_N/kg_DM", "sourced"),
    ("fertiliser_an_bat", "4", "kgCO2e/kg_N", "sourced"),
]

# (from, to, output code, input code, conversion, family, quantity, unit, km)
EXCHANGES = [
    ("steel", "heat", "steam", "steam", "", "energy", 1000.0, "MWh/yr", 2.0),
    ("steel", "cement", "10 01 02", "cement_raw_material", "", "material", 2000.0, "t/yr", 50.0),
    ("wwtp", "paper", "process_water", "process_water", "", "water", 10000.0, "m3/yr", 3.0),
    ("dairy", "heat", "waste_heat", "hot_water", "heat_pump", "energy", 400.0, "MWh/yr", 1.0),
    ("dairy", "wwtp", "wastewater", "wastewater", "", "water", 5000.0, "m3/yr", 1.0),
    ("wwtp", "farm", "19 08 05", "fertiliser", "", "material", 100.0, "t/yr", 10.0),
]

# Worked by hand from FACTORS (kg/kWh = t/MWh; kg/t, kg/m3 and kg/t.km × 0.001):
#  steam      1000 MWh × 0.25 / 0.5                         = 500 t replaced; 1000 MWh recovered
#  fly ash    2000 t × 0.75 = 1500 replaced; 2000 t × 0.020 = 40 landfill;
#             2000 t × 50 km × 0.0001 = 10 transport        → 1500 + 40 − 10 = 1530
#  water      10000 m3 × 0.0005                             = 5 t replaced; 10000 m3 saved
#  heat pump  400 MWh × (0.25 / 0.5 − 0.05 / 4) = 400 × 0.4875 = 195; 400 × (1 − 1/4) = 300 MWh
#  wastewater shared treatment: nothing
#  sludge     100 t × 0.05 × 4 = 20 replaced; 100 × 0.020 = 2 landfill; 100 × 10 × 0.0001 = 0.1
#             transport                                      → 20 + 2 − 0.1 = 21.9
BY_HAND = [
    {"co2_replaced_t": 500, "co2_disposal_t": 0, "transport_co2_t": 0, "co2_avoided_t": 500,
     "tonnes_diverted": 0, "water_saved_m3": 0, "energy_recovered_mwh": 1000},
    {"co2_replaced_t": 1500, "co2_disposal_t": 40, "transport_co2_t": 10, "co2_avoided_t": 1530,
     "tonnes_diverted": 2000, "water_saved_m3": 0, "energy_recovered_mwh": 0},
    {"co2_replaced_t": 5, "co2_disposal_t": 0, "transport_co2_t": 0, "co2_avoided_t": 5,
     "tonnes_diverted": 0, "water_saved_m3": 10000, "energy_recovered_mwh": 0},
    {"co2_replaced_t": 195, "co2_disposal_t": 0, "transport_co2_t": 0, "co2_avoided_t": 195,
     "tonnes_diverted": 0, "water_saved_m3": 0, "energy_recovered_mwh": 300},
    {"co2_replaced_t": 0, "co2_disposal_t": 0, "transport_co2_t": 0, "co2_avoided_t": 0,
     "tonnes_diverted": 0, "water_saved_m3": 0, "energy_recovered_mwh": 0},
    {"co2_replaced_t": 20, "co2_disposal_t": 2, "transport_co2_t": 0.1, "co2_avoided_t": 21.9,
     "tonnes_diverted": 100, "water_saved_m3": 0, "energy_recovered_mwh": 0},
]  # fmt: skip
TOTALS = {
    "tonnes_diverted": 2100.0,
    "water_saved_m3": 10000.0,
    "energy_recovered_mwh": 1300.0,
    "co2_avoided_t": 500 + 1530 + 5 + 195 + 21.9,
    "transport_co2_t": 10.1,
}


def factors(**changes: str | None) -> pd.DataFrame:
    """The round factors; ``key=value`` changes a value, ``key=None`` deletes the row."""
    rows = [
        {"key": key, "value": changes.get(key, value), "unit": unit, "status": status}
        for key, value, unit, status in FACTORS
        if not (key in changes and changes[key] is None)
    ]
    return pd.DataFrame(rows)


def exchanges(**columns: object) -> pd.DataFrame:
    names = ["from_id", "to_id", "resource", "input_resource", "conversion", "family"]
    table = pd.DataFrame(EXCHANGES, columns=[*names, "quantity", "unit", "distance_km"])
    return table.assign(**columns)


@pytest.fixture
def scenario() -> ind.Scenario:
    return ind.build_scenario("existing", exchanges(), factors=factors())


@pytest.mark.parametrize("row", range(len(EXCHANGES)))
def test_each_exchange_by_hand(scenario: ind.Scenario, row: int) -> None:
    valued = scenario.exchanges.iloc[row]
    for column, expected in BY_HAND[row].items():
        assert valued[column] == pytest.approx(expected, rel=EXACT, abs=1e-12), column
    assert valued["missing_factors"] == ""


def test_zone_totals_by_hand(scenario: ind.Scenario) -> None:
    for indicator, expected in TOTALS.items():
        assert scenario.totals[indicator] == pytest.approx(expected, rel=EXACT), indicator
    assert scenario.totals["money_saved_eur"] is None
    assert scenario.n_synergies == len(EXCHANGES)
    assert scenario.missing_factors == ()
    assert scenario.partners == ["cement", "dairy", "farm", "heat", "paper", "steel", "wwtp"]


def test_input_not_modified() -> None:
    table = exchanges()
    before = table.copy()
    ind.compute_exchanges(table, factors=factors())
    pd.testing.assert_frame_equal(table, before)


def test_transport_is_deducted_and_proportional_to_distance() -> None:
    near = ind.compute_exchanges(exchanges(), factors=factors())
    far = ind.compute_exchanges(exchanges(distance_km=100.0), factors=factors())
    # fly ash: 2000 t × 100 km × 0.1 kg/t.km = 20 t; sludge: 100 t × 100 km × 0.1 kg = 1 t
    assert far.loc[1, "transport_co2_t"] == pytest.approx(20.0, rel=EXACT)
    assert far.loc[5, "transport_co2_t"] == pytest.approx(1.0, rel=EXACT)
    assert far.loc[1, "co2_avoided_t"] == pytest.approx(1500 + 40 - 20, rel=EXACT)
    # pipes (energy, water) add no transport whatever the distance
    pipes = far["family"] != "material"
    assert (far.loc[pipes, "transport_co2_t"] == 0).all()
    assert (far.loc[pipes, "co2_avoided_t"] == near.loc[pipes, "co2_avoided_t"]).all()


def test_transport_takes_the_road_factor_of_the_table() -> None:
    valued = ind.compute_exchanges(exchanges(), factors=factors(road_freight_articulated_40t="0.3"))
    assert valued.loc[1, "transport_co2_t"] == pytest.approx(2000 * 50 * 0.3 / 1000, rel=EXACT)


def test_transport_can_outweigh_the_benefit() -> None:
    valued = ind.compute_exchanges(exchanges(distance_km=10_000.0), factors=factors())
    # sludge: 20 + 2 − 100 t × 10 000 km × 0.0001 = 22 − 100 = −78
    assert valued.loc[5, "co2_avoided_t"] == pytest.approx(-78.0, rel=EXACT)


@pytest.mark.parametrize(
    "change",
    [
        {"landfill_nonhazardous_industrial": ""},
        {"landfill_nonhazardous_industrial": None},
        {"landfill_nonhazardous_industrial": "n/a"},
    ],
    ids=["empty value", "row deleted", "not a number"],
)
def test_missing_factor_is_named_never_zero(change: dict[str, str | None]) -> None:
    scenario = ind.build_scenario("existing", exchanges(), factors=factors(**change))
    valued = scenario.exchanges
    assert scenario.missing_factors == ("landfill_nonhazardous_industrial",)
    landfill = "landfill_nonhazardous_industrial"
    assert list(valued["missing_factors"]) == ["", landfill, "", "", "", landfill]
    assert math.isnan(valued.loc[1, "co2_disposal_t"])
    assert scenario.totals["co2_avoided_t"] == pytest.approx(TOTALS["co2_avoided_t"] - 42)
    assert scenario.totals["tonnes_diverted"] == TOTALS["tonnes_diverted"]  # still counted
    assert scenario.to_dict()["co2_complete"] is False
    assert scenario.to_dict()["missing_factors"] == ["landfill_nonhazardous_industrial"]


def test_factor_with_unknown_unit_is_missing() -> None:
    table = factors()
    table.loc[table["key"] == "drinking_water_range", "unit"] = "kgCO2e/gallon"
    scenario = ind.build_scenario("existing", exchanges(), factors=table)
    assert scenario.missing_factors == ("drinking_water_range",)
    assert scenario.totals["water_saved_m3"] == TOTALS["water_saved_m3"]


def test_missing_heat_pump_factor_leaves_both_terms_out() -> None:
    scenario = ind.build_scenario(
        "existing", exchanges(), factors=factors(heat_pump_cop_low_temp_waste_heat="")
    )
    heat_pump = scenario.exchanges.loc[3]
    assert math.isnan(heat_pump["co2_replaced_t"])
    assert heat_pump["energy_recovered_mwh"] != heat_pump["energy_recovered_mwh"]  # NaN
    assert scenario.totals["energy_recovered_mwh"] == pytest.approx(1000.0)
    assert scenario.missing_factors == ("heat_pump_cop_low_temp_waste_heat",)


def test_unit_that_does_not_fit_the_rule_is_missing() -> None:
    table = exchanges()
    table.loc[0, "unit"] = "t/yr"  # steam given in tonnes: the MWh rule cannot apply
    valued = ind.compute_exchanges(table, factors=factors())
    assert valued.loc[0, "missing_factors"] == "replaced:steam (t/yr)"
    assert valued.loc[0, "energy_recovered_mwh"] == 0


def test_estimated_quantity_marks_its_indicators() -> None:
    status = ["estimate", "published", "", "", "", ""]
    scenario = ind.build_scenario("existing", exchanges(quantity_status=status), factors=factors())
    valued = scenario.exchanges
    assert valued.loc[0, "energy_recovered_mwh_estimate"]
    assert valued.loc[0, "co2_avoided_t_estimate"]
    assert not valued.loc[0, "tonnes_diverted_estimate"]  # nothing counted there
    assert not valued.loc[1, "co2_avoided_t_estimate"]
    assert scenario.estimated == {
        "tonnes_diverted": False,
        "water_saved_m3": False,
        "energy_recovered_mwh": True,
        "co2_avoided_t": True,
        "transport_co2_t": False,
        "money_saved_eur": False,
    }


def test_factor_to_confirm_marks_co2_as_estimate() -> None:
    table = factors()
    table.loc[table["key"] == "gas_boiler_efficiency", "status"] = "to_confirm"
    scenario = ind.build_scenario("existing", exchanges(), factors=table)
    assert scenario.estimated["co2_avoided_t"]
    assert not scenario.estimated["energy_recovered_mwh"]  # the MWh themselves are not
    cop = factors()
    cop.loc[cop["key"] == "heat_pump_cop_low_temp_waste_heat", "status"] = "to_confirm"
    scenario = ind.build_scenario("existing", exchanges(), factors=cop)
    assert scenario.estimated["energy_recovered_mwh"]  # the recovered share rests on the COP


def test_money_saved_where_prices_are_given() -> None:
    prices = pd.DataFrame(
        {
            "code": ["steam", "10 01 02", "cement_raw_material"],
            "purchase_eur_per_unit": ["30", "", "50"],
            "disposal_eur_per_unit": ["", "12,5", ""],
        }
    )
    scenario = ind.build_scenario("existing", exchanges(), factors=factors(), prices=prices)
    money = scenario.exchanges["money_saved_eur"]
    assert money[0] == 1000 * 30
    assert money[1] == 2000 * (50 + 12.5)
    assert money[2:].isna().all()
    assert scenario.totals["money_saved_eur"] == 30_000 + 125_000


# --------------------------------------------------------------------------- a small zone


@pytest.fixture(scope="module")
def small_zone(tmp_path_factory: pytest.TempPathFactory) -> Zone:
    folder = tmp_path_factory.mktemp("small")
    (folder / "companies.csv").write_text(
        "id,name,lat,lon,employees\n"
        "steel,Aciérie,51.03,2.28,1000\n"
        "cement,Cimenterie,51.03,2.30,100\n"
        "heat,Réseau de chaleur,51.04,2.28,\n"
        "food,Biscuiterie,51.02,2.28,50\n"
        "biogas,Méthaniseur,51.02,2.29,5\n",
        encoding="utf-8",
    )
    (folder / "flows.csv").write_text(
        "company_id,direction,resource,quantity,unit,quantity_status\n"
        "steel,output,10 01 02,2000,t/yr,published\n"
        "steel,output,steam,1000,MWh/yr,estimate\n"
        "steel,output,waste_heat,400,MWh/yr,estimate\n"
        "cement,input,cement_raw_material,3000,t/yr,published\n"
        "heat,input,hot_water,2000,MWh/yr,published\n"
        "food,output,02 07 04,500,t/yr,published\n"
        "biogas,input,02 07,800,t/yr,published\n",
        encoding="utf-8",
    )
    (folder / "synergies.csv").write_text(
        "from_id,to_id,resource,quantity,unit,since,quantity_status\n"
        "steel,cement,10 01 02,2000,t/yr,2001,published\n"
        "steel,heat,steam,1000,MWh/yr,2005,estimate\n"
        "food,biogas,02 07 04,300,t/yr,2010,published\n"
        "steel,heat,waste_heat,400,MWh/yr,,estimate\n",
        encoding="utf-8",
    )
    return load_zone(folder)


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


# --------------------------------------------------------------------------- display


def test_kpi_cards_say_estimate_and_incomplete() -> None:
    table = factors(landfill_nonhazardous_industrial="")
    status = ["estimate", "", "", "", "", ""]
    scenario = ind.build_scenario("existing", exchanges(quantity_status=status), factors=table)
    cards = {card["key"]: card for card in ind.kpi_cards(scenario, "en")}
    assert "money_saved_eur" not in cards
    assert cards["energy_recovered_mwh"]["value"].startswith("≈ ")
    assert "Incomplete" in cards["co2_avoided_t"]["help"]
    assert (cards["water_saved_m3"]["value"], cards["water_saved_m3"]["unit"]) == (
        "10,000",
        "m³/yr",
    )
    baseline = ind.build_scenario("existing", exchanges().iloc[:1], factors=factors())
    cards = {c["key"]: c for c in ind.kpi_cards(scenario, "en", baseline=baseline)}
    assert cards["water_saved_m3"]["delta"] == "+10,000"


def test_indicator_table_is_translated(scenario: ind.Scenario) -> None:
    table = ind.indicator_table(ind.by_family(scenario), "fr")
    assert list(table["Famille"]) == ["Énergie", "Matière", "Eau"]
    assert "CO₂ évité (net) (t CO₂e/an)" in table.columns


# --------------------------------------------------------------------------- data files


def test_factor_file_is_complete() -> None:
    table = ind.read_factors()
    assert table["key"].is_unique
    assert set(table["status"]) <= {"sourced", "to_confirm"}
    assert (table["source"].str.len() > 0).all()
    sourced = table[table["status"] == "sourced"]
    assert sourced["value"].notna().all(), "a sourced factor needs a value"
    units = set(ind.read_factor_units()["unit"])
    assert set(table["unit"]) <= units


def test_avoided_table_uses_known_factors_and_covers_every_code() -> None:
    avoided = ind.read_avoided()
    keys = set(ind.read_factors()["key"])
    for formula in (*avoided["co2_formula"], *avoided["counted_share"]):
        assert set(formula_keys(formula)) <= keys, formula
    assert set(avoided["role"]) == {"replaced", "disposal", "transport"}
    assert set(avoided["counts_as"]) <= {"", *ind.AMOUNTS}
    assert not avoided.duplicated(["code", "role", "conversion"]).any()
    replaced = set(avoided.loc[avoided["role"] == "replaced", "code"])
    assert set(resource_table().index[~resource_table().index.str[0].str.isdigit()]) <= replaced
    for role in ("disposal", "transport"):
        assert set(FAMILIES) <= set(avoided.loc[avoided["role"] == role, "code"])


# --------------------------------------------------------------------------- command line


def test_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["indicators", "kalundborg", "--json"]) == 0
    values = json.loads(capsys.readouterr().out)
    assert set(values) == {"zone", "existing", "optimal"}
    for name in ("existing", "optimal"):
        for key in (*ind.INDICATORS, "n_synergies", "missing_factors"):
            assert key in values[name]
    existing = values["existing"]
    assert existing["water_saved_m3"] == 1_700_000
    assert existing["n_synergies"] == 19  # of 20: the fly ash to Aalborg stopped in 2019
    assert existing["co2_avoided_t"] == pytest.approx(
        ind.existing_scenario(load_zone(example_path("kalundborg"))).totals["co2_avoided_t"]
    )


def test_cli_one_scenario_and_edited_factors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edited = ind.read_factors()
    edited.loc[edited["key"] == "landfill_nonhazardous_industrial", "value"] = 10.0
    path = tmp_path / "facteurs.csv"
    edited.to_csv(path, sep=";", index=False)
    assert main(["indicators", "kalundborg", "--scenario", "existing", "--json"]) == 0
    before = json.loads(capsys.readouterr().out)
    assert set(before) == {"zone", "existing"}
    assert (
        main(
            ["indicators", "kalundborg", "--scenario", "existing", "--json", "--factors", str(path)]
        )
        == 0
    )
    after = json.loads(capsys.readouterr().out)["existing"]
    assert after["missing_factors"] == ["natural_gypsum_vs_fgd"]
    # 451 000 t diverted × 10 kg/t = 4 510 t more (the fly ash, stopped in 2019, no longer counts)
    assert after["co2_avoided_t"] == pytest.approx(before["existing"]["co2_avoided_t"] + 4510)


def test_cli_text_and_bad_factor_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["indicators", "parc-rural", "--scenario", "existing", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "Tonnes diverted: 3,600 t/yr" in out
    assert "Landfill of non-hazardous industrial waste" in out
    assert "landfill_nonhazardous_industrial" not in out
    bad = tmp_path / "bad.csv"
    bad.write_text("key;value\nroad;1\n", encoding="utf-8")
    assert main(["indicators", "parc-rural", "--factors", str(bad)]) == 2
    assert "unit, status" in capsys.readouterr().err


def test_co2_per_unit_is_a_weight_for_allocation(small_zone: Zone) -> None:
    candidates = find_substitutions(small_zone)
    weights = ind.co2_per_unit(candidates, factors=factors())
    assert weights.index.equals(candidates.index)
    steam = candidates.index[candidates["resource"] == "steam"][0]
    assert weights[steam] == pytest.approx(0.25 / 0.5, rel=EXACT)  # t CO2e per MWh
    allocated = allocate(candidates.assign(co2=weights), weight="co2")
    scenario = ind.candidate_scenario("optimal", small_zone, allocated, factors=factors())
    assert scenario.totals["co2_avoided_t"] > 0


def test_factor_table_counts_the_exchanges_using_each_factor(scenario: ind.Scenario) -> None:
    table = ind.factor_table(ind.read_factors(), scenario, "en").set_index("key")
    assert table.loc["natural_gas_lifecycle_pci", "used"] == 2  # steam and heat pump
    assert table.loc["road_freight_articulated_40t", "used"] == 2  # fly ash and sludge
    assert table.loc["virgin_glass", "used"] == 0
    assert table.loc["landfill_nonhazardous_industrial", "description"].startswith("Landfill")


def test_editor_tables(small_zone: Zone) -> None:
    editor = ind.factor_editor_table("en")
    assert list(editor.columns) == [
        "key", "description", "value", "unit", "source", "year", "status"
    ]  # fmt: skip
    prices = ind.price_template(small_zone)
    assert list(prices["code"]) == sorted(set(small_zone.flows["resource"]))
    assert prices[list(ind.PRICE_COLUMNS)].isna().all().all()
    avoided = ind.avoided_table("fr")
    assert "Ce qui est remplacé ou évité" in avoided.columns
    assert len(avoided) == len(ind.read_avoided())


def test_price_file(tmp_path: Path) -> None:
    path = tmp_path / "prix.csv"
    path.write_text("\ufeffcode;purchase_eur_per_unit\nsteam;30\n", encoding="utf-8")
    prices = ind.read_user_table(path, "prices")
    assert list(prices.columns) == ["code", "purchase_eur_per_unit", "disposal_eur_per_unit"]
    scenario = ind.build_scenario("existing", exchanges(), factors=factors(), prices=prices)
    assert scenario.totals["money_saved_eur"] == 30_000


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
