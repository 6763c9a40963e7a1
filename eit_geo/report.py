"""Exports for people: the report for elected officials (one offline HTML file, PDF) and tables.

The HTML report holds everything inline — styles, the map (Leaflet inlined from
``xstatic-leaflet``, plus a vector map for print), plotly.js once, the figures — so it opens
from a USB stick in a room without internet. Every text that comes from users or data files is
escaped with ``html.escape``.
"""

from __future__ import annotations

import base64
import html
import io
import re
import shutil
import subprocess
import tempfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from eit_geo.anonymise import anonymise_candidates, anonymise_zone, pseudonyms
from eit_geo.charts import family_figure
from eit_geo.codes import FAMILIES, resource_label
from eit_geo.datafiles import data_path, read_table
from eit_geo.export import neutralise_formulas
from eit_geo.formatting import (
    MISSING,
    factor_unit,
    format_count,
    format_date,
    format_datetime,
    format_decimal,
    format_exact,
    format_headline,
    format_quantity,
    is_missing,
    source_text,
    unit_label,
)
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.indicators import by_family, existing_scenario, factor_table, kpi_cards, read_factors
from eit_geo.maps import build_map
from eit_geo.offline import leaflet_dir
from eit_geo.plan import plan_table
from eit_geo.settings import CHROMIUM_ENV, chromium_setting
from eit_geo.store import CHECKS
from eit_geo.timeline import network_timeline, timeline_figure
from eit_geo.validation import parse_numbers
from eit_geo.workshop import SELECTED, selected_scenario

if TYPE_CHECKING:
    import folium
    import numpy as np
    import plotly.graph_objects as go

    from eit_geo.zone import Zone

__all__ = [
    "CHROMIUM_ENV",
    "Kpi",
    "build_report",
    "decisions_table",
    "factor_sources",
    "find_chromium",
    "inline_map_html",
    "report_pdf",
    "svg_map",
    "table_csv",
    "table_xlsx",
    "workshop_kpis",
    "workshop_report",
]

_STATUS_COLOURS = {
    "to_study": "#999999",
    "retained": "#E69F00",
    "rejected": "#CC3311",
    "in_place": "#009E73",
}


@dataclass(frozen=True)
class Kpi:
    """One headline figure of a report or of the presentation mode.

    Attributes
    ----------
    label : what it measures, in the reader's language
    value : the figure, already formatted (« 12 400 »)
    detail : a short note (scenario, comparison or source), may be empty
    unit : the figure's unit (« t/an »), may be empty
    key : what it is (``in_place``, ``retained`` or an indicator of ``indicators.INDICATORS``)
    gain : what the retained leads add to the existing exchanges, signed and short for a
        screen (« +200 », « +1 M »), empty when they change nothing
    headline : the figure short for a screen (« ≈ 2,7 M »), ``value`` when it has none
    """

    label: str
    value: str
    detail: str = ""
    unit: str = ""
    key: str = ""
    gain: str = ""
    headline: str = ""


# --------------------------------------------------------------------------- tables


