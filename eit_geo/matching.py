"""Find synergies: substitutions between an offer and a need, and mutualisation groups.

Substitution score (0 to 1), for an offer of quantity ``o`` and a need of quantity ``n`` at
``d`` km, the resource allowing ``max_km``::

    score = quality × proximity × fit ** FIT_EXPONENT
    proximity = PROXIMITY_AT_MAX ** (d / max_km)   (no limit: 1 / (1 + d / UNLIMITED_SCALE_KM))
    fit       = min(o, n) / max(o, n)      (1 when the offer covers the need exactly, or when
                                            either quantity is unknown: neutral)
    quality   = MATCH_QUALITY[match]       (× CONVERSION_FACTOR when a conversion step is needed)

A link scores 1 between neighbours of equal size with the same code, 0.71 at half the maximum
distance, half as much at the maximum distance (``PROXIMITY_AT_MAX`` = 0.5) or when one side is
four times the other (``FIT_EXPONENT`` = 0.5); beyond the maximum distance there is no link.
These settings are rows of ``data/scoring.csv``.

Candidates work on what is left: each existing synergy takes its declared quantity from its
offer and its need first; ``o`` and ``n`` are what remains (`_Used`), a flow with nothing left
is not matched, and a candidate's quantity is ``min(o, n)``. A flow without a resource code
(« à coder ») is not matched; one of a company without a position is not matched by distance.

Candidates are searched per group of rules sharing an input code, a unit, a distance and a
quality, with KD-trees: for each offer its best ``top_k`` needs, for each need its best ``top_k``
offers. The nearest neighbours are sought in a space where distance follows the score,
``(x / scale, y / scale, FIT_EXPONENT × ln quantity)`` with ``scale = max_km / ln(1 /
PROXIMITY_AT_MAX)``, where a partner ``rho`` away scores at most ``e^-rho``; the search widens
for a flow only while a partner not yet seen could still score better (up to the
``48 × top_k`` nearest: beyond, the best of those), so the ranking is exact in practice and its
cost grows with the candidates kept, not with the square of the companies. Partners within
reach are only counted (``more_for_offer``, ``more_for_need``).

`match_zone` ranks the substitutions and finds the mutualisation groups in one pass (what
``eit-geo match --out`` writes): the groups' neighbour graphs are pieces of work among the
search's, on the same KD-trees, and their table is made on the core the ranking leaves free.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import itertools
import math
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from pyproj import Transformer
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from eit_geo._memory import release_memory
from eit_geo.codes import (
    FAMILIES,
    default_max_km,
    ewc_parents,
    family_of,
    fold_text,
    normalise_code,
    substitution_table,
)
from eit_geo.datafiles import read_values
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.validation import WGS84

if TYPE_CHECKING:
    from eit_geo.zone import Zone

__all__ = [
    "CONVERSION_FACTOR",
    "DEGREE_DIGITS",
    "FIT_EXPONENT",
    "MATCH_QUALITY",
    "MUTUALISATION_COLUMNS",
    "MUTUALISATION_KM",
    "PROXIMITY_AT_MAX",
    "SUBSTITUTION_COLUMNS",
    "UNLIMITED_SCALE_KM",
    "MaxKm",
    "RankedLinks",
    "UnitMismatchWarning",
    "find_mutualisations",
    "find_substitutions",
    "links_frame",
    "match_zone",
    "parse_max_km",
    "rank_links",
    "rank_substitutions",
    "resolve_max_km",
    "substitution_table_frame",
]

MaxKm = float | Mapping[str, float] | None
_T = TypeVar("_T")

_SCORING = read_values("scoring.csv")  # documented in data/README.md
FIT_EXPONENT = _SCORING["fit_exponent"]
MATCH_QUALITY: dict[str, float] = {
    key.removeprefix("quality_"): value
    for key, value in _SCORING.items()
    if key.startswith("quality_")
}
CONVERSION_FACTOR = _SCORING["conversion_factor"]
UNLIMITED_SCALE_KM = _SCORING["unlimited_scale_km"]
PROXIMITY_AT_MAX = _SCORING["proximity_at_max"]
if not 0.0 < PROXIMITY_AT_MAX <= 1.0:  # a setting of data/scoring.csv
    msg = f"proximity_at_max = {PROXIMITY_AT_MAX}: expected a number in ]0, 1]"
    raise ValueError(msg)
_DECAY = -math.log(PROXIMITY_AT_MAX)  # proximity = exp(-_DECAY × d / max_km)
MUTUALISATION_KM = _SCORING["mutualisation_km"]
GROUP_BUFFER_M = _SCORING["group_buffer_m"]
DEGREE_DIGITS = 6  # decimals of the links' ends in degrees (~0.1 m)
ALL_RESOURCES = "*"
_BREADTH = 3  # first search: the 3 K nearest in the score space
_WIDEN = 2  # then twice as many, while needed
_MAX_BREADTH = 48  # and at most the 48 K nearest (3, 6, 12, 24 then 48 K)
_THREADS = 2
_GROUP_MEMBERS = 2  # fewest companies in a mutualisation group, by default
_RANK_PARTS = 8  # flows ranked again in 8 parts
_GRID_CELLS = 2_000_000
_POINT_FIELDS = ("rows", "xy", "company", "quantity")
_GROUP_FLOATS = ("quantity", "max_km", "centre_lat", "centre_lon")

SUBSTITUTION_COLUMNS: tuple[str, ...] = (
    "candidate_id",
    "kind",
    "status",
    "from_id",
    "to_id",
    "from_name",
    "to_name",
    "from_flow_id",
    "to_flow_id",
    "resource",
    "input_resource",
    "family",
    "match",
    "conversion",
    "quantity",
    "offer_quantity",
    "need_quantity",
    "existing_quantity",
    "offer_used",
    "need_used",
    "offer_used_by",
    "need_used_by",
    "unit",
    "distance_km",
    "max_km",
    "score",
    "more_for_offer",
    "more_for_need",
)
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


# --------------------------------------------------------------------------- distances


def parse_max_km(values: list[str], *, lang: str = DEFAULT_LANGUAGE) -> dict[str, float]:
    """Parse ``--max-km`` values: ``KM`` for every resource, or ``CODE_OR_FAMILY=KM``.

    Parameters
    ----------
    values
        Strings such as ``"50"``, ``"material=300"``, ``"steam=5"``, ``"10 01=80"``; ``inf``
        means no limit. Later values win.
    lang
        Language of the error message.

    Returns
    -------
    dict
        ``{key: km}`` with canonical codes or family names, ``"*"`` for a bare number.

    Raises
    ------
    ValueError
        Naming every value that is not understood.
    """
    parsed: dict[str, float] = {}
    errors: list[str] = []
    for value in values:
        key, equals, number = value.rpartition("=")
        km = _positive_km(number)
        name = _max_km_key(key) if equals else ALL_RESOURCES
        if km is None:
            errors.append(t("engine.bad_km", lang, value=value))
        elif name is None:
            errors.append(t("engine.bad_key", lang, value=value, families=", ".join(FAMILIES)))
        else:
            parsed[name] = km
    if errors:
        raise ValueError("\n".join(errors))
    return parsed


def _positive_km(text: str) -> float | None:
    try:
        km = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    return km if km > 0 and not math.isnan(km) else None


def _max_km_key(key: str) -> str | None:
    if key.strip() == ALL_RESOURCES:
        return ALL_RESOURCES
    folded = fold_text(key)
    if folded in FAMILIES:
        return folded
    return normalise_code(key)


def _overrides(max_km: MaxKm) -> dict[str, float]:
    if max_km is None:
        return {}
    if isinstance(max_km, int | float):
        return {ALL_RESOURCES: float(max_km)}
    return parse_max_km([f"{key}={km}" for key, km in max_km.items()])


def resolve_max_km(code: str, max_km: MaxKm = None) -> float | None:
    """Return the maximum exchange distance of an output code in km (None: no limit).

    The most specific setting wins: the code, its EWC sub-chapter, its chapter, its family, a
    value for every resource (``"*"``), then the defaults of ``data/resources.csv`` and
    ``data/families.csv`` (``codes.default_max_km``). An infinite value means no limit.
    """
    overrides = _overrides(max_km)
    return _resolve(code, overrides)


def _resolve(code: str, overrides: Mapping[str, float]) -> float | None:
    keys = [code, *ewc_parents(code), family_of(code), ALL_RESOURCES]
    for key in keys:
        if key in overrides:
            km = overrides[key]
            return None if math.isinf(km) else km
    return default_max_km(code)


# --------------------------------------------------------------------------- match rules


def substitution_table_frame() -> pd.DataFrame:
    """Return the substitution table as ``output``, ``input``, ``conversion`` (no duplicates)."""
    table = substitution_table()
    conversion = table["conversion"].fillna("") if "conversion" in table else ""
    frame = pd.DataFrame(
        {"output": table["output"], "input": table["input"], "conversion": conversion}
    )
    return frame.drop_duplicates(["output", "input"]).reset_index(drop=True)


def _rules(output_codes: list[str], input_codes: set[str]) -> pd.DataFrame:
    """Return every (output code, input code) pair the contract allows, with match and quality."""
    substitutes = substitution_table_frame()
    by_output = substitutes.groupby("output")
    rows: list[tuple[str, str, str, str, float]] = []
    for code in output_codes:
        if code in input_codes:
            rows.append((code, code, "same_code", "", MATCH_QUALITY["same_code"]))
        sub, chapter = ewc_parents(code) or (None, None)
        if sub in input_codes:
            rows.append((code, sub, "ewc_chapter", "", MATCH_QUALITY["ewc_subchapter"]))
        if chapter in input_codes:
            rows.append((code, chapter, "ewc_chapter", "", MATCH_QUALITY["ewc_chapter"]))
        if code in by_output.groups:
            for target, conversion in by_output.get_group(code)[["input", "conversion"]].to_numpy():
                if target in input_codes and target != code:
                    quality = MATCH_QUALITY["substitution"]
                    quality *= CONVERSION_FACTOR if conversion else 1.0
                    rows.append((code, target, "substitution", conversion, quality))
    columns = ["resource", "input_resource", "match", "conversion", "quality"]
    return pd.DataFrame(rows, columns=columns).drop_duplicates(["resource", "input_resource"])


# --------------------------------------------------------------------------- prepared zone


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
    crs: object


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


# --------------------------------------------------------------------------- scoring


def _proximity(distance_m: np.ndarray, radius_m: float) -> np.ndarray:
    """Return ``PROXIMITY_AT_MAX ** (d / max)``, 0 beyond (no limit: ``1 / (1 + d / …)``)."""
    if math.isinf(radius_m):
        return 1.0 / (1.0 + distance_m / (UNLIMITED_SCALE_KM * 1000.0))
    near = np.exp(-_DECAY * (distance_m / radius_m))
    return np.where(distance_m <= radius_m * (1 + 1e-9), near, 0.0)


def _score(distance_m: np.ndarray, q_a: np.ndarray, q_b: np.ndarray, radius_m: float) -> np.ndarray:
    """Return the score of pairs for quality 1 (module docstring); an unknown quantity fits."""
    fit = np.minimum(q_a, q_b) / np.maximum(q_a, q_b)
    return _proximity(distance_m, radius_m) * np.where(np.isnan(fit), 1.0, fit**FIT_EXPONENT)


# --------------------------------------------------------------------------- spatial search


def _score_space(points: _Points, radius_m: float, *, sized: bool = True) -> np.ndarray:
    """Return points as ``(x / scale, y / scale, FIT_EXPONENT × ln quantity)``.

    Near there means a high score: a partner at distance ``rho`` in this space scores at most
    `_unseen_bound` ``(rho)``. ``scale = max / _DECAY``: the proximity is ``e^(−d / scale)``.
    Without ``sized`` (a side of unknown quantities: the fit is neutral), the third
    coordinate is 0.
    """
    if math.isfinite(radius_m):
        scale = radius_m / _DECAY if _DECAY > 0 else math.inf
    else:
        scale = UNLIMITED_SCALE_KM * 1000.0
    size = FIT_EXPONENT * np.log(points.quantity) if sized else np.zeros(len(points.rows))
    return np.column_stack([points.xy / scale, size])


def _unseen_bound(rho: np.ndarray, radius_m: float) -> np.ndarray:
    """Highest score (quality 1) of a partner at least ``rho`` away in the score space.

    With ``a = d / scale`` and ``b = FIT_EXPONENT × |ln o − ln n|``, ``a² + b² ≥ rho²`` and
    ``−ln score = a + b ≥ rho`` (`_score_space`: the proximity is ``e^−a`` within reach, and
    beyond it there is no link); without a distance limit ``−ln score = ln(1 + a) + b``,
    concave along the quarter circle, so at least ``ln(1 + rho)``.
    """
    if math.isfinite(radius_m):
        return np.exp(-rho)
    return 1.0 / (1.0 + rho)


@dataclass(frozen=True)
class _Running:
    """The offer-need pairs of existing synergies: never candidates, whatever their flows have left.

    ``keys``: ``offer row × n_flows + need row``, sorted; ``in_pair``: whether each flow is in
    one; ``pairs``: the existing pairs; ``forward``: the search goes from offers to needs (else
    from needs to offers).
    """

    keys: np.ndarray
    in_pair: np.ndarray
    pairs: _Pairs
    forward: bool = True

    @classmethod
    def of(cls, existing: _Pairs, n_flows: int) -> _Running:
        in_pair = np.zeros(n_flows, dtype=bool)
        in_pair[existing.offer] = in_pair[existing.need] = True
        keys = np.sort(existing.offer.astype(np.int64) * n_flows + existing.need)
        return cls(keys, in_pair, existing)

    def within(self, a: _Points, b: _Points, radius_m: float) -> tuple[np.ndarray, np.ndarray]:
        """Return the positions in offers ``a`` and needs ``b`` of the running pairs in reach."""
        none = np.empty(0, dtype=np.int64)
        if not (self.in_pair[a.rows].any() and self.in_pair[b.rows].any()):
            return none, none
        at_a, in_a = _positions(a.rows, self.pairs.offer)
        at_b, in_b = _positions(b.rows, self.pairs.need)
        near = in_a & in_b & (self.pairs.metres <= radius_m * (1 + 1e-9))
        return at_a[near], at_b[near]

    def backward(self) -> _Running:
        """Return the same pairs, for a search from needs to offers."""
        return dataclasses.replace(self, forward=False)

    def among(self, src_rows: np.ndarray, dst_rows: np.ndarray, dst: np.ndarray) -> np.ndarray:
        """Tell which pairs ``(src_rows[i], dst_rows[dst[i, …]])`` (flow rows) are running.

        ``dst``: positions in ``dst_rows``, one row (or one value) per src. Only the rows of a
        src flow in an existing pair are looked up (a few): no gather over the whole grid.
        """
        found = np.zeros(dst.shape, dtype=bool)
        maybe = np.flatnonzero(self.in_pair[src_rows])
        if maybe.size:
            partner = dst_rows[dst[maybe]]
            src = src_rows[maybe].reshape(-1, *([1] * (dst.ndim - 1)))
            offer, need = (src, partner) if self.forward else (partner, src)
            keys = offer.astype(np.int64) * len(self.in_pair) + need
            found[maybe] = _among(keys.ravel(), self.keys).reshape(keys.shape)
        return found


def _positions(rows: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return where each of ``values`` is in ``rows`` (distinct), and whether it is there."""
    order = np.argsort(rows)
    at = np.minimum(np.searchsorted(rows[order], values), len(rows) - 1)
    return order[at], rows[order[at]] == values


