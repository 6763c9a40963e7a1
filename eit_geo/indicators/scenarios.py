"""Scenarios: the indicators of a set of exchanges, totalled for the zone.

``existing`` (the synergies running this year), ``selected`` (what a workshop retained),
``optimal`` (every lead, allocated) and ``realised`` (what was actually exchanged in a year).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypedDict, Unpack

import pandas as pd

from eit_geo.allocation import allocate, allocate_in_order
from eit_geo.codes import family_of
from eit_geo.indicators.exchanges import exchanges_from_candidates, exchanges_from_synergies
from eit_geo.indicators.reference import INDICATORS, REALISED
from eit_geo.indicators.valuation import compute_exchanges
from eit_geo.matching import find_substitutions
from eit_geo.network_years import running_now

if TYPE_CHECKING:
    from eit_geo.zone import Zone


__all__ = [
    "Scenario",
    "build_scenario",
    "candidate_scenario",
    "existing_scenario",
    "missing_keys",
    "optimal_scenario",
    "realised_scenario",
    "selected_scenario",
]


class _Tables(TypedDict, total=False):
    """The keyword tables of `compute_exchanges` that the scenarios pass on."""

    factors: pd.DataFrame | None
    avoided: pd.DataFrame | None
    units: pd.DataFrame | None
    prices: pd.DataFrame | None


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
    missing = missing_keys(valued["missing_factors"])
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


def missing_keys(values: Iterable[str]) -> tuple[str, ...]:
    """Return the sorted distinct keys of ``missing_factors`` cells (``"a, b"``)."""
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
    order = list(selected) if ordered and selected is not None else ids[keep].tolist()
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
