"""Indicators of a synergy scenario: tonnes diverted, water saved, energy recovered, CO2 avoided.

Each exchange (an existing synergy, or a candidate with its allocated quantity ``q``) is valued
with three rows of ``data/avoided.csv``, found on the code, then its EWC sub-chapter and
chapter, then its family:

- ``replaced``, on the receiver's input code and the conversion: what the receiver stops
  buying (virgin material, fossil heat, fresh water);
- ``disposal``, on the supplier's output code: the landfill the waste no longer goes to;
- ``transport``, on the output code: road freight for materials over the link's straight-line
  length ``d``; pipes (water, energy, gas) add none.

``co2_avoided_t = q × replaced + q × disposal − q × d × transport``, each term a formula over
``data/factors.csv`` converted to t CO2e per unit (``data/factor_units.csv``). A factor without
a value leaves its term out and is named in ``missing_factors``: never a silent zero. Figures
resting on an estimated quantity or a ``to_confirm`` factor are flagged as estimates.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypedDict, Unpack

import numpy as np
import pandas as pd
import shapely

from eit_geo._formula import evaluate_formula, formula_keys
from eit_geo.allocation import allocate, allocate_in_order
from eit_geo.codes import (
    FAMILIES,
    ewc_parents,
    family_of,
    is_ewc_chapter,
    resource_label,
    substitution_table,
)
from eit_geo.datafiles import read_table
from eit_geo.formatting import format_exact, format_figure, format_signed, sources_in
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.matching import find_substitutions
from eit_geo.network_years import running_now
from eit_geo.validation import parse_numbers

if TYPE_CHECKING:
    from eit_geo.zone import Zone

__all__ = [
    "AMOUNTS",
    "EXCHANGE_COLUMNS",
    "INDICATORS",
    "PRICE_COLUMNS",
    "REALISED",
    "SCENARIOS",
    "UNIT_KEYS",
    "Scenario",
    "avoided_table",
    "build_scenario",
    "by_company",
    "by_family",
    "candidate_scenario",
    "co2_per_unit",
    "compute_exchanges",
    "exchanges_from_candidates",
    "exchanges_from_synergies",
    "existing_scenario",
    "factor_editor_table",
    "factor_table",
    "indicator_table",
    "kpi_cards",
    "missing_factor_lines",
    "missing_factor_names",
    "network_growth",
    "numbers",
    "optimal_scenario",
    "partial_co2_note",
    "price_template",
    "read_avoided",
    "read_factor_units",
    "read_factors",
    "read_user_table",
    "realised_scenario",
    "selected_scenario",
    "summary_text",
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


# --------------------------------------------------------------------------- data files


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

    The loader's reader (`eit_geo.validation.parse_numbers`), on a tables' column of any type.
    """
    text = values.astype("string").fillna("")
    return pd.Series(parse_numbers(text).to_numpy(dtype=float), index=values.index)


# --------------------------------------------------------------------------- exchanges


def exchanges_from_synergies(zone: Zone) -> pd.DataFrame:
    """Return the zone's existing synergies as exchanges (`EXCHANGE_COLUMNS` and ``since``).

    The receiver's input is the one of its inputs the supplier's code matches (same code, EWC
    sub-chapter or chapter, substitution table), else the code's single substitution target,
    else the code itself. ``distance_km`` is the straight line between the two companies.
    """
    synergies = zone.synergies
    names = zone.company_names()
    inputs = zone.flows[zone.flows["direction"] == "input"].groupby("company_id")["resource"]
    by_company = {company: list(codes) for company, codes in inputs}
    resolved = [
        _resolve_input(code, by_company.get(receiver, []))
        for code, receiver in zip(synergies["resource"], synergies["to_id"], strict=True)
    ]
    table = pd.DataFrame(
        {
            "exchange_id": [
                f"{a}>{b}:{code}"
                for a, b, code in zip(
                    synergies["from_id"], synergies["to_id"], synergies["resource"], strict=True
                )
            ],
            "from_id": synergies["from_id"].astype(str),
            "to_id": synergies["to_id"].astype(str),
            "from_name": synergies["from_id"].map(names),
            "to_name": synergies["to_id"].map(names),
            "resource": synergies["resource"].astype(str),
            "input_resource": [code for code, _ in resolved],
            "conversion": [conversion for _, conversion in resolved],
            "family": synergies["family"].astype(str),
            "quantity": synergies["quantity"].astype(float),
            "unit": synergies["unit"].astype(str),
            "distance_km": _link_km(zone, synergies["from_id"], synergies["to_id"]),
            "quantity_status": _status_column(synergies),
            "since": synergies["since"],
        },
        index=synergies.index,
    )
    return table.reset_index(drop=True)


