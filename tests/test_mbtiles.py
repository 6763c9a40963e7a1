"""A GIS department's raster MBTiles basemap, read and laid out as XYZ tiles for the map."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import folium
import pytest
from PIL import Image

from eit_geo.datafiles import example_path
from eit_geo.loading import load_zone
from eit_geo.maps import LOCAL, build_base_map
from eit_geo.mbtiles import install_tiles, read_mbtiles

KALUNDBORG = (11.06, 55.65, 11.14, 55.69)


@pytest.fixture
def plan(tmp_path: Path, make_mbtiles: Callable[..., int]) -> tuple[Path, int]:
    path = tmp_path / "plan-ign.mbtiles"
    return path, make_mbtiles(path, KALUNDBORG, range(12, 15), name="Plan IGN {{x}} <b>")


def test_read_mbtiles(plan: tuple[Path, int]) -> None:
    path, count = plan
    tiles = read_mbtiles(path)
    assert tiles.name == "Plan IGN {{x}} <b>"
    assert (tiles.min_zoom, tiles.max_zoom, tiles.count) == (12, 14, count)
    assert tiles.bounds == KALUNDBORG
    assert tiles.extension == "png"
    assert tiles.url("/app/static") == f"/app/static/basemaps/{tiles.key}/{{z}}/{{x}}/{{y}}.png"
    assert tiles.attribution_html() == "Service SIG &lt;test&gt;"


def test_attribution_never_runs_as_a_template(
    tmp_path: Path, make_mbtiles: Callable[..., int]
) -> None:
    """A file's attribution reaches folium, which renders its elements as Jinja templates."""
    path = tmp_path / "hostile.mbtiles"
    make_mbtiles(path, KALUNDBORG, range(12, 13), metadata={"attribution": "{{ 7*7 }} <i>x</i>"})
    shown = read_mbtiles(path).attribution_html()
    assert "{" not in shown
    assert "<i>" not in shown
    assert shown == "&#123;&#123; 7*7 &#125;&#125; &lt;i&gt;x&lt;/i&gt;"


def test_install_flips_rows_from_tms_to_xyz(plan: tuple[Path, int], tmp_path: Path) -> None:
    path, count = plan
    static = tmp_path / "static"
    tiles = install_tiles(path, static)
    written = sorted((static / "basemaps" / tiles.key).rglob("*.png"))
    assert len(written) == count
    with sqlite3.connect(path) as db:
        zoom, column, row = db.execute(
            "SELECT zoom_level, tile_column, tile_row FROM tiles ORDER BY zoom_level DESC LIMIT 1"
        ).fetchone()
    y = 2**zoom - 1 - row  # the XYZ row Leaflet asks for
    tile = static / "basemaps" / tiles.key / str(zoom) / str(column) / f"{y}.png"
    assert tile.is_file()
    with Image.open(tile) as image:
        assert image.size == (256, 256)
    # Kalundborg (55.67° N) at zoom 14 is XYZ row 5_128, TMS row 11_255: the XYZ name is used
    names = {p.name for p in (static / "basemaps" / tiles.key / "14").rglob("*.png")}
    assert "5128.png" in names
    assert "11255.png" not in names
    tile.unlink()
    assert install_tiles(path, static) == tiles  # laid out once: not written again
    assert not tile.exists()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "fichier introuvable"),
        (b"not a database at all" * 20, "ce n'est pas un fichier MBTiles"),
        ("empty", "il manque la table"),
        ("vector", "ses tuiles ne sont pas des images PNG, JPEG ou WebP"),
        ("no tiles", "le fichier ne contient aucune tuile"),
    ],
)
def test_unusable_files_are_refused(tmp_path: Path, content: object, reason: str) -> None:
    path = tmp_path / "fond.mbtiles"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE other (a)")
            if content != "empty":
                db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
                db.execute("CREATE TABLE tiles (zoom_level, tile_column, tile_row, tile_data)")
            if content == "vector":
                db.execute("INSERT INTO metadata VALUES ('format', 'pbf')")
                db.execute("INSERT INTO tiles VALUES (14, 1, 1, ?)", (b"\x1f\x8b\x08gzip",))
    with pytest.raises(ValueError, match=f"Fond de carte « fond.mbtiles » inutilisable : {reason}"):
        read_mbtiles(path)


def test_map_with_a_local_basemap_asks_nothing_outside(plan: tuple[Path, int]) -> None:
    path, _ = plan
    tiles = read_mbtiles(path)
    zone = load_zone(example_path("kalundborg"))
    fmap = build_base_map(zone, basemap=LOCAL, local=tiles)
    html = folium.LayerControl().add_to(fmap).get_root().render()
    assert f"/app/static/basemaps/{tiles.key}/{{z}}/{{x}}/{{y}}.png" in html
    assert "tileerror" not in html  # no fallback: the file is on this machine
    assert "{{x}}" not in html  # its name is text (folium renders scripts as templates)
    assert "Plan IGN &#123;&#123;x&#125;&#125; &lt;b&gt;" in html.replace("\\u0026", "&")
    with pytest.raises(ValueError, match="basemap 'local' is not one of auto, osm"):
        build_base_map(zone, basemap=LOCAL)
