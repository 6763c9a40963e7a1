"""The indicators of a scenario broken down by resource family, by company, and by year."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from eit_geo.indicators.reference import AMOUNTS, INDICATORS
from eit_geo.indicators.scenarios import missing_keys

if TYPE_CHECKING:
    from eit_geo.indicators.scenarios import Scenario
    from eit_geo.zone import Zone


__all__ = [
    "by_company",
    "by_family",
    "network_growth",
]


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
    table["missing_factors"] = grouped["missing_factors"].agg(lambda s: ", ".join(missing_keys(s)))
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
