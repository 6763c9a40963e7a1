"""Tests of eit_geo.offline: Leaflet served from this machine, never from a CDN."""

from __future__ import annotations

from pathlib import Path

import folium

from eit_geo.offline import (
    STATIC_URL,
    asset_links,
    install_assets,
    leaflet_dir,
    static_url,
    use_local_assets,
)


def test_install_assets_copies_leaflet(tmp_path: Path) -> None:
    target = install_assets(tmp_path / "static")
    assert target == tmp_path / "static" / "vendor" / "leaflet"
    for name in ("leaflet.js", "leaflet.css", "images/layers.png", "images/marker-icon.png"):
        assert (target / name).read_bytes() == (leaflet_dir() / name).read_bytes()


def test_install_assets_is_idempotent_and_repairs(tmp_path: Path) -> None:
    target = install_assets(tmp_path)
    script = target / "leaflet.js"
    stamp = script.stat().st_mtime_ns
    install_assets(tmp_path)
    assert script.stat().st_mtime_ns == stamp  # identical files are left alone
    script.write_text("broken")
    install_assets(tmp_path)
    assert script.read_bytes() == (leaflet_dir() / "leaflet.js").read_bytes()


def test_static_url_follows_base_url_path() -> None:
    assert static_url() == STATIC_URL == "/app/static"
    assert static_url("eit/") == "/eit/app/static"
    assert static_url("/a/b") == "/a/b/app/static"


def test_asset_links_are_local() -> None:
    js, css = asset_links("/app/static")
    assert js == [("leaflet", "/app/static/vendor/leaflet/leaflet.js")]
    assert css == [("leaflet_css", "/app/static/vendor/leaflet/leaflet.css")]
    js, _ = asset_links("file:///tmp/out/")
    assert js[0][1] == "file:///tmp/out/vendor/leaflet/leaflet.js"


def test_use_local_assets_changes_one_map_only() -> None:
    class_js = list(folium.Map.default_js)
    fmap = use_local_assets(folium.Map(tiles=None))
    assert [url for _, url in fmap.default_js] == ["/app/static/vendor/leaflet/leaflet.js"]
    assert [url for _, url in fmap.default_css] == ["/app/static/vendor/leaflet/leaflet.css"]
    assert folium.Map.default_js == class_js
    html = fmap.get_root().render()
    assert "cdn" not in html
    assert "jquery" not in html.lower()
    assert "bootstrap" not in html.lower()
