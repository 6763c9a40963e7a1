"""The map's backgrounds: web tiles, a basemap file of this machine, and the neutral fallback.

``auto`` shows OpenStreetMap and falls back to a plain background (the zone's perimeter on a
neutral colour) when no tile loads. ``local`` shows the tiles of an MBTiles file laid out in
the app's static folder (`mbtiles.install_tiles`): served by the dashboard itself, no request
leaves the machine. ``none`` asks for no tile at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import folium
from branca.element import MacroElement
from folium.template import Template

from eit_geo.errors import check_choice
from eit_geo.escaping import safe_text
from eit_geo.i18n import DEFAULT_LANGUAGE, t

if TYPE_CHECKING:
    from eit_geo.mbtiles import LocalTiles

__all__ = ["BASEMAPS", "LOCAL", "TILES", "TILE_TIMEOUT_MS", "add_basemaps"]

BASEMAPS: tuple[str, ...] = ("auto", "osm", "light", "none")
LOCAL = "local"
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
    """Switch to the blank layer when no tile loads: tile errors or nothing after a delay.

    The note saying so goes into the legend's title line (a corner of its own without legend),
    where it covers no company.
    """

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
                var slot = map.getContainer().querySelector('.eit-legend .eit-note');
                if (slot) { slot.textContent = {{ this.note|tojson }}; return; }
                var note = L.control({position: 'bottomright'});
                note.onAdd = function () {
                    var div = L.DomUtil.create('div', 'eit-corner-note');
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


class _LocalMark(MacroElement):
    """Mark the map's container ``data-basemap="local"`` once a local tile has loaded."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.tiles.get_name() }}.on('tileload', function () {
            {{ this._parent.get_name() }}.getContainer().setAttribute('data-basemap', 'local');
        });
        {% endmacro %}
        """
    )

    def __init__(self, tiles: folium.TileLayer) -> None:
        super().__init__()
        self._name = "LocalMark"
        self.tiles = tiles


def _local_layer(local: LocalTiles, base_url: str, *, show: bool) -> folium.TileLayer:
    west, south, east, north = local.bounds
    return folium.TileLayer(
        local.url(base_url),
        attr=local.attribution_html(),
        name=safe_text(local.name),
        show=show,
        max_zoom=20,
        max_native_zoom=local.max_zoom,
        min_native_zoom=local.min_zoom,
        bounds=[[south, west], [north, east]],
    )


def add_basemaps(
    fmap: folium.Map,
    basemap: str,
    *,
    local: LocalTiles | None = None,
    web: bool = True,
    base_url: str,
    lang: str = DEFAULT_LANGUAGE,
) -> None:
    """Add the background layers to ``fmap``: web tiles, the local file's, the blank one.

    Parameters
    ----------
    fmap
        The map.
    basemap
        One of `BASEMAPS`, or `LOCAL` when ``local`` is given: the layer shown first.
    local
        A basemap file laid out in the static folder (`mbtiles.install_tiles`), or None.
    web
        False leaves every tile out, the local file's too, not even as choices (no tile
        address in the page): the neutral background only.
    base_url
        Where the static folder is served (`offline.static_url`).
    lang
        Language of the layer names and of the offline note.

    Raises
    ------
    ValueError
        If ``basemap`` is not one of those choices.
    """
    choices = (*BASEMAPS, LOCAL) if local is not None else BASEMAPS
    check_choice("basemap", basemap, choices)
    if not web:
        _BlankLayer(t("map.basemap_none", lang), show=True).add_to(fmap)
        return
    if local is not None:
        layer = _local_layer(local, base_url, show=basemap == LOCAL)
        layer.add_to(fmap)
        _LocalMark(layer).add_to(fmap)
    first = "osm" if basemap == "auto" else basemap
    tiles = [
        folium.TileLayer(
            url,
            attr=attribution,
            name=t(f"map.basemap_{key}", lang),
            show=key == first,
            max_zoom=19,
        )
        for key, (url, attribution) in TILES.items()
    ]
    for tile in tiles:
        tile.add_to(fmap)
    blank = _BlankLayer(t("map.basemap_none", lang), show=basemap == "none")
    blank.add_to(fmap)
    if basemap not in ("none", LOCAL):
        _TileFallback(blank, tiles, t("map.offline_note", lang)).add_to(fmap)
