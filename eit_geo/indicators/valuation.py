"""The value of each exchange: tonnes diverted, water saved, energy recovered, CO2 avoided.

Each exchange is valued with three rules of ``data/avoided.csv`` (``replaced``, ``disposal``,
``transport``), each a formula over the factors converted to t CO2e per unit; a factor without
a value leaves its term out and is named, never a silent zero.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import NamedTuple

import numpy as np
import pandas as pd

from eit_geo._formula import evaluate_formula, formula_keys
from eit_geo.codes import ewc_parents, family_of, is_ewc_chapter
from eit_geo.indicators.exchanges import is_estimate
from eit_geo.indicators.reference import (
    AMOUNTS,
    EXCHANGE_COLUMNS,
    ROLES,
    numbers,
    read_avoided,
    read_factor_units,
    read_factors,
)

__all__ = [
    "co2_per_unit",
    "compute_exchanges",
    "factor_uses",
    "find_rule",
]


class _Term(NamedTuple):
    """One rule of ``avoided.csv`` evaluated with the factors."""

    per_unit: float
    counts_as: str
    share: float
    missing: tuple[str, ...]
    to_confirm: bool
    share_to_confirm: bool
    keys: frozenset[str] = frozenset()  # the factors its formulas name


class _Factors(NamedTuple):
    by_key: dict[str, float]
    to_confirm: frozenset[str]


def _factor_values(factors: pd.DataFrame, units: pd.DataFrame) -> _Factors:
    multipliers = dict(zip(units["unit"], units["multiplier"], strict=True))
    value = numbers(factors["value"].astype("string"))
    multiplier = factors["unit"].astype(str).str.strip().map(multipliers).astype(float)
    converted = value.to_numpy() * multiplier.to_numpy()
    keys = factors["key"].astype(str).str.strip()
    values = {
        key: float(number)
        for key, number in zip(keys, converted, strict=True)
        if not math.isnan(number)
    }
    status = factors["status"].astype("string").fillna("").str.strip()
    return _Factors(values, frozenset(keys[status != "sourced"]))


def _lookup_keys(code: str) -> list[str]:
    keys = [code, *ewc_parents(code)]
    if is_ewc_chapter(code) and len(code) > len("10"):
        keys.append(code[:2])
    keys.append(family_of(code))
    return keys


def find_rule(avoided: pd.DataFrame, role: str, code: str, conversion: str) -> pd.Series | None:
    """Return the rule of ``avoided`` for a role, code (or its parents, family) and conversion."""
    rules = avoided[(avoided["role"] == role) & (avoided["conversion"].fillna("") == conversion)]
    for key in _lookup_keys(code):
        found = rules[rules["code"] == key]
        if len(found):
            return found.iloc[0]
    return None


def _term(avoided: pd.DataFrame, factors: _Factors, key: tuple[str, str, str, str]) -> _Term:
    role, code, conversion, unit = key
    rule = find_rule(avoided, role, code, conversion)
    label = f"{role}:{code}" + (f"/{conversion}" if conversion else "")
    if rule is None:
        return _Term(math.nan, "", math.nan, (label,), to_confirm=False, share_to_confirm=False)
    formula, counts_as = str(rule["co2_formula"]).strip(), str(rule["counts_as"]).strip()
    share_formula = str(rule["counted_share"]).strip()
    if (formula or counts_as) and str(rule["unit"]).strip() != unit:
        missing: tuple[str, ...] = (f"{label} ({unit})",)
        return _Term(math.nan, "", math.nan, missing, to_confirm=False, share_to_confirm=False)
    keys = formula_keys(formula)
    share_keys = formula_keys(share_formula)
    missing = tuple(k for k in (*keys, *share_keys) if k not in factors.by_key)
    per_unit = evaluate_formula(formula, factors.by_key) if formula else 0.0
    share = evaluate_formula(share_formula, factors.by_key) if share_formula else 1.0
    if math.isnan(per_unit) and not missing:
        missing = (label,)
    return _Term(
        per_unit,
        counts_as,
        share,
        missing,
        to_confirm=any(k in factors.to_confirm for k in keys),
        share_to_confirm=any(k in factors.to_confirm for k in share_keys),
        keys=frozenset((*keys, *share_keys)),
    )


def _terms(
    exchanges: pd.DataFrame, avoided: pd.DataFrame, factors: _Factors
) -> dict[str, list[_Term]]:
    """Return the term of each role (`ROLES`) for each exchange, in the exchanges' order.

    The ``replaced`` rule is that of the input code replaced, with the conversion; the
    ``disposal`` and ``transport`` rules those of the output code. Each distinct rule is
    evaluated once.
    """
    terms: dict[str, list[_Term]] = {role: [] for role in ROLES}
    cache: dict[tuple[str, str, str, str], _Term] = {}
    columns = exchanges[["resource", "input_resource", "conversion", "unit"]]
    for row in columns.fillna({"conversion": ""}).itertuples():
        for role in ROLES:
            code = row.input_resource if role == "replaced" else row.resource
            conversion = str(row.conversion) if role == "replaced" else ""
            key = (role, str(code), conversion, str(row.unit))
            if key not in cache:
                cache[key] = _term(avoided, factors, key)
            terms[role].append(cache[key])
    return terms


def factor_uses(exchanges: pd.DataFrame) -> dict[str, int]:
    """Return how many ``exchanges`` rest on each factor, by key (factors resting on none left out).

    An exchange rests on the factors that the formulas of its rules (`compute_exchanges`) name,
    in the shipped ``data/avoided.csv``; a rule of another unit than the exchange's is not used.
    """
    terms = _terms(exchanges, read_avoided(), _factor_values(read_factors(), read_factor_units()))
    uses: Counter[str] = Counter()
    for of_one in zip(*terms.values(), strict=True):
        uses.update(frozenset().union(*(term.keys for term in of_one)))
    return dict(uses)


def compute_exchanges(
    exchanges: pd.DataFrame,
    *,
    factors: pd.DataFrame | None = None,
    avoided: pd.DataFrame | None = None,
    units: pd.DataFrame | None = None,
    prices: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return the exchanges with their indicators, one row each (the input is not modified).

    Parameters
    ----------
    exchanges
        `EXCHANGE_COLUMNS` (``quantity_status`` optional), e.g. `exchanges_from_synergies`.
    factors, avoided, units
        Tables shaped like `read_factors`, `read_avoided`, `read_factor_units` (the shipped
        files when None), e.g. factors edited by the user.
    prices
        Optional ``code``, ``purchase_eur_per_unit`` (price of the input code replaced),
        ``disposal_eur_per_unit`` (cost of disposing of the output code).

    Returns
    -------
    pandas.DataFrame
        Adds `AMOUNTS`, ``co2_replaced_t``, ``co2_disposal_t``, ``transport_co2_t``,
        ``co2_avoided_t`` (known terms only), ``money_saved_eur`` (NaN without a price),
        ``<indicator>_estimate`` flags, ``quantity_estimate`` and ``missing_factors`` (text).
    """
    factors = read_factors() if factors is None else factors
    avoided = read_avoided() if avoided is None else avoided.fillna("")
    units = read_factor_units() if units is None else units
    values = _factor_values(factors, units)
    table = exchanges.copy().reset_index(drop=True)
    if "quantity_status" not in table:
        table["quantity_status"] = ""
    table["conversion"] = table["conversion"].fillna("").astype(str)
    quantity = table["quantity"].astype(float).to_numpy()
    quantity_estimate = is_estimate(table["quantity_status"]).to_numpy(dtype=bool)
    terms = _terms(table, avoided, values)
    distance = table["distance_km"].astype(float).to_numpy()
    co2 = {
        "co2_replaced_t": quantity * _column(terms["replaced"], "per_unit"),
        "co2_disposal_t": quantity * _column(terms["disposal"], "per_unit"),
        "transport_co2_t": quantity * distance * _column(terms["transport"], "per_unit"),
    }
    for name, column in co2.items():
        table[name] = column
    table["co2_avoided_t"] = (
        np.nan_to_num(co2["co2_replaced_t"])
        + np.nan_to_num(co2["co2_disposal_t"])
        - np.nan_to_num(co2["transport_co2_t"])
    )
    co2_confirm = np.zeros(len(table), dtype=bool)
    for role in ROLES:
        co2_confirm |= np.array([term.to_confirm for term in terms[role]], dtype=bool)
    table["co2_avoided_t_estimate"] = quantity_estimate | co2_confirm
    table["transport_co2_t_estimate"] = table["co2_avoided_t_estimate"] & (
        table["transport_co2_t"].fillna(0) != 0
    )
    for amount in AMOUNTS:
        counted = np.zeros(len(table))
        estimate = np.zeros(len(table), dtype=bool)
        for role in ROLES:
            match = np.array([term.counts_as == amount for term in terms[role]], dtype=bool)
            share = _column(terms[role], "share")
            counted = np.where(match, quantity * share, counted)
            confirm = np.array([term.share_to_confirm for term in terms[role]], dtype=bool)
            estimate |= match & (quantity_estimate | confirm)
        table[amount] = counted
        table[f"{amount}_estimate"] = estimate
    table["quantity_estimate"] = quantity_estimate
    table["money_saved_eur"] = _money(table, prices)
    table["money_saved_eur_estimate"] = quantity_estimate & table["money_saved_eur"].notna()
    missing = [
        sorted({key for role in ROLES for key in terms[role][i].missing}) for i in range(len(table))
    ]
    if distance.size and np.isnan(distance).any():
        for i in np.flatnonzero(np.isnan(distance)):
            if terms["transport"][i].per_unit:
                missing[i].append("distance_km")
    table["missing_factors"] = [", ".join(keys) for keys in missing]
    return table


