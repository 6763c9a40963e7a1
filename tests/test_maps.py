"""Tests of eit_geo.maps: the map's layers as GeoJSON and folium objects, offline and escaped."""

from __future__ import annotations

import json
import re

import folium
import pytest
import streamlit_folium

from eit_geo.datafiles import data_path, example_path
from eit_geo.filters import MapFilter, apply_filter, sector_colours
from eit_geo.loading import load_zone
from eit_geo.maps import (
    BASEMAPS,
    CANDIDATE_DASH,
    MAP_LAYERS,
    RADIUS_PX,
    WIDTH_PX,
    build_base_map,
    build_layers,
    build_map,
    clicked_feature,
    company_features,
    family_colours,
    feature_layers,
    flow_scale,
    focus_links,
    group_features,
    layer_features,
    legend_html,
    link_features,
    safe_id,
    safe_text,
    short_name,
    short_names,
    unit_scale,
    zone_frame,
)
from eit_geo.matching import find_mutualisations, find_substitutions

OUTSIDE_URL = re.compile(r"""(?:https?:)?//[^"'\s)<>\\]+""")
ALLOWED_OUTSIDE = (
    "tile.openstreetmap.org/{z}",
    "basemaps.cartocdn.com/light_all",
    "www.openstreetmap.org/copyright",  # attribution links, never fetched
    "carto.com/attributions",
    "leafletjs.com",
)


@pytest.fixture(scope="module")
def kalundborg():
    zone = load_zone(example_path("kalundborg"))
    return zone, find_substitutions(zone), find_mutualisations(zone)


@pytest.fixture(scope="module")
def hostile():
    zone = load_zone(data_path("..", "tests", "data", "zones", "hostile"))
    return zone, find_substitutions(zone), find_mutualisations(zone)


def outside_urls(text: str) -> list[str]:
    return [
        url
        for url in OUTSIDE_URL.findall(text)
        if not any(allowed in url for allowed in ALLOWED_OUTSIDE)
    ]


def test_company_features_coloured_by_sector_sized_by_flows(kalundborg) -> None:
    zone, _, _ = kalundborg
    sizes = flow_scale(zone)
    features = company_features(zone.companies, sizes)["features"]
    assert len(features) == 12
    by_id = {f["properties"]["id"]: f["properties"] for f in features}
    assert by_id["asnaes"]["tip"] == "Asnæs (Asnæsværket, Ørsted)"
    assert by_id["asnaes"]["style"]["fillColor"] == sector_colours()["energy"]
    assert by_id["kommune"]["style"]["fillColor"] == sector_colours()["public"]
    radii = [p["style"]["radius"] for p in by_id.values()]
    assert min(radii) >= RADIUS_PX[0]
    assert max(radii) == RADIUS_PX[1]
    assert by_id["forsyning"]["style"]["radius"] > by_id["argo"]["style"]["radius"]
    point = next(f for f in features if f["properties"]["id"] == "asnaes")["geometry"]
    assert point == {"type": "Point", "coordinates": [11.0812, 55.6607]}


def test_flow_scale_between_zero_and_one(kalundborg) -> None:
    zone, _, _ = kalundborg
    sizes = flow_scale(zone)
    assert sizes.index.equals(zone.companies.index)
    assert sizes.between(0, 1).all()
    assert sizes.max() == 1.0
    assert unit_scale(zone)["m3/yr"] == 6_900_000.0


def test_link_features_style_and_direction(kalundborg) -> None:
    zone, links, _ = kalundborg
    features = link_features(links, unit_scale(zone), lang="fr")["features"]
    lines = [f for f in features if f["geometry"]["type"] == "LineString"]
    arrows = [f for f in features if f["geometry"]["type"] == "Point"]
    assert len(lines) == len(arrows) == len(links)
    colours = family_colours()
    for line, (_, link) in zip(lines, links.iterrows(), strict=True):
        style = line["properties"]["style"]
        assert line["properties"]["id"] == safe_id(link["candidate_id"])
        assert style["color"] == colours[link["family"]]
        assert style["dashArray"] == (None if link["status"] == "existing" else CANDIDATE_DASH)
        assert WIDTH_PX[0] <= style["weight"] <= WIDTH_PX[1]
        start, end = line["geometry"]["coordinates"][0], line["geometry"]["coordinates"][-1]
        assert start == pytest.approx([link["from_lon"], link["from_lat"]], abs=1e-5)
        assert end == pytest.approx([link["to_lon"], link["to_lat"]], abs=1e-5)
    gypsum_id = safe_id("asnaes>gyproc:10 01 05>gypsum")
    gypsum = next(f for f in lines if f["properties"]["id"] == gypsum_id)
    assert gypsum["properties"]["tip"] == (
        "Gypse de désulfuration des fumées : Asnæs (Asnæsværket, Ørsted) → Saint-Gobain Gyproc"
        " Kalundborg · 150\u202f000 t/an · 1,3 km"
    ) or gypsum["properties"]["tip"].endswith("· 150\u202f000 t/an · 1,3 km")