def decisions_table(board: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> pd.DataFrame:
    """Return the board as a readable table: one row per candidate, translated headers and values.

    Columns: supplier, receiver, resource, quantity, unit, distance, score, workshop status, the
    three checks with their notes, comment, votes, points, last change by and on, candidate id.
    """
    rows = pd.DataFrame(
        {
            t("app.col_from", lang): board["from_name"],
            t("app.col_to", lang): board["to_name"],
            t("app.col_resource", lang): board["resource"].map(lambda c: resource_label(c, lang)),
            t("app.col_quantity", lang): board["quantity"],
            t("app.col_unit", lang): board["unit"].map(lambda u: unit_label(str(u), lang)),
            t("workshop.col_distance", lang): board["distance_km"].round(1),
            t("workshop.col_score", lang): board["score"].round(2),
            t("workshop.col_status", lang): board["decision"].map(
                lambda s: t(f"workshop.status_{s}", lang)
            ),
        }
    )
    for check in CHECKS:
        rows[t(f"workshop.check_{check}", lang)] = board[check].map(
            lambda s: t(f"workshop.check_{s}", lang)
        )
        rows[t(f"workshop.col_{check}_note", lang)] = board[f"{check}_note"]
    rows[t("workshop.col_comment", lang)] = board["comment"]
    rows[t("workshop.col_votes", lang)] = board["votes"]
    rows[t("workshop.col_points", lang)] = board["points"]
    rows[t("workshop.col_participant", lang)] = board["participant"]
    rows[t("workshop.col_updated", lang)] = board["updated_at"].map(lambda m: _date_text(m, lang))
    rows[t("workshop.col_candidate", lang)] = board["candidate_id"]
    return rows.reset_index(drop=True)


def _date_text(moment: object, lang: str = DEFAULT_LANGUAGE) -> str:
    return "" if is_missing(moment) else format_datetime(moment, lang)


def _safe_cells(table: pd.DataFrame) -> pd.DataFrame:
    """Neutralise text cells a spreadsheet would run as a formula (`export.neutralise_formulas`)."""
    return neutralise_formulas(table)


def table_csv(table: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> bytes:
    """Return a table as CSV for the reader's spreadsheet, UTF-8 with BOM.

    French: ``;`` between cells and a decimal comma; English: ``,`` and a decimal point.
    """
    sep, decimal = (";", ",") if lang == "fr" else (",", ".")
    text = _safe_cells(table).to_csv(index=False, sep=sep, decimal=decimal)
    return text.encode("utf-8-sig")


def table_xlsx(table: pd.DataFrame, *, sheet: str = "decisions") -> bytes:
    """Return a table as an Excel workbook: frozen header, filters, readable column widths."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        _safe_cells(table).to_excel(writer, index=False, sheet_name=sheet[:31])
        worksheet = writer.sheets[sheet[:31]]
        worksheet.freeze_panes = "A2"
        worksheet.auto_filter.ref = worksheet.dimensions
        for index, column in enumerate(table.columns, start=1):
            longest = max([len(str(column)), *(len(str(v)) for v in table[column].head(200))])
            letter = worksheet.cell(row=1, column=index).column_letter
            worksheet.column_dimensions[letter].width = min(60, max(8, longest + 2))
    return buffer.getvalue()


def factor_sources(
    lang: str = DEFAULT_LANGUAGE, keys: Collection[str] | None = None
) -> pd.DataFrame:
    """Return the factors behind the indicators with value, unit, source, year and status.

    Parameters
    ----------
    lang
        Language of the descriptions and headers.
    keys
        Keep only these factor keys (those an indicator used); None keeps all of ``factors.csv``.
    """
    factors = read_table("factors.csv")
    if keys is not None:
        factors = factors[factors["key"].isin(list(keys))]
    estimate = factors["status"].ne("sourced").to_numpy()
    values = [
        f"≈ {format_exact(v, lang)}" if rough and not is_missing(v) else format_exact(v, lang)
        for v, rough in zip(parse_numbers(factors["value"]), estimate, strict=True)
    ]
    return pd.DataFrame(
        {
            t("workshop.col_factor", lang): factors[f"description_{lang}"],
            t("workshop.col_value", lang): values,
            t("app.col_unit", lang): factors["unit"].map(lambda u: factor_unit(str(u), lang)),
            t("workshop.col_source", lang): factors["source"].map(source_text),
            t("workshop.col_year", lang): factors["year"],
            t("workshop.col_factor_status", lang): factors["status"].map(
                lambda s: t(f"workshop.factor_{s}", lang)
            ),
        }
    ).reset_index(drop=True)


# --------------------------------------------------------------------------- maps


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


def svg_map(
    zone: Zone,
    board: pd.DataFrame,
    *,
    width: int = 960,
    height: int = 600,
    lang: str = DEFAULT_LANGUAGE,
) -> str:
    """Draw the zone as a static SVG: perimeter, companies, synergies coloured by workshop status.

    Retained and in-place synergies are drawn thick, others thin; the view fits the perimeter
    (or the companies), so a far-away partner's line simply leaves the frame. Prints sharp.
    """
    crs = zone.metric_crs()
    points = zone.companies.to_crs(crs)
    shapes = zone.perimeter.to_crs(crs) if zone.perimeter is not None else None
    frame = shapes.total_bounds if shapes is not None and not shapes.empty else points.total_bounds
    xmin, ymin, xmax, ymax = _padded(frame)
    scale = min(width / (xmax - xmin), height / (ymax - ymin))

    def xy(x: float, y: float) -> str:
        return f"{(x - xmin) * scale:.1f},{height - (y - ymin) * scale:.1f}"

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="svg-map" role="img" aria-label="{html.escape(t("workshop.report_map", lang))}">',
        f'<rect width="{width}" height="{height}" fill="#f4f6f4"/>',
    ]
    if shapes is not None:
        for geometry in shapes.geometry.explode(index_parts=False):
            if geometry.geom_type == "Polygon":
                ring = " ".join(xy(x, y) for x, y in geometry.exterior.coords)
                parts.append(
                    f'<polygon points="{ring}" fill="#e3ebe3" stroke="#7a9a7a" stroke-width="1.5"/>'
                )
    lines = board[board.geometry.notna()].to_crs(crs) if len(board) else board
    order = lines.assign(_top=lines["decision"].isin(SELECTED)).sort_values("_top", kind="stable")
    for row in order.itertuples(index=False):
        coords = " ".join(xy(x, y) for x, y in row.geometry.coords)
        colour = _STATUS_COLOURS.get(row.decision, "#999999")
        strong = row.decision in SELECTED
        dash = "" if strong else ' stroke-dasharray="6 4"'
        title = html.escape(
            f"{row.from_name} → {row.to_name} : {resource_label(row.resource, lang)}"
        )
        parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{colour}" '
            f'stroke-width="{5 if strong else 1.5}" stroke-opacity="{0.9 if strong else 0.6}"'
            f"{dash}><title>{title}</title></polyline>"
        )
    for row in points.itertuples(index=False):
        x, y = xy(row.geometry.x, row.geometry.y).split(",")
        name = html.escape(str(row.name))
        label_at = f'x="{float(x) + 9:.1f}" y="{float(y) + 4:.1f}"'
        parts.append(
            f'<g><circle cx="{x}" cy="{y}" r="6" fill="#332288" stroke="white" stroke-width="2"/>'
            f'<text {label_at} class="svg-label">{name}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _padded(bounds: np.ndarray) -> tuple[float, float, float, float]:
    xmin, ymin, xmax, ymax = (float(v) for v in bounds)
    span = max(xmax - xmin, ymax - ymin, 500.0)
    pad = 0.08 * span
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    half_w = max(xmax - xmin, 500.0) / 2 + pad
    half_h = max(ymax - ymin, 500.0) / 2 + pad
    return cx - half_w, cy - half_h, cx + half_w, cy + half_h


# --------------------------------------------------------------------------- report


def build_report(
    zone: Zone,
    board: pd.DataFrame,
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
        Headline figures, shown as cards.
    figures
        Plotly figures (indicators, timeline); plotly.js is inlined once, with the first.
    map_html
        An interactive map document (`inline_map_html`); the vector `svg_map` is always there
        too and replaces it on paper.
    sources
        Table of the factors behind the figures (`factor_sources` by default).
    anonymised
        Say on the cover that companies are anonymised.
    lang
        Language of the report.
    generated
        Date printed on the report (now by default).
    zone_label
        The zone's name in the title, as the dashboard shows it (a shipped example's label);
        ``zone.name`` by default.
    plan
        The action plan (``plan.plan_board``): each retained lead's next step, carrier, due
        date and state, late steps marked. None leaves the section out.

    Returns
    -------
    str
        The HTML document; write it with ``encoding="utf-8"``.
    """
    when = generated or datetime.now(UTC)
    title = t("workshop.report_title", lang, zone=zone_label or zone.name)
    sections = [
        _cover(zone, board, title, when, anonymised=anonymised, lang=lang),
        _kpi_section(kpis, lang),
        _map_section(zone, board, map_html, lang),
        _figure_section(figures, lang),
        _retained_section(board, lang),
        _plan_section(plan, lang),
        _sources_section(factor_sources(lang) if sources is None else sources, lang),
    ]
    body = "\n".join(part for part in sections if part)
    footer = html.escape(
        t("workshop.report_footer", lang, date=format_date(when, lang, style="long"))
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{html.escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_style()}</style>\n</head>\n<body>\n"
        f"<main>\n{body}\n</main>\n<footer>{footer}</footer>\n</body>\n</html>\n"
    )


def _cover(
    zone: Zone, board: pd.DataFrame, title: str, when: datetime, *, anonymised: bool, lang: str
) -> str:
    colon = " : " if lang == "fr" else ": "  # French puts a space before the colon
    weights = board["grouped"] if "grouped" in board else pd.Series(1, index=board.index)
    counts = weights.groupby(board["decision"]).sum()
    chips = "".join(
        f'<span class="chip" style="border-color:{_STATUS_COLOURS[s]}">'
        f"{html.escape(t(f'workshop.status_{s}', lang))}{colon}"
        f"{format_count(counts.get(s, 0), lang)}</span>"
        for s in _STATUS_COLOURS
    )
    note = (
        f'<p class="notice">{html.escape(t("workshop.report_anonymised", lang))}</p>'
        if anonymised
        else ""
    )
    subtitle = t(
        "workshop.report_subtitle",
        lang,
        companies=format_count(len(zone.companies), lang),
        flows=format_count(len(zone.flows), lang),
        date=format_date(when, lang, style="long"),
    )
    return (
        f'<header><h1>{html.escape(title)}</h1><p class="subtitle">{html.escape(subtitle)}</p>'
        f'{note}<div class="chips">{chips}</div></header>'
    )


def _kpi_section(kpis: Sequence[Kpi], lang: str) -> str:
    if not kpis:
        return ""
    cards = "".join(
        f'<div class="kpi"><div class="kpi-value">{html.escape(k.value)}'
        f'<span class="kpi-unit"> {html.escape(k.unit)}</span></div>'
        f'<div class="kpi-label">{html.escape(k.label)}</div>'
        f'<div class="kpi-detail">{html.escape(k.detail)}</div></div>'
        for k in kpis
    )
    return _section(t("workshop.report_kpis", lang), f'<div class="kpis">{cards}</div>')


def _map_section(zone: Zone, board: pd.DataFrame, map_html: str | None, lang: str) -> str:
    heading = t("workshop.report_map", lang)
    legend = "".join(
        f'<span><i style="background:{colour}"></i>'
        f"{html.escape(t(f'workshop.status_{s}', lang))}</span>"
        for s, colour in _STATUS_COLOURS.items()
    )
    interactive = ""
    if map_html:
        interactive = (
            f'<iframe class="map screen-only" title="{html.escape(heading)}" '
            f'srcdoc="{html.escape(map_html)}"></iframe>'
        )
    static = f'{svg_map(zone, board, lang=lang)}<div class="legend">{legend}</div>'
    printed = f'<div class="{"print-only" if map_html else ""}">{static}</div>'
    return _section(heading, f"{interactive}{printed}")


def _figure_section(figures: Sequence[go.Figure], lang: str) -> str:
    if not figures:
        return ""
    parts = [
        figure.to_html(
            full_html=False,
            include_plotlyjs=index == 0,
            config={"displaylogo": False, "responsive": True},
            default_width="100%",
            default_height="420px",
        )
        for index, figure in enumerate(figures)
    ]
    charts = "".join(f'<div class="chart">{part}</div>' for part in parts)
    return _section(t("workshop.report_charts", lang), charts)


def _retained_section(board: pd.DataFrame, lang: str) -> str:
    chosen = board["decision"].isin(SELECTED)
    decided = board[chosen & board["version"].gt(0)].assign(
        _order=lambda b: b["decision"].map({"retained": 0, "in_place": 1})
    )
    decided = decided.sort_values(["_order", "score"], ascending=[True, False], kind="stable")
    heading = t("workshop.report_retained", lang, count=len(decided))
    if decided.empty:
        body = f"<p>{html.escape(t('workshop.report_none', lang))}</p>"
    else:
        cards = "".join(_synergy_card(row, lang) for _, row in decided.iterrows())
        body = f'<div class="synergies">{cards}</div>'
    running = board[chosen & ~board.index.isin(decided.index)]
    if running.empty:
        return _section(heading, body)
    rows = "".join(
        f"<tr><td>{html.escape(str(r['from_name']))}</td><td>{html.escape(str(r['to_name']))}</td>"
        f"<td>{html.escape(_resource_text(str(r['resource']), lang))}</td>"
        f'<td class="num">{html.escape(_quantity(r["quantity"], str(r["unit"]), lang))}</td></tr>'
        for _, r in running.iterrows()
    )
    head = "".join(
        f"<th>{html.escape(t(key, lang))}</th>"
        for key in ("app.col_from", "app.col_to", "app.col_resource", "app.col_quantity")
    )
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    running_heading = html.escape(t("workshop.report_running", lang, count=len(running)))
    return _section(heading, f"{body}<h3>{running_heading}</h3>{table}")


def _plan_section(plan: pd.DataFrame | None, lang: str) -> str:
    """Return the action plan as a table, late steps marked; empty without a plan."""
    if plan is None:
        return ""
    heading = t("followup.report_plan", lang, count=len(plan))
    if plan.empty:
        return _section(heading, f"<p>{html.escape(t('followup.report_plan_none', lang))}</p>")
    table = plan_table(plan, lang)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    rows = "".join(
        f'<tr class="{"late" if late else ""}">'
        + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in values)
        + "</tr>"
        for late, values in zip(plan["late"], table.itertuples(index=False), strict=True)
    )
    late = int(plan["late"].sum())
    note = html.escape(t("followup.report_plan_late", lang, count=late)) if late else ""
    body = f'<table class="plan"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
    return _section(heading, (f'<p class="notice">{note}</p>' if note else "") + body)


def _resource_text(code: str, lang: str) -> str:
    """Return a resource's label; a family name (grouped small synergies) reads as the family."""
    return t(f"families.{code}", lang) if code in FAMILIES else resource_label(code, lang)


def _quantity(value: object, unit: str, lang: str) -> str:
    return format_quantity(value, unit, lang)


def _synergy_card(row: pd.Series, lang: str) -> str:
    status = str(row["decision"])
    checks = "".join(
        f"<tr><th>{html.escape(t(f'workshop.check_{c}', lang))}</th>"
        f'<td class="state state-{html.escape(str(row[c]))}">'
        f"{html.escape(t(f'workshop.check_{row[c]}', lang))}</td>"
        f"<td>{html.escape(str(row[f'{c}_note']))}</td></tr>"
        for c in CHECKS
    )
    quantity = _quantity(row["quantity"], str(row["unit"]), lang)
    facts = t(
        "workshop.report_synergy_facts",
        lang,
        resource=_resource_text(str(row["resource"]), lang),
        quantity=quantity,
        km=format_decimal(row["distance_km"], lang, decimals=1),
    )
    comment = str(row.get("comment", "") or "")
    who = t(
        "workshop.report_decided_by",
        lang,
        who=row["participant"] or "—",
        date=_date_text(row["updated_at"], lang) or "—",
    )
    return (
        f'<article class="synergy" style="border-left-color:{_STATUS_COLOURS.get(status, "#999")}">'
        f"<h3>{html.escape(str(row['from_name']))} → {html.escape(str(row['to_name']))}</h3>"
        f'<p><span class="badge">{html.escape(t(f"workshop.status_{status}", lang))}</span> '
        f'{html.escape(facts)}</p><table class="checks">{checks}</table>'
        + (f'<p class="comment">{html.escape(comment)}</p>' if comment else "")
        + f'<p class="who">{html.escape(who)}</p></article>'
    )


def _sources_section(sources: pd.DataFrame, lang: str) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in sources.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>"
        for row in sources.itertuples(index=False)
    )
    intro = html.escape(t("workshop.report_sources_intro", lang))
    table = f"<p>{intro}</p><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    return _section(t("workshop.report_sources", lang), table, "sources")


