"""What sits on the map besides its layers: the folding legend, company labels, the map's styles.

Each control is a folium element whose script runs in the map's page. Texts reach them
escaped (`legend_html` escapes its labels with `escaping.safe_text`; company labels travel
escaped in the features).
The legend lies along the bottom edge in one or two lines, folds to one line, and carries the
basemap's note (« fond de carte indisponible ») so that nothing covers the companies; the map
is fitted to the zone above it. Companies get a short label once few enough are in view,
largest first, each placed beside its circle where it covers no other label or circle.
"""

from __future__ import annotations

from branca.element import MacroElement
from folium.template import Template

from eit_geo.datafiles import read_table
from eit_geo.escaping import safe_text
from eit_geo.filters import sector_colours
from eit_geo.i18n import DEFAULT_LANGUAGE, t

__all__ = [
    "BACKGROUND_COLOUR",
    "LABEL_LIMIT",
    "MAP_CSS",
    "OUTLINE_COLOUR",
    "PERIMETER_COLOUR",
    "CompanyLabels",
    "Legend",
    "family_colours",
    "legend_html",
    "safe_text",
]

PERIMETER_COLOUR = "#4D4D4D"
OUTLINE_COLOUR = "#1A1A1A"
BACKGROUND_COLOUR = "#EEF0EC"
LABEL_LIMIT = 40  # companies in view at most for their labels to show
LABEL_FONT_PX = 16  # read from 3 m on a projected 1920×1080 screen
LABEL_LINE_PX = 22

# The map fills its frame (st_folium sets a height in pixels on creation: the page's style
# sizes the frame, the map follows it). Text sizes are for a projector seen from 3 m.
MAP_CSS = f"""
html, body {{ height: 100%; margin: 0; }}
#map_div {{ height: 100vh !important; width: 100% !important; }}
.leaflet-container {{ background: {BACKGROUND_COLOUR}; font-size: 15px; }}
.eit-tip {{ font-size: 16px; }}
.eit-legend {{ background: rgba(255,255,255,0.94); padding: 4px 10px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.35); font: 14px/1.35 sans-serif; color: #1a1a1a;
  max-width: calc(100vw - 90px); }}
.eit-legend summary {{ font-weight: bold; cursor: pointer; }}
.eit-legend .eit-note {{ font-weight: bold; color: #8a4b00; margin-left: 10px; }}
.eit-legend .eit-note:empty {{ display: none; }}
.eit-legend .eit-cols {{ display: flex; flex-wrap: wrap; gap: 1px 13px; align-items: center; }}
.eit-legend .eit-head {{ font-weight: bold; }}
.eit-legend .eit-hint {{ color: #444; }}
.eit-legend .eit-row {{ display: flex; align-items: center; gap: 5px; white-space: nowrap; }}
.eit-legend svg {{ flex: none; }}
.eit-corner-note {{ background: rgba(255,255,255,0.94); padding: 3px 8px; border-radius: 4px;
  font: bold 13px sans-serif; }}
.eit-label {{ font: bold {LABEL_FONT_PX}px/{LABEL_LINE_PX}px sans-serif; color: #111;
  white-space: nowrap; text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff;
  pointer-events: none; }}
.eit-far {{ pointer-events: auto; }}
.eit-far-text {{ position: absolute; white-space: nowrap; font: bold 15px/1.25 sans-serif;
  background: rgba(255,255,255,0.92); border: 2px solid #555; border-radius: 4px;
  padding: 2px 7px; color: #111; cursor: pointer; }}
.eit-far-text.eit-side-e {{ transform: translate(calc(-100% - 20px), -50%); }}
.eit-far-text.eit-side-w {{ transform: translate(20px, -50%); }}
.eit-far-text.eit-side-n {{ transform: translate(-50%, 20px); }}
.eit-far-text.eit-side-s {{ transform: translate(-50%, calc(-100% - 20px)); }}
.leaflet-control-layers {{ font-size: 15px; }}
"""


def _swatch_circle(colour: str) -> str:
    return (
        '<svg width="16" height="16"><circle cx="8" cy="8" r="6" fill="'
        f'{safe_text(colour)}" stroke="{OUTLINE_COLOUR}" stroke-width="1.2"/></svg>'
    )


