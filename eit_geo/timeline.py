"""The network's timeline: when each synergy was identified, retained, put in place and stopped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go

from eit_geo.codes import resource_label
from eit_geo.formatting import colon, plotly_separators, timezone
from eit_geo.frames import records
from eit_geo.i18n import DEFAULT_LANGUAGE, t

if TYPE_CHECKING:
    from eit_geo.zone import Zone

__all__ = ["EVENTS", "network_timeline", "timeline_figure"]

EVENTS: tuple[str, ...] = ("identified", "retained", "in_place", "stopped")
_SYMBOLS = {
    "identified": "circle-open",
    "retained": "diamond",
    "in_place": "circle",
    "stopped": "x",
}
_COLOURS = {
    "identified": "#999999",
    "retained": "#E69F00",
    "in_place": "#009E73",
    "stopped": "#D55E00",
}


def network_timeline(
    zone: Zone,
    board: pd.DataFrame,
    history: pd.DataFrame,
    *,
    names: Mapping[str, str] | None = None,
    lang: str = DEFAULT_LANGUAGE,
) -> pd.DataFrame:
    """List the dated events of the network, oldest first.

    Parameters
    ----------
    zone
        The zone: its existing synergies with a ``since`` year are in place from that year,
        and stopped from their ``until`` year when the data gives one.
    board
        ``workshop.build_board`` output (names and resources of the candidates).
    history
        ``store.history`` output: a candidate is identified at its first change, retained and in
        place at the first change giving it that status.
    names
        ``{company id: name}`` to show instead of the zone's names (e.g. anonymised aliases).
    lang
        Language of the resource labels.

    Returns
    -------
    pandas.DataFrame
        ``candidate_id`` (empty for a zone synergy not among the candidates), ``label``
        (« supplier → receiver : resource »), ``event`` (one of ``EVENTS``), ``date`` (UTC) and
        ``origin`` (``zone`` for the data's ``since``, ``workshop`` for a decision).
    """
    names = dict(names) if names is not None else zone.company_names()
    until = (
        zone.synergies["until"]
        if "until" in zone.synergies
        else pd.Series(pd.NA, index=zone.synergies.index)
    )
    rows = [
        {
            "candidate_id": _candidate_of(board, syn),
            "label": _label(
                names.get(syn["from_id"], syn["from_id"]),
                names.get(syn["to_id"], syn["to_id"]),
                syn["resource"],
                lang,
            ),
            "event": event,
            "date": pd.Timestamp(year=int(year), month=1, day=1, tz="UTC"),
            "origin": "zone",
        }
        for syn, end in zip(records(zone.synergies), until, strict=True)
        for event, year in (("in_place", syn["since"]), ("stopped", end))
        if not pd.isna(year)
    ]
    labels = {
        str(row["candidate_id"]): _label(
            names.get(row["from_id"], row["from_name"]),
            names.get(row["to_id"], row["to_name"]),
            row["resource"],
            lang,
        )
        for row in records(board)
    }
    for candidate, changes in history.sort_values("changed_at").groupby("candidate_id", sort=False):
        if candidate not in labels:
            continue
        rows.append(_event(str(candidate), labels, "identified", changes["changed_at"].min()))
        for event in ("retained", "in_place"):
            reached = changes.loc[changes["status"] == event, "changed_at"]
            if not reached.empty:
                rows.append(_event(str(candidate), labels, event, reached.min()))
    columns = ["candidate_id", "label", "event", "date", "origin"]
    table = pd.DataFrame(rows, columns=columns)
    table["date"] = pd.to_datetime(table["date"], utc=True)
    return table.sort_values(["date", "label"], ignore_index=True)


def _label(supplier: str, receiver: str, resource: str, lang: str) -> str:
    return f"{supplier} → {receiver}{colon(lang)}{resource_label(resource, lang)}"


def _candidate_of(board: pd.DataFrame, synergy: Mapping[str, Any]) -> str:
    match = board[
        board["from_id"].eq(synergy["from_id"])
        & board["to_id"].eq(synergy["to_id"])
        & board["resource"].eq(synergy["resource"])
    ]
    return str(match["candidate_id"].iloc[0]) if not match.empty else ""


def _event(
    candidate: str, labels: dict[str, str], event: str, when: pd.Timestamp
) -> dict[str, object]:
    return {
        "candidate_id": candidate,
        "label": labels[candidate],
        "event": event,
        "date": when,
        "origin": "workshop",
    }


def timeline_figure(
    timeline: pd.DataFrame,
    *,
    lang: str = DEFAULT_LANGUAGE,
    at_year: int | Sequence[int] | None = None,
) -> go.Figure:
    """Draw the growth of the network: synergies in place over time, events as markers.

    The step line counts the synergies in place at each date (a stopped one leaves it); every
    event is a marker (hover gives the synergy), one trace per event kind so that the legend
    explains the symbols. ``at_year`` draws a dashed line on that year, or on each of those
    years (the networks shown).
    Dates are drawn in local time (`eit_geo.formatting.timezone`), the count axis in whole
    numbers, day and month in the reader's order.
    """
    timeline = timeline.assign(date=_local(timeline["date"]))
    figure = go.Figure()
    placed = _first_of_each(timeline, "in_place")
    stopped = _first_of_each(timeline, "stopped")
    if not placed.empty:
        steps = pd.concat([placed.assign(step=1), stopped.assign(step=-1)])
        counts = steps.groupby("date")["step"].sum().sort_index().cumsum()
        figure.add_trace(
            go.Scatter(
                x=counts.index.tolist(),
                y=counts.to_numpy(),
                mode="lines",
                line={"shape": "hv", "color": _COLOURS["in_place"], "width": 3},
                name=t("workshop.timeline_count", lang),
            )
        )
    for event in EVENTS:
        rows = timeline[timeline["event"] == event]
        if rows.empty:
            continue
        level = _level_at(placed, stopped, rows["date"])
        figure.add_trace(
            go.Scatter(
                x=rows["date"],
                y=level,
                mode="markers",
                marker={"symbol": _SYMBOLS[event], "size": 12, "color": _COLOURS[event]},
                name=t(f"workshop.event_{event}", lang),
                text=rows["label"].tolist(),
                hovertemplate=f"%{{x|{_DAY[lang == 'fr']}}}<br>%{{text}}<extra></extra>",
            )
        )
    years = [] if at_year is None else [at_year] if isinstance(at_year, int) else list(at_year)
    for year in years:
        figure.add_vline(
            # plotly-stubs type x as a number; on a date axis plotly takes a date string
            x=f"{int(year):04d}-07-01",  # type: ignore[arg-type]
            line={"dash": "dash", "color": "#0072B2", "width": 2},
        )
    figure.update_layout(
        title=t("workshop.timeline_title", lang),
        xaxis_title=t("workshop.timeline_date", lang),
        yaxis_title=t("workshop.timeline_count", lang),
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 60, "r": 20, "t": 60, "b": 60},
        template="plotly_white",
        separators=plotly_separators(lang),
    )
    top = int(placed["date"].size) if not placed.empty else 0
    figure.update_yaxes(rangemode="tozero", tickformat=",d", dtick=1 if top <= _FEW else None)
    figure.update_xaxes(tickformatstops=_date_ticks(lang))
    return figure


_FEW = 10  # up to this many synergies, a tick for each
_DAY = {True: "%d/%m/%Y", False: "%-d %b %Y"}  # French (numeric) / English day


def _local(dates: pd.Series) -> pd.Series:
    """Return moments as local wall-clock times without zone, which plotly draws as given."""
    moments = pd.to_datetime(dates, utc=True)
    return moments.dt.tz_convert(timezone()).dt.tz_localize(None)


def _date_ticks(lang: str) -> list[dict[str, object]]:
    """Return tick formats by zoom level, numeric in French (plotly names months in English)."""
    french = lang == "fr"
    day = _DAY[french]
    month = "%m/%Y" if french else "%b %Y"
    return [
        {"dtickrange": [None, 86_400_000], "value": f"{day} %H:%M"},
        {"dtickrange": [86_400_000, "M1"], "value": day},
        {"dtickrange": ["M1", "M12"], "value": month},
        {"dtickrange": ["M12", None], "value": "%Y"},
    ]


def _first_of_each(timeline: pd.DataFrame, event: str) -> pd.DataFrame:
    """Return the rows of one event kind, one per synergy (candidate id, else label)."""
    rows = timeline[timeline["event"] == event]
    return rows[~rows["candidate_id"].where(rows["candidate_id"] != "", rows["label"]).duplicated()]


def _level_at(placed: pd.DataFrame, stopped: pd.DataFrame, dates: pd.Series) -> list[int]:
    """Return the number of synergies in place at each date (markers sit on the step line)."""
    starts = placed["date"].sort_values().to_numpy()
    ends = stopped["date"].sort_values().to_numpy()
    return [int((starts <= moment).sum() - (ends <= moment).sum()) for moment in dates.to_numpy()]