def _resolve_input(code: str, inputs: list[str]) -> tuple[str, str]:
    parents = ewc_parents(code)
    for candidate in inputs:
        if candidate == code or candidate in parents:
            return candidate, ""
    table = substitution_table()
    targets = table[table["output"] == code]
    conversion = dict(zip(targets["input"], targets["conversion"], strict=True))
    for candidate in inputs:
        if candidate in conversion:
            return candidate, str(conversion[candidate] or "")
    if len(conversion) == 1:
        target, how = next(iter(conversion.items()))
        return str(target), str(how or "")
    return code, ""


def _link_km(zone: Zone, from_ids: pd.Series, to_ids: pd.Series) -> np.ndarray:
    points = zone.companies.set_index("id").geometry.to_crs(zone.metric_crs())
    start = np.asarray(points.reindex(from_ids.astype(str)))
    end = np.asarray(points.reindex(to_ids.astype(str)))
    return np.asarray(shapely.distance(start, end), dtype=float) / 1000.0


def _status_column(frame: pd.DataFrame) -> pd.Series:
    if "quantity_status" not in frame:
        return pd.Series("", index=frame.index, dtype="string")
    return frame["quantity_status"].astype("string").fillna("")


def _is_estimate(status: pd.Series) -> pd.Series:
    return status.astype("string").fillna("").str.strip().str.lower().str.startswith("estim")


def exchanges_from_candidates(
    zone: Zone, candidates: pd.DataFrame, *, quantity: str = "allocated_quantity"
) -> pd.DataFrame:
    """Return the candidates that exchange something (``quantity`` > 0) as exchanges.

    Parameters
    ----------
    zone
        The zone the candidates were found in (for the quantities' status).
    candidates
        Rows of `eit_geo.matching.find_substitutions`, usually after
        `eit_geo.allocation.allocate`; existing synergies among them stay.
    quantity
        The column holding the quantity exchanged.

    Returns
    -------
    pandas.DataFrame
        ``exchange_id`` (the ``candidate_id``), ``status`` and `EXCHANGE_COLUMNS`; a quantity
        is an estimate when the offer, the need or the existing synergy says so.
    """
    rows = candidates[candidates[quantity].fillna(0) > 0]
    if "kind" in rows:
        rows = rows[rows["kind"].fillna("substitution") == "substitution"]
    flow_status = _status_column(zone.flows).set_axis(zone.flows["flow_id"].astype(str))
    estimate = _is_estimate(flow_status)
    from_estimate = rows["from_flow_id"].astype("string").map(estimate).eq(True)  # NaN: no
    to_estimate = rows["to_flow_id"].astype("string").map(estimate).eq(True)
    synergy_keys = zone.synergies["from_id"] + ">" + zone.synergies["to_id"] + ":"
    synergy_keys = synergy_keys + zone.synergies["resource"]
    synergy_estimate = pd.Series(
        _is_estimate(_status_column(zone.synergies)).to_numpy(), index=synergy_keys.to_numpy()
    )
    synergy_estimate = synergy_estimate.groupby(level=0).any()
    row_keys = rows["from_id"] + ">" + rows["to_id"] + ":" + rows["resource"]
    existing = (rows["status"] == "existing") & row_keys.map(synergy_estimate).eq(True)
    is_estimate = from_estimate.astype(bool) | to_estimate.astype(bool) | existing.astype(bool)
    return pd.DataFrame(
        {
            "exchange_id": rows["candidate_id"].astype(str),
            "status": rows["status"].astype(str),
            "from_id": rows["from_id"].astype(str),
            "to_id": rows["to_id"].astype(str),
            "from_name": rows["from_name"].astype(str),
            "to_name": rows["to_name"].astype(str),
            "resource": rows["resource"].astype(str),
            "input_resource": rows["input_resource"].astype(str),
            "conversion": rows["conversion"].fillna("").astype(str),
            "family": rows["family"].astype(str),
            "quantity": rows[quantity].astype(float),
            "unit": rows["unit"].astype(str),
            "distance_km": rows["distance_km"].astype(float),
            "quantity_status": np.where(is_estimate, "estimate", ""),
        }
    ).reset_index(drop=True)


