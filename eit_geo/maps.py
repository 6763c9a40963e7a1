"""Build the zone's map: companies, synergy links, mutualisation areas, perimeter, legend.

Functions take data and return folium objects; nothing here draws or serves anything. The map
is split for Streamlit: `build_base_map` (basemaps, perimeter, legend, fitted bounds) stays the
same while filters change, and `build_layers` returns the filtered layers as feature
groups that ``st_folium(feature_group_to_add=...)`` swaps without reloading the map.
`build_map` puts both together, for a standalone HTML file or a test.

Each layer is one GeoJSON layer drawn on a canvas (thousands of objects stay fluid); styles and
tooltips travel in the features' properties. Every text from the data (names, labels) is
escaped here (`safe_text`): HTML special characters, and braces too, because folium renders an
element's script a second time as a Jinja template (``branca.element.Element``), which would
run ``{{ … }}`` typed in a company name on the server. Ids travel URL-quoted (`safe_id`).
Scripts and stylesheets come from this machine
(`offline.use_local_assets`); without internet the basemap falls back to a neutral background
showing the perimeter, unless a basemap file of this machine is given (`basemaps`). The legend,
company labels and the map's styles are in `map_controls`.

For a projector the map stays readable when it is dense or wide: a partner far outside the
zone is not a line leaving the map but a short arrow to the zone's edge with its name and
distance (`link_features` with ``frame``), and `focus_links` keeps the links of one view
(in place, retained, all leads with the best first and the others faded).
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

import folium
import numpy as np
from folium.utilities import JsCode

from eit_geo.basemaps import BASEMAPS, LOCAL, add_basemaps
from eit_geo.errors import check_choice
from eit_geo.filters import sector_colours, sector_groups
from eit_geo.formatting import format_km, format_quantity
from eit_geo.frames import records
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.map_controls import (
    OUTLINE_COLOUR,
    PERIMETER_COLOUR,
    CompanyLabels,
    Legend,
    family_colours,
    legend_html,
    safe_text,
)
from eit_geo.offline import STATIC_URL, use_local_assets
from eit_geo.panels import group_tip, link_tip
from eit_geo.zone import WGS84

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from eit_geo.mbtiles import LocalTiles
    from eit_geo.zone import Zone

__all__ = [
    "BASEMAPS",
    "BEST_LEADS",
    "DRAWN_COMPANIES",
    "DRAWN_LINKS",
    "LOCAL",
    "MAP_LAYERS",
    "VIEWS",
    "build_base_map",
    "build_layers",
    "build_map",
    "clicked_feature",
    "company_features",
    "family_colours",
    "feature_layers",
    "flow_scale",
    "focus_links",
    "group_features",
    "layer_features",
    "legend_html",
    "link_features",
    "safe_id",
    "safe_text",
    "short_name",
    "short_names",
    "unit_scale",
    "zone_frame",
]

MAP_LAYERS: tuple[str, ...] = ("groups", "existing", "candidates", "companies")
DRAWN_LINKS = 1000
DRAWN_COMPANIES = 10_000
VIEWS: tuple[str, ...] = ("in_place", "retained", "all")
BEST_LEADS = 12  # leads drawn in colour in the « all » view; the others are faded
FADED_OPACITY = 0.22
SHORT_NAME = 24  # characters of a company's label on the map
RADIUS_PX = (6.0, 18.0)
WIDTH_PX = (2.5, 9.0)
CANDIDATE_DASH = "10 8"
GROUP_DASH = "3 6"
CURVE = 0.18
ARROW_PX = 8.0
DECIMALS = 5

# One function per layer kind, given to Leaflet through the GeoJSON options: points become
# circles (or arrow heads for links), every feature gets its tooltip. Texts are escaped in Python.
_POINT_TO_LAYER = JsCode(
    """function (feature, latlng) {
    var p = feature.properties;
    if (p.kind === 'far') {
        return L.marker(latlng, {icon: L.divIcon({className: 'eit-far', iconSize: [0, 0],
            html: '<span class="eit-far-text eit-side-' + p.side + '">' + p.text + '</span>'})});
    }
    if (p.arrow === undefined) { return L.circleMarker(latlng, p.style); }
    if (!L.EitArrow) {
        // An arrow head drawn on the map's canvas, a fixed size in pixels, pointing along
        // `angle` (degrees clockwise from east): thousands stay fluid, unlike DOM icons.
        L.EitArrow = L.CircleMarker.extend({
            _updatePath: function () {
                var ctx = this._renderer._ctx;
                if (!ctx || this._empty()) { return; }
                var c = this._point, r = this._radius, a = this.options.angle * Math.PI / 180;
                ctx.beginPath();
                ctx.moveTo(c.x + r * Math.cos(a), c.y + r * Math.sin(a));
                ctx.lineTo(c.x + r * Math.cos(a + 2.5), c.y + r * Math.sin(a + 2.5));
                ctx.lineTo(c.x - 0.3 * r * Math.cos(a), c.y - 0.3 * r * Math.sin(a));
                ctx.lineTo(c.x + r * Math.cos(a - 2.5), c.y + r * Math.sin(a - 2.5));
                ctx.closePath();
                this._renderer._fillStroke(ctx, this);
            }
        });
    }
    return new L.EitArrow(latlng, Object.assign({angle: p.arrow}, p.style));
}"""
)
_ON_EACH_FEATURE = JsCode(
    """function (feature, layer) {
    if (feature.properties.tip) {
        layer.bindTooltip(feature.properties.tip, {sticky: true, className: 'eit-tip'});
    }
}"""
)

# --------------------------------------------------------------------------- escaping


def safe_id(ident: str) -> str:
    """Quote an id for the map's data (no brace, no quote); `clicked_feature` unquotes it."""
    return quote(ident, safe="")


