"""Ranking: the best candidates of each offer and of each need, and the public entry points."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np

from eit_geo.i18n import t
from eit_geo.matching.arrays import _run_starts
from eit_geo.matching.distances import MaxKm, _overrides
from eit_geo.matching.mutualisation import _GROUP_MEMBERS, _components, _group_plan, _groups_table
from eit_geo.matching.pairs import _LINK_FIELDS, _Pairs
from eit_geo.matching.points import _prepare, _sides
from eit_geo.matching.residuals import _existing_pairs, _Running, _Used
from eit_geo.matching.rules import UnitMismatchWarning, _rules_table, _unit_mismatches, _warn_caller
from eit_geo.matching.search import _Search, _search
from eit_geo.matching.tables import RankedLinks, _flowless_rows, _link_texts, links_frame
from eit_geo.matching.threads import in_background, thread_count

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from eit_geo.zone import Zone

__all__ = ["find_substitutions", "match_zone", "rank_links", "rank_substitutions"]

_RANK_PARTS = 8  # flows ranked again in 8 parts of about as many pairs (less memory)


def _best_of_each(search: _Search, top_k: int, threads: int) -> np.ndarray:
    """Tell which pairs are among the ``top_k`` best of their offer or of their need.

    A flow met in one search group only is settled by the search's own flags; the others are
    ranked again over the pairs their groups kept for them (a pair its group did not keep has
    ``top_k`` better ones there, so it cannot be among the flow's best): ties go to the pair
    found first. Ranked in parts of about as many pairs, on ``threads`` threads (NumPy's sorts
    free the GIL).
    """
    pairs = search.pairs
    sides = (
        (pairs.offer, pairs.by_offer, search.offer_groups),
        (pairs.need, pairs.by_need, search.need_groups),
    )
    chosen, parts = [], []
    for flow, flag, groups_per_flow in sides:
        several = groups_per_flow[flow] > 1
        side_chosen = flag & ~several
        again = np.flatnonzero(flag & several)
        again_flow = flow[again]
        for low, high in _even_parts(again_flow, len(groups_per_flow)):
            parts.append((side_chosen, flow, again[(again_flow >= low) & (again_flow < high)]))
        chosen.append(side_chosen)

    def rank(part: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
        side_chosen, flow, index = part
        side_chosen[index[_ranks(flow[index], pairs.score[index]) < top_k]] = True

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(rank, sorted(parts, key=lambda part: -len(part[2]))))  # raises a failure
    return chosen[0] | chosen[1]


def _even_parts(flows: np.ndarray, n_flows: int) -> list[tuple[int, int]]:
    """Cut the flows ``0 .. n_flows`` in `_RANK_PARTS` ranges of about as many ``flows`` each.

    Ranked a range at a time, millions of pairs never hold their sort arrays all at once.
    """
    cumulative = np.r_[0, np.cumsum(np.bincount(flows, minlength=n_flows))]
    targets = np.linspace(0, cumulative[-1], _RANK_PARTS + 1)[1:-1]
    bounds = [0, *np.searchsorted(cumulative, targets, side="left").tolist(), n_flows]
    return list(itertools.pairwise(bounds))


def _ranks(key: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Rank of each row among the rows of the same key, best score first (0-based).

    One stable sort (NumPy's) of ``key + (1 − score) / 2``: scores lie within 0 and 1.
    """
    order = np.argsort(key + (1.0 - np.clip(score, 0.0, 1.0)) * 0.5, kind="stable")
    ordered = key[order]
    starts = np.flatnonzero(_run_starts(ordered))
    position = np.arange(len(key)) - np.repeat(starts, np.diff(np.r_[starts, len(key)]))
    rank = np.empty(len(key), dtype=np.int64)
    rank[order] = position
    return rank


def _by_score(scores: np.ndarray) -> np.ndarray:
    """Return the order of ``scores`` from the best, ties in their order, NaN last."""
    return np.argsort(-scores, kind="stable")


def rank_substitutions(
    zone: Zone, *, max_km: MaxKm = None, top_k: int = 10, threads: int | None = None
) -> pd.DataFrame:
    """Find and rank substitution candidates, as a table without geometry (fast, for files).

    Same parameters and columns as `find_substitutions`, with ``from_lon``, ``from_lat``,
    ``to_lon``, ``to_lat`` in place of the geometry, and text columns as categories (cheap for
    millions of rows). ``attrs`` holds ``found`` (candidate offer-need pairs within reach, on
    what is left, existing synergies aside), ``kept`` and ``more`` (found but not kept).
    ``threads``: how many the search and the ranking work on, by default the machine's cores.
    """
    return rank_links(zone, max_km=max_km, top_k=top_k, threads=threads).table()


def rank_links(
    zone: Zone, *, max_km: MaxKm = None, top_k: int = 10, threads: int | None = None
) -> RankedLinks:
    """Find and rank substitution candidates, and keep them as arrays (`RankedLinks`).

    What `rank_substitutions` returns, before its rows are made: a file can then be written by
    chunks (`eit_geo.synergy_files.write_synergies`) without the whole table in memory.
    """
    return _rank(zone, max_km, top_k, threads=thread_count(threads))[0]


def match_zone(
    zone: Zone,
    *,
    max_km: MaxKm = None,
    top_k: int = 10,
    geometry: bool = True,
    threads: int | None = None,
    release: Callable[[], object] | None = None,
) -> tuple[RankedLinks, Future]:
    """Rank the substitutions (`rank_links`) and find the groups (`find_mutualisations`) at once.

    One pass over the zone: the groups use the search's sides and KD-trees, their neighbours are
    found among the search's pieces of work, and their table is made on another thread while
    the ranking ends: a `~concurrent.futures.Future`. Groups take their default distances
    (``max_km`` is for substitutions); ``geometry`` as in `find_mutualisations`; ``threads``
    as in `rank_substitutions` (with 1, the groups are made before this returns).
    ``release`` is called where the search and the ranking have freed large arrays: the
    application's way of giving memory back to the system, if it has one (the command line
    does; a library never trims the process's memory itself).
    """
    links, groups = _rank(
        zone,
        max_km,
        top_k,
        threads=thread_count(threads),
        groups_geometry=geometry,
        release=release,
    )
    if groups is None:  # never: _rank finds the groups whenever groups_geometry is given
        msg = "match_zone: the groups were not searched"
        raise RuntimeError(msg)
    return links, groups


def _rank(
    zone: Zone,
    max_km: MaxKm,
    top_k: int,
    *,
    threads: int,
    groups_geometry: bool | None = None,
    release: Callable[[], object] | None = None,
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
    left = (used.sides(prep, declared[0]), used.sides(prep, declared[1]))
    plan = [] if groups_geometry is None else _group_plan(*declared, {}, _GROUP_MEMBERS)
    search, labels = _search(
        prep,
        left,
        rules,
        top_k,
        running=_Running.of(existing, len(prep.flows)),
        also=[(functools.partial(_components, side, km), len(side.rows)) for *_, km, side in plan],
        threads=threads,
        release=release,
    )
    mismatched = _unit_mismatches(rules, declared)
    if mismatched:
        _warn_caller(UnitMismatchWarning(mismatched))
    pool = search.pairs
    # made while the ranking ends, which leaves a core free
    texts = in_background(_link_texts, prep, rules, threads=threads)
    score = pool.score
    keep = _best_of_each(search, top_k, threads) if top_k > 0 else np.ones(len(pool), dtype=bool)
    search.pairs = pool = pool.take(slice(None), _LINK_FIELDS)  # and the flags once ranked
    pool, score = pool.take(np.flatnonzero(keep), _LINK_FIELDS), score[keep]
    search.pairs = _Pairs.empty()  # free the searched pairs before the ranked rows are made
    groups = None
    if groups_geometry is not None:  # made while the rows are ordered, on the free core
        groups = in_background(
            _groups_table, prep, plan, labels, _GROUP_MEMBERS, geometry=groups_geometry,
            threads=threads,
        )  # fmt: skip
    kept, n_existing = len(pool), len(existing)
    scores = np.concatenate([existing.score, score])
    existing = existing.take(slice(None), _LINK_FIELDS)
    order = _by_score(scores)
    rows = _Pairs.concat([existing, pool], consume=True, order=order)
    del pool, score  # only the ordered rows stay in memory
    scores = scores[order]
    status = np.r_[np.ones(n_existing, dtype=bool), np.zeros(kept, dtype=bool)][order]
    synergy_quantity = np.r_[existing_quantity, np.full(kept, np.nan)][order]
    del order
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
    if release is not None:
        release()  # what the search and the ranking freed (their arrays are gone now)
    return ranked, groups


def find_substitutions(
    zone: Zone, *, max_km: MaxKm = None, top_k: int = 10, threads: int | None = None
) -> gpd.GeoDataFrame:
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
    threads
        How many threads the search and the ranking work on: None for the machine's cores.

    Returns
    -------
    geopandas.GeoDataFrame
        `SUBSTITUTION_COLUMNS`, coordinates of both ends and a LineString supplier → receiver
        (EPSG:4326), sorted by score descending. The module docstring gives the score.
    """
    table = rank_substitutions(zone, max_km=max_km, top_k=top_k, threads=threads)
    text = table.select_dtypes("category").columns
    return links_frame(table.astype(dict.fromkeys(text, "str")))