# --------------------------------------------------------------------------- valuation


class _Tables(TypedDict, total=False):
    """The keyword tables of `compute_exchanges` that the scenarios pass on."""

    factors: pd.DataFrame | None
    avoided: pd.DataFrame | None
    units: pd.DataFrame | None
    prices: pd.DataFrame | None


class _Term(NamedTuple):
    """One rule of ``avoided.csv`` evaluated with the factors."""

    per_unit: float
    counts_as: str
    share: float
    missing: tuple[str, ...]
    to_confirm: bool
    share_to_confirm: bool


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


def _find_rule(avoided: pd.DataFrame, role: str, code: str, conversion: str) -> pd.Series | None:
    rules = avoided[(avoided["role"] == role) & (avoided["conversion"].fillna("") == conversion)]
    for key in _lookup_keys(code):
        found = rules[rules["code"] == key]
        if len(found):
            return found.iloc[0]
    return None


def _term(avoided: pd.DataFrame, factors: _Factors, key: tuple[str, str, str, str]) -> _Term:
    role, code, conversion, unit = key
    rule = _find_rule(avoided, role, code, conversion)
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
    )


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
    quantity_estimate = _is_estimate(table["quantity_status"]).to_numpy(dtype=bool)
    terms: dict[str, list[_Term]] = {role: [] for role in ROLES}
    cache: dict[tuple[str, str, str, str], _Term] = {}
    for row in table[["resource", "input_resource", "conversion", "unit"]].itertuples():
        for role in ROLES:
            code = row.input_resource if role == "replaced" else row.resource
            conversion = str(row.conversion) if role == "replaced" else ""
            key = (role, str(code), conversion, str(row.unit))
            if key not in cache:
                cache[key] = _term(avoided, values, key)
            terms[role].append(cache[key])
    distance = table["distance_km"].astype(float).to_numpy()
    co2 = {
        "co2_replaced_t": quantity * _column(terms["replaced"], "per_unit"),
        "co2_disposal_t": quantity * _column(terms["disposal"], "per_unit"),
        "transport_co2_t": quantity * distance * _column(terms["transport"], "per_unit"),
    }
    for name, numbers in co2.items():
        table[name] = numbers
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


# --------------------------------------------------------------------------- scenarios


@dataclass(frozen=True, eq=False)
class Scenario:
    """The indicators of one set of exchanges.

    Attributes
    ----------
    name : ``existing``, ``selected`` or ``optimal`` (or any label)
    exchanges : one row per exchange, as returned by `compute_exchanges`
    totals : zone totals of `INDICATORS` (``money_saved_eur`` None when no price is given)
    estimated : per indicator, True when the total rests on an estimate
    missing_factors : factor keys (or ``role:code`` rules) with no value, used by an exchange
    uncounted : exchanges of the scenario whose quantity is unknown, left out of the totals
        (never counted as zero)
    """

    name: str
    exchanges: pd.DataFrame
    totals: dict[str, float | None]
    estimated: dict[str, bool]
    missing_factors: tuple[str, ...]
    uncounted: int = 0

    @property
    def n_synergies(self) -> int:
        """Return the number of exchanges in the scenario."""
        return len(self.exchanges)

    @property
    def partners(self) -> list[str]:
        """Return the ids of the companies taking part in at least one exchange."""
        ids = pd.concat([self.exchanges["from_id"], self.exchanges["to_id"]])
        return sorted(ids.astype(str).unique())

    def to_dict(self) -> dict[str, object]:
        """Return the scenario as JSON-ready values, each in the unit its name says."""
        return {
            **self.totals,
            "n_synergies": self.n_synergies,
            "n_partners": len(self.partners),
            "missing_factors": list(self.missing_factors),
            "co2_complete": not self.missing_factors,
            "n_uncounted": self.uncounted,
            "estimated": dict(self.estimated),
        }