# --------------------------------------------------------------------------- scales and colours


def unit_scale(zone: Zone) -> dict[str, float]:
    """Return the largest flow of the zone in each unit: the reference for link widths."""
    largest = zone.flows.groupby("unit")["quantity"].max()
    return {str(unit): float(value) for unit, value in largest.items() if value > 0}


def flow_scale(zone: Zone) -> pd.Series:
    """Return each company's flow volume between 0 and 1, aligned on ``zone.companies``.

    A company's volume in a unit is the sum of its flows (in and out) divided by the largest
    such sum in the zone; its size on the map follows its largest share over the units.
    """
    totals = zone.flows.pivot_table(
        index="company_id", columns="unit", values="quantity", aggfunc="sum", fill_value=0.0
    )
    shares = (totals / totals.max().replace(0.0, np.nan)).max(axis=1).fillna(0.0)
    return zone.companies["id"].map(shares).fillna(0.0).astype(float)


def _label_base(name: str) -> str:
    base = re.sub(r"\s*[(\[][^)\]]*[)\]]", "", name).strip() or name.strip()
    return base.split(" — ")[0].strip() or base  # « Entreprise B — eau et déchets »


def short_names(names: Sequence[str], limit: int = SHORT_NAME) -> list[str]:
    """Return the companies' labels (`short_name`), told apart where two would read the same.

    « Réseau de chaleur de Dunkerque » and « Réseau de chaleur de Grande-Synthe » would both
    read « Réseau de chaleur de… »: they keep their last word instead (« Réseau de … Dunkerque »,
    « Réseau … Grande-Synthe »).
    """
    labels = [short_name(name, limit) for name in names]
    count = Counter(zip(labels, names, strict=True))
    shared = Counter(label for label, _ in count)
    return [
        _with_last_word(_label_base(name), limit) if shared[label] > 1 else label
        for label, name in zip(labels, names, strict=True)
    ]


def _with_last_word(base: str, limit: int) -> str:
    *first, last = base.split() or [base]
    kept = ""
    for word in first:
        if len(f"{kept} {word} … {last}".strip()) > limit:
            break
        kept = f"{kept} {word}".strip()
    return f"{kept} … {last}" if kept else short_name(base, limit)