def _style() -> str:
    return data_path("report", "report.css").read_text(encoding="utf-8")


def _section(heading: str, content: str, css_class: str = "") -> str:
    """Return a report section; ``heading`` is plain text (escaped here), ``content`` HTML."""
    attribute = f' class="{css_class}"' if css_class else ""
    return f"<section{attribute}><h2>{html.escape(heading)}</h2>{content}</section>"


def _cell(value: object) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def workshop_kpis(zone: Zone, board: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> list[Kpi]:
    """Return the headline figures of the workshop's selected scenario.

    Synergies retained and in place first, then each indicator of the ``selected`` scenario
    with its gain over the existing exchanges (``indicators.kpi_cards``).
    """
    counts = board["decision"].value_counts()
    kpis = [
        Kpi(
            t(f"workshop.kpi_{status}", lang), format_count(counts.get(status, 0), lang), key=status
        )
        for status in ("in_place", "retained")
    ]
    existing = existing_scenario(zone)
    selected = selected_scenario(zone, board)
    for card in kpi_cards(selected, lang, baseline=existing):
        key = card.get("key", "")
        total, before = selected.totals.get(key), existing.totals.get(key)
        headline = format_headline(total, lang, estimate=bool(selected.estimated.get(key)))
        change = None if total is None or before is None else total - before
        unit = card.get("unit", "")
        delta = card.get("delta", "")
        detail = ""
        if delta == "0":
            detail = t("workshop.kpi_same", lang)
        elif delta:
            detail = t("workshop.kpi_gain", lang, delta=f"{delta} {unit}".strip())
        if card.get("note"):
            detail = f"{detail} {card['note']}".strip()
        gain = "" if change is None else format_headline(change, lang, signed=True)
        gain = "" if gain in ("0", MISSING) else gain
        kpis.append(Kpi(card["label"], card["value"], detail, unit, key, gain, headline))
    return kpis


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

    Returns
    -------
    str
        The HTML document (self-contained, opens offline).
    """
    selected = selected_scenario(zone, board)
    kpis = workshop_kpis(zone, board, lang)
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


# --------------------------------------------------------------------------- PDF


# Flags every headless Chromium run of the project needs here (root, no GPU, a closed network).
HEADLESS_ARGS: tuple[str, ...] = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
)


def find_chromium() -> str | None:
    """Return the Chromium (or Chrome) executable: ``EIT_GEO_CHROMIUM``, else the first on PATH."""
    configured = chromium_setting()
    if configured:
        return configured if Path(configured).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def report_pdf(document: str, *, timeout_s: float = 120.0) -> bytes:
    """Print an HTML report to PDF (A4) with headless Chromium.

    Parameters
    ----------
    document
        The HTML of `build_report`.
    timeout_s
        Give up after this many seconds.

    Returns
    -------
    bytes
        The PDF file.

    Raises
    ------
    RuntimeError
        If no Chromium is installed (Debian: ``apt-get install chromium``; or set
        ``EIT_GEO_CHROMIUM``) or if printing fails.
    """
    chromium = find_chromium()
    if chromium is None:
        msg = (
            "PDF export needs Chromium: install it (Debian/Ubuntu: apt-get install chromium) "
            f"or set {CHROMIUM_ENV} to a Chrome/Chromium executable; the HTML report needs nothing"
        )
        raise RuntimeError(msg)
    with tempfile.TemporaryDirectory(prefix="eit-geo-pdf-") as folder:
        source, target = Path(folder) / "report.html", Path(folder) / "report.pdf"
        source.write_text(document, encoding="utf-8")
        command = [
            chromium,
            "--headless",
            *HEADLESS_ARGS,
            "--disable-dev-shm-usage",
            f"--user-data-dir={Path(folder) / 'profile'}",
            "--no-pdf-header-footer",
            "--virtual-time-budget=15000",
            f"--print-to-pdf={target}",
            source.as_uri(),
        ]
        try:
            result = subprocess.run(command, capture_output=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired as error:
            msg = f"Chromium did not print the report within {timeout_s:.0f} s"
            raise RuntimeError(msg) from error
        if not target.is_file() or target.stat().st_size == 0:
            detail = result.stderr.decode(errors="replace")[-800:]
            msg = f"Chromium could not print the report (exit {result.returncode}): {detail}"
            raise RuntimeError(msg)
        return target.read_bytes()
