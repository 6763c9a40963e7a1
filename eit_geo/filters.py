"""Filter what the map and the synergy list show: sectors, families, quantities, statuses.

Pure functions on the engine's frames (``matching.find_substitutions`` links,
``matching.find_mutualisations`` groups) and the zone's companies: frames in, filtered copies
out, ids and index kept. Sectors are NACE rev. 2 / NAF codes read into the groups of
``data/sector_groups.csv`` through the sections of ``data/nace_sections.csv``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import pandas as pd

from eit_geo.codes import FAMILIES
from eit_geo.datafiles import read_table

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "STATUSES",
    "UNKNOWN_SECTOR",
    "MapFilter",
    "apply_filter",
    "best_links",
    "filter_companies",
    "filter_groups",
    "filter_links",
    "linked_companies_first",
    "sector_colours",
    "sector_group",
    "sector_groups",
]

STATUSES: tuple[str, ...] = ("existing", "candidate")
UNKNOWN_SECTOR = "unknown"
_DIVISION = re.compile(r"^\s*(\d{2})")
_SECTION = re.compile(r"^\s*([A-Ua-u])\s*$")


@dataclass(frozen=True)
class MapFilter:
    """What to show: a record of the sidebar's choices (hashable, a cache key).

    Attributes
    ----------
    families : families shown (``energy``, ``water``, ``gas``, ``material``)
    sectors : sector groups shown (``data/sector_groups.csv``); None shows every company
    min_quantity : ``((unit, quantity), ...)``: links and groups below are hidden
    max_km : ``((family, km), ...)``: search distances given to the engine instead of the
        defaults of ``data/resources.csv``
    existing, candidates, groups : show existing synergies, candidate links, mutualisation groups
    """

    families: tuple[str, ...] = FAMILIES
    sectors: tuple[str, ...] | None = None
    min_quantity: tuple[tuple[str, float], ...] = ()
    max_km: tuple[tuple[str, float], ...] = ()
    existing: bool = True
    candidates: bool = True
    groups: bool = True

    def statuses(self) -> tuple[str, ...]:
        """Return the link statuses shown (``existing``, ``candidate``)."""
        shown = (self.existing, self.candidates)
        return tuple(status for status, on in zip(STATUSES, shown, strict=True) if on)


@cache
def _groups_by_key() -> tuple[dict[str, str], dict[int, str]]:
    """Return ``({section: group}, {division: group})`` from ``data/nace_sections.csv``."""
    table = read_table("nace_sections.csv")
    sections = dict(zip(table["section"], table["group"], strict=True))
    divisions = {
        division: group
        for first, last, group in zip(
            table["first_division"], table["last_division"], table["group"], strict=True
        )
        for division in range(int(first), int(last) + 1)
    }
    return sections, divisions


def sector_group(code: object) -> str:
    """Return the sector group of a NACE / NAF code (``35.11``, ``23.51Z``, ``C``).

    A code starting with two digits is read by its division, a single letter as a section;
    anything else, or nothing, is `UNKNOWN_SECTOR`.
    """
    if not isinstance(code, str):
        return UNKNOWN_SECTOR
    sections, divisions = _groups_by_key()
    letter = _SECTION.match(code)
    if letter:
        return sections.get(letter.group(1).upper(), UNKNOWN_SECTOR)
    digits = _DIVISION.match(code)
    return divisions.get(int(digits.group(1)), UNKNOWN_SECTOR) if digits else UNKNOWN_SECTOR


def sector_groups(companies: pd.DataFrame) -> pd.Series:
    """Return the sector group of every company, aligned on the input's index."""
    if "sector" not in companies.columns:
        return pd.Series(UNKNOWN_SECTOR, index=companies.index, name="sector_group", dtype=str)
    codes = companies["sector"].astype(object)
    codes = codes.where(codes.notna(), None)
    groups = {code: sector_group(code) for code in set(codes)}
    return pd.Series(
        [groups[code] for code in codes], index=companies.index, name="sector_group", dtype=str
    )


@cache
def sector_colours() -> dict[str, str]:
    """Return ``{group: colour}`` in legend order (``data/sector_groups.csv``)."""
    table = read_table("sector_groups.csv")
    return dict(zip(table["group"], table["colour"], strict=True))


def filter_companies(
    companies: gpd.GeoDataFrame, *, sectors: Collection[str] | None = None
) -> gpd.GeoDataFrame:
    """Return the companies whose sector group is in ``sectors`` (all when None)."""
    if sectors is None:
        return companies.copy()
    return companies[sector_groups(companies).isin(list(sectors))].copy()