def short_name(name: str, limit: int = SHORT_NAME) -> str:
    """Return a company's label: its name without the bracketed part, whole words, ≤ ``limit``.

    « Asnæs (Asnæsværket, Ørsted) » reads « Asnæs », an anonymised « Entreprise B — eau et
    déchets » « Entreprise B »; a longer name keeps its first words and ends with « … ».
    """
    base = _label_base(name)
    if len(base) <= limit:
        return base
    kept = ""
    for word in base.split():
        if len(f"{kept} {word}".strip()) > limit - 1:
            break
        kept = f"{kept} {word}".strip()
    return f"{kept or base[: limit - 1]}…"


def _width(quantity: float, reference: float | None) -> float:
    if not reference or not quantity or math.isnan(quantity):
        return WIDTH_PX[0]
    share = min(max(quantity / reference, 0.0), 1.0)
    return round(WIDTH_PX[0] + (WIDTH_PX[1] - WIDTH_PX[0]) * math.sqrt(share), 1)


# --------------------------------------------------------------------------- features


def _collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def company_features(companies: gpd.GeoDataFrame, sizes: pd.Series | None = None) -> dict[str, Any]:
    """Return the companies as GeoJSON points coloured by sector group, sized by flows.

    Parameters
    ----------
    companies
        Companies in EPSG:4326 with ``id``, ``name`` and ``sector``.
    sizes
        Flow volume between 0 and 1 aligned on ``companies`` (`flow_scale`); None: all small.

    Returns
    -------
    dict
        A FeatureCollection; properties ``kind="company"``, ``id``, ``tip`` (escaped name),
        ``label`` (escaped `short_name`) and ``style`` (Leaflet circle options).
    """
    colours = sector_colours()
    fills = [colours[group] for group in sector_groups(companies)]
    if sizes is None:
        shares = np.zeros(len(companies))
    else:
        shares = sizes.reindex(companies.index).fillna(0.0).to_numpy(dtype=float)
    low, high = RADIUS_PX
    radii = np.round(low + (high - low) * np.sqrt(np.clip(shares, 0.0, 1.0)), 1)
    lon = np.round(companies.geometry.x.to_numpy(), DECIMALS)
    lat = np.round(companies.geometry.y.to_numpy(), DECIMALS)
    names = [str(name) for name in companies["name"]]
    labels = short_names(names)
    rows = zip(companies["id"], names, labels, lon, lat, radii, fills, strict=True)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [float(x), float(y)]},
            "properties": {
                "kind": "company",
                "id": safe_id(str(ident)),
                "tip": safe_text(str(name)),
                "label": safe_text(label),
                "style": {
                    "radius": float(radius),
                    "fillColor": fill,
                    "color": OUTLINE_COLOUR,
                    "weight": 1.5,
                    "fillOpacity": 0.9,
                },
            },
        }
        for ident, name, label, x, y, radius, fill in rows
    ]
    return _collection(features)


def _mercator(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lat = np.clip(lat, -85.0, 85.0)
    return np.radians(lon), np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))


def _lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.degrees(x), np.degrees(2 * np.arctan(np.exp(y)) - np.pi / 2)


def _curves(links: pd.DataFrame, steps: int = 12) -> tuple[list[list[list[float]]], np.ndarray]:
    """Return each link as a curve bending to the right of its direction, and its mid angle.

    Links between the same two companies bend more and more, so none hides another; the
    return link bends the other way. Computed in Web Mercator so that the angles (degrees,
    clockwise from east, as CSS ``rotate``) hold at every zoom level.
    """
    x0, y0 = _mercator(links["from_lon"].to_numpy(float), links["from_lat"].to_numpy(float))
    x1, y1 = _mercator(links["to_lon"].to_numpy(float), links["to_lat"].to_numpy(float))
    rank = links.groupby([links["from_id"], links["to_id"]]).cumcount().to_numpy()
    dx, dy = x1 - x0, y1 - y0
    bend = CURVE * (1.0 + 0.7 * rank)
    cx, cy = (x0 + x1) / 2 + bend * dy, (y0 + y1) / 2 - bend * dx  # right of the direction
    s = np.linspace(0.0, 1.0, steps)[:, None]
    px = (1 - s) ** 2 * x0 + 2 * (1 - s) * s * cx + s**2 * x1
    py = (1 - s) ** 2 * y0 + 2 * (1 - s) * s * cy + s**2 * y1
    lon, lat = _lonlat(px, py)
    lines = [
        [
            [round(a, DECIMALS), round(b, DECIMALS)]
            for a, b in zip(lon[:, i], lat[:, i], strict=True)
        ]
        for i in range(len(links))
    ]
    angle = np.degrees(np.arctan2(-dy, dx))  # screen y grows downwards
    return lines, np.round(angle, 1)


