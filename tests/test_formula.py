"""Factor formulas of the avoided-emissions table are evaluated without ``eval``.

Each formula is put in the steam rule of a copy of ``data/avoided.csv``, as a user edits the
table, and valued by `compute_exchanges` on the hand-worked exchanges of ``indicators_data``:
1,000 MWh of steam, with the round factors (gas 0.25 t CO2e/MWh, boiler efficiency 0.5, heat
pump COP 4).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pytest
from indicators_data import exchanges, factors

from eit_geo import indicators as ind

if TYPE_CHECKING:
    import pandas as pd

STEAM_MWH = 1000.0  # the first exchange of indicators_data
GAS, EFFICIENCY, COP = (
    "natural_gas_lifecycle_pci",
    "gas_boiler_efficiency",
    ("heat_pump_cop_low_temp_waste_heat"),
)


def steam_valued(formula: str, **changes: str | None) -> pd.Series:
    """Return the steam exchange valued with ``formula`` as its replaced-CO2 rule."""
    avoided = ind.read_avoided()
    steam = (avoided["code"] == "steam") & (avoided["role"] == "replaced")
    steam &= avoided["conversion"].fillna("") == ""
    assert steam.sum() == 1
    avoided.loc[steam, "co2_formula"] = formula
    valued = ind.compute_exchanges(exchanges(), factors=factors(**changes), avoided=avoided)
    return valued.loc[0]


@pytest.mark.parametrize(
    ("formula", "per_mwh"),
    [
        (GAS, 0.25),
        (f"{GAS} / {EFFICIENCY} - {GAS}", 0.25 / 0.5 - 0.25),
        (f"1 - 1 / {COP}", 0.75),
        (f"-{GAS} * ({EFFICIENCY} + {COP})", -0.25 * 4.5),
        (f"  {GAS}  /{EFFICIENCY}", 0.5),  # spaces anywhere
    ],
)
def test_evaluate(formula: str, per_mwh: float) -> None:
    valued = steam_valued(formula)
    assert valued["co2_replaced_t"] == pytest.approx(STEAM_MWH * per_mwh, rel=1e-12)
    assert valued["missing_factors"] == ""


def test_missing_keys_are_named_and_give_nan() -> None:
    valued = steam_valued(f"{GAS} * unknown_b / unknown_a")
    assert math.isnan(valued["co2_replaced_t"])
    assert valued["missing_factors"] == "unknown_a, unknown_b"  # every one, in name order


def test_division_by_zero_gives_nan_and_names_the_rule() -> None:
    valued = steam_valued(f"{GAS} / {EFFICIENCY}", **{EFFICIENCY: "0"})
    assert math.isnan(valued["co2_replaced_t"])
    assert valued["missing_factors"] == "replaced:steam"


def test_an_empty_formula_counts_nothing() -> None:
    valued = steam_valued("  ")
    assert valued["co2_replaced_t"] == 0
    assert valued["missing_factors"] == ""


@pytest.mark.parametrize(
    "formula", ["__import__('os')", f"{GAS}.real", f"{GAS} ** 2", "a if b else c", "'text'", "a +"]
)
def test_anything_else_is_refused(formula: str) -> None:
    with pytest.raises(ValueError, match="formula"):
        steam_valued(formula)
