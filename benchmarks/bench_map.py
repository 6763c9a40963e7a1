"""Benchmark of the map on a region: 5,000 companies and 10,000 links, in headless Chromium.

Run: ``.venv/bin/python benchmarks/bench_map.py [--companies 5000] [--links 10000]``

A synthetic region (industrial parks and scattered firms over ~70 x 70 km, 4 flows each) and
synthetic links between them (5 % existing, the rest candidates with a score) go through the
dashboard's own code: filters (`best_links`), `maps.layer_features`, `maps.build_map`. Two ways
of drawing are measured:

- ``all``: every link drawn (one GeoJSON layer per kind, canvas renderer);
- ``best``: what the Carte page draws, every existing synergy and the `maps.DRAWN_LINKS` best
  candidates, with a notice counting the others.

For each: Python time to build the GeoJSON and render the HTML, HTML size; what one rerun of
the Carte page costs in Python with the GeoJSON cached (``rerun_s``) and sends to the browser
(``rerun_mb``); the time from navigation to a map with every feature drawn in Debian's headless
Chromium (offline, Leaflet from this machine), then the time of a zoom step. Results print as a
table and go to ``benchmarks/out/bench_map.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import streamlit_folium
from playwright.sync_api import sync_playwright
from scipy.spatial import cKDTree
from shapely.geometry import box

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out" / "map"
sys.path.insert(0, str(ROOT))

from eit_geo.filters import best_links, linked_companies_first  # noqa: E402
from eit_geo.maps import (  # noqa: E402
    DRAWN_COMPANIES,
    DRAWN_LINKS,
    build_base_map,
    build_map,
    feature_layers,
    layer_features,
)
from eit_geo.offline import install_assets  # noqa: E402
from eit_geo.report import HEADLESS_ARGS  # noqa: E402
from eit_geo.zone import Zone  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [*HEADLESS_ARGS, "--allow-file-access-from-files"]
KM_PER_DEG = 111.2
FAMILIES = {
    "energy": ("steam", "MWh/yr"),
    "water": ("process_water", "m3/yr"),
    "gas": ("co2", "t/yr"),
    "material": ("10 01 05", "t/yr"),
}
FIND_MAP = """() => {
    const name = Object.keys(window).find(k => k.startsWith('map_') && window[k] instanceof L.Map);
    return name ? window[name] : null;
}"""
DRAWN = f"""(expected) => {{
    const map = ({FIND_MAP})();
    if (!map) {{ return false; }}
    let n = 0;
    map.eachLayer(layer => {{ if (layer.feature && layer.feature.properties.kind) {{ n += 1; }} }});
    return n >= expected ? performance.now() : false;
}}"""
ZOOM = f"""() => new Promise(resolve => {{
    const map = ({FIND_MAP})();
    const start = performance.now();
    map.once('zoomend', () => requestAnimationFrame(() => resolve(performance.now() - start)));
    map.zoomIn(1, {{animate: false}});
}})"""


def make_zone(n_companies: int, seed: int = 0) -> Zone:
    """Return a synthetic region: clustered companies, 4 flows each, a perimeter."""
    rng = np.random.default_rng(seed)
    side_km = 70.0
    parks = rng.uniform(0, side_km, (max(3, n_companies // 200), 2))
    in_park = rng.random(n_companies) < 0.85
    park = rng.integers(0, len(parks), n_companies)
    xy = np.where(
        in_park[:, None],
        parks[park] + rng.normal(0, 1.2, (n_companies, 2)),
        rng.uniform(0, side_km, (n_companies, 2)),
    )
    lat0, lon0 = 47.0, 2.0
    lat = lat0 + xy[:, 1] / KM_PER_DEG
    lon = lon0 + xy[:, 0] / (KM_PER_DEG * math.cos(math.radians(lat0)))
    sectors = rng.choice(
        ["35.11", "20.14", "23.51", "38.21", "10.51", "01.11", "84.11"], n_companies
    )
    companies = gpd.GeoDataFrame(
        {
            "id": [f"c{i:05d}" for i in range(n_companies)],
            "name": [f"Entreprise {i}" for i in range(n_companies)],
            "sector": sectors,
            "employees": pd.array(rng.integers(5, 500, n_companies), dtype="Int64"),
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )
    family = rng.choice(list(FAMILIES), 4 * n_companies)
    flows = pd.DataFrame(
        {
            "flow_id": np.arange(4 * n_companies),
            "company_id": np.repeat(companies["id"].to_numpy(), 4),
            "direction": rng.choice(["output", "input"], 4 * n_companies),
            "resource": [FAMILIES[f][0] for f in family],
            "family": family,
            "quantity": rng.lognormal(8, 1.5, 4 * n_companies).round(),
            "unit": [FAMILIES[f][1] for f in family],
            "label": "",
        }
    )
    west, south, east, north = companies.total_bounds
    perimeter = gpd.GeoDataFrame(
        geometry=[box(west - 0.02, south - 0.02, east + 0.02, north + 0.02)], crs="EPSG:4326"
    )
    return Zone("region", companies, flows, pd.DataFrame(), perimeter)


def make_links(zone: Zone, n_links: int, seed: int = 1) -> gpd.GeoDataFrame:
    """Return synthetic links between near companies, with the columns of find_substitutions."""
    rng = np.random.default_rng(seed)
    xy = np.column_stack([zone.companies.geometry.x, zone.companies.geometry.y])
    source = rng.integers(0, len(xy), n_links)
    _, near = cKDTree(xy).query(xy[source], k=31)  # a partner among the 30 nearest
    target = near[np.arange(n_links), rng.integers(1, 31, n_links)]
    family = rng.choice(list(FAMILIES), n_links)
    existing = rng.random(n_links) < 0.05
    ids = zone.companies["id"].to_numpy()
    names = zone.companies["name"].to_numpy()
    distance = np.hypot(*(xy[target] - xy[source]).T) * KM_PER_DEG
    table = pd.DataFrame(
        {
            "candidate_id": [f"l{i}" for i in range(n_links)],
            "kind": "substitution",
            "status": np.where(existing, "existing", "candidate"),
            "from_id": ids[source],
            "to_id": ids[target],
            "from_name": names[source],
            "to_name": names[target],
            "resource": [FAMILIES[f][0] for f in family],
            "input_resource": [FAMILIES[f][0] for f in family],
            "family": family,
            "match": "same_code",
            "conversion": "",
            "quantity": rng.lognormal(8, 1.5, n_links).round(),
            "unit": [FAMILIES[f][1] for f in family],
            "distance_km": distance,
            "max_km": 50.0,
            "score": rng.random(n_links),
            "from_lon": xy[source, 0],
            "from_lat": xy[source, 1],
            "to_lon": xy[target, 0],
            "to_lat": xy[target, 1],
        }
    )
    ends = table[["from_lon", "from_lat", "to_lon", "to_lat"]].to_numpy().reshape(-1, 2, 2)
    return gpd.GeoDataFrame(table, geometry=shapely.linestrings(ends), crs="EPSG:4326")


def build(zone: Zone, links: gpd.GeoDataFrame, name: str) -> dict[str, float]:
    """Write the standalone map and return its Python time, size and feature count."""
    start = time.perf_counter()
    empty_groups = gpd.GeoDataFrame({"group_id": [], "family": []}, geometry=[], crs="EPSG:4326")
    fmap = build_map(zone, zone.companies, links, empty_groups, assets_url=OUT.as_uri())
    html = fmap.get_root().render()
    seconds = time.perf_counter() - start
    path = OUT / f"{name}.html"
    path.write_text(html, encoding="utf-8")
    return {
        "python_s": round(seconds, 2),
        "html_mb": round(len(html.encode()) / 1e6, 2),
        "features": len(zone.companies) + 2 * len(links),
        "path": str(path),
    }


def component_args(zone: Zone, links: gpd.GeoDataFrame) -> dict[str, float]:
    """Time what each rerun of the Carte page does in Python: the base map's script and the
    layers' script for ``st_folium`` (the GeoJSON itself comes from Streamlit's cache)."""
    empty_groups = gpd.GeoDataFrame({"group_id": [], "family": []}, geometry=[], crs="EPSG:4326")
    features = layer_features(zone, zone.companies, links, empty_groups)
    start = time.perf_counter()
    fmap = build_base_map(zone)
    fmap.get_root().render()
    script = streamlit_folium._get_map_string(fmap)
    layers = "".join(
        streamlit_folium._get_feature_group_string(layer, fmap, index)
        for index, layer in enumerate(feature_layers(features))
    )
    return {
        "rerun_s": round(time.perf_counter() - start, 2),
        "rerun_mb": round((len(script) + len(layers)) / 1e6, 2),
    }


def measure(browser: object, path: str, features: int) -> dict[str, float]:
    """Open the map offline and time how long until every feature is drawn, then a zoom."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.route(
        "**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort()
    )
    page = context.new_page()
    page.goto(Path(path).as_uri(), wait_until="commit", timeout=300_000)
    drawn_ms = page.wait_for_function(DRAWN, arg=features, timeout=300_000, polling="raf")
    drawn = drawn_ms.json_value()
    zoom_ms = page.evaluate(ZOOM)
    context.close()
    return {"drawn_s": round(drawn / 1000, 2), "zoom_s": round(zoom_ms / 1000, 2)}