def zone_frame(zone: Zone) -> tuple[float, float, float, float]:
    """Return ``(west, south, east, north)`` the map fits: the perimeter's, else the companies'."""
    frame = zone.perimeter if zone.perimeter is not None and len(zone.perimeter) else None
    west, south, east, north = (frame if frame is not None else zone.companies).total_bounds
    return float(west), float(south), float(east), float(north)


def _inside(lon: float, lat: float, frame: Sequence[float]) -> bool:
    return frame[0] <= lon <= frame[2] and frame[1] <= lat <= frame[3]


def _edge(
    inside: tuple[float, float], outside: tuple[float, float], frame: Sequence[float]
) -> tuple[list[float], str]:
    """Return where the straight line from ``inside`` to ``outside`` leaves ``frame``, and the side.

    Computed in Web Mercator, as the map draws it; the side is ``n``, ``s``, ``e`` or ``w``.
    """
    (x0, x1, west, east), (y0, y1, south, north) = _mercator(
        np.array([inside[0], outside[0], frame[0], frame[2]]),
        np.array([inside[1], outside[1], frame[1], frame[3]]),
    )
    steps = []
    if x1 > x0:
        steps.append(((east - x0) / (x1 - x0), "e"))
    if x1 < x0:
        steps.append(((west - x0) / (x1 - x0), "w"))
    if y1 > y0:
        steps.append(((north - y0) / (y1 - y0), "n"))
    if y1 < y0:
        steps.append(((south - y0) / (y1 - y0), "s"))
    share, side = min(steps)
    lon, lat = _lonlat(np.array([x0 + share * (x1 - x0)]), np.array([y0 + share * (y1 - y0)]))
    return [round(float(lon[0]), DECIMALS), round(float(lat[0]), DECIMALS)], side


def _far_line(
    link: Mapping[str, Any], frame: Sequence[float]
) -> tuple[list[list[float]], float, str, str] | None:
    """Return a link with one end outside ``frame`` as a stub to the frame's edge.

    Returns the stub's points, the flow's angle, the frame's side and the far company's name;
    None when both ends are inside (or both outside) the frame.
    """
    start = (float(link["from_lon"]), float(link["from_lat"]))
    end = (float(link["to_lon"]), float(link["to_lat"]))
    if _inside(*start, frame) == _inside(*end, frame):
        return None
    near, far, name = (
        (start, end, link["to_name"]) if _inside(*start, frame) else (end, start, link["from_name"])
    )
    edge, side = _edge(near, far, frame)
    first = [round(near[0], DECIMALS), round(near[1], DECIMALS)]
    x, y = _mercator(np.array([start[0], end[0]]), np.array([start[1], end[1]]))
    angle = round(float(np.degrees(np.arctan2(-(y[1] - y[0]), x[1] - x[0]))), 1)
    return [first, edge], angle, side, str(name)


