"""Allocate offers to needs among substitution candidates: the scenario the indicators report.

Existing synergies run already: they take their quantity first (capped by what their offer and
need have left, in table order). The rest of every offer and need is then shared among the new
candidates by a linear programme (``scipy.optimize.linprog``, HiGHS)::

    maximise   Σ w_j x_j (1 + TIE_BREAK × score_j)
    subject to Σ_{j of offer f} x_j ≤ offer left of f,  Σ_{j of need g} x_j ≤ need left of g,
               0 ≤ x_j ≤ quantity_j

with ``w_j`` = 1 (most quantity exchanged) or a weight column (e.g. CO2 avoided per unit). The
small ``TIE_BREAK`` term only chooses, among equally good allocations, the better-scored links
(``allocation_tie_break`` in ``data/scoring.csv``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from scipy.sparse import coo_array, vstack
from scipy.sparse.csgraph import connected_components

from eit_geo.datafiles import read_values
from eit_geo.i18n import t

__all__ = ["REQUIRED_COLUMNS", "TIE_BREAK", "allocate"]

TIE_BREAK = read_values("scoring.csv")["allocation_tie_break"]  # data/README.md
REQUIRED_COLUMNS: tuple[str, ...] = (
    "from_flow_id",
    "to_flow_id",
    "quantity",
    "offer_quantity",
    "need_quantity",
    "status",
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
        A copy with ``allocated_quantity`` (0 where unused): never more per ``from_flow_id``
        than its ``offer_quantity`` nor per ``to_flow_id`` than its ``need_quantity``. An
        existing synergy without flows keeps its own quantity.

    Raises
    ------
    ValueError
        When a required column or the weight column is missing.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in candidates]
    if missing:
        raise ValueError(t("engine.missing_columns", columns=", ".join(missing)))
    if weight is not None and weight not in candidates:
        raise ValueError(t("engine.bad_weight", value=weight))
    table = candidates
    allocated = np.zeros(len(table))
    linked = _linked(table)
    existing = (table["status"] == "existing").to_numpy()
    synergy = _synergy_quantity(table)
    flowless = existing & ~linked
    allocated[flowless] = synergy[flowless]
    offer_ids, offer_left = _capacities(table["from_flow_id"], table["offer_quantity"], linked)
    need_ids, need_left = _capacities(table["to_flow_id"], table["need_quantity"], linked)
    for row in np.flatnonzero(existing & linked):
        f, g = offer_ids[row], need_ids[row]
        amount = max(min(synergy[row], offer_left[f], need_left[g]), 0.0)
        allocated[row] = amount
        offer_left[f] -= amount
        need_left[g] -= amount
    new = linked & ~existing
    values = _values(table, weight)
    rows = np.flatnonzero(new & (values > 0))
    if len(rows):
        upper = table["quantity"].to_numpy(dtype=float)[rows]
        allocated[rows] = _solve(
            values[rows],
            upper,
            offer_ids[rows],
            need_ids[rows],
            offer_left=offer_left,
            need_left=need_left,
        )
    return candidates.assign(allocated_quantity=allocated)  # a new frame; the input is kept


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
    flow_ids: pd.Series, capacity: pd.Series, linked: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return each row's flow number (-1 when unlinked) and each flow's capacity."""
    codes = np.full(len(flow_ids), -1, dtype=np.int64)
    numbers, uniques = pd.factorize(flow_ids[linked])
    codes[linked] = numbers
    left = np.zeros(len(uniques))
    left[codes[linked]] = capacity.to_numpy(dtype=float)[linked]
    return codes, left


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
    options = {"simplex_dual_edge_weight_strategy": "devex"}  # cheaper iterations here
    result = linprog(
        -value, A_ub=matrix, b_ub=limits, bounds=bounds, method="highs", options=options
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
