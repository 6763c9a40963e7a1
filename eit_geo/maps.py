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
showing the perimeter.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

import folium
import numpy as np
from branca.element import MacroElement
from folium.template import Template
from folium.utilities import JsCode

from eit_geo.datafiles import read_table
from eit_geo.filters import sector_colours, sector_groups
from eit_geo.formatting import format_km, format_quantity
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.offline import STATIC_URL, use_local_assets
from eit_geo.panels import group_tip, link_tip
from eit_geo.validation import WGS84

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from eit_geo.zone import Zone

__all__ = [
    "BASEMAPS",
    "DRAWN_COMPANIES",
    "DRAWN_LINKS",
    "MAP_LAYERS",
    "build_base_map",
    "build_layers",
    "build_map",
    "clicked_feature",
    "company_features",
    "family_colours",
    "feature_layers",
    "flow_scale",
    "group_features",
    "layer_features",
    "legend_html",
    "link_features",
    "safe_id",
    "safe_text",
    "unit_scale",
]

BASEMAPS: tuple[str, ...] = ("auto", "osm", "light", "none")
MAP_LAYERS: tuple[str, ...] = ("groups", "existing", "candidates", "companies")
TILES: dict[str, tuple[str, str]] = {
    "osm": (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>',
    ),
    "light": (
        "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
        '&copy; <a href="https://carto.com/attributions">CARTO</a>',
    ),
}
TILE_TIMEOUT_MS = 6000
DRAWN_LINKS = 1000
DRAWN_COMPANIES = 10_000
PERIMETER_COLOUR = "#4D4D4D"
OUTLINE_COLOUR = "#1A1A1A"
BACKGROUND_COLOUR = "#EEF0EC"
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

_CSS = f"""
.leaflet-container {{ background: {BACKGROUND_COLOUR}; font-size: 15px; }}
.eit-arrow {{ background: none; border: none; }}
.eit-tip {{ font-size: 15px; }}
.eit-legend, .eit-note {{ background: rgba(255,255,255,0.93); padding: 6px 10px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.35); font: 13px/1.3 sans-serif; color: #1a1a1a; }}
.eit-legend summary {{ font-weight: bold; cursor: pointer; }}
.eit-legend .eit-head {{ margin-top: 4px; font-weight: bold; }}
.eit-legend .eit-hint {{ font-size: 12px; color: #444; margin-bottom: 2px; }}
.eit-legend .eit-cols {{ display: flex; gap: 14px; align-items: flex-start; }}
.eit-legend .eit-row {{ display: flex; align-items: center; gap: 6px; white-space: nowrap; }}
.eit-legend svg {{ flex: none; }}
.eit-note {{ font-weight: bold; }}
.leaflet-control-layers {{ font-size: 14px; }}
"""


# --------------------------------------------------------------------------- escaping


def safe_text(text: str) -> str:
    """Escape a text from the data for the map: HTML special characters and braces."""
    return html.escape(text).replace("{", "&#123;").replace("}", "&#125;")


def safe_id(ident: str) -> str:
    """Quote an id for the map's data (no brace, no quote); `clicked_feature` unquotes it."""
    return quote(ident, safe="")


# --------------------------------------------------------------------------- scales and colours


def family_colours() -> dict[str, str]:
    """Return ``{family: colour}`` (``data/families.csv``, Okabe-Ito colour-blind-safe)."""
    table = read_table("families.csv")
    return dict(zip(table["family"], table["colour"], strict=True))


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
        A FeatureCollection; properties ``kind="company"``, ``id``, ``tip`` (escaped name) and
        ``style`` (Leaflet circle options).
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
    rows = zip(companies["id"], companies["name"], lon, lat, radii, fills, strict=True)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [float(x), float(y)]},
            "properties": {
                "kind": "company",
                "id": safe_id(str(ident)),
                "tip": safe_text(str(name)),
                "style": {
                    "radius": float(radius),
                    "fillColor": fill,
                    "color": OUTLINE_COLOUR,
                    "weight": 1.5,
                    "fillOpacity": 0.9,
                },
            },
        }
        for ident, name, x, y, radius, fill in rows
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


