"""Plotly charts of the indicators, readable on a projector and safe for colour-blind readers.

Each function takes data (tables of `eit_geo.indicators` and `eit_geo.benchmarks`) and returns
a ``go.Figure``. Families keep their Okabe-Ito colour of ``data/families.csv``; the zone is
orange and published cases blue (Okabe & Ito 2008, "Color Universal Design"). Estimates and
figures to be confirmed are hatched, whatever the colour, and their labels read ``≈``.
`figure_config` sets the modebar's PNG download (file name, scale).
"""

from __future__ import annotations

import math
import textwrap
from typing import TYPE_CHECKING

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from eit_geo.codes import resource_label
from eit_geo.datafiles import read_table
from eit_geo.formatting import (
    colon,
    format_amount,
    format_figure,
    format_year,
    plotly_separators,
    unit_label,
)
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.indicators import UNIT_KEYS

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "BASE_FONT",
    "benchmark_figure",
    "family_colours",
    "family_figure",
    "figure_config",
    "growth_figure",
    "sankey_figure",
]

BASE_FONT = 18  # px: read from the back of a meeting room
TITLE_FONT = 24
ZONE_COLOUR = "#E69F00"  # Okabe-Ito orange
CASE_COLOUR = "#0072B2"  # Okabe-Ito blue
NODE_COLOUR = "#555555"
ZONE_OUTLINE = "#000000"
HATCH = "/"
FEW_TICKS = 10  # up to this many synergies, a tick for each
LOG_SPREAD = 100.0  # a log axis once the largest bar is 100 times the smallest
FAMILY_PANELS: tuple[str, ...] = (
    "tonnes_diverted",
    "water_saved_m3",
    "energy_recovered_mwh",
    "co2_avoided_t",
)
_PNG_SIZE = {"width": 1600, "height": 900}
_LINK_HOVER = "%{source.label} → %{target.label}<br>%{customdata}<extra></extra>"


def figure_config(name: str, *, scale: int = 2) -> dict[str, object]:
    """Return the ``config`` of ``st.plotly_chart``: PNG download named ``name``, ``scale`` ×."""
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": name, "scale": scale, **_PNG_SIZE},
        "modeBarButtonsToRemove": ["lasso2d", "select2d"],
    }


def family_colours() -> dict[str, str]:
    """Return ``{family: colour}`` from ``data/families.csv``."""
    table = read_table("families.csv")
    return dict(zip(table["family"], table["colour"], strict=True))


def _layout(figure: go.Figure, title: str, lang: str, *, height: int = 560) -> go.Figure:
    figure.update_layout(
        separators=plotly_separators(lang),
        template="plotly_white",
        title={"text": title, "font": {"size": TITLE_FONT}, "x": 0, "xanchor": "left"},
        font={"size": BASE_FONT},
        height=height,
        margin={"l": 20, "r": 150, "t": 100, "b": 40},
        hoverlabel={"font": {"size": BASE_FONT}},
        legend={"font": {"size": BASE_FONT - 2}},
    )
    return figure


def _unit(indicator: str, lang: str) -> str:
    return t(UNIT_KEYS[indicator], lang)