def _best_partners(
    src: _Points,
    dst: _Points,
    radius_m: float,
    k: int,
    reach: np.ndarray,
    *,
    sized: bool = True,
    running: _Running | None = None,
) -> np.ndarray:
    """Return rows ``(src, dst, metres, score)``: the best ``k`` partners of each src point.

    ``reach`` counts each src point's partners within the radius, same company included. Points
    with few fetch them all; the others seek nearest neighbours in the score space
    (`_score_space`), widening only while a partner not yet seen could still beat their
    ``k``-th best (`_unseen_bound`). Exact, and the cost follows what is kept. Without
    ``sized``, a side's quantities are unknown and the score space is the plane. ``running``
    pairs are skipped.
    """
    n_dst = len(dst.rows)
    space = _score_space(src, radius_m, sized=sized)
    tree = cKDTree(
        _score_space(dst, radius_m, sized=sized), balanced_tree=False, compact_nodes=False
    )
    width = min(n_dst, k * _BREADTH)
    few = (reach > 0) & (reach <= width)
    found = [
        _within_reach(src, dst, radius_m, k, todo=np.flatnonzero(few), reach=reach, running=running)
    ]
    todo = np.flatnonzero(reach > width)
    while todo.size:
        widen = []
        for rows in _chunks(todo, width):
            rho, nearest = tree.query(space[rows], k=width)
            rho, nearest = rho.reshape(len(rows), width), nearest.reshape(len(rows), width)
            dist, score = _pair_grid(src, dst, rows, nearest, radius_m, running=running)
            nearest, dist, score = _top(k, nearest, dist, score)
            more = (width < min(n_dst, k * _MAX_BREADTH)) & (
                score.min(axis=1) < _unseen_bound(rho[:, -1], radius_m)
            )
            found.append(_found_rows(rows[~more], nearest[~more], dist[~more], score[~more]))
            widen.append(rows[more])
        width = min(n_dst, width * _WIDEN)
        todo = np.concatenate(widen)
        few = reach[todo] <= width
        found.append(
            _within_reach(src, dst, radius_m, k, todo=todo[few], reach=reach, running=running)
        )
        todo = todo[~few]
    return np.concatenate(found)


