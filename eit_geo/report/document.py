"""The report for elected officials: one self-contained HTML document, from Jinja2 templates.

Everything is inline — styles, the interactive map (Leaflet inlined from ``xstatic-leaflet``),
the vector map printed in its place, plotly.js once, the figures — so that the file opens from
a USB stick in a room without internet. The template (``data/report/report.html.j2``) escapes
every value it prints (`templates.render`). Its first page is what an elected official reads in
one minute: what the retained exchanges add, which they are, the next steps; the map fills the
second page.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from eit_geo import summary
from eit_geo.analysis import Analysis
from eit_geo.anonymise import anonymise_candidates, anonymise_zone, pseudonyms
from eit_geo.charts import family_figure
from eit_geo.codes import FAMILIES, resource_label
from eit_geo.datafiles import data_path
from eit_geo.formatting import (
    colon,
    format_count,
    format_date,
    format_decimal,
    format_quantity,
    is_missing,
)
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.indicators import by_family, factor_table, read_factors
from eit_geo.maps import build_map
from eit_geo.offline import leaflet_dir
from eit_geo.plan import plan_table
from eit_geo.report.kpis import Kpi, workshop_kpis
from eit_geo.report.svg import STATUS_COLOURS, map_legend, svg_map, svg_size
from eit_geo.report.tables import date_text, factor_sources
from eit_geo.report.templates import markup, render
from eit_geo.timeline import network_timeline, timeline_figure
from eit_geo.workshop import CHECKS, SELECTED

if TYPE_CHECKING:
    import folium
    import plotly.graph_objects as go

    from eit_geo.zone import Zone

__all__ = ["build_report", "inline_map_html", "workshop_report"]

FIRST_PAGE_EXCHANGES = 6  # retained exchanges listed on the first page, the others further on
FIRST_PAGE_STEPS = 5


def inline_map_html(fmap: folium.Map) -> str:
    """Render a folium map as one HTML document with Leaflet inlined (no CDN, no server).

    Scripts and stylesheets other than Leaflet's are dropped: the maps of eit-geo need none
    (``offline.use_local_assets``). Leaflet's images become data URIs.
    """
    fmap.default_js, fmap.default_css = (
        [("leaflet", "leaflet.js")],
        [("leaflet_css", "leaflet.css")],
    )
    page = fmap.get_root().render()
    folder = leaflet_dir()
    script = (folder / "leaflet.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    style = _inline_images((folder / "leaflet.css").read_text(encoding="utf-8"), folder)
    page = re.sub(
        r"<script[^>]*\bsrc=\"[^\"]*leaflet\.js\"[^>]*></script>",
        lambda _: f"<script>{script}</script>",
        page,
        count=1,
    )
    page = re.sub(
        r"<link[^>]*\bhref=\"[^\"]*leaflet\.css\"[^>]*/?>",
        lambda _: f"<style>{style}</style>",
        page,
        count=1,
    )
    page = re.sub(r"<script[^>]*\bsrc=\"(https?:)?//[^\"]*\"[^>]*></script>", "", page)
    return re.sub(r"<link[^>]*\bhref=\"(https?:)?//[^\"]*\"[^>]*/?>", "", page)


def _inline_images(css: str, folder: Path) -> str:
    def data_uri(match: re.Match[str]) -> str:
        path = folder / match.group(1)
        if not path.is_file():
            return "url()"
        kind = "svg+xml" if path.suffix == ".svg" else path.suffix.lstrip(".")
        encoded = base64.b64encode(path.read_bytes()).decode()
        return f"url(data:image/{kind};base64,{encoded})"

    return re.sub(r"url\((images/[^)]+)\)", data_uri, css)


def build_report(
    zone: Zone,
    board: gpd.GeoDataFrame,
    *,
    kpis: Sequence[Kpi] = (),
    figures: Sequence[go.Figure] = (),
    map_html: str | None = None,
    sources: pd.DataFrame | None = None,
    anonymised: bool = False,
    lang: str = DEFAULT_LANGUAGE,
    generated: datetime | None = None,
    zone_label: str | None = None,
    plan: pd.DataFrame | None = None,
) -> str:
    """Build the report for elected officials as one self-contained HTML document.

    Parameters
    ----------
    zone
        The zone (anonymised already when ``anonymised``).
    board
        ``workshop.build_board`` output (anonymised likewise): the retained and in-place
        synergies are listed with their three checks.
    kpis
        Headline figures (`workshop_kpis`): their gains open the first page, all are cards.
    figures
        Plotly figures (indicators, timeline); plotly.js is inlined once, with the first.
    map_html
        An interactive map document (`inline_map_html`); the vector `svg_map`, coloured as
        it, is always there too and replaces it on paper, on a page of its own.
    sources
        Table of the factors behind the figures (`factor_sources` by default).
    anonymised
        Say on the cover that companies are anonymised.
    lang
        Language of the report.
    generated
        Date printed on the report (now by default), shown in local time.
    zone_label
        The zone's name in the title, as the dashboard shows it (the title the user typed);
        `eit_geo.summary.zone_label` by default (never a folder name).
    plan
        The action plan (``plan.plan_board``): each retained lead's next step, carrier, due
        date and state, late steps marked; its first steps on the first page. None leaves
        the section out.

    Returns
    -------
    str
        The HTML document; write it with ``encoding="utf-8"``.
    """
    when = generated or datetime.now(UTC)
    title = t("workshop.report_title", lang, zone=zone_label or summary.zone_label(zone, lang))
    sources = factor_sources(lang) if sources is None else sources
    charts = [
        markup(
            figure.to_html(
                full_html=False,
                include_plotlyjs=index == 0,
                config={"displaylogo": False, "responsive": True},
                default_width="100%",
                default_height="420px",
            )
        )
        for index, figure in enumerate(figures)
    ]
    return render(
        "report.html.j2",
        lang=lang,
        title=title,
        text=lambda key, **values: t(key, lang, **values),
        style=markup(data_path("report", "report.css").read_text(encoding="utf-8")),
        cover=_cover(zone, board, when, lang),
        anonymised=anonymised,
        essentials=_essentials(board, kpis, plan, lang),
        kpis=kpis,
        map=_map(zone, board, map_html, lang),
        charts=charts,
        retained=_retained(board, lang),
        plan=_plan(plan, lang),
        sources={
            "columns": [str(c) for c in sources.columns],
            "rows": [[_cell(v) for v in row] for row in sources.itertuples(index=False)],
        },
        footer=t("workshop.report_footer", lang, date=format_date(when, lang, style="long")),
    )


def _cover(zone: Zone, board: pd.DataFrame, when: datetime, lang: str) -> dict[str, object]:
    weights = board["grouped"] if "grouped" in board else pd.Series(1, index=board.index)
    counts = weights.groupby(board["decision"]).sum()
    chips = [
        {
            "colour": colour,
            "label": t(f"workshop.status_{status}", lang),
            "count": format_count(counts.get(status, 0), lang),
        }
        for status, colour in STATUS_COLOURS.items()
    ]
    subtitle = t(
        "workshop.report_subtitle",
        lang,
        companies=format_count(len(zone.companies), lang),
        flows=format_count(len(zone.flows), lang),
        date=format_date(when, lang, style="long"),
    )
    return {"subtitle": subtitle, "chips": chips, "colon": colon(lang)}


def _exchange(row: pd.Series, lang: str) -> dict[str, str]:
    return {
        "who": f"{row['from_name']} → {row['to_name']}",
        "what": f"{_resource_text(str(row['resource']), lang)}, "
        f"{format_quantity(row['quantity'], str(row['unit']), lang)}",
    }


def _essentials(
    board: pd.DataFrame, kpis: Sequence[Kpi], plan: pd.DataFrame | None, lang: str
) -> dict[str, object]:
    """Return the first page: the gain, the retained exchanges, the next steps."""
    gains = [
        {"value": k.gain, "unit": k.unit, "label": k.label}
        for k in kpis
        if k.gain and k.key not in ("transport_co2_t", "money_saved_eur")
    ]
    retained = board[board["decision"] == "retained"].sort_values(
        "score", ascending=False, kind="stable"
    )
    steps = []
    if plan is not None and not plan.empty:
        chosen = plan.sort_values("late", ascending=False, kind="stable").head(FIRST_PAGE_STEPS)
        table = plan_table(chosen, lang)
        columns = [t(f"followup.col_{c}", lang) for c in ("lead", "step", "carrier", "due")]
        steps = [
            {"lead": r[0], "step": r[1] or "—", "carrier": r[2] or "—", "due": r[3] or "—"}
            | {"late": bool(late)}
            for r, late in zip(table[columns].itertuples(index=False), chosen["late"], strict=True)
        ]
    return {
        "gains": gains,
        "exchanges": [
            _exchange(row, lang) for _, row in retained.head(FIRST_PAGE_EXCHANGES).iterrows()
        ],
        "more": max(len(retained) - FIRST_PAGE_EXCHANGES, 0),
        "steps": steps,
    }


def _map(zone: Zone, board: gpd.GeoDataFrame, map_html: str | None, lang: str) -> dict[str, object]:
    """Return the map section: the interactive map for screens, the vector map for paper."""
    width, height = svg_size(zone)
    drawn = board[board["decision"].isin(SELECTED)]
    vector = svg_map(zone, drawn, width=width, height=height, lang=lang, colour_by="family")
    return {
        "interactive": map_html or "",
        "svg": markup(vector),
        "legend": map_legend("family", lang),
        "landscape": width > height,
    }


def _retained(board: pd.DataFrame, lang: str) -> dict[str, object]:
    chosen = board["decision"].isin(SELECTED)
    decided = board[chosen & board["version"].gt(0)].assign(
        _order=lambda b: b["decision"].map({"retained": 0, "in_place": 1})
    )
    decided = decided.sort_values(["_order", "score"], ascending=[True, False], kind="stable")
    running = board[chosen & ~board.index.isin(decided.index)]
    return {
        "count": len(decided),
        "cards": [_synergy_card(row, lang) for _, row in decided.iterrows()],
        "running": [
            [
                str(r["from_name"]),
                str(r["to_name"]),
                _resource_text(str(r["resource"]), lang),
                format_quantity(r["quantity"], str(r["unit"]), lang),
            ]
            for _, r in running.iterrows()
        ],
    }


def _synergy_card(row: pd.Series, lang: str) -> dict[str, object]:
    status = str(row["decision"])
    facts = t(
        "workshop.report_synergy_facts",
        lang,
        resource=_resource_text(str(row["resource"]), lang),
        quantity=format_quantity(row["quantity"], str(row["unit"]), lang),
        km=format_decimal(row["distance_km"], lang, decimals=1),
    )
    who = t(
        "workshop.report_decided_by",
        lang,
        who=row["participant"] or "—",
        date=date_text(row["updated_at"], lang) or "—",
    )
    checks = [
        {
            "label": t(f"workshop.check_{c}", lang),
            "state": str(row[c]),
            "state_label": t(f"workshop.check_{row[c]}", lang),
            "note": str(row[f"{c}_note"]),
        }
        for c in CHECKS
    ]
    return {
        "colour": STATUS_COLOURS.get(status, "#999"),
        "title": f"{row['from_name']} → {row['to_name']}",
        "status": t(f"workshop.status_{status}", lang),
        "facts": facts,
        "checks": checks,
        "comment": str(row.get("comment", "") or ""),
        "who": who,
    }


def _plan(plan: pd.DataFrame | None, lang: str) -> dict[str, object] | None:
    """Return the action plan as a table, late steps marked; None without a plan."""
    if plan is None:
        return None
    table = plan_table(plan, lang)
    late = int(plan["late"].sum()) if len(plan) else 0
    return {
        "heading": t("followup.report_plan", lang, count=len(plan)),
        "empty": t("followup.report_plan_none", lang) if plan.empty else "",
        "note": t("followup.report_plan_late", lang, count=late) if late else "",
        "columns": [str(c) for c in table.columns],
        "rows": [
            {"late": bool(is_late), "cells": [_cell(v) for v in values]}
            for is_late, values in zip(plan["late"], table.itertuples(index=False), strict=True)
        ],
    }


def _resource_text(code: str, lang: str) -> str:
    """Return a resource's label; a family name (grouped small synergies) reads as the family."""
    return t(f"families.{code}", lang) if code in FAMILIES else resource_label(code, lang)


