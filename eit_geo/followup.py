"""Follow-up of the exchanges in place: quantities actually exchanged against those planned.

A synergy in place is one of the zone's existing synergies (still running) or a lead the
workshop marked « en place ». Its *realised* figures (``plan_store.get_realised``) are given
per year, or per month; a year's total is its yearly figure when there is one, else the sum of
its months (a partial year when fewer than twelve). Figures are in the synergy's unit.
"""

from __future__ import annotations

import html
import textwrap
from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go

from eit_geo.codes import family_of
from eit_geo.formatting import plotly_separators, unit_label
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.network_years import current_year
from eit_geo.panels import link_text

if TYPE_CHECKING:
    from eit_geo.zone import Zone

__all__ = [
    "IN_PLACE_COLUMNS",
    "KEY",
    "TOTAL_COLUMNS",
    "network_by_year",
    "network_figure",
    "planned_vs_realised",
    "realised_exchanges",
    "synergies_in_place",
    "synergy_figure",
    "synergy_keys",
    "year_totals",
]

KEY: tuple[str, ...] = ("from_id", "to_id", "resource")
IN_PLACE_COLUMNS: tuple[str, ...] = (
    "key",
    *KEY,
    "from_name",
    "to_name",
    "label",
    "family",
    "quantity",
    "unit",
    "since",
    "until",
    "origin",
)
TOTAL_COLUMNS: tuple[str, ...] = (*KEY, "year", "quantity", "unit", "status", "months", "source")
_COLOURS = {"planned": "#999999", "measured": "#0072B2", "estimated": "#56B4E9"}
_FULL_YEAR = 12


def synergy_keys(frame: pd.DataFrame) -> pd.Series:
    """Return each row's synergy key, ``from_id>to_id:resource`` (how figures are filed)."""
    return (
        frame["from_id"].astype(str)
        + ">"
        + frame["to_id"].astype(str)
        + ":"
        + frame["resource"].astype(str)
    )


def synergies_in_place(
    zone: Zone, board: pd.DataFrame | None = None, *, lang: str = DEFAULT_LANGUAGE
) -> pd.DataFrame:
    """Return the synergies in place whose exchanges can be followed up.

    Parameters
    ----------
    zone
        Its synergies are in place unless they stopped (``until``) or the workshop rejected
        them (a synergy that stopped).
    board
        ``workshop.build_board`` output: leads marked ``in_place`` are added (origin
        ``workshop``), with their quantity as planned.
    lang
        Language of the labels.

    Returns
    -------
    pandas.DataFrame
        `IN_PLACE_COLUMNS`, one row per synergy key (the first when a key repeats); ``origin``
        is ``zone`` or ``workshop``; ``quantity`` is the planned quantity per year.
    """
    names = zone.company_names()
    synergies = zone.synergies
    rows = synergies.assign(
        since=synergies["since"].astype("Int64"),
        until=synergies["until"].astype("Int64")
        if "until" in synergies
        else pd.array([pd.NA] * len(synergies), dtype="Int64"),
        origin="zone",
    )
    if board is not None and not board.empty:
        rejected = board.loc[board["status"].eq("existing") & board["decision"].eq("rejected")]
        rows = rows[~synergy_keys(rows).isin(set(synergy_keys(rejected)))]
        placed = board.loc[board["status"].ne("existing") & board["decision"].eq("in_place")]
        added = pd.DataFrame(
            {
                **{column: placed[column].astype(str).to_numpy() for column in KEY},
                "family": placed["family"].astype(str).to_numpy(),
                "quantity": placed["quantity"].astype(float).to_numpy(),
                "unit": placed["unit"].astype(str).to_numpy(),
                "since": pd.array([pd.NA] * len(placed), dtype="Int64"),
                "until": pd.array([pd.NA] * len(placed), dtype="Int64"),
                "origin": "workshop",
            }
        )
        rows = pd.concat([rows, added], ignore_index=True)
    table = pd.DataFrame({column: rows[column].astype(str) for column in KEY})
    table.insert(0, "key", synergy_keys(table))
    table["from_name"] = table["from_id"].map(names).fillna(table["from_id"])
    table["to_name"] = table["to_id"].map(names).fillna(table["to_id"])
    table["label"] = [
        link_text(r, a, b, lang)
        for r, a, b in zip(table["resource"], table["from_name"], table["to_name"], strict=True)
    ]
    table["family"] = [family_of(code) or "" for code in table["resource"]]
    table["quantity"] = rows["quantity"].astype(float).to_numpy()
    table["unit"] = rows["unit"].astype(str).to_numpy()
    table["since"] = rows["since"].astype("Int64").array
    table["until"] = rows["until"].astype("Int64").array
    table["origin"] = rows["origin"].to_numpy()
    running = table["until"].isna() | (table["until"] > current_year())
    table = table[running.fillna(value=True).astype(bool).to_numpy()]
    return table.drop_duplicates("key").reset_index(drop=True)[list(IN_PLACE_COLUMNS)]