def link_features(
    links: pd.DataFrame,
    scale: Mapping[str, float] | None = None,
    *,
    lang: str = DEFAULT_LANGUAGE,
    frame: Sequence[float] | None = None,
    faded: Collection[str] = (),
) -> dict[str, Any]:
    """Return substitution links as GeoJSON curves with an arrow head at their middle.

    Parameters
    ----------
    links
        Rows of ``matching.find_substitutions`` (``from_lon`` … ``to_lat`` give the ends).
    scale
        ``{unit: reference quantity}`` for the widths (`unit_scale`); None: all thin.
    lang
        Language of the tooltips.
    frame
        ``(west, south, east, north)`` the map fits (`zone_frame`): a link with one end outside
        is drawn to the frame's edge, the arrow there, with a ``kind="far"`` label naming the
        far company and the distance. None draws every link whole.
    faded
        ``candidate_id`` of links drawn thin and pale, below the others.

    Returns
    -------
    dict
        A FeatureCollection: per link a LineString and a Point (``arrow``: its angle), both with
        ``kind="link"``, ``id`` (``candidate_id``), ``status``, ``tip`` and ``style``. Existing
        synergies are solid, candidates dashed; colour by family.
    """
    colours = family_colours()
    scale = scale or {}
    lines, angles = _curves(links) if len(links) else ([], np.array([]))
    features: list[dict[str, Any]] = []
    pale = {str(ident) for ident in faded}
    rows = sorted(
        zip(records(links), lines, angles, strict=True),
        key=lambda row: str(row[0]["candidate_id"]) not in pale,
    )
    for link, curve, curve_angle in rows:
        existing = link["status"] == "existing"
        dim = str(link["candidate_id"]) in pale
        line, angle, arrow_at, far = curve, float(curve_angle), curve[len(curve) // 2], None
        stub = _far_line(link, frame) if frame is not None else None
        if stub is not None:
            line, angle, side, name = stub
            arrow_at = line[-1]
            text = t("map.far_partner", lang, name=name, km=format_km(link["distance_km"], lang))
            far = {"side": side, "text": safe_text(text)}
        tip = safe_text(
            f"{link_tip(link, lang)} · {format_quantity(link['quantity'], link['unit'], lang)}"
            f" · {format_km(link['distance_km'], lang)}"
        )
        weight = _width(float(link["quantity"]), scale.get(str(link["unit"])))
        style = {
            "color": colours.get(str(link["family"]), OUTLINE_COLOUR),
            "weight": WIDTH_PX[0] if dim else weight,
            "opacity": FADED_OPACITY if dim else (0.9 if existing else 0.85),
            "dashArray": None if existing else CANDIDATE_DASH,
            "lineCap": "round" if existing else "butt",
        }
        properties: dict[str, object] = {
            "kind": "link",
            "id": safe_id(str(link["candidate_id"])),
            "status": str(link["status"]),
            "tip": tip,
            "style": style,
        }
        if dim:
            properties["faded"] = True
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": line},
                "properties": properties,
            }
        )
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": arrow_at},
                "properties": {
                    **properties,
                    "arrow": angle,
                    "style": {
                        "radius": ARROW_PX - 2 if dim else max(ARROW_PX, weight + 5),
                        "color": "#FFFFFF",
                        "weight": 1.2,
                        "opacity": FADED_OPACITY if dim else 1,
                        "fillColor": style["color"],
                        "fillOpacity": FADED_OPACITY if dim else 1,
                    },
                },
            }
        )
        if far is not None:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": line[-1]},
                    "properties": {**properties, "kind": "far", **far},
                }
            )
    return _collection(features)


def focus_links(
    links: gpd.GeoDataFrame,
    view: str,
    *,
    retained: Collection[str] = (),
    best: int = BEST_LEADS,
) -> tuple[gpd.GeoDataFrame, frozenset[str]]:
    """Return the links of a view and those to fade, for a map that stays readable.

    Parameters
    ----------
    links
        ``matching.find_substitutions`` rows (both statuses), filtered already.
    view
        ``in_place``: existing synergies only; ``retained``: those and the leads in
        ``retained``; ``all``: every link, the ``best`` leads by score in colour, the others
        faded.
    retained
        ``candidate_id`` of the leads the workshop retained or put in place.
    best
        How many leads stay in colour in the ``all`` view.

    Returns
    -------
    tuple
        The links kept (same rows, index kept) and the ``candidate_id`` to fade.

    Raises
    ------
    ValueError
        If ``view`` is not one of `VIEWS`.
    """
    check_choice("view", view, VIEWS)
    existing = links["status"] == "existing"
    if view == "in_place":
        return links[existing], frozenset()
    if view == "retained":
        chosen = links["candidate_id"].astype(str).isin({str(r) for r in retained})
        return links[existing | chosen], frozenset()
    leads = links[~existing].sort_values("score", ascending=False, kind="stable")
    return links, frozenset(leads["candidate_id"].astype(str).iloc[best:])


