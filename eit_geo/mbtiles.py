"""A raster MBTiles basemap (made by a GIS department) laid out as XYZ tiles in the static folder.

An MBTiles file is SQLite: ``metadata(name, value)`` and ``tiles(zoom_level, tile_column,
tile_row, tile_data)``, rows counted from the south (TMS): the web's XYZ row of ``tile_row`` is
``2**zoom - 1 - tile_row``. QGIS writes such files with « Générer des tuiles XYZ (MBTiles) »
from any of its layers (Plan IGN, orthophoto, PCRS). The dashboard's server serves its
``static`` folder only, so the tiles are written there once (`install_tiles`), as
``static/basemaps/<key>/{z}/{x}/{y}.png``, and the map asks for them from this machine.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from eit_geo.escaping import safe_text
from eit_geo.i18n import DEFAULT_LANGUAGE, t

__all__ = ["FOLDER", "LocalTiles", "install_tiles", "read_mbtiles"]

FOLDER = "basemaps"
_MAGIC = {b"\x89PNG": "png", b"\xff\xd8\xff": "jpg", b"RIFF": "webp"}
_DONE = ".complete"


@dataclass(frozen=True)
class LocalTiles:
    """A basemap file's description, and where its tiles are laid out.

    Attributes
    ----------
    key : the folder of its tiles under ``static/basemaps`` (changes with the file)
    name : its name (metadata ``name``, else the file's name)
    attribution : its source, as text (metadata ``attribution``), may be empty
    extension : ``png``, ``jpg`` or ``webp``
    min_zoom, max_zoom : the zoom levels it holds
    bounds : ``(west, south, east, north)`` in degrees
    count : how many tiles it holds
    """

    key: str
    name: str
    attribution: str
    extension: str
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float]
    count: int

    def url(self, base_url: str) -> str:
        """Return the tiles' URL template below ``base_url`` (where ``static/`` is served)."""
        root = f"{base_url.rstrip('/')}/{FOLDER}/{self.key}"
        return f"{root}/{{z}}/{{x}}/{{y}}.{self.extension}"

    def attribution_html(self) -> str:
        """Return the attribution escaped for the map's corner."""
        return safe_text(self.attribution)


def _bad(path: Path, reason: str, lang: str) -> ValueError:
    return ValueError(t("map.mbtiles_bad", lang, name=path.name, reason=t(reason, lang)))


def _tile_bounds(zoom: int, columns: tuple[int, int], rows: tuple[int, int]) -> tuple[float, ...]:
    """Return ``(west, south, east, north)`` of a block of TMS tiles at ``zoom``."""
    n = 2**zoom

    def lat(row_from_north: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row_from_north / n))))

    west, east = columns[0] / n * 360 - 180, (columns[1] + 1) / n * 360 - 180
    north, south = lat(n - 1 - rows[1]), lat(n - rows[0])
    return west, south, east, north


def read_mbtiles(path: Path, *, lang: str = DEFAULT_LANGUAGE) -> LocalTiles:
    """Read a raster MBTiles file's description; check it holds images eit-geo can show.

    Parameters
    ----------
    path
        The ``.mbtiles`` file.
    lang
        Language of the error messages.

    Returns
    -------
    LocalTiles
        Its name, attribution, format, zoom levels, bounds and tile count.

    Raises
    ------
    ValueError
        If the file is missing, not SQLite, lacks the ``metadata`` or ``tiles`` table, holds
        vector tiles or no tile at all.
    """
    path = Path(path)
    if not path.is_file():
        raise _bad(path, "map.mbtiles_missing", lang)
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            if not {"metadata", "tiles"} <= names:
                raise _bad(path, "map.mbtiles_tables", lang)
            meta = {str(k): str(v) for k, v in db.execute("SELECT name, value FROM metadata")}
            zooms = db.execute(
                "SELECT MIN(zoom_level), MAX(zoom_level), COUNT(*) FROM tiles"
            ).fetchone()
            sample = db.execute("SELECT tile_data FROM tiles LIMIT 1").fetchone()
            top = zooms[1]
            block = db.execute(
                "SELECT MIN(tile_column), MAX(tile_column), MIN(tile_row), MAX(tile_row) "
                "FROM tiles WHERE zoom_level = ?",
                (top,),
            ).fetchone()
    except sqlite3.DatabaseError as error:
        raise _bad(path, "map.mbtiles_not_sqlite", lang) from error
    if not zooms[2] or sample is None:
        raise _bad(path, "map.mbtiles_empty", lang)
    data = bytes(sample[0])
    found = next((kind for magic, kind in _MAGIC.items() if data.startswith(magic)), None)
    if found is None:  # vector tiles (gzipped protobuf) or something else than an image
        raise _bad(path, "map.mbtiles_vector", lang)
    bounds = _tile_bounds(int(top), (block[0], block[1]), (block[2], block[3]))
    with contextlib.suppress(ValueError):  # no bounds, or not four numbers: the tiles' own
        west, south, east, north = (float(v) for v in meta.get("bounds", "").split(","))
        bounds = (west, south, east, north)
    stat = path.stat()
    fingerprint = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()
    return LocalTiles(
        key=hashlib.sha256(fingerprint).hexdigest()[:16],
        name=meta.get("name") or path.stem,
        attribution=meta.get("attribution", ""),
        extension=found,
        min_zoom=int(meta.get("minzoom") or zooms[0]),
        max_zoom=int(meta.get("maxzoom") or zooms[1]),
        bounds=(bounds[0], bounds[1], bounds[2], bounds[3]),
        count=int(zooms[2]),
    )


def install_tiles(path: Path, static_dir: Path, *, lang: str = DEFAULT_LANGUAGE) -> LocalTiles:
    """Write the tiles of an MBTiles file as ``static_dir/basemaps/<key>/{z}/{x}/{y}.<ext>``.

    Rows are flipped from TMS (MBTiles) to XYZ (Leaflet). A file already laid out (same path,
    size and date) is not written again, so every start of the app may call it.

    Parameters
    ----------
    path
        The ``.mbtiles`` file.
    static_dir
        The ``static`` folder next to ``app.py`` that the dashboard serves.
    lang
        Language of the error messages.

    Returns
    -------
    LocalTiles
        The file's description; ``LocalTiles.url`` gives the tiles' address.

    Raises
    ------
    ValueError
        As `read_mbtiles`.
    """
    tiles = read_mbtiles(path, lang=lang)
    target = Path(static_dir) / FOLDER / tiles.key
    if (target / _DONE).is_file():
        return tiles
    uri = f"{Path(path).resolve().as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as db:
        rows = db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")
        for zoom, column, row, data in rows:
            y = 2 ** int(zoom) - 1 - int(row)
            tile = target / str(int(zoom)) / str(int(column)) / f"{y}.{tiles.extension}"
            tile.parent.mkdir(parents=True, exist_ok=True)
            tile.write_bytes(bytes(data))
    (target / _DONE).write_text(f"{tiles.count}\n", encoding="utf-8")
    return tiles