def _meets_minimum(frame: pd.DataFrame, min_quantity: Mapping[str, float] | None) -> pd.Series:
    if not min_quantity:
        return pd.Series(data=True, index=frame.index)
    floor = frame["unit"].map(dict(min_quantity)).fillna(0.0).astype(float)
    return frame["quantity"].astype(float) >= floor


def filter_links(
    links: gpd.GeoDataFrame,
    *,
    families: Collection[str] | None = None,
    company_ids: Collection[str] | None = None,
    min_quantity: Mapping[str, float] | None = None,
    statuses: Collection[str] | None = None,
) -> gpd.GeoDataFrame:
    """Return the substitution links that pass every given criterion.

    Parameters
    ----------
    links
        Links of ``matching.find_substitutions``.
    families
        Families kept; None keeps all.
    company_ids
        Companies shown: a link is kept when both its ends are among them; None keeps all.
    min_quantity
        ``{unit: quantity}``: a link exchanging less (in its own unit) is dropped.
    statuses
        ``existing`` and/or ``candidate``; None keeps both.

    Returns
    -------
    geopandas.GeoDataFrame
        The kept rows, in the input's order, with its index.
    """
    keep = _meets_minimum(links, min_quantity)
    if families is not None:
        keep &= links["family"].isin(list(families))
    if statuses is not None:
        keep &= links["status"].isin(list(statuses))
    if company_ids is not None:
        ids = list(company_ids)
        keep &= links["from_id"].isin(ids) & links["to_id"].isin(ids)
    return links[keep].copy()


def filter_groups(
    groups: gpd.GeoDataFrame,
    *,
    families: Collection[str] | None = None,
    company_ids: Collection[str] | None = None,
    min_quantity: Mapping[str, float] | None = None,
) -> gpd.GeoDataFrame:
    """Return the mutualisation groups that pass every given criterion.

    A group stays while at least two of its members are among ``company_ids``; the other
    arguments work as in `filter_links`.
    """
    keep = _meets_minimum(groups, min_quantity)
    if families is not None:
        keep &= groups["family"].isin(list(families))
    if company_ids is not None:
        ids = set(company_ids)
        shown = groups["members"].map(lambda members: len(set(members.split(",")) & ids))
        keep &= shown >= 2  # noqa: PLR2004 - a group needs two companies
    return groups[keep].copy()


def best_links(links: gpd.GeoDataFrame, limit: int | None) -> tuple[gpd.GeoDataFrame, int]:
    """Keep every existing synergy and the ``limit`` best-scored candidates.

    Returns
    -------
    tuple
        The kept links (existing first, then candidates by score) and how many were left out.
    """
    existing = links[links["status"] == "existing"]
    candidates = links[links["status"] != "existing"]
    if limit is None or len(candidates) <= limit:
        return links.copy(), 0
    best = candidates.sort_values("score", ascending=False, kind="stable").head(limit)
    return pd.concat([existing, best]), len(candidates) - limit


def apply_filter(
    companies: gpd.GeoDataFrame,
    links: gpd.GeoDataFrame,
    groups: gpd.GeoDataFrame,
    choice: MapFilter,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Apply the sidebar's choices to companies, links and groups at once.

    Returns
    -------
    tuple
        ``(companies, links, groups)`` as shown: links and groups only between shown companies,
        groups empty when hidden.
    """
    shown = filter_companies(companies, sectors=choice.sectors)
    ids = shown["id"].tolist()
    minimum = dict(choice.min_quantity)
    kept_links = filter_links(
        links,
        families=choice.families,
        company_ids=ids,
        min_quantity=minimum,
        statuses=choice.statuses(),
    )
    kept_groups = filter_groups(
        groups, families=choice.families, company_ids=ids, min_quantity=minimum
    )
    if not choice.groups:
        kept_groups = kept_groups.iloc[0:0]
    return shown, kept_links, kept_groups


def linked_companies_first(
    companies: gpd.GeoDataFrame,
    links: pd.DataFrame,
    groups: pd.DataFrame,
    limit: int | None,
) -> tuple[gpd.GeoDataFrame, int]:
    """Keep at most ``limit`` companies: every one a link or group names, then the others.

    At region scale (tens of thousands of establishments) the map draws the companies that
    take part in what it shows, and as many others as the limit allows, in their order.

    Returns
    -------
    tuple
        The kept companies (index and order kept) and how many were left out.
    """
    if limit is None or len(companies) <= limit:
        return companies.copy(), 0
    named = set(links["from_id"]) | set(links["to_id"])
    for members in groups["members"]:
        named.update(members.split(","))
    in_use = companies["id"].isin(named)
    room = max(limit - int(in_use.sum()), 0)
    others = companies.index[~in_use][:room]
    kept = companies[in_use | companies.index.isin(others)]
    return kept.copy(), len(companies) - len(kept)