def group_features(groups: gpd.GeoDataFrame, *, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """Return mutualisation groups as GeoJSON areas, outlined in their family's colour.

    Returns
    -------
    dict
        A FeatureCollection; properties ``kind="group"``, ``id`` (``group_id``), ``tip`` and
        ``style``.
    """
    colours = family_colours()
    features = []
    for group in records(groups):
        colour = colours.get(str(group["family"]), OUTLINE_COLOUR)
        geometry = json.loads(json.dumps(group["geometry"].__geo_interface__))
        features.append(
            {
                "type": "Feature",
                "geometry": _rounded(geometry),
                "properties": {
                    "kind": "group",
                    "id": safe_id(str(group["group_id"])),
                    "tip": safe_text(group_tip(group, lang)),
                    "style": {
                        "color": colour,
                        "opacity": 0.7,
                        "fillColor": colour,
                        "fillOpacity": 0.07,
                        "weight": 1.5,
                        "dashArray": GROUP_DASH,
                    },
                },
            }
        )
    return _collection(features)


def _rounded(geometry: dict[str, Any]) -> dict[str, Any]:
    def walk(value: object) -> object:
        if isinstance(value, float):
            return round(value, DECIMALS)
        if isinstance(value, list | tuple):
            return [walk(item) for item in value]
        return value

    return {**geometry, "coordinates": walk(geometry["coordinates"])}


# --------------------------------------------------------------------------- layers


def _geojson_layer(
    features: dict[str, Any], name: str, *, show: bool = True
) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=name, show=show)
    folium.GeoJson(
        features,
        name=name,
        control=False,
        point_to_layer=_POINT_TO_LAYER,
        on_each_feature=_ON_EACH_FEATURE,
    ).add_to(group)
    return group


def layer_features(
    zone: Zone,
    companies: gpd.GeoDataFrame,
    links: gpd.GeoDataFrame,
    groups: gpd.GeoDataFrame,
    *,
    lang: str = DEFAULT_LANGUAGE,
    faded: Collection[str] = (),
) -> dict[str, dict[str, Any]]:
    """Return the GeoJSON of each layer for what the filters keep (the cacheable part).

    Parameters
    ----------
    zone
        The zone (its flows set the sizes and widths, so that they do not move with filters;
        its frame, `zone_frame`, shortens the links to far partners).
    companies, links, groups
        What to draw: filtered companies, ``find_substitutions`` links (both statuses) and
        ``find_mutualisations`` groups.
    lang
        Language of the tooltips.
    faded
        ``candidate_id`` of links drawn pale (`focus_links`).

    Returns
    -------
    dict
        ``{layer: FeatureCollection}`` for the `MAP_LAYERS`, bottom to top.
    """
    scale = unit_scale(zone)
    existing = links["status"] == "existing"
    sizes = flow_scale(zone).set_axis(zone.companies.index)
    frame = zone_frame(zone)
    return {
        "groups": group_features(groups, lang=lang),
        "existing": link_features(links[existing], scale, lang=lang, frame=frame),
        "candidates": link_features(links[~existing], scale, lang=lang, frame=frame, faded=faded),
        "companies": company_features(companies, sizes.reindex(companies.index)),
    }


def feature_layers(
    features: Mapping[str, dict[str, Any]], *, lang: str = DEFAULT_LANGUAGE
) -> list[folium.FeatureGroup]:
    """Return one feature group per layer of `layer_features`, named in ``lang``."""
    return [
        _geojson_layer(features[layer], t(f"map.layer_{layer}", lang))
        for layer in MAP_LAYERS
        if layer in features
    ]


def build_layers(
    zone: Zone,
    companies: gpd.GeoDataFrame,
    links: gpd.GeoDataFrame,
    groups: gpd.GeoDataFrame,
    *,
    lang: str = DEFAULT_LANGUAGE,
) -> list[folium.FeatureGroup]:
    """Return the map's layers (`layer_features` in `feature_layers`), bottom to top.

    Returns
    -------
    list of folium.FeatureGroup
        Mutualisations, existing synergies, candidates, companies (`MAP_LAYERS`), each one
        GeoJSON layer.
    """
    return feature_layers(layer_features(zone, companies, links, groups, lang=lang), lang=lang)


# --------------------------------------------------------------------------- base map


