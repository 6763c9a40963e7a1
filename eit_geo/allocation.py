"""Allocate offers to needs among substitution candidates: the scenario the indicators report.

Existing synergies run already: they take their declared quantity first, as the engine counts
them (``offer_used``, ``need_used``; without those columns, the existing rows of the table). What
is left of every offer and need is then shared among the new candidates, either by a linear
programme (`allocate`, ``scipy.optimize.linprog``, HiGHS)::

    maximise   Σ w_j x_j (1 + TIE_BREAK × score_j)
    subject to Σ_{j of offer f} x_j ≤ offer left of f,  Σ_{j of need g} x_j ≤ need left of g,
               0 ≤ x_j ≤ quantity_j

with ``w_j`` = 1 (most quantity exchanged) or a weight column (e.g. CO2 avoided per unit), or in
the order a workshop retained them (`allocate_in_order`), each lead taking what the earlier ones
left. The small ``TIE_BREAK`` term only chooses, among equally good allocations, the
better-scored links (``allocation_tie_break`` in ``data/scoring.csv``). A candidate of unknown
quantity gets an unknown (NaN) allocation, never 0 nor a guess.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeVar

import numpy as np
import pandas as pd
from scipy.sparse import coo_array, vstack
from scipy.sparse.csgraph import connected_components

from eit_geo.datafiles import read_values
from eit_geo.i18n import t

__all__ = ["REQUIRED_COLUMNS", "TIE_BREAK", "allocate", "allocate_in_order"]

_Table = TypeVar("_Table", bound=pd.DataFrame)  # a GeoDataFrame stays one

TIE_BREAK = read_values("scoring.csv")["allocation_tie_break"]  # data/README.md
REQUIRED_COLUMNS: tuple[str, ...] = (
    "from_flow_id",
    "to_flow_id",
    "quantity",
    "offer_quantity",
    "need_quantity",
    "status",
)
_SIDES = (
    ("from_flow_id", "offer_quantity", "offer_used", "offer_used_by", "to_id"),
    ("to_flow_id", "need_quantity", "need_used", "need_used_by", "from_id"),
)


def allocate(candidates: pd.DataFrame, *, weight: str | None = None) -> pd.DataFrame:
    """Return the candidates with ``allocated_quantity``: an optimal exchange scenario.

    Parameters
    ----------
    candidates
        Rows of `eit_geo.matching.find_substitutions` (mutualisation rows are ignored).
    weight
        Column of value per unit exchanged (e.g. t CO2 avoided per unit); None maximises the
        quantity exchanged. Rows with a missing or non-positive weight get nothing new.

    Returns
    -------
    pandas.DataFrame
        A copy with ``allocated_quantity``: an existing synergy's declared quantity; for a new
        candidate, its share of what existing synergies leave (0 where unused, NaN when its
        quantity is unknown), never more per ``from_flow_id`` than its offer has left nor per
        ``to_flow_id`` than its need has left.

    Raises
    ------
    ValueError
        When a required column or the weight column is missing.
    """
    _check_columns(candidates, weight)
    table = candidates
    linked, existing, allocated = _existing_first(table)
    offer_ids, offer_left = _capacities(table, _SIDES[0], linked, existing)
    need_ids, need_left = _capacities(table, _SIDES[1], linked, existing)
    quantity = table["quantity"].to_numpy(dtype=float)
    new = linked & ~existing
    allocated[new & np.isnan(quantity)] = np.nan
    values = _values(table, weight)
    rows = np.flatnonzero(new & (values > 0) & ~np.isnan(quantity))
    if len(rows):
        allocated[rows] = _solve(
            values[rows],
            quantity[rows],
            offer_ids[rows],
            need_ids[rows],
            offer_left=offer_left,
            need_left=need_left,
        )
    return candidates.assign(allocated_quantity=allocated)  # a new frame; the input is kept


def allocate_in_order(candidates: _Table, order: Sequence[str]) -> _Table:
    """Return the candidates as the leads of ``order`` take, one after the other, what is left.

    Existing synergies take their declared quantity first; then each lead of ``order``
    (``candidate_id`` values, e.g. in the order a workshop retained them) takes what is left of
    its offer and of its need, at most its ``quantity``: a lead retained after another on the
    same offer or need gets what that one left, maybe nothing. A lead of unknown quantity takes
    an unknown amount: what it leaves is unknown too.

    Parameters
    ----------
    candidates
        Rows of `eit_geo.matching.find_substitutions`.
    order
        The leads taken, first first; ids not among the candidates, or of existing synergies,
        are passed over.

    Returns
    -------
    pandas.DataFrame
        A copy with ``allocated_quantity`` (existing: declared; leads of ``order``: what each
        took; others 0) and, for the other leads, what is left once those are taken:
        ``quantity`` (never more than before), ``offer_used`` and ``need_used`` (plus what the
        leads of ``order`` took), ``offer_used_by`` and ``need_used_by`` (their partners added).

    Raises
    ------
    ValueError
        When a required column (or ``candidate_id``) is missing.
    """
    _check_columns(candidates, None, also=("candidate_id",))
    table = candidates
    linked, existing, allocated = _existing_first(table)
    quantity = table["quantity"].to_numpy(dtype=float)
    chosen = pd.Index(table["candidate_id"].astype(str)).get_indexer(pd.Index(list(order)))
    chosen = chosen[chosen >= 0]
    chosen = np.array(list(dict.fromkeys(chosen[linked[chosen] & ~existing[chosen]].tolist())))
    if not len(chosen):
        return candidates.assign(allocated_quantity=allocated)
    ledgers = [_Ledger.of(table, side, linked, existing) for side in _SIDES]
    for row in chosen.tolist():  # a few leads, one after the other
        amount = _take(quantity[row], [ledger.left_of(row) for ledger in ledgers])
        allocated[row] = amount
        for ledger in ledgers:
            ledger.give(row, amount)
    others = linked & ~existing
    others[chosen] = False
    left = np.minimum(*(ledger.left[ledger.flow.clip(0)] for ledger in ledgers))
    now = np.where(others, np.minimum(quantity, np.maximum(left, 0.0)), quantity)
    now[chosen] = allocated[chosen]  # what each lead adds once the earlier ones are counted
    result = candidates.assign(quantity=now, allocated_quantity=allocated)
    for ledger in ledgers:
        ledger.tell(result, others)
    return result


class _Ledger:
    """One side (offers or needs) of `allocate_in_order`: what each flow has left, and who took.

    ``flow``: each row's flow number (-1 when unlinked); ``left``: per flow; ``taken`` and
    ``users``: what the leads taken so far took from each flow, and their partners; ``before``:
    the same as each lead found them when its turn came.
    """

    def __init__(
        self, table: pd.DataFrame, side: tuple[str, ...], flow: np.ndarray, left: np.ndarray
    ) -> None:
        self.table, self.side, self.flow, self.left = table, side, flow, left
        self.taken = np.zeros(len(left))
        self.users: dict[int, list[str]] = {}
        self.before: dict[int, tuple[float, tuple[str, ...]]] = {}

    @classmethod
    def of(
        cls, table: pd.DataFrame, side: tuple[str, ...], linked: np.ndarray, existing: np.ndarray
    ) -> _Ledger:
        return cls(table, side, *_capacities(table, side, linked, existing))

    def left_of(self, row: int) -> float:
        return float(self.left[self.flow[row]])

    def give(self, row: int, amount: float) -> None:
        """Take ``amount`` from the flow of ``row``, a lead of the order."""
        f = int(self.flow[row])
        self.before[row] = (float(self.taken[f]), tuple(self.users.get(f, ())))
        self.left[f] -= amount
        self.taken[f] += amount
        partner = self.side[-1]
        if partner in self.table:
            self.users.setdefault(f, []).append(str(self.table[partner].iloc[row]))

    def tell(self, result: pd.DataFrame, others: np.ndarray) -> None:
        """Add to ``result``'s used columns what the leads of the order took before each row.

        Other leads: all of it; leads of the order: what the earlier ones took.
        """
        *_, used, used_by, _ = self.side
        flow = self.flow.clip(0)
        if used in result:
            earlier = np.zeros(len(result))
            for row, (amount, _) in self.before.items():
                earlier[row] = amount
            more = np.where(others, self.taken[flow], earlier)
            result[used] = result[used].to_numpy(dtype=float) + more
        if used_by in result:
            texts = result[used_by].fillna("").astype(str).to_list()
            touched = np.zeros(len(self.left), dtype=bool)
            touched[list(self.users)] = True
            for row in np.flatnonzero(others & touched[flow]).tolist():
                texts[row] = _joined(texts[row], self.users.get(int(flow[row]), ()))
            for row, (_, who) in self.before.items():
                texts[row] = _joined(texts[row], who)
            result[used_by] = texts


def _take(quantity: float, lefts: list[float]) -> float:
    """Return what a lead takes: the least of its quantity and what is left (NaN if unknown)."""
    values = [quantity, *lefts]
    if any(math.isnan(value) for value in values):
        return math.nan
    return max(min(values), 0.0)


def _joined(text: str, more: Sequence[str]) -> str:
    ids = [part for part in str(text).split(",") if part]
    return ",".join(dict.fromkeys([*ids, *more]))


def _check_columns(
    candidates: pd.DataFrame, weight: str | None, *, also: tuple[str, ...] = ()
) -> None:
    missing = [c for c in (*REQUIRED_COLUMNS, *also) if c not in candidates]
    if missing:
        raise ValueError(t("engine.missing_columns", columns=", ".join(missing)))
    if weight is not None and weight not in candidates:
        raise ValueError(t("engine.bad_weight", value=weight))


def _existing_first(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return which rows link two flows, which are existing synergies, and their allocation.

    An existing synergy is allocated its declared quantity, whether its flows hold it or not:
    it runs already.
    """
    linked = _linked(table)
    existing = (table["status"] == "existing").to_numpy()
    allocated = np.zeros(len(table))
    allocated[existing] = _synergy_quantity(table)[existing]
    return linked, existing, allocated