def link_features(
    links: pd.DataFrame,
    scale: Mapping[str, float] | None = None,
    *,
    lang: str = DEFAULT_LANGUAGE,
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
    features = []
    records = links.to_dict("records")
    for link, line, angle in zip(records, lines, angles, strict=True):
        existing = link["status"] == "existing"
        tip = safe_text(
            f"{link_tip(link, lang)} · {format_quantity(link['quantity'], link['unit'], lang)}"
            f" · {format_km(link['distance_km'], lang)}"
        )
        style = {
            "color": colours.get(str(link["family"]), OUTLINE_COLOUR),
            "weight": _width(float(link["quantity"]), scale.get(str(link["unit"]))),
            "opacity": 0.9 if existing else 0.85,
            "dashArray": None if existing else CANDIDATE_DASH,
            "lineCap": "round" if existing else "butt",
        }
        properties = {
            "kind": "link",
            "id": safe_id(str(link["candidate_id"])),
            "status": str(link["status"]),
            "tip": tip,
            "style": style,
        }
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
                "geometry": {"type": "Point", "coordinates": line[len(line) // 2]},
                "properties": {
                    **properties,
                    "arrow": float(angle),
                    "style": {
                        "radius": max(ARROW_PX, style["weight"] + 5),
                        "color": "#FFFFFF",
                        "weight": 1.2,
                        "opacity": 1,
                        "fillColor": style["color"],
                        "fillOpacity": 1,
                    },
                },
            }
        )
    return _collection(features)


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
    for _, group in groups.iterrows():
        colour = colours.get(str(group["family"]), OUTLINE_COLOUR)
        geometry = json.loads(json.dumps(group.geometry.__geo_interface__))
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
                        "fillColor": colour,
                        "fillOpacity": 0.12,
                        "weight": 2,
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
) -> dict[str, dict[str, Any]]:
    """Return the GeoJSON of each layer for what the filters keep (the cacheable part).

    Parameters
    ----------
    zone
        The zone (its flows set the sizes and widths, so that they do not move with filters).
    companies, links, groups
        What to draw: filtered companies, ``find_substitutions`` links (both statuses) and
        ``find_mutualisations`` groups.
    lang
        Language of the tooltips.

    Returns
    -------
    dict
        ``{layer: FeatureCollection}`` for the `MAP_LAYERS`, bottom to top.
    """
    scale = unit_scale(zone)
    existing = links["status"] == "existing"
    sizes = flow_scale(zone).set_axis(zone.companies.index)
    return {
        "groups": group_features(groups, lang=lang),
        "existing": link_features(links[existing], scale, lang=lang),
        "candidates": link_features(links[~existing], scale, lang=lang),
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


class _BlankLayer(folium.map.Layer):
    """A base layer drawing nothing: the neutral background, no tile, no request."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.layerGroup();
        {%- if this.show %}
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(self, name: str, *, show: bool) -> None:
        super().__init__(name=name, overlay=False, control=True, show=show)
        self._name = "BlankLayer"


class _TileFallback(MacroElement):
    """Switch to the blank layer when no tile loads: tile errors or nothing after a delay."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var blank = {{ this.blank.get_name() }};
            var tiles = [{% for tile in this.tiles %}{{ tile.get_name() }}, {% endfor %}];
            var loaded = false, done = false, errors = 0;
            function offline() {
                if (loaded || done) { return; }
                done = true;
                tiles.forEach(function (tile) {
                    if (map.hasLayer(tile)) { map.removeLayer(tile); }
                });
                if (!map.hasLayer(blank)) { map.addLayer(blank); }
                map.getContainer().setAttribute('data-basemap', 'offline');
                var note = L.control({position: 'topright'});
                note.onAdd = function () {
                    var div = L.DomUtil.create('div', 'eit-note');
                    div.textContent = {{ this.note|tojson }};
                    return div;
                };
                note.addTo(map);
            }
            tiles.forEach(function (tile) {
                tile.on('tileload', function () {
                    loaded = true;
                    map.getContainer().setAttribute('data-basemap', 'tiles');
                });
                tile.on('tileerror', function () { errors += 1; if (errors >= 2) { offline(); } });
            });
            setTimeout(offline, {{ this.timeout }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, blank: _BlankLayer, tiles: list[folium.TileLayer], note: str) -> None:
        super().__init__()
        self._name = "TileFallback"
        self.blank, self.tiles, self.note, self.timeout = blank, tiles, note, TILE_TIMEOUT_MS


class _Legend(MacroElement):
    """A legend in the map's corner, plain HTML (no icon font), collapsible.

    It also fits the map to the zone, keeping the strip under the legend free.
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>{{ this.css }}</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
            var legend = L.control({position: 'bottomleft'});
            legend.onAdd = function () {
                var div = L.DomUtil.create('div', 'eit-legend');
                div.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            var map = {{ this._parent.get_name() }};
            legend.addTo(map);
            var below = legend.getContainer().offsetHeight;
            map.fitBounds({{ this.bounds|tojson }},
                {paddingTopLeft: [20, 20], paddingBottomRight: [20, below + 20]});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, legend: str, bounds: list[list[float]]) -> None:
        super().__init__()
        self._name = "Legend"
        self.html, self.css, self.bounds = legend, _CSS, bounds


def _swatch_circle(colour: str) -> str:
    return (
        '<svg width="16" height="16"><circle cx="8" cy="8" r="6" fill="'
        f'{html.escape(colour)}" stroke="{OUTLINE_COLOUR}" stroke-width="1.2"/></svg>'
    )


def _swatch_line(colour: str, *, dash: str | None = None, arrow: bool = False) -> str:
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    head = f'<path d="M20,3 L30,8 L20,13 Z" fill="{html.escape(colour)}"/>' if arrow else ""
    return (
        f'<svg width="32" height="16"><line x1="2" y1="8" x2="{22 if arrow else 30}" y2="8" '
        f'stroke="{html.escape(colour)}" stroke-width="4"{dashed}/>{head}</svg>'
    )


def _swatch_area(colour: str, *, dash: str, fill: float) -> str:
    return (
        f'<svg width="32" height="16"><rect x="2" y="2" width="28" height="12" '
        f'fill="{html.escape(colour)}" fill-opacity="{fill}" stroke="{html.escape(colour)}" '
        f'stroke-width="2" stroke-dasharray="{dash}"/></svg>'
    )


def _row(swatch: str, label: str) -> str:
    return f'<div class="eit-row">{swatch}<span>{html.escape(label)}</span></div>'


def legend_html(sectors: list[str], *, lang: str = DEFAULT_LANGUAGE) -> str:
    """Return the legend: sector colours present, family colours, line and area styles.

    Parameters
    ----------
    sectors
        Sector groups to list (those of the zone), in any order; shown in the legend's order.
    lang
        Language of the labels.
    """
    colours = sector_colours()
    grey = PERIMETER_COLOUR

    def head(key: str) -> str:
        return (
            f'<div class="eit-head">{html.escape(t(f"map.{key}", lang))}</div>'
            f'<div class="eit-hint">{html.escape(t(f"map.{key}_hint", lang))}</div>'
        )

    companies = [head("legend_companies")] + [
        _row(_swatch_circle(colour), t(f"sectors.{group}", lang))
        for group, colour in colours.items()
        if group in sectors
    ]
    links = [head("legend_links")] + [
        _row(_swatch_line(colour), t(f"families.{family}", lang))
        for family, colour in family_colours().items()
    ]
    links += [
        _row(_swatch_line(grey, arrow=True), t("map.legend_existing", lang)),
        _row(_swatch_line(grey, dash="6 4", arrow=True), t("map.legend_candidate", lang)),
        _row(_swatch_area(grey, dash="2 3", fill=0.15), t("map.legend_group", lang)),
        _row(_swatch_area(grey, dash="none", fill=0.0), t("map.legend_perimeter", lang)),
    ]
    return (
        f"<details open><summary>{html.escape(t('map.legend', lang))}</summary>"
        f'<div class="eit-cols"><div>{"".join(companies)}</div><div>{"".join(links)}</div></div>'
        "</details>"
    )


def _zone_bounds(zone: Zone) -> list[list[float]]:
    frame = zone.perimeter if zone.perimeter is not None and len(zone.perimeter) else None
    west, south, east, north = (frame if frame is not None else zone.companies).total_bounds
    return [[float(south), float(west)], [float(north), float(east)]]


def build_base_map(
    zone: Zone,
    *,
    lang: str = DEFAULT_LANGUAGE,
    basemap: str = "auto",
    assets_url: str = STATIC_URL,
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
        (CARTO) or ``none`` (no tile requested at all).
    assets_url
        Where Leaflet's files are served (`offline.static_url`, or a ``file://`` folder).
    tiles
        False leaves the tile basemaps out altogether, not even as choices: the neutral
        background only, and no tile address in the page (anonymised views).

    Returns
    -------
    folium.Map
        Canvas-rendered, with a neutral base layer, the three basemaps as choices and the
        legend; no LayerControl (add one, or pass one to ``st_folium``).

    Raises
    ------
    ValueError
        If ``basemap`` is not one of `BASEMAPS`.
    """
    if basemap not in BASEMAPS:
        msg = f"basemap {basemap!r} is not one of {', '.join(BASEMAPS)}"
        raise ValueError(msg)
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
    first = "osm" if basemap == "auto" else basemap
    tiles = [
        folium.TileLayer(
            url,
            attr=attribution,
            name=t(f"map.basemap_{key}", lang),
            show=key == first,
            max_zoom=19,
        ).add_to(fmap)
        for key, (url, attribution) in TILES.items()
        if tiles
    ]
    blank = _BlankLayer(t("map.basemap_none", lang), show=basemap == "none" or not tiles)
    blank.add_to(fmap)
    if tiles and basemap != "none":
        _TileFallback(blank, tiles, t("map.offline_note", lang)).add_to(fmap)
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
    _Legend(legend_html(sectors, lang=lang), bounds).add_to(fmap)
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

    ``kind`` is ``company``, ``link`` or ``group``; None when nothing of ours was clicked.
    """
    if not returned:
        return None
    drawing = returned.get("last_active_drawing") or {}
    properties = drawing.get("properties") if isinstance(drawing, Mapping) else None
    if not isinstance(properties, Mapping):
        return None
    kind, ident = properties.get("kind"), properties.get("id")
    if kind in ("company", "link", "group") and isinstance(ident, str):
        return str(kind), unquote(ident)
    return None
