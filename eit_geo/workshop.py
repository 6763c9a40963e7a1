"""The workshop board: candidate synergies joined with the participants' decisions and votes.

Leads retained (or put in place) take, in the order the workshop retained them, what the
existing synergies leave of their offers and needs (`allocation.allocate_in_order`): the board
shows what each retained lead adds, and what every other lead would still have.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

import folium
import pandas as pd

from eit_geo import indicators
from eit_geo.allocation import allocate_in_order
from eit_geo.errors import check_choice
from eit_geo.escaping import safe_text
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.workshop_decisions import CHECK_STATES, CHECKS, DEFAULTS, FIELDS, STATUSES

if TYPE_CHECKING:
    import geopandas as gpd

    from eit_geo.frames import Row
    from eit_geo.indicators import Scenario
    from eit_geo.zone import Zone

__all__ = [
    "BOARD_COLUMNS",
    "CHECKS",
    "CHECK_STATES",
    "DEFAULTS",
    "FIELDS",
    "SELECTED",
    "SORTS",
    "STATUSES",
    "build_board",
    "check_summary",
    "highlight_layer",
    "retained_order",
    "selected_ids",
    "selected_scenario",
    "sort_board",
]

SELECTED: tuple[str, ...] = ("retained", "in_place")
HIGHLIGHT_COLOUR = "#000000"
HALO_COLOUR = "#F0E442"  # Okabe-Ito yellow: visible on every family colour
SORTS: tuple[str, ...] = ("score", "points", "updated_at")
BOARD_COLUMNS: tuple[str, ...] = (
    "decision",
    *FIELDS[1:],
    "participant",
    "updated_at",
    "version",
    "votes",
    "points",
    "voters",
)


def build_board(
    candidates: gpd.GeoDataFrame,
    decisions: pd.DataFrame,
    votes: pd.DataFrame,
    history: pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Join the candidates with their current decision and votes, on what is left.

    Parameters
    ----------
    candidates
        ``matching.find_substitutions`` output (``candidate_id``, ``status`` existing|candidate).
    decisions
        ``store.get_decisions`` output; decisions on candidates no longer found are left out.
    votes
        ``store.get_votes`` output (one row per candidate).
    history
        ``store.history`` output, to know when each lead got its current status; without it,
        its last change (``updated_at``) stands for it.

    Returns
    -------
    geopandas.GeoDataFrame
        The candidates, index and order kept, plus ``BOARD_COLUMNS``: ``decision`` (the workshop
        status, one of ``STATUSES``; undecided existing exchanges count as ``in_place``,
        other candidates as ``to_study``), the checks and notes, who changed it last and when,
        ``version`` (0 if never decided), ``votes``, ``points`` and ``voters``; ``status_at``
        (when the current decision was taken) and ``allocated_quantity``. Retained leads take,
        in `retained_order`, what is left (`allocation.allocate_in_order`): ``quantity`` is what
        each adds, or for another lead what it would still have, and ``offer_used`` …
        ``need_used_by`` count the retained leads too. An undecided lead left with nothing is no
        longer a lead: it is left out.
    """
    current = decisions.rename(columns={"status": "decision"}).set_index("candidate_id")
    tally = votes.set_index("candidate_id")
    board = candidates.copy()
    ids = board["candidate_id"].astype(str)
    existing = board["status"].eq("existing")
    defaults = {"decision": "", **dict.fromkeys(CHECKS, "pending")}
    for column in BOARD_COLUMNS:
        source = tally if column in ("votes", "points", "voters") else current
        if column in source:
            found = source[column].reindex(ids.to_numpy()).to_numpy()
            values = pd.Series(found, index=board.index)
        else:
            values = pd.Series(pd.NA, index=board.index, dtype=object)
        if column in ("version", "votes", "points"):
            board[column] = pd.to_numeric(values).fillna(0).astype(int)
        elif column == "updated_at":
            board[column] = pd.to_datetime(values, utc=True)
        else:
            text = values.astype(object)
            board[column] = text.where(text.notna(), defaults.get(column, "")).astype(str)
    undecided = board["decision"].eq("")
    board.loc[undecided, "decision"] = existing[undecided].map(
        {True: "in_place", False: "to_study"}
    )
    board["status_at"] = _status_at(board, history)
    board = allocate_in_order(board, retained_order(board))
    spent = ~existing & board["version"].eq(0) & board["quantity"].eq(0)
    return board[~spent.to_numpy()]


