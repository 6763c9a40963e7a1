"""The report's vector map: the zone drawn as SVG with shapely, sharp on paper.

The perimeter keeps its holes (each polygon one path, even-odd filled); companies are circles
with their names; synergies are lines coloured as on the dashboard's map (by family, solid in
place, dashed as leads) or by workshop decision. A line to a partner outside the zone's frame
stops at the frame's edge with the partner's name and distance, rather than leaving the page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import shapely

from eit_geo.codes import resource_label
from eit_geo.errors import check_choice
from eit_geo.formatting import format_km
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.map_controls import family_colours
from eit_geo.report.templates import render
from eit_geo.workshop import SELECTED

if TYPE_CHECKING:
    from collections.abc import Callable

    import geopandas as gpd
    import pandas as pd
    from pyproj import CRS

    from eit_geo.zone import Zone

__all__ = ["COLOUR_BY", "STATUS_COLOURS", "map_legend", "svg_map", "svg_size"]

STATUS_COLOURS = {
    "to_study": "#999999",
    "retained": "#E69F00",
    "rejected": "#CC3311",
    "in_place": "#009E73",
}
COLOUR_BY: tuple[str, ...] = ("status", "family")
MIN_SPAN_M = 500.0
PAD = 0.08
LONGEST = 1000  # the longer side of the drawing, in SVG units


def _frame(zone: Zone, crs: CRS) -> tuple[float, float, float, float]:
    """Return the drawing's frame in ``crs``: the perimeter (or companies), padded, ≥ 500 m."""
    points = zone.companies.to_crs(crs)
    shapes = zone.perimeter.to_crs(crs) if zone.perimeter is not None else None
    bounds = shapes.total_bounds if shapes is not None and not shapes.empty else points.total_bounds
    xmin, ymin, xmax, ymax = (float(v) for v in bounds)
    pad = PAD * max(xmax - xmin, ymax - ymin, MIN_SPAN_M)
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    half_w = max(xmax - xmin, MIN_SPAN_M) / 2 + pad
    half_h = max(ymax - ymin, MIN_SPAN_M) / 2 + pad
    return cx - half_w, cy - half_h, cx + half_w, cy + half_h


def svg_size(zone: Zone) -> tuple[int, int]:
    """Return ``(width, height)`` of the zone's drawing: its frame's shape, the longer side 1000."""
    xmin, ymin, xmax, ymax = _frame(zone, zone.metric_crs())
    ratio = (ymax - ymin) / (xmax - xmin)
    if ratio <= 1:
        return LONGEST, max(int(LONGEST * ratio), 400)
    return max(int(LONGEST / ratio), 400), LONGEST


def _path(polygon: shapely.Polygon, xy: Callable[[float, float], str]) -> str:
    rings = [polygon.exterior, *polygon.interiors]
    return " ".join("M" + " L".join(xy(x, y) for x, y in ring.coords) + " Z" for ring in rings)


def _colour(row: pd.Series, colour_by: str, families: dict[str, str]) -> str:
    if colour_by == "family":
        return families.get(str(row["family"]), "#555555")
    return STATUS_COLOURS.get(str(row["decision"]), "#999999")