def benchmark_figure(
    table: pd.DataFrame, indicator: str, basis: str = "absolute", lang: str = DEFAULT_LANGUAGE
) -> go.Figure:
    """Return horizontal bars of the zone and the published cases for one indicator.

    Parameters
    ----------
    table
        `eit_geo.benchmarks.benchmark_table` output.
    indicator, basis
        One of ``CASE_FIGURES`` and one of ``BASES``.
    lang
        Language of the labels.
    """
    rows = table[(table["indicator"] == indicator) & (table["basis"] == basis)]
    rows = rows.sort_values("value", ascending=True)
    labels = [
        (label if math.isnan(year) else f"{label} — {format_year(year)}")
        for label, year in zip(rows["label"], rows["reference_year"].astype(float), strict=True)
    ]
    # the zone stands out: bold name, orange bar outlined in black
    labels = [f"<b>{x}</b>" if z else x for x, z in zip(labels, rows["is_zone"], strict=True)]
    texts = [
        format_figure(value, lang, estimate=bool(estimate))
        for value, estimate in zip(rows["value"], rows["estimate"], strict=True)
    ]
    figure = go.Figure(
        go.Bar(
            x=rows["value"],
            # plotly-stubs type a bar's y as numbers; a horizontal bar's y holds its labels
            y=labels,  # type: ignore[arg-type]
            orientation="h",
            text=texts,
            textposition="outside",
            cliponaxis=False,
            marker={
                "color": [ZONE_COLOUR if z else CASE_COLOUR for z in rows["is_zone"]],
                "pattern": {"shape": [HATCH if e else "" for e in rows["estimate"]]},
                "line": {
                    "color": [ZONE_OUTLINE if z else CASE_COLOUR for z in rows["is_zone"]],
                    "width": [3 if z else 0 for z in rows["is_zone"]],
                },
            },
            customdata=rows[["source"]].to_numpy(),
            hovertemplate="%{y}<br>%{text}<extra></extra>",
            showlegend=False,
        )
    )
    values = rows["value"][rows["value"] > 0]
    log = len(values) > 1 and values.max() / values.min() >= LOG_SPREAD
    unit = _unit(indicator, lang)
    per = "" if basis == "absolute" else f", {t(f'indicators.basis_{basis}', lang)}"
    axis = f"{t(f'indicators.{indicator}', lang)} ({unit}{per})"
    if log:
        axis += f" — {t('indicators.log_scale', lang)}"
        figure.add_annotation(
            text="<br>".join(textwrap.wrap(t("indicators.log_note", lang), 70)),
            xref="paper",
            yref="paper",
            x=1,  # under the axis title, ending at the bars' right edge: never past the figure
            y=-0.02,
            xanchor="right",
            yanchor="top",
            yshift=-115,
            showarrow=False,
            align="right",
            font={"size": BASE_FONT - 2, "color": NODE_COLOUR},
        )
    figure.update_xaxes(
        title=axis,
        type="log" if log else "linear",
        automargin=True,
        exponentformat="none",  # « 100 000 », not « 100k »
        tickformat=",~r",
        dtick=1 if log else None,  # on a log axis: a tick at each power of ten
    )
    figure.update_yaxes(automargin=True, tickfont={"size": BASE_FONT - 2})
    title = t(
        "indicators.chart_benchmark",
        lang,
        indicator=t(f"indicators.{indicator}", lang),
        basis=t(f"indicators.basis_{basis}", lang),
    )
    _legend_note(figure, lang)
    figure = _layout(figure, title, lang, height=max(420, 60 * len(rows) + 240))
    figure.update_layout(margin={"b": 185 if log else 40})
    return figure


def _legend_note(figure: go.Figure, lang: str) -> None:
    """Name the colours and the hatching under the title (a legend of one trace cannot)."""
    note = (
        f"<span style='color:{ZONE_COLOUR}'>■</span> {t('indicators.legend_zone', lang)}   "
        f"<span style='color:{CASE_COLOUR}'>■</span> {t('indicators.legend_case', lang)}   "
        f"▨ {t('indicators.legend_estimate', lang)}"
    )
    figure.add_annotation(
        text=note,
        xref="paper",
        yref="paper",
        x=1,  # ends at the bars' right edge, runs left over the names: never past the figure
        y=1.02,
        xanchor="right",
        yanchor="bottom",
        showarrow=False,
        font={"size": BASE_FONT - 2},
    )