def test_links_between_same_companies_do_not_overlap(kalundborg) -> None:
    _, links, _ = kalundborg
    pair = links[(links["from_id"] == "forsyning") & (links["to_id"] == "refinery")]
    assert len(pair) >= 2
    features = link_features(pair)["features"]
    middles = [f["geometry"]["coordinates"] for f in features if f["properties"].get("arrow")]
    assert len({tuple(m) for m in middles}) == len(pair)


@pytest.mark.parametrize(
    ("end", "angle"),
    [((11.2, 55.0), 0.0), ((11.0, 55.1), -90.0), ((10.8, 55.0), 180.0), ((11.0, 54.9), 90.0)],
)
def test_arrow_points_from_supplier_to_receiver(kalundborg, end, angle) -> None:
    _, links, _ = kalundborg
    link = links.iloc[[0]].assign(from_lon=11.0, from_lat=55.0, to_lon=end[0], to_lat=end[1])
    arrow = link_features(link)["features"][1]["properties"]["arrow"]
    assert abs((arrow - angle + 180) % 360 - 180) < 0.5


def test_link_width_grows_with_quantity(kalundborg) -> None:
    zone, links, _ = kalundborg
    tonnes = links[links["unit"] == "t/yr"].sort_values("quantity")
    features = link_features(tonnes, unit_scale(zone))["features"]
    widths = [
        f["properties"]["style"]["weight"] for f in features if "arrow" not in f["properties"]
    ]
    assert widths == sorted(widths)
    assert widths[0] < widths[-1]


def test_group_features(kalundborg) -> None:
    _, _, groups = kalundborg
    features = group_features(groups, lang="en")["features"]
    assert len(features) == len(groups)
    steam_id = safe_id("input:steam:MWh/yr:novonesis")
    steam = next(f for f in features if f["properties"]["id"] == steam_id)
    assert steam["properties"]["tip"] == "Mutualisation (shared need): Steam, 3 companies"
    assert steam["geometry"]["type"] == "Polygon"


def test_layer_features_and_layers(kalundborg) -> None:
    zone, links, groups = kalundborg
    features = layer_features(zone, zone.companies, links, groups)
    assert list(features) == list(MAP_LAYERS)
    far = [f for f in features["existing"]["features"] if f["properties"]["kind"] == "far"]
    assert len(features["existing"]["features"]) == 2 * 20 + len(far)
    assert [f["properties"]["text"] for f in far] == ["Aalborg Portland · 168 km"]
    assert len(features["candidates"]["features"]) == 2 * 5
    layers = feature_layers(features, lang="en")
    assert [layer.layer_name for layer in layers] == [
        "Possible mutualisations",
        "Existing synergies",
        "Substitution leads",
        "Companies",
    ]
    assert all(isinstance(layer, folium.FeatureGroup) for layer in layers)
    assert len(build_layers(zone, zone.companies, links, groups)) == 4


def test_base_map_offline_by_default(kalundborg) -> None:
    zone, _, _ = kalundborg
    fmap = build_base_map(zone)
    assert [url for _, url in fmap.default_js] == ["/app/static/vendor/leaflet/leaflet.js"]
    assert [url for _, url in fmap.default_css] == ["/app/static/vendor/leaflet/leaflet.css"]
    html = fmap.get_root().render()
    assert outside_urls(html) == []
    assert "preferCanvas" in html or "prefer_canvas" in html
    assert "tileerror" in html  # falls back to the neutral background
    legend = json.loads(html.split("div.innerHTML = ")[1].split(";\n")[0])
    assert "Légende" in legend
    assert "périmètre de la zone" in legend
    assert "Industrie" in legend
    assert "Construction" not in legend  # only the sectors of the zone


@pytest.mark.parametrize("basemap", BASEMAPS)
def test_basemap_choice(kalundborg, basemap: str) -> None:
    zone, _, _ = kalundborg
    html = build_base_map(zone, basemap=basemap, lang="en").get_root().render()
    assert ("tileerror" in html) == (basemap != "none")
    whole = build_map(zone, zone.companies.iloc[0:0], *_empty(zone), basemap=basemap, lang="en")
    control = whole.get_root().render()
    assert '"No basemap (offline)"' in control
    assert '"OpenStreetMap"' in control