def build_scenario(
    name: str,
    exchanges: pd.DataFrame,
    *,
    factors: pd.DataFrame | None = None,
    avoided: pd.DataFrame | None = None,
    units: pd.DataFrame | None = None,
    prices: pd.DataFrame | None = None,
    uncounted: int = 0,
) -> Scenario:
    """Value a set of exchanges (`compute_exchanges`) and total them for the zone.

    ``uncounted``: exchanges of unknown quantity left out of ``exchanges`` (`Scenario`); those
    of unknown quantity among ``exchanges`` are counted with them.
    """
    valued = compute_exchanges(
        exchanges, factors=factors, avoided=avoided, units=units, prices=prices
    )
    totals, estimated = _totals(valued)
    unknown = int(valued["quantity"].isna().sum())
    missing = _missing(valued["missing_factors"])
    return Scenario(name, valued, totals, estimated, missing, uncounted + unknown)


def _totals(valued: pd.DataFrame) -> tuple[dict[str, float | None], dict[str, bool]]:
    totals: dict[str, float | None] = {}
    estimated: dict[str, bool] = {}
    for indicator in INDICATORS:
        column = valued[indicator]
        total = float(column.sum()) if column.notna().any() else None
        if indicator != "money_saved_eur" and total is None:
            total = 0.0
        totals[indicator] = total
        estimated[indicator] = bool(valued[f"{indicator}_estimate"].any())
    return totals, estimated


def _missing(values: Iterable[str]) -> tuple[str, ...]:
    keys = {key.strip() for text in values for key in str(text).split(",") if key.strip()}
    return tuple(sorted(keys))


def existing_scenario(
    zone: Zone, *, year: int | None = None, **tables: Unpack[_Tables]
) -> Scenario:
    """Return the ``existing`` scenario: the zone's synergies running in ``year``, as declared.

    ``year`` defaults to this year: a synergy that stopped (its ``until`` is past) or whose
    companies closed is not counted (`eit_geo.network_years.running_now`). ``tables`` are the
    keyword tables of `compute_exchanges` (factors, avoided, units, prices).
    """
    in_place = running_now(zone, year)
    return build_scenario("existing", exchanges_from_synergies(in_place), **tables)


def candidate_scenario(
    name: str, zone: Zone, allocated: pd.DataFrame, **tables: Unpack[_Tables]
) -> Scenario:
    """Return a scenario from allocated candidates (``allocated_quantity``), e.g. ``optimal``.

    The allocation keeps the existing synergies, so the scenario is the whole network: the gain
    over the existing one is the difference of the two. Rows whose allocation is unknown (a
    lead of unknown quantity) are counted in ``uncounted``.
    """
    unknown = allocated["allocated_quantity"].isna()
    if "kind" in allocated:
        unknown &= allocated["kind"].fillna("substitution").eq("substitution")
    exchanges = exchanges_from_candidates(zone, allocated)
    return build_scenario(name, exchanges, uncounted=int(unknown.sum()), **tables)


def optimal_scenario(
    zone: Zone, candidates: pd.DataFrame | None = None, **tables: Unpack[_Tables]
) -> Scenario:
    """Return the ``optimal`` scenario: existing synergies plus the best allocation of candidates.

    ``candidates`` defaults to `eit_geo.matching.find_substitutions` with its default distances,
    on the synergies running this year (`eit_geo.network_years.running_now`);
    `eit_geo.allocation.allocate` shares every offer and need without exceeding them.
    """
    candidates = find_substitutions(running_now(zone)) if candidates is None else candidates
    return candidate_scenario("optimal", zone, allocate(candidates), **tables)


