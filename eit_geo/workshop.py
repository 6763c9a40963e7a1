"""The workshop board: candidate synergies joined with the participants' decisions and votes."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

import folium
import pandas as pd

from eit_geo import indicators
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.maps import safe_text
from eit_geo.store import CHECKS, FIELDS, STATUSES

if TYPE_CHECKING:
    import geopandas as gpd

    from eit_geo.indicators import Scenario
    from eit_geo.zone import Zone

__all__ = [
    "BOARD_COLUMNS",
    "SELECTED",
    "SORTS",
    "build_board",
    "check_summary",
    "highlight_layer",
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
    candidates: gpd.GeoDataFrame, decisions: pd.DataFrame, votes: pd.DataFrame
) -> gpd.GeoDataFrame:
    """Join the candidates with their current decision and votes.

    Parameters
    ----------
    candidates
        ``matching.find_substitutions`` output (``candidate_id``, ``status`` existing|candidate).
    decisions
        ``store.get_decisions`` output; decisions on candidates no longer found are left out.
    votes
        ``store.get_votes`` output (one row per candidate).

    Returns
    -------
    geopandas.GeoDataFrame
        The candidates, index and order kept, plus ``BOARD_COLUMNS``: ``decision`` (the workshop
        status, one of ``store.STATUSES``; undecided existing exchanges count as ``in_place``,
        other candidates as ``to_study``), the checks and notes, who changed it last and when,
        ``version`` (0 if never decided), ``votes``, ``points`` and ``voters``.
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
    return board


def selected_ids(board: pd.DataFrame) -> frozenset[str]:
    """Return the ids the workshop retained or found in place: the "selected" scenario."""
    return frozenset(board.loc[board["decision"].isin(SELECTED), "candidate_id"].astype(str))


def selected_scenario(zone: Zone, board: pd.DataFrame) -> Scenario:
    """Return the indicators' ``selected`` scenario: what the workshop retained or found in place.

    ``indicators.selected_scenario`` with `selected_ids`: existing exchanges first, then the
    retained ones share the offers and needs; an existing exchange the workshop rejected
    (stopped) is left out.
    """
    return indicators.selected_scenario(zone, pd.DataFrame(board), selected_ids(board))


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
        Keep only these workshop statuses (``store.STATUSES``); None keeps all.

    Raises
    ------
    ValueError
        On an unknown ``by`` or status.
    """
    if by not in SORTS:
        msg = f"by={by!r}; expected one of {', '.join(SORTS)}"
        raise ValueError(msg)
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


def highlight_layer(link: Mapping[str, object], *, label: str) -> folium.FeatureGroup:
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
        [float(link["from_lat"]), float(link["from_lon"])],  # type: ignore[arg-type]
        [float(link["to_lat"]), float(link["to_lon"])],  # type: ignore[arg-type]
    ]
    folium.PolyLine(ends, color=HALO_COLOUR, weight=16, opacity=0.55, tooltip=tip).add_to(layer)
    for end in ends:
        folium.CircleMarker(
            end, radius=17, color=HIGHLIGHT_COLOUR, weight=4, fill=False, tooltip=tip
        ).add_to(layer)
    return layer