def family_figure(families: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> go.Figure:
    """Return four small bar charts (tonnes, water, energy, CO2) by resource family.

    ``families`` is `eit_geo.indicators.by_family` output; estimated bars are hatched.
    """
    colours = family_colours()
    titles = [f"{t(f'indicators.{k}', lang)} ({_unit(k, lang)})" for k in FAMILY_PANELS]
    figure = make_subplots(rows=2, cols=2, subplot_titles=titles, vertical_spacing=0.2)
    names = [t(f"families.{family}", lang) for family in families["family"]]
    missing = families.get("missing_factors", [""] * len(families))
    partials = [bool(str(m).strip()) for m in missing]
    for index, indicator in enumerate(FAMILY_PANELS):
        estimates = families[f"{indicator}_estimate"].astype(bool)
        figure.add_trace(
            go.Bar(
                x=names,
                y=families[indicator],
                text=[
                    _bar_text(v, e, partial and indicator == "co2_avoided_t", lang)
                    for v, e, partial in zip(families[indicator], estimates, partials, strict=True)
                ],
                textposition="outside",
                cliponaxis=False,
                marker={
                    "color": [colours.get(f, NODE_COLOUR) for f in families["family"]],
                    "pattern": {"shape": [HATCH if e else "" for e in estimates]},
                },
                name=t(f"indicators.{indicator}", lang),
                showlegend=False,
                hovertemplate="%{x}<br>%{text}<extra></extra>",
            ),
            row=index // 2 + 1,
            col=index % 2 + 1,
        )
    figure.update_annotations(font_size=BASE_FONT)
    figure.update_yaxes(rangemode="tozero")
    return _layout(figure, t("indicators.chart_families", lang), lang, height=760)


def _bar_text(value: float, estimate: bool, partial: bool, lang: str) -> str:
    """Return a bar's label; a CO2 total with missing factors says it is partial."""
    if not value:
        return ""
    text = format_figure(value, lang, estimate=estimate)
    return f"{text} ({t('indicators.partial_short', lang)})" if partial else text


def sankey_figure(
    exchanges: pd.DataFrame, unit: str = "t/yr", lang: str = DEFAULT_LANGUAGE
) -> go.Figure:
    """Return a Sankey diagram of who gives what to whom, for the exchanges in one unit.

    ``exchanges`` needs ``from_name``, ``to_name``, ``resource``, ``family``, ``quantity``,
    ``unit`` (e.g. ``Scenario.exchanges``); quantities of different units are never added.
    """
    rows = exchanges[(exchanges["unit"] == unit) & (exchanges["quantity"] > 0)]
    names = list(dict.fromkeys([*rows["from_name"], *rows["to_name"]]))
    position = {name: index for index, name in enumerate(names)}
    colours = family_colours()
    unit_text = unit_label(unit, lang)
    hover = [
        f"{resource_label(code, lang)}{colon(lang)}{format_amount(q, lang)} {unit_text}"
        for code, q in zip(rows["resource"], rows["quantity"], strict=True)
    ]
    figure = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={
                "label": names,
                "color": NODE_COLOUR,
                "pad": 24,
                "thickness": 22,
                "line": {"width": 0},
            },
            link={
                "source": [position[name] for name in rows["from_name"]],
                "target": [position[name] for name in rows["to_name"]],
                "value": rows["quantity"].tolist(),
                "color": [_transparent(colours.get(f, NODE_COLOUR)) for f in rows["family"]],
                "customdata": hover,
                "hovertemplate": _LINK_HOVER,
            },
            textfont={"size": BASE_FONT - 2},
        )
    )
    title = t("indicators.chart_sankey", lang, unit=unit_text)
    return _layout(figure, title, lang, height=max(520, 44 * len(names)))


def _transparent(colour: str, alpha: float = 0.55) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def growth_figure(growth: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> go.Figure:
    """Return the number of synergies running each year, stacked by family.

    ``growth`` is `eit_geo.indicators.network_growth` output.
    """
    colours = family_colours()
    figure = go.Figure()
    for family, rows in growth.groupby("family", sort=True):
        # one more year, so that the step of the last year shows
        years = [*rows["year"], int(rows["year"].max()) + 1]
        figure.add_trace(
            go.Scatter(
                x=years,
                y=[*rows["total"], int(rows["total"].iloc[-1])],
                name=t(f"families.{family}", lang),
                mode="lines",
                line={"shape": "hv", "width": 3, "color": colours.get(str(family), NODE_COLOUR)},
                stackgroup="synergies",
                hovertemplate="%{x} : %{y}<extra>%{fullData.name}</extra>",
            )
        )
    start = int(growth["year"].min()) if len(growth) else ""
    figure.update_xaxes(title=t("indicators.axis_year", lang), dtick=5, tickformat="d")
    top = int(growth.groupby("year")["total"].sum().max()) if len(growth) else 0
    figure.update_yaxes(
        title=t("indicators.axis_synergies", lang),
        rangemode="tozero",
        tickformat=",d",  # counts: whole numbers
        dtick=1 if top <= FEW_TICKS else None,
    )
    figure.update_layout(legend={"orientation": "h", "y": -0.18})
    return _layout(figure, t("indicators.chart_growth", lang, start=start), lang)