def svg_map(
    zone: Zone,
    board: gpd.GeoDataFrame,
    *,
    width: int = 960,
    height: int = 600,
    lang: str = DEFAULT_LANGUAGE,
    colour_by: str = "status",
) -> str:
    """Draw the zone as a static SVG: perimeter (holes kept), companies, synergies.

    Parameters
    ----------
    zone
        The zone (anonymised already for an anonymised report).
    board
        ``workshop.build_board`` rows to draw (all of them: filter before).
    width, height
        The drawing's size in SVG units (`svg_size` fits the zone's shape).
    lang
        Language of the labels.
    colour_by
        ``status``: by workshop decision, retained and in place thick; ``family``: as the
        dashboard's map, by family, solid for synergies in place and dashed for leads.

    Returns
    -------
    str
        The ``<svg>`` element; every text in it escaped.

    Raises
    ------
    ValueError
        If ``colour_by`` is not one of `COLOUR_BY`.
    """
    check_choice("colour_by", colour_by, COLOUR_BY)
    crs = zone.metric_crs()
    xmin, ymin, xmax, ymax = _frame(zone, crs)
    scale = min(width / (xmax - xmin), height / (ymax - ymin))
    box = shapely.box(xmin, ymin, xmax, ymax)

    def xy(x: float, y: float) -> str:
        return f"{(x - xmin) * scale:.1f},{height - (y - ymin) * scale:.1f}"

    shapes = []
    if zone.perimeter is not None:
        parts = zone.perimeter.to_crs(crs).geometry.explode(index_parts=False)
        shapes = [_path(p, xy) for p in parts if isinstance(p, shapely.Polygon)]
    drawn = board[board.geometry.notna()]
    lines = drawn.to_crs(crs) if len(drawn) else drawn
    order = lines.assign(_top=lines["decision"].isin(SELECTED)).sort_values("_top", kind="stable")
    families = family_colours()
    links, far = [], []
    for _, row in order.iterrows():
        line = row.geometry
        strong = row["decision"] in SELECTED
        dashed = row["status"] != "existing" if colour_by == "family" else not strong
        shown = shapely.clip_by_rect(line, xmin, ymin, xmax, ymax)
        if shown.is_empty or shown.geom_type != "LineString":
            continue
        start_in = box.contains(shapely.Point(line.coords[0]))
        end_in = box.contains(shapely.Point(line.coords[-1]))
        if start_in != end_in:  # a partner outside the frame: its name at the edge
            x, y = shown.coords[-1] if start_in else shown.coords[0]
            name = row["to_name"] if start_in else row["from_name"]
            edge_x, edge_y = (float(v) for v in xy(x, y).split(","))
            far.append(
                {
                    "x": min(max(edge_x, 8.0), width - 8.0),
                    "y": min(max(edge_y, 22.0), height - 8.0),
                    "anchor": "end" if edge_x > width / 2 else "start",
                    "text": t(
                        "map.far_partner", lang, name=name, km=format_km(row["distance_km"], lang)
                    ),
                }
            )
        links.append(
            {
                "points": " ".join(xy(x, y) for x, y in shown.coords),
                "colour": _colour(row, colour_by, families),
                "width": 5 if strong else 1.5,
                "opacity": 0.9 if strong else 0.6,
                "dashed": dashed,
                "title": f"{row['from_name']} → {row['to_name']} : "
                f"{resource_label(row['resource'], lang)}",
            }
        )
    points = zone.companies.to_crs(crs)
    companies = [  # every company; those outside the frame unnamed (their link is)
        dict(
            zip(
                ("x", "y"),
                (float(v) for v in xy(shapely.get_x(p), shapely.get_y(p)).split(",")),
                strict=True,
            )
        )
        | {"name": str(name) if box.contains(p) else ""}
        for p, name in zip(points.geometry, points["name"], strict=True)
    ]
    return render(
        "map.svg.j2",
        width=width,
        height=height,
        label=t("workshop.report_map", lang),
        shapes=shapes,
        links=links,
        far=far,
        companies=companies,
        radius=max(6.0, min(width, height) / 100),
    ).strip()


def map_legend(colour_by: str, lang: str = DEFAULT_LANGUAGE) -> list[dict[str, object]]:
    """Return the legend's entries of `svg_map`: ``colour``, ``label`` and ``dashed``."""
    if colour_by == "status":
        return [
            {"colour": c, "label": t(f"workshop.status_{s}", lang), "dashed": False}
            for s, c in STATUS_COLOURS.items()
        ]
    entries = [
        {"colour": c, "label": t(f"families.{f}", lang), "dashed": False}
        for f, c in family_colours().items()
    ]
    return [
        *entries,
        {"colour": "#555555", "label": t("map.legend_existing", lang), "dashed": False},
        {"colour": "#555555", "label": t("map.legend_candidate", lang), "dashed": True},
    ]