def _swatch_line(colour: str, *, dash: str | None = None, arrow: bool = False) -> str:
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    head = f'<path d="M20,3 L30,8 L20,13 Z" fill="{safe_text(colour)}"/>' if arrow else ""
    return (
        f'<svg width="32" height="16"><line x1="2" y1="8" x2="{22 if arrow else 30}" y2="8" '
        f'stroke="{safe_text(colour)}" stroke-width="4"{dashed}/>{head}</svg>'
    )


def _swatch_area(colour: str, *, dash: str, fill: float) -> str:
    return (
        f'<svg width="32" height="16"><rect x="2" y="2" width="28" height="12" '
        f'fill="{safe_text(colour)}" fill-opacity="{fill}" stroke="{safe_text(colour)}" '
        f'stroke-width="2" stroke-dasharray="{dash}"/></svg>'
    )


def _row(swatch: str, label: str) -> str:
    return f'<div class="eit-row">{swatch}<span>{safe_text(label)}</span></div>'


def family_colours() -> dict[str, str]:
    """Return ``{family: colour}`` (``data/families.csv``, Okabe-Ito colour-blind-safe)."""
    table = read_table("families.csv")
    return dict(zip(table["family"], table["colour"], strict=True))


def legend_html(
    sectors: list[str], families: dict[str, str] | None = None, *, lang: str = DEFAULT_LANGUAGE
) -> str:
    """Return the legend: sector colours present, family colours, line and area styles.

    Parameters
    ----------
    sectors
        Sector groups to list (those of the zone), in any order; shown in the legend's order.
    families
        ``{family: colour}`` of the links (`family_colours` by default).
    lang
        Language of the labels.
    """
    grey = PERIMETER_COLOUR

    def head(key: str) -> str:
        return (
            f'<div class="eit-row"><span class="eit-head">{safe_text(t(f"map.{key}", lang))}'
            f'</span><span class="eit-hint">({safe_text(t(f"map.{key}_hint", lang))})</span>'
            "</div>"
        )

    companies = [head("legend_companies")] + [
        _row(_swatch_circle(colour), t(f"sectors.{group}", lang))
        for group, colour in sector_colours().items()
        if group in sectors
    ]
    links = [head("legend_links")] + [
        _row(_swatch_line(colour), t(f"families.{family}", lang))
        for family, colour in (families or family_colours()).items()
    ]
    styles = [
        _row(_swatch_line(grey, arrow=True), t("map.legend_existing", lang)),
        _row(_swatch_line(grey, dash="6 4", arrow=True), t("map.legend_candidate", lang)),
        _row(_swatch_area(grey, dash="2 3", fill=0.15), t("map.legend_group", lang)),
        _row(_swatch_area(grey, dash="none", fill=0.0), t("map.legend_perimeter", lang)),
    ]
    return (
        f"<details open><summary>{safe_text(t('map.legend', lang))}"
        '<span class="eit-note"></span></summary>'
        f'<div class="eit-cols">{"".join(companies + links + styles)}</div></details>'
    )


class Legend(MacroElement):
    """The legend along the map's bottom edge; it also fits the map to the zone above it."""

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
            var box = legend.getContainer(), moved = false;
            function fit() {
                // folded to its title line when it would take more than a fifth of the map
                var details = box.querySelector('details');
                if (details && !details.dataset.touched) {
                    details.open = true;
                    details.open = box.offsetHeight <= 0.2 * map.getSize().y;
                }
                map.fitBounds({{ this.bounds|tojson }}, {paddingTopLeft: [24, 24],
                    paddingBottomRight: [24, box.offsetHeight + 24], animate: false});
            }
            box.querySelector('summary').addEventListener('click', function () {
                box.querySelector('details').dataset.touched = '1';
            });
            // the facilitator moved the map (drag, wheel, double click, zoom buttons, keys):
            // later resizes keep their view; a click on a company does not count
            function byHand() { moved = true; }
            map.on('dragstart boxzoomstart', byHand);
            ['wheel', 'dblclick', 'keydown', 'touchmove'].forEach(function (name) {
                map.getContainer().addEventListener(name, byHand, {passive: true});
            });
            var zoom = map.getContainer().querySelector('.leaflet-control-zoom');
            if (zoom) { zoom.addEventListener('click', byHand); }
            fit();
            // the frame was resized (details opened beside it, full screen): fit again,
            // unless the facilitator has moved the map since
            map.on('resize', function () { if (!moved) { fit(); } });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, legend: str, bounds: list[list[float]]) -> None:
        super().__init__()
        self._name = "Legend"
        self.html, self.css, self.bounds = legend, MAP_CSS, bounds