def selected_scenario(
    zone: Zone,
    candidates: pd.DataFrame,
    selected: Collection[str] | None,
    **tables: Unpack[_Tables],
) -> Scenario:
    """Return the ``selected`` scenario: the candidates a workshop kept, allocated.

    ``selected`` holds ``candidate_id`` values (e.g. `eit_geo.workshop.selected_ids`, which
    counts existing synergies as in place); None, before any workshop, keeps the existing
    synergies only. Existing synergies keep their declared quantities; the chosen leads then
    take what is left of their offers and needs one after the other
    (`eit_geo.allocation.allocate_in_order`), in the order of ``selected`` when it is a
    sequence (the order a workshop retained them), else in the candidates' order.
    """
    ids = candidates["candidate_id"].astype(str)
    keep = candidates["status"].eq("existing") if selected is None else ids.isin(set(selected))
    ordered = isinstance(selected, Sequence) and not isinstance(selected, str)
    order = list(selected) if ordered else ids[keep].tolist()  # type: ignore[arg-type]
    chosen = allocate_in_order(candidates[keep], order)
    return candidate_scenario("selected", zone, chosen, **tables)


def realised_scenario(zone: Zone, realised: pd.DataFrame, **tables: Unpack[_Tables]) -> Scenario:
    """Return the ``realised`` scenario: what the synergies in place actually exchanged.

    ``realised`` holds one year's figures as synergies (``from_id``, ``to_id``, ``resource``,
    ``quantity``, ``unit``, ``quantity_status``), e.g. `eit_geo.followup.realised_exchanges`;
    a synergy without a figure that year is left out, never counted as zero.
    """
    synergies = realised.assign(
        family=[family_of(str(code)) for code in realised["resource"]],
        since=pd.array([pd.NA] * len(realised), dtype="Int64"),
    )
    exchanges = exchanges_from_synergies(replace(zone, synergies=synergies.reset_index(drop=True)))
    return build_scenario(REALISED, exchanges, **tables)


# --------------------------------------------------------------------------- breakdowns


def _group(valued: pd.DataFrame, keys: pd.Series) -> pd.DataFrame:
    frame = valued.assign(_key=keys.to_numpy())
    grouped = frame.groupby("_key", sort=True)
    table = grouped[list(INDICATORS)].sum(min_count=1)
    for indicator in INDICATORS:
        flags = frame[f"{indicator}_estimate"] & frame[indicator].fillna(0).ne(0)
        table[f"{indicator}_estimate"] = flags.groupby(frame["_key"]).any()
    for amount in (*AMOUNTS, "co2_avoided_t", "transport_co2_t"):
        table[amount] = table[amount].fillna(0.0)
    table["n_synergies"] = grouped.size()
    table["missing_factors"] = grouped["missing_factors"].agg(lambda s: ", ".join(_missing(s)))
    table.index.name = None
    return table


def by_family(scenario: Scenario) -> pd.DataFrame:
    """Return the indicators per resource family (index: family), with estimate flags."""
    valued = scenario.exchanges
    table = _group(valued, valued["family"])
    table.insert(0, "family", table.index)
    return table.reset_index(drop=True)


def by_company(scenario: Scenario, zone: Zone) -> pd.DataFrame:
    """Return the indicators of the exchanges each company takes part in.

    An exchange counts for both its supplier and its receiver, so the column totals exceed the
    zone's. Columns: ``company_id``, ``name``, ``employees``, then those of `by_family`.
    """
    valued = scenario.exchanges
    both = pd.concat([valued.assign(_c=valued["from_id"]), valued.assign(_c=valued["to_id"])])
    table = _group(both.drop(columns="_c"), both["_c"])
    companies = zone.companies.set_index("id")
    table.insert(0, "company_id", table.index)
    table.insert(1, "name", companies["name"].reindex(table.index).fillna(table.index.to_series()))
    table.insert(2, "employees", companies["employees"].reindex(table.index).astype("Float64"))
    return table.sort_values("co2_avoided_t", ascending=False).reset_index(drop=True)