def _linked(table: pd.DataFrame) -> np.ndarray:
    linked = (table["from_flow_id"].notna() & table["to_flow_id"].notna()).to_numpy(copy=True)
    if "kind" in table:
        linked &= (table["kind"] == "substitution").to_numpy()
    return linked


def _synergy_quantity(table: pd.DataFrame) -> np.ndarray:
    quantity = table["quantity"].to_numpy(dtype=float)
    if "existing_quantity" not in table:
        return quantity
    synergy = table["existing_quantity"].to_numpy(dtype=float)
    return np.where(np.isnan(synergy), quantity, synergy)


def _capacities(
    table: pd.DataFrame, side: tuple[str, ...], linked: np.ndarray, existing: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return each row's flow number (-1 when unlinked) and what each flow has left.

    What is left: the flow's quantity less what existing synergies use, by the engine's
    ``offer_used`` / ``need_used`` when the table has them, else by its existing rows; never
    below 0, NaN when unknown.
    """
    flow_column, capacity, used_column, *_ = side
    flow_ids = table[flow_column]
    codes = np.full(len(flow_ids), -1, dtype=np.int64)
    numbers, uniques = pd.factorize(flow_ids[linked])
    codes[linked] = numbers
    left = np.zeros(len(uniques))
    left[codes[linked]] = table[capacity].to_numpy(dtype=float)[linked]
    used: np.ndarray  # numpy's stubs type bincount as integers, even with float weights
    if used_column in table:
        used = np.zeros(len(uniques))
        used[codes[linked]] = table[used_column].to_numpy(dtype=float)[linked]
    else:
        mine = linked & existing
        used = np.bincount(
            codes[mine], weights=_synergy_quantity(table)[mine], minlength=len(uniques)
        )
    return codes, np.maximum(left - used, 0.0)


def _values(table: pd.DataFrame, weight: str | None) -> np.ndarray:
    base = np.ones(len(table)) if weight is None else table[weight].to_numpy(dtype=float)
    base = np.nan_to_num(base, nan=0.0)
    score = table["score"].to_numpy(dtype=float) if "score" in table else np.zeros(len(table))
    return base * (1.0 + TIE_BREAK * np.nan_to_num(score, nan=0.0))


def _solve(
    value: np.ndarray,
    upper: np.ndarray,
    offer: np.ndarray,
    need: np.ndarray,
    *,
    offer_left: np.ndarray,
    need_left: np.ndarray,
) -> np.ndarray:
    """Allocate the new candidates, one connected group of offers and needs at a time.

    A group with one offer or one need is filled best value first (optimal there); the others
    are solved by the linear programme.
    """
    n_offers = len(offer_left)
    nodes = n_offers + len(need_left)
    graph = coo_array((np.ones(len(value)), (offer, n_offers + need)), shape=(nodes, nodes))
    component = connected_components(graph, directed=False)[1][offer]
    order = np.argsort(component, kind="stable")
    cuts = np.flatnonzero(np.diff(component[order])) + 1
    amount = np.zeros(len(value))
    caps = (offer_left.copy(), need_left.copy())
    for rows in np.split(order, cuts):
        if len(np.unique(offer[rows])) == 1 or len(np.unique(need[rows])) == 1:
            amount[rows] = _greedy(value[rows], upper[rows], offer[rows], need[rows], caps)
        else:
            amount[rows] = _linear_programme(
                value[rows], upper[rows], offer[rows], need[rows], caps
            )
    return amount


def _greedy(
    value: np.ndarray,
    upper: np.ndarray,
    offer: np.ndarray,
    need: np.ndarray,
    caps: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """Fill the best-valued links first: optimal when all share one offer or one need."""
    offer_left, need_left = caps
    amount = np.zeros(len(value))
    for row in np.argsort(-value, kind="stable"):
        f, g = offer[row], need[row]
        amount[row] = max(min(upper[row], offer_left[f], need_left[g]), 0.0)
        offer_left[f] -= amount[row]
        need_left[g] -= amount[row]
    return amount


def _linear_programme(
    value: np.ndarray,
    upper: np.ndarray,
    offer: np.ndarray,
    need: np.ndarray,
    caps: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """Solve the transport LP of one group with HiGHS and return feasible quantities."""
    offer_left, need_left = caps
    n = len(value)
    columns = np.arange(n)
    offers, offer_row = np.unique(offer, return_inverse=True)
    needs, need_row = np.unique(need, return_inverse=True)
    ones = np.ones(n)
    matrix = vstack(
        [
            coo_array((ones, (offer_row, columns)), shape=(len(offers), n)),
            coo_array((ones, (need_row, columns)), shape=(len(needs), n)),
        ],
        format="csc",
    )
    limits = np.maximum(np.concatenate([offer_left[offers], need_left[needs]]), 0.0)
    bounds = np.column_stack([np.zeros(n), np.maximum(upper, 0.0)])
    # only here: scipy.optimize takes ~0.1 s to import, which `eit-geo match` never needs
    from scipy.optimize import linprog  # noqa: PLC0415

    # scipy-stubs leave out the sparse A_ub and the (n, 2) array of bounds that HiGHS takes
    result = linprog(  # type: ignore[call-overload]
        -value,
        A_ub=matrix,
        b_ub=limits,
        bounds=bounds,
        method="highs",
        options={"simplex_dual_edge_weight_strategy": "devex"},  # cheaper iterations here
    )
    if result.x is None:
        msg = f"allocation LP failed: {result.message}"
        raise RuntimeError(msg)
    amount = np.clip(result.x, 0.0, bounds[:, 1])
    for rows, limit in ((offer_row, offer_left[offers]), (need_row, need_left[needs])):
        total = np.bincount(rows, weights=amount, minlength=len(limit))
        excess = total > limit
        if excess.any():
            ratio = np.where(excess, np.maximum(limit, 0.0) / np.where(total > 0, total, 1), 1.0)
            amount *= ratio[rows]
    np.subtract.at(offer_left, offer, amount)
    np.subtract.at(need_left, need, amount)
    return amount