def test_map_without_tiles(kalundborg) -> None:
    zone, _, _ = kalundborg
    whole = build_map(zone, zone.companies.iloc[0:0], *_empty(zone), tiles=False, lang="en")
    html = whole.get_root().render()
    assert "tile.openstreetmap.org" not in html
    assert "cartocdn" not in html
    assert "tileerror" not in html
    assert '"No basemap (offline)"' in html


def _empty(zone):
    links = find_substitutions(zone).iloc[0:0]
    return links, find_mutualisations(zone).iloc[0:0]


def test_unknown_basemap_refused(kalundborg) -> None:
    zone, _, _ = kalundborg
    with pytest.raises(ValueError, match="basemap 'satellite' is not one of auto, osm"):
        build_base_map(zone, basemap="satellite")


def test_base_map_fits_the_perimeter(kalundborg) -> None:
    zone, _, _ = kalundborg
    html = build_base_map(zone).get_root().render()
    west, south, east, north = zone.perimeter.total_bounds
    assert f"[[{south}, {west}], [{north}, {east}]]" in html


def test_base_map_stays_the_same_when_filters_change(kalundborg) -> None:
    """The map is not reloaded by a filter: its script, hence st_folium's key, is unchanged."""
    zone, links, groups = kalundborg

    def key(choice: MapFilter) -> str:
        companies, kept, shown = apply_filter(zone.companies, links, groups, choice)
        layer_features(zone, companies, kept, shown)  # the filtered part, beside the map
        script = streamlit_folium._get_map_string(build_base_map(zone))
        return streamlit_folium.generate_js_hash(script, "carte_map")

    assert key(MapFilter()) == key(MapFilter(candidates=False, families=("water",)))


def test_whole_map_is_offline_and_escaped(hostile) -> None:
    zone, links, groups = hostile
    html = build_map(zone, zone.companies, links, groups).get_root().render()
    assert outside_urls(html) == []
    for raw in ("<img src=x", "<script>alert", "<svg onload", "<iframe", "</textarea>", "{{"):
        assert raw not in html
    tips = [
        feature["properties"]["tip"] for feature in company_features(zone.companies)["features"]
    ]
    assert "&lt;img src=x onerror=alert(1)&gt;" in tips  # shown as typed, as text
    assert "&#123;&#123;constructor.constructor(&#x27;alert(5)&#x27;)()&#125;&#125;" in tips


def test_braces_in_names_are_not_run_as_templates(kalundborg) -> None:
    """folium renders scripts twice through Jinja: ``{{ … }}`` in a name must stay text."""
    zone, links, groups = kalundborg
    companies = zone.companies.copy()
    companies.loc[0, "name"] = "{{ this.__class__.__mro__ }}"
    html = build_map(zone, companies, links, groups).get_root().render()
    assert "branca" not in html
    assert "&#123;&#123; this.__class__.__mro__ &#125;&#125;" in html.replace("\\u0026", "&")


def test_legend_escapes_and_translates() -> None:
    french = legend_html(["energy", "unknown"], lang="fr")
    english = legend_html(["energy", "unknown"], lang="en")
    assert "Secteur non renseigné" in french
    assert "Sector not given" in english
    assert "Industrie" not in french
    assert "synergie existante" in french
    assert "<script" not in french


@pytest.mark.parametrize(
    ("returned", "expected"),
    [
        (None, None),
        ({}, None),
        ({"last_active_drawing": None}, None),
        (
            {"last_active_drawing": {"properties": {"kind": "company", "id": "x1"}}},
            ("company", "x1"),
        ),
        ({"last_active_drawing": {"properties": {"kind": "link", "id": "a%3Eb"}}}, ("link", "a>b")),
        ({"last_active_drawing": {"properties": {"kind": "group", "id": "g"}}}, ("group", "g")),
        ({"last_active_drawing": {"properties": {"name": "perimeter"}}}, None),
        ({"last_active_drawing": {"properties": {"kind": "other", "id": "x"}}}, None),
        ({"last_active_drawing": {"type": "Feature"}}, None),
    ],
)
def test_clicked_feature(returned, expected) -> None:
    assert clicked_feature(returned) == expected


@pytest.mark.parametrize("ident", ["asnaes", "a>b:10 01 05>gypsum", "{{x}}", "100%", "é'\""])
def test_safe_id_round_trip(ident: str) -> None:
    quoted = safe_id(ident)
    assert not set(quoted) & set("{}'\"<>&")
    drawing = {"last_active_drawing": {"properties": {"kind": "company", "id": quoted}}}
    assert clicked_feature(drawing) == ("company", ident)


