"""Tests of eit_geo.indicators' valuation: each exchange's indicators computed by hand."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest
from indicators_data import (
    BY_HAND,
    EXACT,
    EXCHANGES,
    TOTALS,
    by_hand_scenario,
    exchanges,
    factors,
    write_small_zone,
)

from eit_geo import indicators as ind
from eit_geo._formula import formula_keys
from eit_geo.allocation import allocate
from eit_geo.codes import FAMILIES, resource_table
from eit_geo.loading import load_zone
from eit_geo.matching import find_substitutions

if TYPE_CHECKING:
    from eit_geo.zone import Zone


@pytest.fixture
def scenario() -> ind.Scenario:
    return by_hand_scenario()


@pytest.fixture(scope="module")
def small_zone(tmp_path_factory: pytest.TempPathFactory) -> Zone:
    return load_zone(write_small_zone(tmp_path_factory.mktemp("small")))


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


def test_price_file(tmp_path: Path) -> None:
    path = tmp_path / "prix.csv"
    path.write_text("\ufeffcode;purchase_eur_per_unit\nsteam;30\n", encoding="utf-8")
    prices = ind.read_user_table(path, "prices")
    assert list(prices.columns) == ["code", "purchase_eur_per_unit", "disposal_eur_per_unit"]
    scenario = ind.build_scenario("existing", exchanges(), factors=factors(), prices=prices)
    assert scenario.totals["money_saved_eur"] == 30_000


def test_co2_per_unit_is_a_weight_for_allocation(small_zone: Zone) -> None:
    candidates = find_substitutions(small_zone)
    weights = ind.co2_per_unit(candidates, factors=factors())
    assert weights.index.equals(candidates.index)
    steam = candidates.index[candidates["resource"] == "steam"][0]
    assert weights[steam] == pytest.approx(0.25 / 0.5, rel=EXACT)  # t CO2e per MWh
    allocated = allocate(candidates.assign(co2=weights), weight="co2")
    scenario = ind.candidate_scenario("optimal", small_zone, allocated, factors=factors())
    assert scenario.totals["co2_avoided_t"] > 0


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
    # The formulas' parser (a private module), on purpose: every word of the data file's formulas
    # is a known factor, which only the parser can list (the valuation names an unknown factor
    # and a factor without value alike, and only for the rules an exchange uses).
    for formula in (*avoided["co2_formula"], *avoided["counted_share"]):
        assert set(formula_keys(formula)) <= keys, formula
    assert set(avoided["role"]) == {"replaced", "disposal", "transport"}
    assert set(avoided["counts_as"]) <= {"", *ind.AMOUNTS}
    assert not avoided.duplicated(["code", "role", "conversion"]).any()
    replaced = set(avoided.loc[avoided["role"] == "replaced", "code"])
    assert set(resource_table().index[~resource_table().index.str[0].str.isdigit()]) <= replaced
    for role in ("disposal", "transport"):
        assert set(FAMILIES) <= set(avoided.loc[avoided["role"] == role, "code"])
