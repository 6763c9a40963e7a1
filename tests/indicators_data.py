"""Shared data of the indicators' tests: round factors, hand-worked exchanges, a small zone."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from eit_geo import indicators as ind

if TYPE_CHECKING:
    from pathlib import Path

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


def by_hand_scenario() -> ind.Scenario:
    """The exchanges above, valued with the round factors."""
    return ind.build_scenario("existing", exchanges(), factors=factors())


def write_small_zone(folder: Path) -> Path:
    """Write a small Dunkirk-like zone (steel, cement, heat, food, biogas) in ``folder``."""
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
    return folder