def _column(terms: list[_Term], field: str) -> np.ndarray:
    return np.array([getattr(term, field) for term in terms], dtype=float)


def _money(table: pd.DataFrame, prices: pd.DataFrame | None) -> np.ndarray:
    if prices is None or prices.empty:
        return np.full(len(table), math.nan)
    codes = prices["code"].astype(str).str.strip()
    purchase = pd.Series(numbers(prices["purchase_eur_per_unit"]).to_numpy(), index=codes)
    disposal = pd.Series(numbers(prices["disposal_eur_per_unit"]).to_numpy(), index=codes)
    purchase = purchase.groupby(level=0).first()
    disposal = disposal.groupby(level=0).first()
    bought = table["input_resource"].map(purchase).astype(float).to_numpy()
    dumped = table["resource"].map(disposal).astype(float).to_numpy()
    quantity = table["quantity"].astype(float).to_numpy()
    total = quantity * (np.nan_to_num(bought) + np.nan_to_num(dumped))
    return np.where(np.isnan(bought) & np.isnan(dumped), math.nan, total)


def co2_per_unit(
    candidates: pd.DataFrame,
    *,
    factors: pd.DataFrame | None = None,
    avoided: pd.DataFrame | None = None,
    units: pd.DataFrame | None = None,
) -> pd.Series:
    """Return the t CO2e avoided per unit exchanged of each candidate (known terms only).

    A weight for `eit_geo.allocation.allocate` (``weight=``) to maximise CO2 avoided rather
    than the quantity exchanged; aligned on the candidates' index.
    """
    unit_rows = candidates.assign(quantity=1.0, quantity_status="")
    valued = compute_exchanges(
        unit_rows[list(EXCHANGE_COLUMNS)], factors=factors, avoided=avoided, units=units
    )
    return pd.Series(valued["co2_avoided_t"].to_numpy(), index=candidates.index, name="co2")