def _chunks(rows: np.ndarray, width: int) -> list[np.ndarray]:
    """Split rows so that a grid of ``width`` columns stays within `_GRID_CELLS` cells."""
    count = max(1, math.ceil(len(rows) * width / _GRID_CELLS))
    return np.array_split(rows, count) if count > 1 else [rows]


def _top(
    k: int, nearest: np.ndarray, dist: np.ndarray, score: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep the ``k`` best columns of each grid row."""
    if nearest.shape[1] <= k:
        return nearest, dist, score
    best = np.argpartition(-score, k - 1, axis=1)[:, :k]
    return tuple(np.take_along_axis(grid, best, axis=1) for grid in (nearest, dist, score))


def _length(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Return ``sqrt(dx² + dy²)`` as the KD-trees measure it, in place of ``dx``.

    ``np.hypot`` takes three times as long, guarding against overflows that metres never reach.
    """
    dx *= dx
    dx += dy * dy
    return np.sqrt(dx, out=dx)


def _pair_grid(
    src: _Points,
    dst: _Points,
    todo: np.ndarray,
    nearest: np.ndarray,
    radius_m: float,
    *,
    running: _Running | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return metres and scores of a grid: −inf out of reach, in a company, or ``running``."""
    origin = src.xy[todo]
    dist = _length(
        dst.xy[:, 0][nearest] - origin[:, 0, None], dst.xy[:, 1][nearest] - origin[:, 1, None]
    )
    ok = (dist <= radius_m * (1 + 1e-9)) & (dst.company[nearest] != src.company[todo][:, None])
    if running is not None:
        ok &= ~running.among(src.rows[todo], dst.rows, nearest)
    score = _score(dist, src.quantity[todo][:, None], dst.quantity[nearest], radius_m)
    return dist, np.where(ok, score, -np.inf)


def _found_rows(
    todo: np.ndarray, nearest: np.ndarray, dist: np.ndarray, score: np.ndarray
) -> np.ndarray:
    keep = np.isfinite(score)
    rows = np.broadcast_to(todo[:, None], keep.shape)[keep]
    return np.column_stack([rows, nearest[keep], dist[keep], score[keep]])


def _within_reach(
    src: _Points,
    dst: _Points,
    radius_m: float,
    k: int,
    *,
    todo: np.ndarray,
    reach: np.ndarray,
    running: _Running | None = None,
) -> np.ndarray:
    """Return rows ``(src, dst, metres, score)``: the best ``k`` partners in reach, fetched all."""
    found = [np.empty((0, 4))]
    upper = radius_m * (1 + 1e-9) if math.isfinite(radius_m) else np.inf
    buckets = np.ceil(np.log2(np.maximum(reach[todo], 1))).astype(int)
    for bucket in _distinct(buckets):
        width = min(len(dst.rows), 2**bucket)
        for rows in _chunks(todo[buckets == bucket], width):
            dist, nearest = dst.tree.query(src.xy[rows], k=width, distance_upper_bound=upper)
            dist, nearest = dist.reshape(len(rows), width), nearest.reshape(len(rows), width)
            seen = np.isfinite(dist)
            nearest = np.where(seen, nearest, 0)
            dist, score = _pair_grid(src, dst, rows, nearest, radius_m, running=running)
            score = np.where(seen, score, -np.inf)
            found.append(_found_rows(rows, *_top(k, nearest, dist, score)))
    return np.concatenate(found)


def _all_partners(
    offers: _Points, needs: _Points, radius_m: float, running: _Running | None = None
) -> np.ndarray:
    """Return rows ``(offer index, need index, metres, score)`` for every pair in reach.

    ``running`` pairs (existing synergies) are left out.
    """
    if math.isfinite(radius_m):
        pairs = offers.tree.sparse_distance_matrix(
            needs.tree, radius_m * (1 + 1e-9), output_type="ndarray"
        )
        found = np.column_stack([pairs["i"], pairs["j"], pairs["v"]])
    else:
        i, j = np.divmod(np.arange(len(offers.rows) * len(needs.rows)), len(needs.rows))
        found = np.column_stack([i, j, _length(*(offers.xy[i] - needs.xy[j]).T)])
    i, j = found[:, 0].astype(int), found[:, 1].astype(int)
    keep = (offers.company[i] != needs.company[j]) & (found[:, 2] <= radius_m)
    if running is not None:
        keep &= ~running.among(offers.rows[i], needs.rows, j)
    found = found[keep]
    i, j = found[:, 0].astype(int), found[:, 1].astype(int)
    score = _score(found[:, 2], offers.quantity[i], needs.quantity[j], radius_m)
    return np.column_stack([found, score])


def _reach(src: _Points, dst: _Points, radius_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Count each src point's partners within the radius: all, and those of its own company."""
    same = np.bincount(dst.company, minlength=int(src.company.max()) + 1)[src.company]
    if math.isinf(radius_m):
        return np.full(len(src.rows), len(dst.rows)), same
    total = dst.tree.query_ball_point(src.xy, radius_m * (1 + 1e-9), return_length=True)
    return np.asarray(total), same


# --------------------------------------------------------------------------- substitutions


@dataclass
class _Pairs:
    """Offer-need pairs as arrays: flow rows, metres, rule index, and best-of flags.

    ``by_offer`` / ``by_need``: the pair is among the best of its offer / need within its
    search group; ``score``: its score (module docstring).
    """

    offer: np.ndarray
    need: np.ndarray
    metres: np.ndarray
    rule: np.ndarray
    by_offer: np.ndarray
    by_need: np.ndarray
    score: np.ndarray

    @classmethod
    def empty(cls) -> _Pairs:
        none = np.empty(0, dtype=np.int32)
        flag = np.empty(0, dtype=bool)
        return cls(none, none, np.empty(0), none, flag, flag, np.empty(0))

    @classmethod
    def concat(
        cls, parts: list[_Pairs], *, consume: bool = False, order: np.ndarray | None = None
    ) -> _Pairs:
        """Join ``parts``, then take the rows at ``order`` if given.

        With ``consume``, the parts are emptied column by column, so that only the columns being
        joined are held more than once (millions of pairs). Without ``order``, two columns at a
        time, on two threads (NumPy copies free the GIL).
        """
        if not parts:
            return cls.empty()

        def join(name: str) -> np.ndarray:
            column = np.concatenate([vars(part)[name] for part in parts])
            for part in parts if consume else ():
                setattr(part, name, column[:0].copy())
            return column if order is None or not len(column) else column[order]

        names = list(vars(parts[0]))
        if order is not None:  # a column and its ordered copy at a time: less memory
            return cls(**{name: join(name) for name in names})
        with ThreadPoolExecutor(max_workers=_THREADS) as pool:
            return cls(**dict(zip(names, pool.map(join, names), strict=True)))

    def __len__(self) -> int:
        return len(self.offer)

    def take(self, index: np.ndarray | slice, fields: Iterable[str] | None = None) -> _Pairs:
        """Return the pairs at ``index``; only ``fields`` (all by default), the others empty."""
        chosen = set(vars(self) if fields is None else fields)
        return _Pairs(
            **{
                k: v[index] if k in chosen else np.empty(0, dtype=v.dtype)  # not a view: freed
                for k, v in vars(self).items()
            }
        )


_LINK_FIELDS = ("offer", "need", "metres", "rule")  # what the rows of a ranked link need


@dataclass
class _Search:
    """Everything the spatial search found: pairs, rules, partner counts per flow."""

    pairs: _Pairs
    rules: pd.DataFrame
    offer_count: np.ndarray
    need_count: np.ndarray
    offer_groups: np.ndarray
    need_groups: np.ndarray


def _rules_table(
    sides: tuple[dict[tuple[str, str], _Points], dict[tuple[str, str], _Points]],
    overrides: Mapping[str, float],
) -> pd.DataFrame:
    """Return the rules between the codes given and taken, with ``max_km`` and ``family``."""
    offers, needs = sides
    rules = _rules(sorted({code for code, _ in offers}), {code for code, _ in needs})
    km = [_resolve(code, overrides) for code in rules["resource"]]
    return rules.assign(
        max_km=[np.nan if v is None else v for v in km], family=rules["resource"].map(family_of)
    ).reset_index(drop=True)


def _units_by_code(side: dict[tuple[str, str], _Points]) -> dict[str, set[str]]:
    units: dict[str, set[str]] = {}
    for code, unit in side:
        units.setdefault(code, set()).add(unit)
    return units


def _unit_mismatches(
    rules: pd.DataFrame,
    sides: tuple[dict[tuple[str, str], _Points], dict[tuple[str, str], _Points]],
) -> int:
    """Count the rules whose codes are given and taken, but never in the same unit."""
    units_out, units_in = (_units_by_code(side) for side in sides)
    return sum(
        not units_out[rule.resource] & units_in[rule.input_resource] for rule in rules.itertuples()
    )


def _search(
    prep: _Prepared,
    sides: tuple[dict[tuple[str, str], _Points], dict[tuple[str, str], _Points]],
    rules: pd.DataFrame,
    top_k: int,
    *,
    running: _Running | None = None,
    also: Sequence[tuple[Callable[[], _T], int]] = (),
) -> tuple[_Search, list[_T]]:
    """Search every group of rules sharing an input code, a unit, a distance and a quality.

    ``sides``: the offers and the needs to match (`_sides`, after `_Used.sides`); ``rules``:
    `_rules_table`. Offers or needs of unknown quantity are searched apart from the others
    (their fit is neutral). ``running`` pairs (existing synergies) are never candidates.
    ``also``: other work and its size, done among the search's
    (`_from_both_ends`); its results are returned with the search.
    """
    offers, needs = sides
    n_flows = len(prep.flows)
    counts = np.zeros((4, n_flows), dtype=np.int64)  # partners and rules, per offer and need
    found: list[_Pairs] = []
    units_in = _units_by_code(needs)
    keys = ["input_resource", "quality", "radius_key", "match", "conversion"]
    grouped = rules.assign(radius_key=rules["max_km"].fillna(-1.0)).groupby(keys, sort=False)
    jobs = []
    for (input_code, _, _, _, _), members in grouped:
        radius = members["max_km"].iloc[0] * 1000.0
        radius = math.inf if math.isnan(radius) else radius
        for unit in sorted(units_in.get(input_code, ())):
            parts = [
                (rule, offers[(code, unit)])
                for rule, code in zip(members.index, members["resource"], strict=True)
                if (code, unit) in offers
            ]
            if parts:
                a, rule_of = _union([side for _, side in parts], [rule for rule, _ in parts])
                quality = float(members["quality"].iloc[0])
                for a_part, a_rules in _by_known_quantity(a, rule_of):
                    for b_part, _ in _by_known_quantity(needs[(input_code, unit)]):
                        jobs.append((a_part, b_part, radius, a_rules, quality))
    group_work = [
        functools.partial(_search_group, *job, top_k=top_k, running=running) for job in jobs
    ]
    searched = _from_both_ends(
        [*group_work, *(work for work, _ in also)],
        [*(len(job[0].rows) + len(job[1].rows) for job in jobs), *(size for _, size in also)],
    )
    also_done = searched[len(jobs) :]
    for (a, b, *_), (pairs, reach_a, reach_b) in zip(jobs, searched[: len(jobs)], strict=True):
        counts[0][a.rows] += reach_a  # rows are distinct within a group
        counts[1][b.rows] += reach_b
        counts[2][a.rows] += 1
        counts[3][b.rows] += 1
        found.append(pairs)
    del searched  # the pairs are held by `found` alone, and emptied as they are joined
    pairs = _Pairs.concat(found, consume=True)
    release_memory()
    return _Search(pairs, rules, *counts), also_done


def _by_known_quantity(
    points: _Points, rule_of: np.ndarray | None = None
) -> list[tuple[_Points, np.ndarray | None]]:
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


class UnitMismatchWarning(UserWarning):
    """Codes that match, given and taken in different units: those pairs are not matched."""

    def __init__(self, count: int, lang: str = DEFAULT_LANGUAGE) -> None:
        super().__init__(t("engine.unit_mismatch", lang, count=count))
        self.count = count


def _warn_caller(message: Warning) -> None:
    """Warn, pointing at the first caller outside this module (whichever entry point it used)."""
    frame, level = sys._getframe(0), 1
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        frame, level = frame.f_back, level + 1
    warnings.warn(message, stacklevel=level)


def _from_both_ends(work: list[Callable[[], _T]], sizes: list[int]) -> list[_T]:
    """Run ``work`` on two threads and return the results in order (not timing's).

    One thread takes the largest piece left, the other the smallest: the large ones spend their
    time in KD-trees and NumPy, which free the GIL, the small ones in Python, which holds it, so
    the two mix well and end together.
    """
    left = collections.deque(sorted(range(len(work)), key=sizes.__getitem__, reverse=True))
    results: list = [None] * len(work)
    lock = threading.Lock()

    def run(largest: bool) -> None:
        while True:
            with lock:
                if not left:
                    return
                index = left.popleft() if largest else left.pop()
            results[index] = work[index]()

    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        for done in [pool.submit(run, largest) for largest in (True, False)[:_THREADS]]:
            done.result()
    return results


def _union(sides: list[_Points], rules: list[int]) -> tuple[_Points, np.ndarray]:
    """Return the offers of several codes as one side, and the rule of each of its points."""
    if len(sides) == 1:
        return sides[0], np.full(len(sides[0].rows), rules[0], dtype=np.int64)
    merged = _Points(*(np.concatenate([vars(s)[name] for s in sides]) for name in _POINT_FIELDS))
    rule_of = np.repeat(np.asarray(rules, dtype=np.int64), [len(s.rows) for s in sides])
    return merged, rule_of


def _search_group(
    a: _Points,
    b: _Points,
    radius: float,
    rule_of: np.ndarray,
    quality: float,
    *,
    top_k: int,
    running: _Running | None = None,
) -> tuple[_Pairs, np.ndarray, np.ndarray]:
    """Find the best pairs between offers ``a`` and needs ``b`` (``rule_of``: the rule of each).

    ``quality``: that of the group's rules (one for all), which the scores take here.

    Also returns, for each offer and each need, how many partners of another company it has
    within reach.
    """
    reach_a, same_a = _reach(a, b, radius)
    reach_b, same_b = _reach(b, a, radius)
    if running is not None:  # partners in reach, but never candidates: not counted either
        at_a, at_b = running.within(a, b, radius)
        np.add.at(same_a, at_a, 1)
        np.add.at(same_b, at_b, 1)
    sized = not (np.isnan(a.quantity[:1]).any() or np.isnan(b.quantity[:1]).any())
    if top_k == 0:
        hits = _all_partners(a, b, radius, running)
        flags = np.ones((len(hits), 2), dtype=bool)
    else:
        back = None if running is None else running.backward()
        forward = _best_partners(a, b, radius, top_k, reach_a, sized=sized, running=running)
        backward = _best_partners(b, a, radius, top_k, reach_b, sized=sized, running=back)
        backward = backward[:, [1, 0, 2, 3]]
        hits, flags = _merge_sides(forward, backward, len(b.rows))
    i, j = hits[:, 0].astype(np.int64), hits[:, 1].astype(np.int64)
    pairs = _Pairs(  # columns copied out of the grids: these are kept, the grids are not
        a.rows[i].astype(np.int32),
        b.rows[j].astype(np.int32),
        hits[:, 2].copy(),
        rule_of[i].astype(np.int32),
        flags[:, 0].copy(),
        flags[:, 1].copy(),
        quality * hits[:, 3],
    )
    return pairs, reach_a - same_a, reach_b - same_b


def _merge_sides(
    forward: np.ndarray, backward: np.ndarray, n_needs: int
) -> tuple[np.ndarray, np.ndarray]:
    """Union of the best pairs per offer and per need, flagging which side kept each.

    A pair found from both sides has the same metres and score from each (`_pair_grid` is
    symmetric), so either row stands for it. Rows come out by offer then need. Sorted with
    NumPy's quick argsort: ``np.unique`` with indices sorts stably, several times slower.
    """
    both = np.concatenate([forward, backward])
    keys = both[:, 0].astype(np.int64) * n_needs + both[:, 1].astype(np.int64)
    order = np.argsort(keys)
    keys = keys[order]
    first = _run_starts(keys)
    pair = np.cumsum(first) - 1
    from_backward = order >= len(forward)
    flags = np.zeros((int(first.sum()), 2), dtype=bool)
    flags[pair[~from_backward], 0] = True
    flags[pair[from_backward], 1] = True
    return both[order[first]], flags


def _distinct(values: np.ndarray) -> np.ndarray:
    """Return the distinct values, sorted: ``np.unique`` by a sort.

    NumPy 2.4's ``np.unique`` finds them with a hash table, 50 to 100 times slower than
    sorting on large integers (0.2 s for 480,000 of them, against 3 ms).
    """
    ordered = np.sort(values)
    return ordered[_run_starts(ordered)]


def _run_starts(ordered: np.ndarray) -> np.ndarray:
    """Tell which values of ``ordered`` (sorted) start a run of equal values."""
    starts = np.ones(len(ordered), dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    return starts


def _among(values: np.ndarray, few: np.ndarray) -> np.ndarray:
    """Tell which ``values`` are in ``few`` (a short array): binary search, no sort of values."""
    if not len(few):
        return np.zeros(len(values), dtype=bool)
    few = np.sort(few)
    where = np.minimum(np.searchsorted(few, values), len(few) - 1)
    return few[where] == values


def _stable_order(key: np.ndarray) -> np.ndarray:
    """Return ``np.argsort(key, kind="stable")``, twice as fast on millions of floats.

    NumPy's quick argsort (vectorised), then each run of equal keys put back in the order of
    ``key`` by one sort of integers ``(run, position)``. NaN, sorted last, count as equal.
    """
    order = np.argsort(key)
    if not len(key):
        return order
    ordered = key[order]
    starts = _run_starts(ordered)
    if ordered.dtype.kind == "f" and np.isnan(ordered[-1]):
        starts[1:] &= ~(np.isnan(ordered[1:]) & np.isnan(ordered[:-1]))
    del ordered
    run = np.cumsum(starts, dtype=np.int64)
    run *= len(key)
    run += order
    run.sort()
    run %= len(key)
    return run


def _ranks(key: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Rank of each row among the rows of the same key, best score first (0-based).

    Sorts ``key + (1 − score) / 2`` (scores within 0 and 1), one array at a time in place:
    millions of rows are ranked here.
    """
    sort_key = np.clip(score, 0.0, 1.0)
    np.subtract(1.0, sort_key, out=sort_key)
    sort_key *= 0.5
    sort_key += key
    order = _stable_order(sort_key)
    del sort_key
    ordered = key[order]
    starts = np.flatnonzero(_run_starts(ordered))
    del ordered
    position = np.arange(len(key))
    position -= np.repeat(starts, np.diff(np.r_[starts, len(key)]))
    rank = np.empty(len(key), dtype=np.int64)
    rank[order] = position
    return rank


def _best_of_each(search: _Search, score: np.ndarray, top_k: int) -> np.ndarray:
    """Tell which pairs are among the ``top_k`` best of their offer or of their need.

    A flow met in one search group only is settled by the search's own flags; the others are ranked
    again over the pairs their groups kept for them (a pair its group did not keep has ``top_k``
    better ones there, so it cannot be among the flow's best). Those are ranked in parts of
    about as many pairs, a few flows at a time (less memory), the largest parts first, on two
    threads (NumPy sorts free the GIL): needs meet several groups more often than offers do.
    """
    pairs = search.pairs
    sides = (
        (pairs.offer, pairs.by_offer, search.offer_groups),
        (pairs.need, pairs.by_need, search.need_groups),
    )
    n_flows = len(search.offer_groups)
    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        by_offer, by_need = pool.map(lambda side: _Reranked.of(*side), sides)
        parts = [
            (side, low, high, count)
            for side in (by_offer, by_need)
            for low, high, count in _even_parts(side.again_flow, n_flows)
        ]
        parts.sort(key=lambda part: part[-1], reverse=True)
        done = pool.map(lambda part: part[0].rank(part[1], part[2], score, top_k), parts)
        list(done)  # raises what a part raised
    by_offer.chosen |= by_need.chosen
    return by_offer.chosen


@dataclass
class _Reranked:
    """One side of `_best_of_each`: pairs chosen so far, and those of flows to rank again."""

    flow: np.ndarray
    chosen: np.ndarray
    again: np.ndarray
    again_flow: np.ndarray

    @classmethod
    def of(cls, flow: np.ndarray, flag: np.ndarray, groups_per_flow: np.ndarray) -> _Reranked:
        """Settle the pairs of flows met in one group; keep the others' to rank again."""
        several = groups_per_flow[flow] > 1
        again = np.flatnonzero(flag & several)
        return cls(flow, flag & ~several, again, flow[again])

    def rank(self, low: int, high: int, score: np.ndarray, top_k: int) -> None:
        """Choose the ``top_k`` best pairs of each flow from ``low`` to ``high`` (excluded)."""
        index = self.again[(self.again_flow >= low) & (self.again_flow < high)]
        self.chosen[index] = _ranks(self.flow[index], score[index]) < top_k


def _even_parts(flows: np.ndarray, n_flows: int) -> list[tuple[int, int, int]]:
    """Cut the flows ``0 .. n_flows`` in `_RANK_PARTS` ranges of about as many ``flows`` each.

    Returns ``(low, high, count)``: flows from ``low`` to ``high`` (excluded), ``count`` of them.
    """
    cumulative = np.r_[0, np.cumsum(np.bincount(flows, minlength=n_flows))]
    targets = np.linspace(0, cumulative[-1], _RANK_PARTS + 1)[1:-1]
    bounds = [0, *np.searchsorted(cumulative, targets, side="left").tolist(), n_flows]
    return [
        (low, high, int(cumulative[high] - cumulative[low]))
        for low, high in itertools.pairwise(bounds)
    ]


def _scores_outside_search(prep: _Prepared, rules: pd.DataFrame, pairs: _Pairs) -> np.ndarray:
    """Score pairs found outside the search (existing synergies), as the search does (`_score`).

    A few pairs, scored a distance at a time.
    """
    quantity = prep.flows["quantity"].to_numpy(dtype=float)
    radius = rules["max_km"].to_numpy(dtype=float)[pairs.rule] * 1000.0
    radius = np.where(np.isnan(radius), np.inf, radius)
    score = np.empty(len(pairs))
    for radius_m in _distinct(radius):
        at = radius == radius_m
        score[at] = _score(
            pairs.metres[at], quantity[pairs.offer[at]], quantity[pairs.need[at]], radius_m
        )
    return rules["quality"].to_numpy(dtype=float)[pairs.rule] * score


@dataclass
class _Used:
    """What the existing synergies take from each flow, what is left, and who takes it.

    ``used``: quantity each flow gives or receives in existing synergies, by their declared
    quantities (0 when none, NaN when one is unknown); ``left``: the flow's quantity minus
    ``used``, never below 0 (NaN when either is unknown); ``by``: the ids of the partners
    using each flow, largest first, joined by commas ("" when none).
    """

    used: np.ndarray
    left: np.ndarray
    by: _Text

    @classmethod
    def of(cls, prep: _Prepared, existing: _Pairs, quantity: np.ndarray) -> _Used:
        """Add up the declared ``quantity`` of each ``existing`` pair on its offer and need."""
        n_flows = len(prep.flows)
        flow = np.concatenate([existing.offer, existing.need]).astype(np.int64)
        partner = np.concatenate([prep.company[existing.need], prep.company[existing.offer]])
        taken = np.concatenate([quantity, quantity])
        used = np.bincount(flow, weights=taken, minlength=n_flows)  # NaN stays NaN
        total = prep.flows["quantity"].to_numpy(dtype=float)
        left = np.maximum(total - used, 0.0)
        left[left <= total * 1e-9] = 0.0  # what rounding leaves of a flow used up
        users = pd.DataFrame({"flow": flow, "partner": prep.ids.to_numpy()[partner]})
        users = users.iloc[np.lexsort((-np.nan_to_num(taken, nan=-1.0), flow))]
        joined = users.groupby("flow", sort=True)["partner"].agg(
            lambda ids: ",".join(dict.fromkeys(ids))  # a few rows: one per existing synergy
        )
        texts, uniques = pd.factorize(pd.Series(["", *joined.to_list()], dtype=object))
        numbers = np.zeros(n_flows, dtype=np.int64)
        numbers[joined.index.to_numpy()] = texts[1:]
        return cls(used, left, _Text.from_codes(numbers, list(uniques)))

    def sides(
        self, prep: _Prepared, sides: dict[tuple[str, str], _Points]
    ) -> dict[tuple[str, str], _Points]:
        """Return ``sides`` with what is left of each flow; those with nothing left are out.

        Only the sides holding a flow of an existing synergy change (a few): the others, and
        their KD-trees, are shared.
        """
        changed = np.flatnonzero(self.used != 0)  # NaN too
        flows = prep.flows
        codes, units = flows["resource"].to_numpy(), flows["unit"].to_numpy()
        keys = set(zip(codes[changed], units[changed], strict=True))
        left = dict(sides)
        for key in keys & set(sides):
            points = sides[key]
            quantity = self.left[points.rows]
            keep = ~(quantity <= 0.0)  # unknown quantities stay
            if keep.any():
                left[key] = _Points(
                    points.rows[keep], points.xy[keep], points.company[keep], quantity[keep]
                )
            else:
                del left[key]
        return left


def _existing_pairs(
    prep: _Prepared, rules: pd.DataFrame, synergies: pd.DataFrame
) -> tuple[_Pairs, np.ndarray, pd.DataFrame]:
    """Match each existing synergy to an offer and a need by the rules, whatever the distance.

    Returns the pairs, the synergy quantity of each pair, and the synergies matching no flows.
    """
    flows = prep.flows
    syn = synergies.reset_index(drop=True)
    syn = syn.assign(sid=np.arange(len(syn)), syn_resource=syn["resource"])
    side = flows[["company_id", "resource", "unit"]].assign(row=np.arange(len(flows)))
    out = side[flows["direction"] == "output"].set_axis(
        ["from_id", "out_code", "out_unit", "offer"], axis=1
    )
    inn = side[flows["direction"] == "input"].set_axis(
        ["to_id", "in_code", "in_unit", "need"], axis=1
    )
    rule_keys = rules[["resource", "input_resource", "quality"]].set_axis(
        ["out_code", "in_code", "quality"], axis=1
    )
    rule_keys = rule_keys.assign(rule=np.arange(len(rules)))
    merged = (
        syn[["sid", "from_id", "to_id", "syn_resource"]]
        .merge(out, on="from_id")
        .merge(inn, on="to_id")
        .merge(rule_keys, on=["out_code", "in_code"])
    )
    fits = (merged["out_unit"] == merged["in_unit"]) & (
        (merged["syn_resource"] == merged["out_code"])
        | (merged["syn_resource"] == merged["in_code"])
    )
    merged = merged[fits].sort_values(["sid", "quality"], ascending=[True, False], kind="stable")
    merged = merged.drop_duplicates("sid").drop_duplicates(["offer", "need"])
    offer, need = merged["offer"].to_numpy(), merged["need"].to_numpy()
    metres = _metres(prep, prep.company[offer], prep.company[need])
    flag = np.ones(len(offer), dtype=bool)
    pairs = _Pairs(offer, need, metres, merged["rule"].to_numpy(), flag, flag, np.empty(0))
    pairs.score = _scores_outside_search(prep, rules, pairs)
    quantity = syn["quantity"].to_numpy(dtype=float)[merged["sid"].to_numpy()]
    unmatched = syn[~syn["sid"].isin(merged["sid"])]
    return pairs, quantity, unmatched


def _metres(prep: _Prepared, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _length(*(prep.xy[a] - prep.xy[b]).T) if len(a) else np.empty(0)


def rank_substitutions(zone: Zone, *, max_km: MaxKm = None, top_k: int = 10) -> pd.DataFrame:
    """Find and rank substitution candidates, as a table without geometry (fast, for files).

    Same parameters and columns as `find_substitutions`, with ``from_lon``, ``from_lat``,
    ``to_lon``, ``to_lat`` in place of the geometry, and text columns as categories (cheap for
    millions of rows). ``attrs`` holds ``found`` (candidate offer-need pairs within reach, on
    what is left, existing synergies aside), ``kept`` and ``more`` (found but not kept).
    """
    return rank_links(zone, max_km=max_km, top_k=top_k).table()


def rank_links(zone: Zone, *, max_km: MaxKm = None, top_k: int = 10) -> RankedLinks:
    """Find and rank substitution candidates, and keep them as arrays (`RankedLinks`).

    What `rank_substitutions` returns, before its rows are made: a file can then be written by
    chunks (`eit_geo.synergy_files.write_synergies`) without the whole table in memory.
    """
    return _rank(zone, max_km, top_k)[0]


def match_zone(
    zone: Zone, *, max_km: MaxKm = None, top_k: int = 10, geometry: bool = True
) -> tuple[RankedLinks, Future]:
    """Rank the substitutions (`rank_links`) and find the groups (`find_mutualisations`) at once.

    One pass over the zone: the groups use the search's sides and KD-trees, their neighbours are
    found among the search's pieces of work, and their table is made on another thread while
    the ranking ends: a `~concurrent.futures.Future`. Groups take their default distances
    (``max_km`` is for substitutions); ``geometry`` as in `find_mutualisations`.
    """
    return _rank(zone, max_km, top_k, groups_geometry=geometry)


def _rank(
    zone: Zone, max_km: MaxKm, top_k: int, *, groups_geometry: bool | None = None
) -> tuple[RankedLinks, Future | None]:
    """Rank substitutions; with ``groups_geometry``, also find groups (`match_zone`)."""
    if top_k < 0:
        raise ValueError(t("engine.bad_top", value=top_k))
    prep = _prepare(zone)
    overrides = _overrides(max_km)
    declared = (_sides(prep, "output"), _sides(prep, "input"))
    rules = _rules_table(declared, overrides)
    existing, existing_quantity, unmatched = _existing_pairs(prep, rules, zone.synergies)
    used = _Used.of(prep, existing, existing_quantity)
    left = tuple(used.sides(prep, side) for side in declared)
    plan = [] if groups_geometry is None else _group_plan(*declared, {}, _GROUP_MEMBERS)
    search, labels = _search(
        prep,
        left,
        rules,
        top_k,
        running=_Running.of(existing, len(prep.flows)),
        also=[(functools.partial(_components, side, km), len(side.rows)) for *_, km, side in plan],
    )
    mismatched = _unit_mismatches(rules, declared)
    if mismatched:
        _warn_caller(UnitMismatchWarning(mismatched))
    pool = search.pairs
    texts = _in_background(_link_texts, prep, rules)  # the end of the ranking leaves a core free
    score = pool.score
    keep = _best_of_each(search, score, top_k) if top_k > 0 else np.ones(len(pool), dtype=bool)
    search.pairs = pool = pool.take(slice(None), _LINK_FIELDS)  # and the flags once ranked
    pool, score = pool.take(np.flatnonzero(keep), _LINK_FIELDS), score[keep]
    search.pairs = _Pairs.empty()  # free the searched pairs before the ranked rows are made
    kept, n_existing = len(pool), len(existing)
    scores = np.concatenate([existing.score, score])
    existing = existing.take(slice(None), _LINK_FIELDS)
    order = _stable_order(-scores)
    rows = _Pairs.concat([existing, pool], consume=True, order=order)
    del pool, score  # only the ordered rows stay in memory
    scores = scores[order]
    status = np.r_[np.ones(n_existing, dtype=bool), np.zeros(kept, dtype=bool)][order]
    synergy_quantity = np.r_[existing_quantity, np.full(kept, np.nan)][order]
    del order
    groups = None
    if groups_geometry is not None:  # made while the rows are read out: after the peak of memory
        groups = _in_background(
            _groups_table, prep, plan, labels, _GROUP_MEMBERS, geometry=groups_geometry
        )
    ranked = RankedLinks(
        prep,
        search,
        rows,
        score=scores,
        existing=status,
        synergy_quantity=synergy_quantity,
        unmatched=_flowless_rows(prep, unmatched, overrides) if len(unmatched) else None,
        used=used,
        kept=kept,
        texts=texts.result(),
    )
    release_memory()  # what the search and the ranking freed (their arrays are gone now)
    return ranked, groups


def _in_background(function: Callable[..., _T], *args: object, **kwargs: object) -> Future[_T]:
    """Run ``function`` on a thread of its own, ended with it, and return its Future."""
    worker = ThreadPoolExecutor(max_workers=1)
    try:
        return worker.submit(function, *args, **kwargs)
    finally:
        worker.shutdown(wait=False)  # the work goes on; no thread is left once it is done


class RankedLinks:
    """Ranked substitution candidates as arrays; their table rows are made on demand.

    ``len`` counts the rows, `existing` those of existing synergies, `table` makes them all
    (what `rank_substitutions` returns) and `chunks` a few at a time as Arrow tables, in the
    same order.
    """

    def __init__(
        self,
        prep: _Prepared,
        search: _Search,
        rows: _Pairs,
        *,
        score: np.ndarray,
        existing: np.ndarray,
        synergy_quantity: np.ndarray,
        unmatched: pd.DataFrame | None,
        used: _Used,
        kept: int,
        texts: _LinkTexts,
    ) -> None:
        self._prep, self._search, self._rows, self._used = prep, search, rows, used
        self._score, self._existing, self._synergy_quantity = score, existing, synergy_quantity
        self._unmatched = unmatched
        n_flows = len(prep.flows)
        new = ~existing  # candidates: the partners counted in reach are theirs
        self._more_for_offer = search.offer_count - np.bincount(rows.offer[new], minlength=n_flows)
        self._more_for_need = search.need_count - np.bincount(rows.need[new], minlength=n_flows)
        self._twice, self._text = texts.twice, texts.text
        found = int(search.offer_count.sum())
        self.attrs = {"found": found, "kept": kept, "more": max(found - kept, 0)}

    def __len__(self) -> int:
        return len(self._rows) + (0 if self._unmatched is None else len(self._unmatched))

    @property
    def existing(self) -> int:
        """How many rows are existing synergies."""
        return int(self._existing.sum()) + (0 if self._unmatched is None else len(self._unmatched))

    def table(self) -> pd.DataFrame:
        """Return every row (`rank_substitutions`)."""
        table = self._frame(0, len(self._rows))
        if self._unmatched is not None:
            table = pd.concat([table, self._unmatched], ignore_index=True)
        table.attrs.update(self.attrs)
        return table

    def empty(self) -> pd.DataFrame:
        """Return a table of no rows, with the columns and types of `table`."""
        return self._frame(0, 0)

    def chunks(self, size: int) -> list[Callable[[], pa.Table | pd.DataFrame]]:
        """Return functions making the rows ``size`` at a time, in order (to run in threads).

        Arrow tables (text as strings), then the existing synergies without flows as a table.
        """
        stops = [*range(0, len(self._rows), size), len(self._rows)]
        makers: list[Callable[[], pa.Table | pd.DataFrame]] = [
            functools.partial(self._arrow, start, stop) for start, stop in itertools.pairwise(stops)
        ] or [functools.partial(self._arrow, 0, 0)]
        if self._unmatched is not None:
            makers.append(lambda: self._unmatched)
        return makers

    def _frame(self, start: int, stop: int) -> pd.DataFrame:
        """Return rows ``start`` to ``stop`` as a table, text as categories."""
        columns = self._columns(start, stop)
        table = {
            name: value.categorical() if isinstance(value, _Picked) else value
            for name, value in columns.items()
        }
        table["candidate_id"] = pd.Series(columns["candidate_id"].to_pandas()).array
        return pd.DataFrame(table, copy=False)  # fresh arrays: no copy, no consolidation

    def _arrow(self, start: int, stop: int) -> pa.Table:
        """Return rows ``start`` to ``stop`` as an Arrow table, text as strings."""
        return pa.table({n: _arrow_column(v) for n, v in self._columns(start, stop).items()})

    def _columns(self, start: int, stop: int) -> dict[str, object]:
        """Return the columns of rows ``start`` to ``stop``: arrays, or texts to pick."""
        prep, rules, text = self._prep, self._search.rules, self._text
        flows = prep.flows
        rows = self._rows.take(slice(start, stop))
        a, b = prep.company[rows.offer], prep.company[rows.need]
        quantity = flows["quantity"].to_numpy(dtype=float)
        offer_q, need_q = quantity[rows.offer], quantity[rows.need]
        used, left, existing = self._used, self._used.left, self._existing[start:stop]
        flow_id = flows["flow_id"].to_numpy()
        from_id, to_id = text["id"].pick(a), text["id"].pick(b)
        columns: dict[str, object] = {
            "candidate_id": _candidate_ids(
                from_id.strings,
                to_id.strings,
                text["codes"].pick(rows.rule).strings,
                twins=self._twice[rows.offer] | self._twice[rows.need],
                flow_ids=(flow_id[rows.offer], flow_id[rows.need]),
            ),
            "kind": text["kind"].pick(np.zeros(len(a), dtype=np.int64)),
            "status": text["status"].pick(self._existing[start:stop].astype(np.int64)),
            "from_id": from_id,
            "to_id": to_id,
            "from_name": text["name"].pick(a),
            "to_name": text["name"].pick(b),
            "from_flow_id": flow_id[rows.offer],
            "to_flow_id": flow_id[rows.need],
            **{column: text[column].pick(rows.rule) for column in _RULE_COLUMNS},
            "quantity": np.where(
                existing,
                self._synergy_quantity[start:stop],
                np.minimum(left[rows.offer], left[rows.need]),
            ),
            "offer_quantity": offer_q,
            "need_quantity": need_q,
            "existing_quantity": self._synergy_quantity[start:stop],
            "offer_used": used.used[rows.offer],
            "need_used": used.used[rows.need],
            "offer_used_by": used.by.pick(rows.offer),
            "need_used_by": used.by.pick(rows.need),
            "unit": text["unit"].pick(rows.offer),
            "distance_km": rows.metres / 1000.0,
            "max_km": rules["max_km"].to_numpy(dtype=float)[rows.rule],
            "score": self._score[start:stop],
            "more_for_offer": np.maximum(self._more_for_offer[rows.offer], 0),
            "more_for_need": np.maximum(self._more_for_need[rows.need], 0),
            "from_lon": prep.lonlat[a, 0],
            "from_lat": prep.lonlat[a, 1],
            "to_lon": prep.lonlat[b, 0],
            "to_lat": prep.lonlat[b, 1],
        }
        order = [*SUBSTITUTION_COLUMNS, "from_lon", "from_lat", "to_lon", "to_lat"]
        return {name: columns[name] for name in order}


_STATUSES = ["candidate", "existing"]  # status codes 0 and 1
_RULE_COLUMNS = ("resource", "input_resource", "family", "match", "conversion")


@dataclass
class _LinkTexts:
    """What `RankedLinks` picks its texts from, made once (while the ranking goes on)."""

    text: dict[str, _Text]
    twice: np.ndarray  # flows whose company gives or takes their code twice


def _link_texts(prep: _Prepared, rules: pd.DataFrame) -> _LinkTexts:
    flows = prep.flows
    twice = flows.duplicated(["company_id", "direction", "resource"], keep=False).to_numpy()
    text = {
        "kind": _Text(pd.Series(["substitution"])),
        "status": _Text(pd.Series(_STATUSES)),
        "id": _Text(prep.ids),
        "name": _Text(prep.names),
        "unit": _Text(flows["unit"]),
        "codes": _Text(rules["resource"] + ">" + rules["input_resource"]),
        **{c: _Text(rules[c]) for c in _RULE_COLUMNS},
    }
    return _LinkTexts(text, twice)


class _Text:
    """Texts as numbers and unique values, made once, to pick millions of them cheaply."""

    def __init__(self, values: pd.Series) -> None:
        self._set(*pd.factorize(values.astype("str")))

    @classmethod
    def from_codes(cls, numbers: np.ndarray, uniques: Sequence[str]) -> _Text:
        """Return the texts ``uniques[numbers]``, already factorised."""
        text = cls.__new__(cls)
        text._set(numbers, uniques)
        return text

    def _set(self, numbers: np.ndarray, uniques: Sequence[str]) -> None:
        self.numbers = numbers
        self.dtype = pd.CategoricalDtype(pd.Index(uniques, dtype="str"))
        self.arrow = pa.array(np.asarray(uniques, dtype=object), type=pa.large_string())

    def pick(self, where: np.ndarray) -> _Picked:
        return _Picked(self, self.numbers[where])


@dataclass(frozen=True)
class _Picked:
    """Some texts of a `_Text`, as a pandas Categorical or Arrow strings (made once)."""

    text: _Text
    numbers: np.ndarray

    def categorical(self) -> pd.Categorical:
        return pd.Categorical.from_codes(self.numbers, dtype=self.text.dtype)

    @functools.cached_property
    def strings(self) -> pa.Array:
        return self.text.arrow.take(self.numbers)


def _arrow_column(value: object) -> pa.Array:
    """Return a column of `RankedLinks._columns` as Arrow: texts as strings, NaN as empty."""
    if isinstance(value, _Picked):
        return value.strings
    return value if isinstance(value, pa.Array) else pa.array(value, from_pandas=True)


def _candidate_ids(
    from_id: pa.Array,
    to_id: pa.Array,
    codes: pa.Array,
    *,
    twins: np.ndarray,
    flow_ids: tuple[np.ndarray, np.ndarray],
) -> pa.Array:
    """Return ``from_id>to_id:codes`` (``codes``: ``resource>input_resource``), joined by Arrow.

    Rows whose company gives or takes the same code twice (``twins``) get
    ``#from_flow_id-to_flow_id`` so that every id stays unique.
    """
    sep = [pa.scalar(text, pa.large_string()) for text in (">", ":", "")]
    ids = pc.binary_join_element_wise(from_id, sep[0], to_id, sep[1], codes, sep[2])
    if twins.any():
        flows = [pa.array(np.asarray(ids_)).cast(pa.large_string()) for ids_ in flow_ids]
        suffixed = pc.binary_join_element_wise(
            ids, pa.scalar("#", pa.large_string()), flows[0], pa.scalar("-", pa.large_string()),
            flows[1], sep[2],
        )  # fmt: skip
        ids = pc.if_else(pa.array(twins), suffixed, ids)
    return ids


def _arrow_text(column: pd.Series) -> pa.Array:
    array = pa.array(column)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    return array.cast(pa.large_string())


def _flowless_rows(
    prep: _Prepared, synergies: pd.DataFrame, overrides: Mapping[str, float]
) -> pd.DataFrame:
    """Rows for the existing synergies that no offer and need of the zone describe."""
    position = pd.Index(prep.ids)
    a = position.get_indexer(synergies["from_id"])
    b = position.get_indexer(synergies["to_id"])
    km = [_resolve(code, overrides) for code in synergies["resource"]]
    table = pd.DataFrame(
        {
            "kind": "substitution",
            "status": "existing",
            "from_id": synergies["from_id"].to_numpy(),
            "to_id": synergies["to_id"].to_numpy(),
            "from_name": prep.names.to_numpy()[a],
            "to_name": prep.names.to_numpy()[b],
            "from_flow_id": pd.array([pd.NA] * len(a), dtype="Int64"),
            "to_flow_id": pd.array([pd.NA] * len(a), dtype="Int64"),
            "resource": synergies["resource"].to_numpy(),
            "input_resource": synergies["resource"].to_numpy(),
            "family": synergies["family"].to_numpy(),
            "match": "existing",
            "conversion": "",
            "quantity": synergies["quantity"].to_numpy(dtype=float),
            "offer_quantity": np.nan,
            "need_quantity": np.nan,
            "existing_quantity": synergies["quantity"].to_numpy(dtype=float),
            "offer_used": np.nan,
            "need_used": np.nan,
            "offer_used_by": "",
            "need_used_by": "",
            "unit": synergies["unit"].to_numpy(),
            "distance_km": _metres(prep, a, b) / 1000.0,
            "max_km": [np.nan if v is None else v for v in km],
            "score": np.nan,
            "more_for_offer": 0,
            "more_for_need": 0,
            "from_lon": prep.lonlat[a, 0],
            "from_lat": prep.lonlat[a, 1],
            "to_lon": prep.lonlat[b, 0],
            "to_lat": prep.lonlat[b, 1],
        }
    )
    codes = synergies["resource"] + ">" + synergies["resource"]
    ids = _candidate_ids(
        *(_arrow_text(column) for column in (table["from_id"], table["to_id"], codes)),
        twins=np.zeros(len(table), dtype=bool),
        flow_ids=(table["from_flow_id"].to_numpy(), table["to_flow_id"].to_numpy()),
    )
    table.insert(0, "candidate_id", pd.Series(ids.to_pandas()).array)
    return table


def find_substitutions(zone: Zone, *, max_km: MaxKm = None, top_k: int = 10) -> gpd.GeoDataFrame:
    """Find substitution candidates: an offer of one company matching a need of another.

    An output matches an input with the same code, an input naming its EWC chapter or
    sub-chapter, or a row of ``data/substitutions.csv``, when the two companies are within the
    output code's maximum distance (`resolve_max_km`) and use the same unit. Existing synergies
    come first with ``status == "existing"`` whatever their distance and do not take a place in
    the ``top_k``; those matching no offer and need still appear, with ``match == "existing"``
    and no score.

    Parameters
    ----------
    zone
        A loaded zone.
    max_km
        None for the defaults, a number of km for every resource, or ``{code_or_family: km}``.
    top_k
        Keep a candidate when it is among the ``top_k`` best of its offer or of its need;
        0 keeps every candidate. ``more_for_offer`` / ``more_for_need`` count those left out.

    Returns
    -------
    geopandas.GeoDataFrame
        `SUBSTITUTION_COLUMNS`, coordinates of both ends and a LineString supplier → receiver
        (EPSG:4326), sorted by score descending. The module docstring gives the score.
    """
    table = rank_substitutions(zone, max_km=max_km, top_k=top_k)
    text = table.select_dtypes("category").columns
    return links_frame(table.astype(dict.fromkeys(text, "str")))


def links_frame(table: pd.DataFrame) -> gpd.GeoDataFrame:
    """Return a substitution table with LineString geometry from its end coordinates.

    A link with an end of no position (a company to locate) has no geometry.
    """
    ends = table[["from_lon", "from_lat", "to_lon", "to_lat"]].to_numpy(dtype=float)
    placed = np.isfinite(ends).all(axis=1)
    lines = np.full(len(ends), None, dtype=object)
    lines[placed] = shapely.linestrings(ends[placed].reshape(-1, 2, 2))
    return gpd.GeoDataFrame(table, geometry=lines, crs=WGS84)


# --------------------------------------------------------------------------- mutualisation


def _link_km(code: str, overrides: Mapping[str, float]) -> float:
    keys = [code, *ewc_parents(code), family_of(code), ALL_RESOURCES]
    for key in keys:
        if key in overrides:
            return overrides[key]
    limit = default_max_km(code)
    return MUTUALISATION_KM if limit is None else min(MUTUALISATION_KM, limit)


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
    groups = _groups_frame(prep, (label, rows, key), keys, min_members, geometry=geometry)
    release_memory()  # what the KD-trees and graphs of the sides freed
    return groups


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
