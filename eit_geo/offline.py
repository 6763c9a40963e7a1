"""Serve the map's scripts and stylesheets from this machine: no CDN, usable without internet.

folium loads Leaflet, jQuery, Bootstrap and marker fonts from CDNs; without internet the map
stays blank. The maps of eit-geo need Leaflet only (circle markers, GeoJSON layers, plain HTML
legends), taken from the installed ``xstatic-leaflet`` package, copied into the ``static/vendor``
folder next to ``app.py`` and served by Streamlit (``server.enableStaticServing``) at
``/app/static/vendor/...``. A map points its ``default_js`` / ``default_css`` at those files.
"""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import xstatic.pkg.leaflet as xstatic_leaflet

if TYPE_CHECKING:
    import folium

__all__ = [
    "LEAFLET_VERSION",
    "STATIC_URL",
    "VENDOR",
    "asset_links",
    "install_assets",
    "leaflet_dir",
    "static_url",
    "use_local_assets",
]

VENDOR = "vendor"
STATIC_URL = "/app/static"
LEAFLET_VERSION: str = xstatic_leaflet.VERSION
_LEAFLET_FILES = ("leaflet.js", "leaflet.css", "images")

Links = list[tuple[str, str]]


def leaflet_dir() -> Path:
    """Return the folder of the installed Leaflet files (``xstatic-leaflet``)."""
    return Path(xstatic_leaflet.BASE_DIR)


def install_assets(static_dir: Path) -> Path:
    """Copy Leaflet's script, stylesheet and images into ``static_dir/vendor/leaflet``.

    Files already there and identical are left alone, so every start of the app may call it.

    Parameters
    ----------
    static_dir
        The ``static`` folder next to ``app.py`` that Streamlit serves.

    Returns
    -------
    pathlib.Path
        The folder holding the copies.
    """
    target = static_dir / VENDOR / "leaflet"
    source = leaflet_dir()
    for name in _LEAFLET_FILES:
        files = sorted(p for p in (source / name).rglob("*") if p.is_file())
        for path in files if (source / name).is_dir() else [source / name]:
            copy = target / path.relative_to(source)
            if copy.is_file() and filecmp.cmp(path, copy, shallow=False):
                continue
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, copy)
    return target


def static_url(base_url_path: str = "") -> str:
    """Return the URL path of the app's static folder under ``server.baseUrlPath``."""
    base = base_url_path.strip("/")
    return f"/{base}{STATIC_URL}" if base else STATIC_URL


def asset_links(base_url: str = STATIC_URL) -> tuple[Links, Links]:
    """Return the ``(default_js, default_css)`` lists of a map, pointing below ``base_url``.

    ``base_url`` is where ``static/`` is served (`static_url`), or a ``file://`` URL of a
    folder holding ``vendor/`` for a map saved as a standalone file.
    """
    root = f"{base_url.rstrip('/')}/{VENDOR}/leaflet"
    return [("leaflet", f"{root}/leaflet.js")], [("leaflet_css", f"{root}/leaflet.css")]


def use_local_assets(fmap: folium.Map, base_url: str = STATIC_URL) -> folium.Map:
    """Make a map load Leaflet from ``base_url`` instead of CDNs (and nothing else); return it."""
    fmap.default_js, fmap.default_css = asset_links(base_url)
    return fmap