def _cell(value: object) -> str:
    return "" if is_missing(value) else str(value)


def workshop_report(
    zone: Zone,
    board: gpd.GeoDataFrame,
    history: pd.DataFrame,
    *,
    anonymised: bool = False,
    lang: str = DEFAULT_LANGUAGE,
    generated: datetime | None = None,
    zone_label: str | None = None,
    plan: pd.DataFrame | None = None,
    analysis: Analysis | None = None,
) -> str:
    """Build the whole workshop report of a zone (`build_report` with every part filled in).

    Parameters
    ----------
    zone
        The zone (never the anonymised one: ``anonymised`` does it here).
    board
        ``workshop.build_board`` output.
    history
        ``store.history`` output, for the timeline.
    anonymised
        Show companies as « Entreprise A — secteur », positions blurred, free text left out.
    lang
        Language of the report.
    generated
        Date printed on the report (now by default).
    zone_label
        The zone's name in the title (`build_report`).
    plan
        The action plan (``plan.plan_board``), left out of the anonymised report (its steps
        are free text and its carriers companies).
    analysis
        The zone's analysis with this ``board`` (`Analysis.workshop`), made here when None.

    Returns
    -------
    str
        The HTML document (self-contained, opens offline).
    """
    analysis = Analysis(zone, board=board) if analysis is None else analysis
    selected = analysis.workshop
    kpis = workshop_kpis(zone, board, lang, analysis=analysis)
    shown_zone, shown_board = zone, board
    events = network_timeline(zone, board, history, lang=lang)
    if anonymised:
        shown_zone = anonymise_zone(zone, lang=lang)
        shown_board = anonymise_candidates(board, zone, lang=lang)
        aliases = pseudonyms(zone.companies, lang=lang)
        events = network_timeline(
            zone,
            board,
            history,
            names=dict(zip(aliases["id"], aliases["alias"], strict=True)),
            lang=lang,
        )
    figures = [family_figure(by_family(selected), lang), timeline_figure(events, lang=lang)]
    drawn = shown_board[shown_board.geometry.notna() & shown_board["decision"].isin(SELECTED)]
    no_groups = gpd.GeoDataFrame({"group_id": [], "family": []}, geometry=[], crs=4326)
    # the anonymised report asks no tile server for its map: tiles would tell where the zone is
    fmap = build_map(
        shown_zone, shown_zone.companies, drawn, no_groups, lang=lang, tiles=not anonymised
    )
    used = factor_table(read_factors(), selected, lang)
    sources = factor_sources(lang, keys=used.loc[used["used"] > 0, "key"])
    return build_report(
        shown_zone,
        shown_board,
        kpis=kpis,
        figures=figures,
        map_html=inline_map_html(fmap),
        sources=sources,
        anonymised=anonymised,
        lang=lang,
        generated=generated,
        zone_label=zone_label,
        plan=None if anonymised else plan,
    )