def year_totals(realised: pd.DataFrame) -> pd.DataFrame:
    """Return one total per synergy and year from the realised figures.

    Parameters
    ----------
    realised
        ``plan_store.get_realised`` output (``month`` 0 for a whole year).

    Returns
    -------
    pandas.DataFrame
        `TOTAL_COLUMNS`: ``quantity`` is the yearly figure when given, else the sum of the
        months; ``months`` 12 for a yearly figure, else the number of months given;
        ``status`` ``measured`` when every figure used is, else ``estimated``; ``source`` the
        sources used, joined.
    """
    if realised.empty:
        return pd.DataFrame(columns=list(TOTAL_COLUMNS))
    figures = realised.copy()
    figures["_year_given"] = figures.groupby([*KEY, "year"])["month"].transform(
        lambda months: (months == 0).any()
    )
    used = figures[~figures["_year_given"] | (figures["month"] == 0)]
    grouped = used.groupby([*KEY, "year"], sort=True)
    totals = grouped.agg(
        quantity=("quantity", "sum"),
        unit=("unit", "first"),
        measured=("status", lambda s: bool((s == "measured").all())),
        months=("month", lambda m: _FULL_YEAR if (m == 0).any() else int(m.nunique())),
        source=("source", lambda s: " ; ".join(dict.fromkeys(x for x in s if x))),
    ).reset_index()
    totals["status"] = totals.pop("measured").map({True: "measured", False: "estimated"})
    totals["year"] = totals["year"].astype(int)
    return totals[list(TOTAL_COLUMNS)]