def network_growth(zone: Zone) -> pd.DataFrame:
    """Return the number of existing synergies per family and year from their ``since``.

    Columns ``year``, ``family``, ``added`` and ``total`` (running count), one row per year
    from the first ``since`` to the last, for every family present. Undated synergies are left
    out: count them with ``zone.synergies["since"].isna()``.
    """
    dated = zone.synergies.dropna(subset=["since"])
    if dated.empty:
        return pd.DataFrame(columns=["year", "family", "added", "total"])
    years = range(int(dated["since"].min()), int(dated["since"].max()) + 1)
    counts = pd.crosstab(dated["since"].astype(int), dated["family"]).reindex(years, fill_value=0)
    counts.index.name = "year"
    added = counts.reset_index().melt(id_vars="year", var_name="family", value_name="added")
    added["total"] = added.groupby("family")["added"].cumsum()
    return added.sort_values(["year", "family"]).reset_index(drop=True)


# --------------------------------------------------------------------------- display


def kpi_cards(
    scenario: Scenario, lang: str = DEFAULT_LANGUAGE, *, baseline: Scenario | None = None
) -> list[dict[str, str]]:
    """Return one card per indicator: ``key``, ``label``, ``value``, ``unit``, ``help``.

    ``delta`` (against ``baseline``, e.g. the existing synergies) is added when given.
    Estimates read ``≈ …`` and their help says why; a CO2 total with missing factors says it is
    incomplete. ``money_saved_eur`` appears only when prices were given.
    """
    cards = []
    for indicator in INDICATORS:
        total = scenario.totals[indicator]
        if indicator == "money_saved_eur" and total is None:
            continue
        estimate = scenario.estimated[indicator]
        helps = [t(f"indicators.help_{indicator}", lang)]
        if estimate:
            helps.append(t("indicators.help_estimate", lang))
        if indicator == "co2_avoided_t" and scenario.missing_factors:
            helps.append(t("indicators.help_incomplete", lang))
        card = {
            "key": indicator,
            "label": t(f"indicators.{indicator}", lang),
            "value": format_figure(total, lang, estimate=estimate),
            "unit": t(UNIT_KEYS[indicator], lang),
            "help": " ".join(helps),
        }
        if baseline is not None and baseline.totals[indicator] is not None and total is not None:
            gain = total - float(baseline.totals[indicator] or 0.0)
            card["delta"] = format_signed(gain, lang)
        if indicator == "co2_avoided_t" and scenario.missing_factors:
            card["note"] = partial_co2_note(scenario, lang)
        cards.append(card)
    return cards


def partial_co2_note(scenario: Scenario, lang: str = DEFAULT_LANGUAGE) -> str:
    """Say what a CO2 total with missing factors counts, what it leaves out, and why.

    A total that comes out negative (only the transport counted) says so in words, so that
    « ≈ -0,129 » is never read as an exchange that harms the climate.
    """
    total = scenario.totals["co2_avoided_t"] or 0.0
    transport = scenario.totals["transport_co2_t"] or 0.0
    values = {
        "missing": ", ".join(missing_factor_names(scenario.missing_factors, lang=lang)),
        "transport": format_figure(transport, lang),
        "unit": t(UNIT_KEYS["transport_co2_t"], lang),
    }
    key = "indicators.partial_co2_negative" if total < 0 else "indicators.partial_co2"
    return t(key, lang, **values)


