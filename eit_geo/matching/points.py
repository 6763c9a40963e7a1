"""A zone as arrays in metric coordinates, and its flows grouped by code and unit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, overload

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree

from eit_geo.matching.arrays import _length

if TYPE_CHECKING:
    from pyproj import CRS

    from eit_geo.zone import Zone

__all__ = ["DEGREE_DIGITS"]

DEGREE_DIGITS = 6  # decimals of the links' ends in degrees (~0.1 m)
_POINT_FIELDS = ("rows", "xy", "company", "quantity")


@dataclass
class _Prepared:
    """Arrays of a zone in metric coordinates, ready for spatial queries.

    ``lonlat``: the companies' degrees as the rows give them, to `DEGREE_DIGITS` decimals
    (rounded once here rather than in each of millions of rows).
    """

    ids: pd.Series
    names: pd.Series
    xy: np.ndarray
    lonlat: np.ndarray
    flows: pd.DataFrame
    company: np.ndarray
    crs: CRS


def _prepare(zone: Zone) -> _Prepared:
    """Arrays of ``zone``; a company without a position (empty geometry) gets NaN coordinates."""
    companies = zone.companies
    crs = zone.metric_crs()
    points = companies.geometry.to_numpy()
    placed = ~(shapely.is_missing(points) | shapely.is_empty(points))
    lonlat = np.full((len(points), 2), np.nan)
    lonlat[placed] = shapely.get_coordinates(points[placed])
    to_metric = Transformer.from_crs(companies.crs, crs, always_xy=True)  # no new geometries
    xy = np.column_stack(to_metric.transform(lonlat[:, 0], lonlat[:, 1]))
    xy[~placed] = np.nan
    ids = companies["id"].reset_index(drop=True)
    company = pd.Index(ids).get_indexer(zone.flows["company_id"])
    return _Prepared(
        ids=ids,
        names=companies["name"].reset_index(drop=True),
        xy=xy,
        lonlat=np.round(lonlat, DEGREE_DIGITS),
        flows=zone.flows.reset_index(drop=True),
        company=company,
        crs=crs,
    )


@dataclass
class _Points:
    """One side of a group: the flows of one code and unit, where and how much."""

    rows: np.ndarray
    xy: np.ndarray
    company: np.ndarray
    quantity: np.ndarray
    _tree: cKDTree | None = None

    @property
    def tree(self) -> cKDTree:
        if self._tree is None:
            self._tree = cKDTree(self.xy, leafsize=64)
        return self._tree


def _sides(prep: _Prepared, direction: str) -> dict[tuple[str, str], _Points]:
    """Group the flows of ``direction`` by code and unit, those that can be matched by distance.

    Left out: flows without a resource code (« à coder ») and flows of a company without a
    position.
    """
    flows = prep.flows
    resource = flows["resource"]
    coded = (resource.notna() & (resource != "")).to_numpy()  # codes come normalised
    placed = np.isfinite(prep.xy[:, 0])[prep.company]
    chosen = flows[(flows["direction"] == direction).to_numpy() & coded & placed]
    quantity = flows["quantity"].to_numpy(dtype=float)
    sides = {}
    for key, positions in chosen.groupby(["resource", "unit"], sort=True).indices.items():
        rows = chosen.index.to_numpy()[positions]
        company = prep.company[rows]
        sides[key] = _Points(rows, prep.xy[company], company, quantity[rows])
    return sides


def _union(sides: list[_Points], rules: list[int]) -> tuple[_Points, np.ndarray]:
    """Return the offers of several codes as one side, and the rule of each of its points."""
    if len(sides) == 1:
        return sides[0], np.full(len(sides[0].rows), rules[0], dtype=np.int64)
    rows, xy, company, quantity = (
        np.concatenate([vars(s)[name] for s in sides]) for name in _POINT_FIELDS
    )
    merged = _Points(rows, xy, company, quantity)
    rule_of = np.repeat(np.asarray(rules, dtype=np.int64), [len(s.rows) for s in sides])
    return merged, rule_of


@overload
def _by_known_quantity(
    points: _Points, rule_of: np.ndarray
) -> Sequence[tuple[_Points, np.ndarray]]: ...
@overload
def _by_known_quantity(points: _Points, rule_of: None = None) -> Sequence[tuple[_Points, None]]: ...
def _by_known_quantity(
    points: _Points, rule_of: np.ndarray | None = None
) -> Sequence[tuple[_Points, np.ndarray | None]]:
    """Split a side into its flows of known quantity and those of unknown quantity (if any)."""
    unknown = np.isnan(points.quantity)
    if not unknown.any() or unknown.all():
        return [(points, rule_of)]
    return [
        (
            _Points(*(vars(points)[name][chosen] for name in _POINT_FIELDS)),
            None if rule_of is None else rule_of[chosen],
        )
        for chosen in (~unknown, unknown)
    ]


def _metres(prep: _Prepared, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _length(*(prep.xy[a] - prep.xy[b]).T) if len(a) else np.empty(0)
