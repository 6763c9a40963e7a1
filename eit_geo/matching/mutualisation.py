"""Mutualisation groups: nearby companies giving out, or taking in, the same resource."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

from eit_geo.codes import family_of
from eit_geo.matching.arrays import _distinct, _run_starts
from eit_geo.matching.distances import MaxKm, _link_km, _overrides
from eit_geo.matching.points import _Points, _prepare, _Prepared, _sides
from eit_geo.matching.scores import GROUP_BUFFER_M
from eit_geo.zone import WGS84

if TYPE_CHECKING:
    from eit_geo.zone import Zone

__all__ = ["MUTUALISATION_COLUMNS", "find_mutualisations"]

_GROUP_MEMBERS = 2  # fewest companies in a mutualisation group, by default
_GROUP_FLOATS = ("quantity", "max_km", "centre_lat", "centre_lon")

MUTUALISATION_COLUMNS: tuple[str, ...] = (
    "group_id",
    "kind",
    "direction",
    "resource",
    "family",
    "members",
    "n_members",
    "quantity",
    "unit",
    "max_km",
    "centre_lat",
    "centre_lon",
)


def find_mutualisations(
    zone: Zone, *, max_km: MaxKm = None, min_members: int = _GROUP_MEMBERS, geometry: bool = True
) -> gpd.GeoDataFrame | pd.DataFrame:
    """Find groups of nearby companies giving out, or taking in, the same resource.

    Two companies are neighbours when at most ``max_km`` apart; a group is a set of companies
    linked through neighbours (single linkage, found with a KD-tree), for shared collection,
    joint purchasing or shared equipment.

    Parameters
    ----------
    zone
        A loaded zone.
    max_km
        Distance between neighbours: None for `MUTUALISATION_KM` (2 km, one industrial park),
        or less when the resource travels less far (waste heat 1.5 km); a number for every
        resource or ``{code_or_family: km}``, as in `find_substitutions`.
    min_members
        Fewest companies in a group.
    geometry
        False for a plain DataFrame without the hulls (a CSV file or a summary does not need
        them; same rows and columns otherwise).

    Returns
    -------
    geopandas.GeoDataFrame or pandas.DataFrame
        `MUTUALISATION_COLUMNS`; ``members`` is the sorted company ids joined by commas,
        ``quantity`` the total of the members' flows (NaN when one is unknown), the centre is
        weighted by quantity (plain when one is unknown) and the geometry is the convex hull
        of the members buffered by 200 m (EPSG:4326).
    """
    prep = _prepare(zone)
    offers, needs = _sides(prep, "output"), _sides(prep, "input")
    plan = _group_plan(offers, needs, _overrides(max_km), min_members)
    labels = [_components(side, link_km) for *_, link_km, side in plan]
    return _groups_table(prep, plan, labels, min_members, geometry=geometry)


_GroupSide = tuple[str, str, str, float, _Points]  # direction, code, unit, link km, its flows


def _group_plan(
    offers: dict[tuple[str, str], _Points],
    needs: dict[tuple[str, str], _Points],
    overrides: Mapping[str, float],
    min_members: int,
) -> list[_GroupSide]:
    """Return the sides where groups are sought, with the distance between neighbours.

    A side is a code and unit given (or taken) by at least ``min_members`` companies.
    """
    plan = []
    for direction, sides in (("output", offers), ("input", needs)):
        for (code, unit), side in sides.items():
            if len(_distinct(side.company)) >= min_members:
                plan.append((direction, code, unit, _link_km(code, overrides), side))
    return plan


def _groups_table(
    prep: _Prepared,
    plan: list[_GroupSide],
    labels: list[np.ndarray],
    min_members: int,
    *,
    geometry: bool,
) -> gpd.GeoDataFrame | pd.DataFrame:
    """Make the groups of `find_mutualisations` from the components (``labels``) of each side."""
    if not plan:
        return _no_groups(geometry=geometry)
    offsets = np.cumsum([0, *(int(label.max()) + 1 for label in labels[:-1])])
    label = np.concatenate([label + offset for label, offset in zip(labels, offsets, strict=True)])
    rows = np.concatenate([side.rows for *_, side in plan])
    key = np.repeat(np.arange(len(plan)), [len(side.rows) for *_, side in plan])
    keys = [(direction, code, unit, link_km) for direction, code, unit, link_km, _ in plan]
    return _groups_frame(prep, (label, rows, key), keys, min_members, geometry=geometry)


def _components(side: _Points, link_km: float) -> np.ndarray:
    """Label the points linked through neighbours at most ``link_km`` apart.

    The pairs as a directed graph of small integers, read as undirected ("weak" components):
    a third of the memory of a symmetric float graph, for millions of pairs in dense parks.
    """
    pairs = side.tree.query_pairs(link_km * 1000.0 * (1 + 1e-9), output_type="ndarray")
    pairs = pairs.astype(np.int32)
    n = len(side.rows)
    edges = np.ones(len(pairs), dtype=np.int8)
    graph = csr_array((edges, (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    del pairs, edges
    return connected_components(graph, directed=True, connection="weak")[1]


def _no_groups(*, geometry: bool = True) -> gpd.GeoDataFrame | pd.DataFrame:
    """Return a table of no groups, its numbers typed as numbers (files keep them so)."""
    numbers = {"n_members": "int64", **dict.fromkeys(_GROUP_FLOATS, "float64")}
    empty = pd.DataFrame(columns=list(MUTUALISATION_COLUMNS)).astype(numbers)
    if not geometry:
        return empty
    return gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs=WGS84))


def _groups_frame(
    prep: _Prepared,
    labelled: tuple[np.ndarray, np.ndarray, np.ndarray],
    keys: list[tuple[str, str, str, float]],
    min_members: int,
    *,
    geometry: bool = True,
) -> gpd.GeoDataFrame | pd.DataFrame:
    """Aggregate labelled flows (label, flow row, key) into groups of ``min_members`` or more."""
    label, rows, key = labelled
    by_id = np.argsort(prep.ids.to_numpy(dtype=object))  # members listed by sorted id
    company = np.argsort(by_id)[prep.company[rows]]
    n_companies = len(prep.ids)
    pairs = _distinct(label.astype(np.int64) * n_companies + company)
    pair_label, pair_company = np.divmod(pairs, n_companies)
    sizes = np.bincount(pair_label, minlength=int(label.max()) + 1)
    chosen = sizes[label] >= min_members
    if not chosen.any():
        return _no_groups(geometry=geometry)
    label, rows, key, company = label[chosen], rows[chosen], key[chosen], company[chosen]
    order = np.lexsort((company, label))
    label, rows, key, company = label[order], rows[order], key[order], company[order]
    opens = _run_starts(label)  # the first flow of each group
    starts = np.flatnonzero(opens)
    quantity = prep.flows["quantity"].to_numpy(dtype=float)[rows]
    xy = prep.xy[by_id[company]]
    total = np.add.reduceat(quantity, starts)  # unknown when a member's quantity is
    group = np.cumsum(opens) - 1
    weight = np.where(np.isnan(total)[group], 1.0, quantity)  # then the plain centre
    centre_xy = np.add.reduceat(xy * weight[:, None], starts)
    centre_xy /= np.add.reduceat(weight, starts)[:, None]
    centre = gpd.GeoSeries(gpd.points_from_xy(*centre_xy.T), crs=prep.crs).to_crs(WGS84)
    kept = sizes[pair_label] >= min_members
    names = prep.ids.to_numpy(dtype=object)[by_id[pair_company[kept]]]
    cuts = np.flatnonzero(np.diff(pair_label[kept])) + 1
    members = np.array([",".join(part) for part in np.split(names, cuts)], dtype=object)
    meta = pd.DataFrame(keys, columns=["direction", "resource", "unit", "max_km"])
    meta = meta.assign(family=meta["resource"].map(family_of)).iloc[key[starts]]
    first = prep.ids.to_numpy(dtype=object)[by_id[company[starts]]]
    table = pd.DataFrame(
        {
            "group_id": (
                meta["direction"] + ":" + meta["resource"] + ":" + meta["unit"] + ":" + first
            ).to_numpy(),
            "kind": "mutualisation",
            "direction": meta["direction"].to_numpy(),
            "resource": meta["resource"].to_numpy(),
            "family": meta["family"].to_numpy(),
            "members": members,
            "n_members": sizes[label[starts]],
            "quantity": total,
            "unit": meta["unit"].to_numpy(),
            "max_km": meta["max_km"].to_numpy(),
            "centre_lat": centre.y.to_numpy(),
            "centre_lon": centre.x.to_numpy(),
        }
    )
    if not geometry:
        return table
    hull = shapely.buffer(
        shapely.convex_hull(shapely.multipoints(xy, indices=group)), GROUP_BUFFER_M
    )
    hulls = gpd.GeoSeries(hull, crs=prep.crs).to_crs(WGS84)
    return gpd.GeoDataFrame(table, geometry=hulls.to_numpy(), crs=WGS84)