def _status_at(board: pd.DataFrame, history: pd.DataFrame | None) -> pd.Series:
    """Return when each candidate got its current decision (NaT when never decided)."""
    moment = board["updated_at"]
    if history is None or history.empty:
        return moment
    changes = history.sort_values("changed_at", kind="stable")
    previous = changes.groupby("candidate_id")["status"].shift()
    turns = changes[changes["status"].ne(previous)]  # a first row, or a new status
    last = turns.groupby("candidate_id")["changed_at"].last()
    found = pd.to_datetime(board["candidate_id"].astype(str).map(last), utc=True)
    return found.where(found.notna(), moment)


def retained_order(board: pd.DataFrame) -> tuple[str, ...]:
    """Return the ids of the leads retained or put in place, in the order the workshop did it.

    Existing synergies are not among them (they run already); ties (no date) go by score.
    """
    chosen = board[board["decision"].isin(SELECTED) & board["status"].ne("existing")]
    if "status_at" in chosen:
        ordered = chosen.sort_values(
            ["status_at", "score"], ascending=[True, False], na_position="last", kind="stable"
        )
    else:
        ordered = chosen.sort_values("score", ascending=False, kind="stable")
    return tuple(ordered["candidate_id"].astype(str))


def selected_ids(board: pd.DataFrame) -> tuple[str, ...]:
    """Return the ids the workshop retained or found in place: the "selected" scenario.

    Existing synergies first, then the leads in `retained_order` (the order they take what is
    left in, for `indicators.selected_scenario`).
    """
    chosen = board["decision"].isin(SELECTED) & board["status"].eq("existing")
    return (*board.loc[chosen, "candidate_id"].astype(str), *retained_order(board))


def selected_scenario(zone: Zone, board: pd.DataFrame) -> Scenario:
    """Return the indicators' ``selected`` scenario: what the workshop retained or found in place.

    Existing exchanges with their declared quantities, then the retained leads with what each
    took in `retained_order` (the board's ``allocated_quantity``); an existing exchange the
    workshop rejected (stopped) is left out.
    """
    rows = pd.DataFrame(board)
    if "allocated_quantity" not in rows:
        return indicators.selected_scenario(zone, rows, selected_ids(board))
    return indicators.candidate_scenario("selected", zone, rows[rows["decision"].isin(SELECTED)])


def sort_board(
    board: gpd.GeoDataFrame,
    *,
    by: str = "score",
    statuses: Collection[str] | None = None,
) -> gpd.GeoDataFrame:
    """Filter the board by workshop status and sort it, best first.

    Parameters
    ----------
    board
        ``build_board`` output.
    by
        ``score`` (then points), ``points`` (participants' priorities, then score) or
        ``updated_at`` (latest change first).
    statuses
        Keep only these workshop statuses (``STATUSES``); None keeps all.

    Raises
    ------
    ValueError
        On an unknown ``by`` or status.
    """
    check_choice("by", by, SORTS)
    unknown = sorted(set(statuses or ()) - set(STATUSES))
    if unknown:
        msg = f"statuses: unknown {', '.join(unknown)}; expected among {', '.join(STATUSES)}"
        raise ValueError(msg)
    rows = board if statuses is None else board[board["decision"].isin(list(statuses))]
    keys = {"score": ["score", "points"], "points": ["points", "score"]}.get(by, [by, "score"])
    return rows.sort_values(keys, ascending=False, na_position="last", kind="stable")


def check_summary(row: pd.Series, lang: str = DEFAULT_LANGUAGE) -> str:
    """Return the three checks of a board row as one short line, e.g. « T ✓ · R ! · E ? »."""
    marks = {"pending": "?", "ok": "✓", "watch": "!", "blocking": "✗"}
    return " · ".join(
        f"{t(f'workshop.check_{check}_short', lang)} {marks.get(row[check], '?')}"
        for check in CHECKS
    )


def highlight_layer(link: Row, *, label: str) -> folium.FeatureGroup:
    """Return a map layer that points out one candidate: a halo along it and rings at its ends.

    Parameters
    ----------
    link
        A board row (``from_lat`` … ``to_lon``).
    label
        Tooltip text (plain text, escaped here).
    """
    tip = safe_text(label)
    layer = folium.FeatureGroup(name=tip, control=False)
    ends = [
        [float(link["from_lat"]), float(link["from_lon"])],
        [float(link["to_lat"]), float(link["to_lon"])],
    ]
    folium.PolyLine(ends, color=HALO_COLOUR, weight=16, opacity=0.55, tooltip=tip).add_to(layer)
    for end in ends:
        folium.CircleMarker(
            end, radius=17, color=HIGHLIGHT_COLOUR, weight=4, fill=False, tooltip=tip
        ).add_to(layer)
    return layer
