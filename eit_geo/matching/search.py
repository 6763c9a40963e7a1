"""The spatial search (KD-trees): the best needs of each offer and the best offers of each need."""

from __future__ import annotations

import collections
import functools
import math
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar, cast

import numpy as np
from scipy.spatial import cKDTree

from eit_geo.matching.arrays import _distinct, _length, _run_starts
from eit_geo.matching.pairs import _Pairs
from eit_geo.matching.points import _by_known_quantity, _Points, _Prepared, _union
from eit_geo.matching.rules import _units_by_code
from eit_geo.matching.scores import _DECAY, FIT_EXPONENT, UNLIMITED_SCALE_KM, _score

if TYPE_CHECKING:
    import pandas as pd

    from eit_geo.matching.residuals import _Running

_T = TypeVar("_T")
_Found = tuple[_Pairs, np.ndarray, np.ndarray]  # a group's pairs, and partners within reach
_BREADTH = 3  # first search: the 3 K nearest in the score space
_WIDEN = 2  # then twice as many, while needed
_MAX_BREADTH = 48  # and at most the 48 K nearest (3, 6, 12, 24 then 48 K)
_GRID_CELLS = 2_000_000


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
            rho, nearest = np.reshape(rho, (len(rows), width)), nearest.reshape(len(rows), width)
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
    nearest, dist, score = (
        np.take_along_axis(grid, best, axis=1) for grid in (nearest, dist, score)
    )
    return nearest, dist, score


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
            dist, nearest = np.reshape(dist, (len(rows), width)), nearest.reshape(len(rows), width)
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
class _Search:
    """Everything the spatial search found: pairs, rules, partner counts per flow."""

    pairs: _Pairs
    rules: pd.DataFrame
    offer_count: np.ndarray
    need_count: np.ndarray
    offer_groups: np.ndarray
    need_groups: np.ndarray


def _search(
    prep: _Prepared,
    sides: tuple[dict[tuple[str, str], _Points], dict[tuple[str, str], _Points]],
    rules: pd.DataFrame,
    top_k: int,
    *,
    running: _Running | None = None,
    also: Sequence[tuple[Callable[[], _T], int]] = (),
    threads: int = 1,
    release: Callable[[], object] | None = None,
) -> tuple[_Search, list[_T]]:
    """Search every group of rules sharing an input code, a unit, a distance and a quality.

    ``sides``: the offers and the needs to match (`_sides`, after `_Used.sides`); ``rules``:
    `_rules_table`. Offers or needs of unknown quantity are searched apart from the others
    (their fit is neutral). ``running`` pairs (existing synergies) are never candidates.
    ``also``: other work and its size, done among the search's on ``threads`` threads
    (`_from_both_ends`); its results are returned with the search. ``release`` (`match_zone`)
    is called once the pieces are joined.
    """
    offers, needs = sides
    n_flows = len(prep.flows)
    counts = np.zeros((4, n_flows), dtype=np.int64)  # partners and rules, per offer and need
    found: list[_Pairs] = []
    units_in = _units_by_code(needs)
    keys = ["input_resource", "quality", "radius_key", "match", "conversion"]
    grouped = rules.assign(radius_key=rules["max_km"].fillna(-1.0)).groupby(keys, sort=False)
    jobs: list[tuple[_Points, _Points, float, np.ndarray, float]] = []
    for (code_taken, _, _, _, _), members in grouped:
        input_code = str(code_taken)
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
    work: list[Callable[[], _Found | _T]] = [*group_work, *(work for work, _ in also)]
    searched = _from_both_ends(
        work,
        [*(len(job[0].rows) + len(job[1].rows) for job in jobs), *(size for _, size in also)],
        threads,
    )
    also_done = cast("list[_T]", searched[len(jobs) :])  # in the order given: the groups first
    groups = cast("list[_Found]", searched[: len(jobs)])
    for (a, b, *_), (pairs, reach_a, reach_b) in zip(jobs, groups, strict=True):
        counts[0][a.rows] += reach_a  # rows are distinct within a group
        counts[1][b.rows] += reach_b
        counts[2][a.rows] += 1
        counts[3][b.rows] += 1
        found.append(pairs)
    del searched  # the pairs are held by `found` alone, and emptied as they are joined
    pairs = _Pairs.concat(found, consume=True, threads=threads)
    if release is not None:
        release()
    return _Search(pairs, rules, *counts), also_done


def _from_both_ends(work: list[Callable[[], _T]], sizes: list[int], threads: int) -> list[_T]:
    """Run ``work`` on ``threads`` threads and return the results in order (not timing's).

    Every other thread takes the largest piece left, the others the smallest: the large ones
    spend their time in KD-trees and NumPy, which free the GIL, the small ones in Python, which
    holds it, so they mix well and end together.
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

    with ThreadPoolExecutor(max_workers=threads) as pool:
        for done in [pool.submit(run, thread % 2 == 0) for thread in range(threads)]:
            done.result()
    return results


def _search_group(
    a: _Points,
    b: _Points,
    radius: float,
    rule_of: np.ndarray,
    quality: float,
    *,
    top_k: int,
    running: _Running | None = None,
) -> _Found:
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