def main() -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=5000)
    parser.add_argument("--links", type=int, default=10000)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    install_assets(OUT)
    zone = make_zone(args.companies)
    links = make_links(zone, args.links)
    drawn, hidden = best_links(links, DRAWN_LINKS)
    no_groups = pd.DataFrame({"members": []})
    shown, hidden_companies = linked_companies_first(
        zone.companies, drawn, no_groups, DRAWN_COMPANIES
    )
    cases = {"all": (zone, links), "best": (replace(zone, companies=shown), drawn)}
    results = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, (case_zone, frame) in cases.items():
            built = build(case_zone, frame, f"map-{name}")
            results[name] = {
                "companies": len(case_zone.companies),
                "links_drawn": len(frame),
                **built,
                **component_args(case_zone, frame),
                **measure(browser, built["path"], built["features"]),
            }
        browser.close()
    results["best"]["links_hidden"] = hidden
    results["best"]["companies_hidden"] = hidden_companies
    (OUT / "bench_map.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    columns = [
        "companies",
        "links_drawn",
        "python_s",
        "html_mb",
        "rerun_s",
        "rerun_mb",
        "drawn_s",
        "zoom_s",
    ]
    print(pd.DataFrame(results).T[columns].to_string())
    print(f"best: {hidden} candidates not drawn (notice on the page, full list in Synergies)")
    print(f"best: {hidden_companies} companies not drawn (notice on the page)")


if __name__ == "__main__":
    main()