class CompanyLabels(MacroElement):
    """Short company names beside their circles when at most `LABEL_LIMIT` are in view.

    Redrawn after each move, zoom or change of layers; largest companies first, a label is
    left out where it would cover another label or circle.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var labels = L.layerGroup().addTo(map), pending = null;
            function overlaps(a, b) {
                return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
            }
            function draw() {
                pending = null;
                labels.clearLayers();
                var view = map.getBounds(), size = map.getSize(), items = [];
                map.eachLayer(function (layer) {
                    var p = layer.feature && layer.feature.properties;
                    if (p && p.kind === 'company' && p.label && layer.getLatLng
                            && view.contains(layer.getLatLng())) { items.push(layer); }
                });
                map.getContainer().setAttribute('data-labels', 0);
                if (!items.length || items.length > {{ this.limit }}) { return; }
                items.sort(function (a, b) { return b.options.radius - a.options.radius; });
                var taken = items.map(function (layer) {
                    var c = map.latLngToContainerPoint(layer.getLatLng()), r = layer.options.radius;
                    return {x: c.x - r, y: c.y - r, w: 2 * r, h: 2 * r, layer: layer};
                });
                var frame = map.getContainer().getBoundingClientRect();
                map.getContainer().querySelectorAll('.eit-far-text').forEach(function (e) {
                    var r = e.getBoundingClientRect();
                    taken.push({x: r.left - frame.left, y: r.top - frame.top,
                                w: r.width, h: r.height, layer: null});
                });
                var shown = 0, ruler = document.createElement('canvas').getContext('2d');
                var reader = document.createElement('span');
                ruler.font = 'bold {{ this.font }}px sans-serif';
                items.forEach(function (layer) {
                    var p = layer.feature.properties, r = layer.options.radius;
                    var c = map.latLngToContainerPoint(layer.getLatLng());
                    reader.innerHTML = p.label;  // escaped in Python: read back as text
                    var w = ruler.measureText(reader.textContent).width + 8, h = {{ this.line }};
                    var spots = [[c.x + r + 4, c.y - h / 2], [c.x - r - 4 - w, c.y - h / 2],
                                 [c.x - w / 2, c.y - r - h], [c.x - w / 2, c.y + r]];
                    for (var i = 0; i < spots.length; i++) {
                        var box = {x: spots[i][0], y: spots[i][1], w: w, h: h};
                        if (box.x < 0 || box.y < 0 || box.x + w > size.x || box.y + h > size.y) {
                            continue;
                        }
                        var hit = function (o) { return o.layer !== layer && overlaps(box, o); };
                        if (taken.some(hit)) { continue; }
                        taken.push(box);
                        labels.addLayer(L.marker(layer.getLatLng(), {
                            interactive: false, keyboard: false, pane: 'markerPane',
                            icon: L.divIcon({className: 'eit-label', html: p.label,
                                iconSize: [w, h], iconAnchor: [c.x - box.x, c.y - box.y]})
                        }));
                        shown += 1;
                        break;
                    }
                });
                map.getContainer().setAttribute('data-labels', shown);
            }
            function later() { if (!pending) { pending = setTimeout(draw, 80); } }
            map.on('zoomend moveend resize', later);
            map.on('layeradd layerremove', function (e) {
                if (e.layer.feature || e.layer instanceof L.GeoJSON) { later(); }
            });
            later();
        })();
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "CompanyLabels"
        self.limit, self.font, self.line = LABEL_LIMIT, LABEL_FONT_PX, LABEL_LINE_PX