def _zone_bounds(zone: Zone) -> list[list[float]]:
    west, south, east, north = zone_frame(zone)
    return [[south, west], [north, east]]


def build_base_map(
    zone: Zone,
    *,
    lang: str = DEFAULT_LANGUAGE,
    basemap: str = "auto",
    assets_url: str = STATIC_URL,
    local: LocalTiles | None = None,
    tiles: bool = True,
) -> folium.Map:
    """Return the map without its filtered layers: basemaps, perimeter, legend, bounds.

    Parameters
    ----------
    zone
        The zone: its perimeter (or its companies) sets the bounds; its sectors the legend.
    lang
        Language of the legend and layer names.
    basemap
        ``auto`` (OpenStreetMap, neutral background when tiles fail), ``osm``, ``light``
        (CARTO), ``none`` (no tile requested at all) or ``local`` (``local``'s tiles).
    assets_url
        Where Leaflet's files are served (`offline.static_url`, or a ``file://`` folder); the
        local basemap's tiles too.
    local
        A basemap file of this machine laid out in the static folder (`mbtiles.install_tiles`).
    tiles
        False leaves the tile basemaps out altogether (the local file's too), not even as
        choices: the neutral background only, and no tile address in the page (anonymised
        views).

    Returns
    -------
    folium.Map
        Canvas-rendered, with a neutral base layer, the basemaps as choices, the legend and
        the company labels; no LayerControl (add one, or pass one to ``st_folium``).

    Raises
    ------
    ValueError
        If ``basemap`` is not one of `BASEMAPS` (or ``local`` with a local basemap).
    """
    bounds = _zone_bounds(zone)
    centre = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
    fmap = folium.Map(
        location=centre,
        zoom_start=13,
        tiles=None,
        prefer_canvas=True,
        zoom_snap=0.25,
        zoom_delta=0.5,
    )
    use_local_assets(fmap, assets_url)
    add_basemaps(fmap, basemap, local=local, web=tiles, base_url=assets_url, lang=lang)
    if zone.perimeter is not None and len(zone.perimeter):
        folium.GeoJson(
            zone.perimeter[["geometry"]].to_crs(WGS84),
            name=t("map.layer_perimeter", lang),
            control=False,
            interactive=False,
            style_function=lambda _: {
                "color": PERIMETER_COLOUR,
                "weight": 2.5,
                "fillColor": "#FFFFFF",
                "fillOpacity": 0.25,
            },
        ).add_to(fmap)
    sectors = sorted(set(sector_groups(zone.companies)))
    Legend(legend_html(sectors, lang=lang), bounds).add_to(fmap)
    CompanyLabels().add_to(fmap)
    return fmap


def build_map(
    zone: Zone,
    companies: gpd.GeoDataFrame,
    links: gpd.GeoDataFrame,
    groups: gpd.GeoDataFrame,
    *,
    lang: str = DEFAULT_LANGUAGE,
    basemap: str = "auto",
    assets_url: str = STATIC_URL,
    tiles: bool = True,
) -> folium.Map:
    """Return the whole map: `build_base_map`, `build_layers` and a layer control.

    Same parameters as those two functions; for a standalone HTML file (``Map.save``) or tests.
    """
    fmap = build_base_map(zone, lang=lang, basemap=basemap, assets_url=assets_url, tiles=tiles)
    for layer in build_layers(zone, companies, links, groups, lang=lang):
        layer.add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    return fmap


def clicked_feature(returned: Mapping[str, Any] | None) -> tuple[str, str] | None:
    """Return ``(kind, id)`` of the feature a click chose, from ``st_folium``'s return value.

    ``kind`` is ``company``, ``link`` or ``group`` (a far partner's label opens its link);
    None when nothing of ours was clicked.
    """
    if not returned:
        return None
    drawing = returned.get("last_active_drawing") or {}
    properties = drawing.get("properties") if isinstance(drawing, Mapping) else None
    if not isinstance(properties, Mapping):
        return None
    kind, ident = properties.get("kind"), properties.get("id")
    kind = "link" if kind == "far" else kind
    if kind in ("company", "link", "group") and isinstance(ident, str):
        return str(kind), unquote(ident)
    return None
