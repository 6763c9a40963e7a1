"""The reference data of the indicators: their names and units, factors, avoided-emission rules.

``data/factors.csv`` (emission factors, sourced), ``data/factor_units.csv`` (each factor unit
to t CO2e), ``data/avoided.csv`` (what each code replaces, by role), and the factors or prices a
user gives in a CSV file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from eit_geo.datafiles import read_table
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.written_numbers import parse_numbers

if TYPE_CHECKING:
    from pathlib import Path


__all__ = [
    "AMOUNTS",
    "EXCHANGE_COLUMNS",
    "INDICATORS",
    "PRICE_COLUMNS",
    "REALISED",
    "ROLES",
    "SCENARIOS",
    "UNIT_KEYS",
    "numbers",
    "read_avoided",
    "read_factor_units",
    "read_factors",
    "read_user_table",
]


INDICATORS: tuple[str, ...] = (
    "tonnes_diverted",
    "water_saved_m3",
    "energy_recovered_mwh",
    "co2_avoided_t",
    "transport_co2_t",
    "money_saved_eur",
)
SCENARIOS: tuple[str, ...] = ("existing", "selected", "optimal")
REALISED = "realised"
"""The scenario of the quantities actually exchanged in a year (`realised_scenario`)."""
AMOUNTS: tuple[str, ...] = ("tonnes_diverted", "water_saved_m3", "energy_recovered_mwh")
EXCHANGE_COLUMNS: tuple[str, ...] = (
    "from_id",
    "to_id",
    "resource",
    "input_resource",
    "conversion",
    "family",
    "quantity",
    "unit",
    "distance_km",
    "quantity_status",
)
ROLES: tuple[str, ...] = ("replaced", "disposal", "transport")
PRICE_COLUMNS: tuple[str, ...] = ("purchase_eur_per_unit", "disposal_eur_per_unit")
UNIT_KEYS: dict[str, str] = {
    "tonnes_diverted": "units.t_yr",
    "water_saved_m3": "units.m3_yr",
    "energy_recovered_mwh": "units.MWh_yr",
    "co2_avoided_t": "units.t_co2e_yr",
    "transport_co2_t": "units.t_co2e_yr",
    "money_saved_eur": "indicators.unit_eur_yr",
}


def read_factors() -> pd.DataFrame:
    """Return a copy of ``data/factors.csv`` (key, descriptions, value, unit, source, year, status).

    ``value`` is a float, NaN where the file gives none (a missing factor).
    """
    table = read_table("factors.csv").copy()
    table["value"] = numbers(table["value"])
    return table


def read_factor_units() -> pd.DataFrame:
    """Return ``data/factor_units.csv``: each factor unit's multiplier to t CO2e per unit."""
    table = read_table("factor_units.csv").copy()
    table["multiplier"] = numbers(table["multiplier"])
    return table


def read_avoided() -> pd.DataFrame:
    """Return a copy of ``data/avoided.csv``: what each code replaces, by role and conversion."""
    return read_table("avoided.csv").copy()


def read_user_table(path: Path, kind: str, *, lang: str = DEFAULT_LANGUAGE) -> pd.DataFrame:
    """Read a user's ``factors`` or ``prices`` CSV (``,`` or ``;``, UTF-8 with or without BOM).

    Factors need ``key``, ``value``, ``unit``, ``status`` (as ``data/factors.csv``, e.g. the file
    the app downloads); prices need ``code`` and ``purchase_eur_per_unit`` and/or
    ``disposal_eur_per_unit``.

    Raises
    ------
    ValueError
        If the file cannot be read or lacks a column; the message names the file and columns.
    """
    required = {"factors": ["key", "value", "unit", "status"], "prices": ["code"]}[kind]
    try:
        table = pd.read_csv(
            path, sep=None, engine="python", dtype=str, keep_default_na=False, encoding="utf-8-sig"
        )
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as error:
        msg = f"{path}: {error}"
        raise ValueError(msg) from error
    table.columns = [str(column).strip() for column in table.columns]
    if kind == "prices":
        for column in PRICE_COLUMNS:
            table[column] = table.get(column, "")
    missing = [column for column in required if column not in table]
    if missing:
        msg = t("indicators.cli_bad_table", lang, path=path, columns=", ".join(missing))
        raise ValueError(msg)
    return table


def numbers(values: pd.Series) -> pd.Series:
    """Read numbers typed in either convention (``0,09``, ``1 234,5``, ``1,234.5``); blanks NaN.

    The loader's reader (`eit_geo.written_numbers.parse_numbers`), on a tables' column of any type.
    """
    text = values.astype("string").fillna("")
    return pd.Series(parse_numbers(text).to_numpy(dtype=float), index=values.index)