def test_safe_text() -> None:
    assert safe_text("<b>{{x}}</b> & 'y'") == (
        "&lt;b&gt;&#123;&#123;x&#125;&#125;&lt;/b&gt; &amp; &#x27;y&#x27;"
    )


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("Asnæs (Asnæsværket, Ørsted)", "Asnæs"),
        ("Novonesis (ex Novozymes) Kalundborg", "Novonesis Kalundborg"),
        ("Bioteknisk Jordrens Soilrem A/S", "Bioteknisk Jordrens…"),
        ("Établissementsdelagrandecoopérative", "Établissementsdelagrand…"),
        ("(seulement entre parenthèses)", "(seulement entre…"),
        ("Entreprise B — eau et déchets", "Entreprise B"),
    ],
)
def test_short_name(name: str, label: str) -> None:
    assert short_name(name) == label
    assert len(short_name(name)) <= 24


def test_two_companies_never_share_a_label() -> None:
    """Dunkerque's two heat networks both began « Réseau de chaleur de… » on the map."""
    zone = load_zone(example_path("dunkerque"))
    labels = [f["properties"]["label"] for f in company_features(zone.companies)["features"]]
    assert len(labels) == len(zone.companies) == len(set(labels))
    assert "Réseau de … Dunkerque" in labels
    assert "Réseau … Grande-Synthe" in labels
    assert "ArcelorMittal Dunkerque" in labels  # a label already short stays as it is
    assert all(len(label) <= 24 for label in labels)
    same = ["Asnæs (Asnæsværket, Ørsted)", "Asnæs (Asnæsværket, Ørsted)"]
    assert short_names(same) == ["Asnæs", "Asnæs"]  # one name twice: nothing to tell apart


def test_far_partner_drawn_to_the_zone_edge(kalundborg) -> None:
    """Aalborg Portland (168 km away) is a short arrow to the frame's edge, named, not a line."""
    zone, links, _ = kalundborg
    frame = zone_frame(zone)
    features = link_features(links, unit_scale(zone), frame=frame)["features"]
    far = [f for f in features if f["properties"]["kind"] == "far"]
    assert len(far) == 1
    ident = far[0]["properties"]["id"]
    line = next(
        f
        for f in features
        if f["properties"]["id"] == ident and f["geometry"]["type"] == "LineString"
    )
    west, south, east, north = frame
    for lon, lat in line["geometry"]["coordinates"]:
        assert west - 1e-4 <= lon <= east + 1e-4
        assert south - 1e-4 <= lat <= north + 1e-4
    edge = line["geometry"]["coordinates"][-1]
    assert edge[0] == pytest.approx(west, abs=1e-4) or edge[1] == pytest.approx(north, abs=1e-4)
    assert far[0]["geometry"]["coordinates"] == edge
    assert far[0]["properties"]["side"] in {"n", "w"}  # Aalborg lies north-west
    assert clicked_feature({"last_active_drawing": {"properties": far[0]["properties"]}}) == (
        "link",
        links.loc[
            links["to_id"].eq("aalborgportland") | links["from_id"].eq("aalborgportland"),
            "candidate_id",
        ].iloc[0],
    )


def test_focus_links_views(kalundborg) -> None:
    _, links, _ = kalundborg
    existing = links[links["status"] == "existing"]
    leads = links[links["status"] == "candidate"].sort_values("score", ascending=False)
    in_place, faded = focus_links(links, "in_place")
    assert set(in_place["candidate_id"]) == set(existing["candidate_id"])
    assert faded == frozenset()
    chosen = leads["candidate_id"].iloc[-1]
    retained, _ = focus_links(links, "retained", retained=[chosen, "not-a-lead"])
    assert set(retained["candidate_id"]) == {*existing["candidate_id"], chosen}
    every, faded = focus_links(links, "all", best=3)
    assert len(every) == len(links)
    assert faded == frozenset(leads["candidate_id"].iloc[3:])
    features = link_features(every, faded=faded)["features"]
    pale = [f for f in features if f["properties"].get("faded")]
    assert len(pale) == 2 * len(faded)
    assert {f["properties"]["style"]["opacity"] for f in pale} == {0.22}
    assert features[0]["properties"].get("faded")  # drawn first: under the others
    with pytest.raises(ValueError, match="view 'best' is not one of in_place, retained, all"):
        focus_links(links, "best")


def test_company_labels_are_short_and_escaped(hostile) -> None:
    zone, _, _ = hostile
    labels = [f["properties"]["label"] for f in company_features(zone.companies)["features"]]
    assert all("<" not in label and "{" not in label for label in labels)
    assert "&lt;img src=x…" in labels  # shown as typed, shortened, as text