def indicator_table(table: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> pd.DataFrame:
    """Return a `by_family` or `by_company` table for display: formatted, headers translated.

    Estimated figures read ``≈ …``; families are translated; money appears when priced.
    """
    shown = pd.DataFrame(index=table.index)
    if "family" in table:
        shown[t("indicators.col_family", lang)] = table["family"].map(
            lambda family: t(f"families.{family}", lang)
        )
    if "name" in table:
        shown[t("indicators.col_company", lang)] = table["name"]
    shown[t("indicators.n_synergies", lang)] = table["n_synergies"]
    for indicator in INDICATORS:
        if indicator == "money_saved_eur" and table[indicator].isna().all():
            continue
        header = f"{t(f'indicators.{indicator}', lang)} ({t(UNIT_KEYS[indicator], lang)})"
        shown[header] = [
            format_figure(value, lang, estimate=bool(flag))
            for value, flag in zip(table[indicator], table[f"{indicator}_estimate"], strict=True)
        ]
    shown[t("indicators.missing_factors", lang)] = [
        "; ".join(missing_factor_names(_missing([cell]), lang=lang))
        for cell in table["missing_factors"]
    ]
    return shown.reset_index(drop=True)


def factor_table(
    factors: pd.DataFrame, scenario: Scenario | None = None, lang: str = DEFAULT_LANGUAGE
) -> pd.DataFrame:
    """Return the factors with their description in ``lang`` and, if given, whether used.

    Columns ``key``, ``description``, ``value``, ``unit``, ``source``, ``year``, ``status`` and
    ``used`` (how many exchanges of the scenario rest on the factor).
    """
    table = factors.copy()
    table["description"] = table.get(f"description_{lang}", table["description_fr"])
    table = table[["key", "description", "value", "unit", "source", "year", "status"]]
    if scenario is not None:
        used = _used_factors(scenario.exchanges)
        table["used"] = table["key"].map(used).fillna(0).astype(int)
    return table


def _used_factors(valued: pd.DataFrame) -> dict[str, int]:
    avoided = read_avoided()
    counts: dict[str, int] = {}
    for row in valued.itertuples():
        keys: set[str] = set()
        for role in ROLES:
            code = row.input_resource if role == "replaced" else row.resource
            conversion = row.conversion if role == "replaced" else ""
            rule = _find_rule(avoided, role, str(code), str(conversion))
            if rule is not None:
                keys.update(formula_keys(str(rule["co2_formula"])))
                keys.update(formula_keys(str(rule["counted_share"])))
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
    return counts


def missing_factor_lines(
    scenario: Scenario, factors: pd.DataFrame | None = None, lang: str = DEFAULT_LANGUAGE
) -> list[str]:
    """Return one sentence per missing factor: its description, or the calculation missing.

    No key is shown: a factor reads as its description in ``lang`` (« Mise en décharge de
    déchets industriels non dangereux (DAE) : … »), an absent rule as what it would value
    (« élimination évitée chez le fournisseur : Cendres volantes »).
    """
    return missing_factor_names(scenario.missing_factors, factors, lang, short=False)


def missing_factor_names(
    keys: Iterable[str],
    factors: pd.DataFrame | None = None,
    lang: str = DEFAULT_LANGUAGE,
    *,
    short: bool = True,
) -> list[str]:
    """Return what each missing factor or rule is, in words (``short``: up to the first colon).

    ``keys`` are those of ``Scenario.missing_factors`` or of a ``missing_factors`` cell.
    """
    table = read_factors() if factors is None else factors
    column = f"description_{lang}" if f"description_{lang}" in table else "description_fr"
    if column not in table:
        column = "description" if "description" in table else "key"
    descriptions = dict(zip(table["key"], table[column], strict=True))
    fallback = read_factors().set_index("key")[f"description_{lang}"].to_dict()
    names = []
    for key in keys:
        text = descriptions.get(key) or fallback.get(key) or _missing_rule_text(key, lang)
        names.append(_short(str(text)) if short else str(text))
    return names


def _missing_rule_text(label: str, lang: str) -> str:
    """Return an absent rule (``role:code/conversion (unit)``, see `_term`) in words."""
    role, _, rest = label.partition(":")
    code = rest.split(" (", 1)[0].split("/", 1)[0]
    role_text = t(f"indicators.role_{role}", lang) if role in ROLES else role
    return t("indicators.missing_rule", lang, role=role_text, resource=resource_label(code, lang))


def _short(description: str) -> str:
    """Return a description up to its first explanation (« X : … », « X. … », « X — … »)."""
    for mark in (" : ", ": ", ". ", " — "):
        description = description.split(mark, 1)[0]
    return description.strip()


def summary_text(
    scenarios: Iterable[Scenario], zone_name: str, lang: str = DEFAULT_LANGUAGE
) -> str:
    """Return the scenarios' indicators as plain text (the ``indicators`` command's output)."""
    lines = [t("indicators.cli_title", lang, zone=zone_name)]
    colon = " : " if lang == "fr" else ": "
    for scenario in scenarios:
        lines.append("")
        lines.append(
            t(
                "indicators.cli_scenario",
                lang,
                scenario=t(f"indicators.scenario_{scenario.name}", lang),
                synergies=scenario.n_synergies,
                partners=len(scenario.partners),
            )
        )
        for card in kpi_cards(scenario, lang):
            lines.append(f"  {card['label']}{colon}{card['value']} {card['unit']}")
            if card.get("note"):
                lines.append(f"    {card['note']}")
        missing = t("indicators.missing_factors", lang)
        lines.extend(
            f"  {missing}{colon}{line}" for line in missing_factor_lines(scenario, lang=lang)
        )
    lines.extend(["", t("indicators.estimate_note", lang)])
    return "\n".join(lines)


def factor_editor_table(lang: str = DEFAULT_LANGUAGE) -> pd.DataFrame:
    """Return the shipped factors, as a copy to edit (the file is left alone).

    Columns ``key``, ``description`` (in ``lang``), ``value``, ``unit``, ``source``, ``year``,
    ``status``.
    """
    table = read_factors()
    table["description"] = table[f"description_{lang}"]
    table["source"] = sources_in(table, lang)  # the document, not our notes' file
    return table[["key", "description", "value", "unit", "source", "year", "status"]]


def price_template(zone: Zone) -> pd.DataFrame:
    """Return an empty price table with one row per resource code of the zone's flows.

    Columns ``code``, ``purchase_eur_per_unit``, ``disposal_eur_per_unit`` (NaN: not given).
    """
    codes = sorted(set(zone.flows["resource"].astype(str)))
    return pd.DataFrame(
        {"code": codes, **{column: [math.nan] * len(codes) for column in PRICE_COLUMNS}}
    )


def avoided_table(lang: str = DEFAULT_LANGUAGE) -> pd.DataFrame:
    """Return ``data/avoided.csv`` for display: resource, role, what it replaces, formula, source.

    Resources and conversions read as words; the formula shows the factors' values (« 0,239 /
    ≈ 0,9 », « ≈ » for a factor to be confirmed), a missing one as « ? »; sources name
    documents, not our files.
    """
    avoided = read_avoided()
    factors = read_factors()
    rough = factors["status"].astype("string").fillna("").str.strip().ne("sourced")
    values = {
        key: (value, bool(estimate))
        for key, value, estimate in zip(factors["key"], factors["value"], rough, strict=True)
    }
    return pd.DataFrame(
        {
            t("indicators.col_code", lang): avoided["code"].map(
                lambda code: _code_text(str(code), lang)
            ),
            t("indicators.col_role", lang): avoided["role"].map(
                lambda role: t(f"indicators.role_{role}", lang)
            ),
            t("indicators.col_conversion", lang): avoided["conversion"].map(
                lambda how: t(f"map.conversion_{how}", lang) if isinstance(how, str) and how else ""
            ),
            t("indicators.col_what", lang): avoided[f"what_{lang}"],
            t("indicators.col_formula", lang): avoided["co2_formula"].map(
                lambda formula: _formula_text(formula, values, lang)
            ),
            t("indicators.col_counts_as", lang): avoided["counts_as"].map(
                lambda key: t(f"indicators.{key}", lang) if key else ""
            ),
            t("indicators.col_source", lang): sources_in(avoided, lang),
        }
    )


def _code_text(code: str, lang: str) -> str:
    """Return a rule's code in words: a resource, an EWC chapter or a family."""
    if code in FAMILIES:
        return t(f"families.{code}", lang)
    return resource_label(code, lang)


def _formula_text(formula: object, values: dict[str, tuple[float, bool]], lang: str) -> str:
    """Return a formula over factor keys with the factors' values written in their place."""
    if not isinstance(formula, str) or not formula.strip():
        return ""
    text = formula
    for key in sorted(formula_keys(formula), key=len, reverse=True):
        value, estimate = values.get(key, (math.nan, False))
        shown = "?" if math.isnan(value) else format_exact(value, lang)
        text = text.replace(key, f"≈ {shown}" if estimate and shown != "?" else shown)
    return text.replace("*", "×")