def planned_vs_realised(in_place: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    """Return, per synergy in place and year with a realised figure, planned against realised.

    Columns: ``key``, ``label``, ``year``, ``planned`` (the synergy's quantity per year, NaN
    for a year it did not run yet), ``realised``, ``unit``, ``status``, ``months``, ``ratio``
    (realised / planned).
    """
    keyed = totals.assign(key=synergy_keys(totals)) if len(totals) else totals.assign(key="")
    table = keyed.merge(
        in_place[["key", "label", "quantity", "since", "until"]], on="key", how="inner"
    )
    since = pd.to_numeric(table["since"], errors="coerce")
    until = pd.to_numeric(table["until"], errors="coerce")
    running = (since.isna() | (since <= table["year"])) & (until.isna() | (until > table["year"]))
    table["planned"] = table["quantity_y"].where(running)
    table["realised"] = table["quantity_x"].astype(float)
    table["ratio"] = table["realised"] / table["planned"]
    columns = ["key", "label", "year", "planned", "realised", "unit", "status", "months", "ratio"]
    return table.sort_values(["label", "year"])[columns].reset_index(drop=True)


def network_by_year(in_place: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    """Return the whole network per year and unit: planned against realised, like for like.

    ``planned`` sums the planned quantities of the synergies that have a realised figure that
    year (``covered`` of them), so that a synergy nobody measured is not counted as zero;
    ``running`` counts the synergies in place that year. Columns ``year``, ``unit``,
    ``planned``, ``realised``, ``covered``, ``running``.
    """
    pairs = planned_vs_realised(in_place, totals)
    columns = ["year", "unit", "planned", "realised", "covered", "running"]
    if pairs.empty:
        return pd.DataFrame(columns=columns)
    grouped = pairs.groupby(["year", "unit"], sort=True).agg(
        planned=("planned", "sum"), realised=("realised", "sum"), covered=("key", "nunique")
    )
    table = grouped.reset_index()
    since = pd.to_numeric(in_place["since"], errors="coerce")
    until = pd.to_numeric(in_place["until"], errors="coerce")
    table["running"] = [
        int(
            (
                (in_place["unit"] == unit)
                & (since.isna() | (since <= year))
                & (until.isna() | (until > year))
            ).sum()
        )
        for year, unit in zip(table["year"], table["unit"], strict=True)
    ]
    return table[columns]


def realised_exchanges(in_place: pd.DataFrame, totals: pd.DataFrame, year: int) -> pd.DataFrame:
    """Return the realised figures of one year as synergies, for ``indicators.realised_scenario``.

    Columns ``from_id``, ``to_id``, ``resource``, ``quantity``, ``unit``, ``quantity_status``
    (``estimate`` for an estimated figure or a partial year, else ``published``). Only the
    synergies in place with a figure that year; none is counted as zero.
    """
    year_rows = totals[totals["year"].astype(int) == int(year)] if len(totals) else totals
    keys = set(in_place["key"])
    year_rows = year_rows[synergy_keys(year_rows).isin(keys)] if len(year_rows) else year_rows
    estimate = year_rows["status"].ne("measured") | (year_rows["months"] < _FULL_YEAR)
    return pd.DataFrame(
        {
            **{column: year_rows[column].astype(str).to_numpy() for column in KEY},
            "quantity": year_rows["quantity"].astype(float).to_numpy(),
            "unit": year_rows["unit"].astype(str).to_numpy(),
            "quantity_status": ["estimate" if flag else "published" for flag in estimate],
        }
    )


_SUBTITLE_WIDTH = 75  # characters a line of a half-width chart's subtitle holds


def synergy_figure(pairs: pd.DataFrame, *, lang: str = DEFAULT_LANGUAGE) -> go.Figure:
    """Draw one synergy's realised quantity per year (bars by status) against the plan (line).

    ``pairs``: the rows of `planned_vs_realised` for one synergy.
    """
    figure = go.Figure()
    unit = str(pairs["unit"].iloc[0]) if len(pairs) else ""
    for status in ("measured", "estimated"):
        rows = pairs[pairs["status"] == status]
        if rows.empty:
            continue
        figure.add_trace(
            go.Bar(
                x=rows["year"],
                y=rows["realised"],
                name=t(f"followup.realised_{status}", lang),
                marker_color=_COLOURS[status],
                customdata=rows["months"],
                hovertemplate="%{x}: %{y:,.0f}<extra>%{fullData.name}</extra>",
            )
        )
    if len(pairs):
        figure.add_trace(
            go.Scatter(
                x=pairs["year"],
                y=pairs["planned"],
                mode="lines+markers",
                line={"color": _COLOURS["planned"], "dash": "dash", "width": 3},
                name=t("followup.planned", lang),
            )
        )
    figure = _layout(figure, t("followup.synergy_chart", lang), unit, lang)
    if len(pairs):  # the exchange under the title: the resource, then who gives it to whom
        parts = str(pairs["label"].iloc[0]).split(" : ", 1)
        lines = [line for part in parts for line in textwrap.wrap(part, _SUBTITLE_WIDTH)]
        figure.update_layout(
            title_subtitle_text="<br>".join(html.escape(line) for line in lines),
            margin_t=80 + 16 * (len(lines) - 1),
        )
    return figure


def network_figure(network: pd.DataFrame, unit: str, *, lang: str = DEFAULT_LANGUAGE) -> go.Figure:
    """Draw the whole network's realised quantities per year against the plan, for one unit.

    ``network``: `network_by_year` output; the hover gives how many synergies were measured.
    """
    rows = network[network["unit"] == unit]
    figure = go.Figure()
    covered = [
        t("followup.covered", lang, covered=c, running=r)
        for c, r in zip(rows["covered"], rows["running"], strict=True)
    ]
    for column, colour in (("planned", _COLOURS["planned"]), ("realised", _COLOURS["measured"])):
        figure.add_trace(
            go.Bar(
                x=rows["year"],
                y=rows[column],
                name=t(f"followup.{column}", lang),
                marker_color=colour,
                text=covered,
                hovertemplate="%{x}: %{y:,.0f}<br>%{text}<extra>%{fullData.name}</extra>",
                textposition="none",
            )
        )
    return _layout(figure, t("followup.network_chart", lang), unit, lang)


def _layout(figure: go.Figure, title: str, unit: str, lang: str) -> go.Figure:
    figure.update_layout(
        title=title,
        barmode="group",
        xaxis={"title": t("followup.year", lang), "dtick": 1, "tickformat": "d"},
        yaxis={"title": unit_label(unit, lang) if unit else "", "tickformat": ",d"},
        separators=plotly_separators(lang),
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 70, "r": 20, "t": 80, "b": 60},
        template="plotly_white",
    )
    return figure
