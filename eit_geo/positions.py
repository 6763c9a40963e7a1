"""Read positions in any common writing and bring them to WGS84 latitude and longitude."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from eit_geo.datafiles import read_table
from eit_geo.frames import records
from eit_geo.written_numbers import parse_numbers

__all__ = [
    "Located",
    "guess_crs",
    "in_regions",
    "locate_degrees",
    "locate_xy",
    "parse_crs",
    "parse_degrees",
    "split_lat_lon",
    "to_wgs84",
]

_NUMBER = r"\d+(?:[.,]\d+)?"
_HEMISPHERES = "NSEWO"  # O for « ouest »
_ANGLE_SIGNS = re.compile(r"[\s°º˚'′’\"″]*")  # what may surround degrees, minutes, seconds
_MINUTES = 60.0
_PAIR = re.compile(rf"^\s*[(\[]?\s*([-+−]?{_NUMBER})\s*[,\s]\s*([-+−]?{_NUMBER})\s*[)\]]?\s*$")
_HEMISPHERE_PAIR = re.compile(r"^\s*(.*?[NS])\s*[,;/]?\s*(.*?[EWO])\s*$", re.IGNORECASE)
# The hemisphere written first, as GPS receivers show it: « N 51.02 E 2.30 ».
_HEMISPHERE_FIRST = re.compile(r"^\s*([NS][^NSEWO]+?)\s*[,;/]?\s*([EWO][^NSEWO]+?)\s*$", re.I)
# Characters of the longest cell read as two angles (« 45°45'30.1234"N, 004°51'12.4567"W »
# has 36): a longer one holds no position, and would cost the hemisphere patterns a time
# growing with the cube of its length (a 32,767-character cell: hours).
_LONGEST_PAIR = 80
_LAT_LIMIT = 90.0
_LON_LIMIT = 180.0
_SHARE_TO_TRUST = 0.8  # share of the positions that must fit a region or a CRS


@dataclass
class Located:
    """Positions of a table's rows in WGS84, and what was done to get them.

    Attributes
    ----------
    lat, lon : floats aligned on the input's index, NaN where there is no usable position
    crs : the CRS the values were read in (``EPSG:2154``), None for degrees
    crs_guessed : True when that CRS was recognised from the values, not declared or given
    axes_swapped : True when the whole table's two columns were swapped and put back
    rows_swapped : index labels of single rows whose two values were swapped and put back
    unreadable : index labels of rows whose position was given but could not be read
    """

    lat: pd.Series
    lon: pd.Series
    crs: str | None = None
    crs_guessed: bool = False
    axes_swapped: bool = False
    rows_swapped: list[int] = field(default_factory=list)
    unreadable: list[int] = field(default_factory=list)

    @property
    def missing(self) -> pd.Series:
        """Rows without a usable position."""
        return self.lat.isna() | self.lon.isna()


def parse_degrees(values: pd.Series) -> pd.Series:
    """Read angles written in decimal degrees or degrees, minutes and seconds.

    ``45.75``, ``45,75``, ``45.75°``, ``45°45'``, ``45° 45' 0" N``, ``N 45 45.0``, ``4°50'O``:
    a hemisphere S, W or O (« ouest ») makes the angle negative.

    Parameters
    ----------
    values
        Texts (or numbers) to read.

    Returns
    -------
    pandas.Series
        Floats aligned on ``values``, NaN where the text is not an angle.
    """
    text = values.astype(object).where(values.notna(), "").astype(str)
    parsed = {value: _degrees(value) for value in text.unique()}
    return text.map(parsed).astype(float)


def _degrees(text: str) -> float:
    """Read one angle: up to three numbers (degrees, minutes, seconds), a sign or hemisphere."""
    body = text.replace("\u00a0", " ").strip().upper()
    hemisphere = ""
    if body[:1] in _HEMISPHERES and body[1:2] not in ("", *map(chr, range(65, 91))):
        hemisphere, body = body[0], body[1:].strip()
    if body[-1:] in _HEMISPHERES and body[-1:]:
        if hemisphere:
            return np.nan
        hemisphere, body = body[-1], body[:-1].strip()
    negative = body[:1] in ("-", "−")
    body = body.lstrip("+-−")
    numbers = re.findall(_NUMBER, body)
    if not 1 <= len(numbers) <= 3 or not _ANGLE_SIGNS.fullmatch(re.sub(_NUMBER, " ", body)):  # noqa: PLR2004
        return np.nan
    values = [float(number.replace(",", ".")) for number in numbers]
    if any(v >= _MINUTES for v in values[1:]) or any(not v.is_integer() for v in values[:-1]):
        return np.nan
    value = sum(v / _MINUTES**power for power, v in enumerate(values))
    return -value if negative or hemisphere in ("S", "W", "O") else value


def split_lat_lon(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Split one column holding both angles (``45.75, 4.85``, ``45,75 ; 4,85``, ``45°N 4°E``).

    Returns
    -------
    tuple of pandas.Series
        The first and second angles as floats (latitude then longitude as written), NaN where
        the cell does not hold two angles.
    """
    text = values.astype(object).where(values.notna(), "").astype(str)
    pairs = {value: _pair(value) for value in text.unique()}
    first = text.map(lambda v: pairs[v][0]).astype(float)
    second = text.map(lambda v: pairs[v][1]).astype(float)
    return first, second


def _pair(text: str) -> tuple[float, float]:
    text = text.replace("\u00a0", " ").strip()
    if len(text) > _LONGEST_PAIR:  # no position; and the hemisphere patterns backtrack on it
        return np.nan, np.nan
    if text.count(";") == 1:
        left, right = text.split(";")
    elif (
        match := _PAIR.match(text) or _HEMISPHERE_PAIR.match(text) or _HEMISPHERE_FIRST.match(text)
    ) is not None:
        left, right = match.groups()
    else:
        return np.nan, np.nan
    return _degrees(left.strip("()[] ")), _degrees(right.strip("()[] "))


@cache
def _regions() -> pd.DataFrame:
    table = read_table("import/regions.csv").copy()
    for column in ("min_lat", "max_lat", "min_lon", "max_lon"):
        table[column] = table[column].astype(float)
    return table.set_index("region")


def in_regions(lat: pd.Series, lon: pd.Series, regions: tuple[str, ...] | None = None) -> pd.Series:
    """Tell which positions fall in one of the regions of ``data/import/regions.csv``."""
    table = _regions() if regions is None else _regions().loc[list(regions)]
    inside = pd.Series(False, index=lat.index)
    for row in records(table):
        inside |= lat.between(row["min_lat"], row["max_lat"]) & lon.between(
            row["min_lon"], row["max_lon"]
        )
    return inside


def locate_degrees(lat: pd.Series, lon: pd.Series) -> Located:
    """Check angles read as latitude and longitude; put back swapped ones.

    A whole table is swapped back when most of its positions lie outside every expected region
    (``data/import/regions.csv``) and inside one once swapped; a single row likewise when the
    rest of the table is right. Angles out of range leave the row without a position.
    """
    given = lat.notna() & lon.notna()
    fits = in_regions(lat, lon) & given
    fits_swapped = in_regions(lon, lat) & given
    count = int(given.sum())
    located = Located(lat.copy(), lon.copy())
    if count and fits_swapped.sum() >= _SHARE_TO_TRUST * count and fits.sum() < count / 2:
        located.lat, located.lon = lon.copy(), lat.copy()
        located.axes_swapped = True
    else:
        rows = fits_swapped & ~fits & (fits.sum() >= count / 2)
        located.rows_swapped = list(rows[rows].index)
        located.lat = lat.where(~rows, lon)
        located.lon = lon.where(~rows, lat)
    out = (located.lat.abs() > _LAT_LIMIT) | (located.lon.abs() > _LON_LIMIT)
    located.unreadable = list(out[out].index)
    located.lat = located.lat.where(~out)
    located.lon = located.lon.where(~out)
    return located


@cache
def _candidates() -> pd.DataFrame:
    table = read_table("import/crs.csv").copy()
    for column in ("min_x", "max_x", "min_y", "max_y"):
        table[column] = table[column].astype(float)
    return table


def guess_crs(x: pd.Series, y: pd.Series) -> tuple[str, bool] | None:
    """Recognise the projected CRS of coordinates from their values (``data/import/crs.csv``).

    Returns
    -------
    tuple or None
        ``("EPSG:2154", swapped)`` for the first CRS whose range holds most positions and whose
        region holds them once converted (``swapped`` when it is so with x and y exchanged), or
        None when none fits.
    """
    given = x.notna() & y.notna()
    count = int(given.sum())
    if not count:
        return None
    for row in records(_candidates()):
        for swapped, (xs, ys) in ((False, (x, y)), (True, (y, x))):
            in_range = xs.between(row["min_x"], row["max_x"]) & ys.between(
                row["min_y"], row["max_y"]
            )
            if in_range.sum() < _SHARE_TO_TRUST * count:
                continue
            crs = f"EPSG:{row['epsg']}"
            lat, lon = to_wgs84(xs[in_range], ys[in_range], crs)
            if in_regions(lat, lon, (row["region"],)).sum() >= _SHARE_TO_TRUST * count:
                return crs, swapped
    return None


def parse_crs(value: object) -> str | None:
    """Return ``EPSG:<code>`` for ``2154``, ``epsg:2154``, ``EPSG 2154`` or a CRS name, or None."""
    text = str(value).strip()
    if not text or text.lower() in ("nan", "none"):
        return None
    digits = re.fullmatch(r"(?:epsg\s*[:\s]\s*)?(\d{4,6})(?:\.0)?", text, re.IGNORECASE)
    try:
        crs = CRS.from_user_input(f"EPSG:{digits.group(1)}" if digits else text)
    except CRSError:
        return None
    code = crs.to_epsg()
    return f"EPSG:{code}" if code is not None else None


@cache
def _transformer(crs: str) -> Transformer:
    return Transformer.from_crs(crs, "EPSG:4326", always_xy=True)


def to_wgs84(x: pd.Series, y: pd.Series, crs: str) -> tuple[pd.Series, pd.Series]:
    """Convert coordinates from ``crs`` to WGS84; return ``(lat, lon)`` aligned on ``x``."""
    lon, lat = _transformer(crs).transform(x.to_numpy(dtype=float), y.to_numpy(dtype=float))
    lat_series = pd.Series(lat, index=x.index, dtype=float)
    lon_series = pd.Series(lon, index=x.index, dtype=float)
    finite = np.isfinite(lat_series) & np.isfinite(lon_series)
    return lat_series.where(finite), lon_series.where(finite)


def locate_xy(
    x: pd.Series, y: pd.Series, *, crs: str | None = None, epsg: pd.Series | None = None
) -> Located:
    """Convert projected coordinates to WGS84.

    Parameters
    ----------
    x, y
        Coordinates as text or numbers (``652 345,2`` reads as 652345.2).
    crs
        Their CRS when known (declared by the file or given by the user); recognised from the
        values otherwise (Lambert-93 when they fit France).
    epsg
        A CRS per row (as in INSEE's geolocated SIRENE file), which wins over ``crs``.

    Returns
    -------
    Located
        ``crs`` None and every position missing when no CRS could be found.
    """
    xs, ys = _numbers(x), _numbers(y)
    given = xs.notna() & ys.notna()
    lat = pd.Series(np.nan, index=x.index, dtype=float)
    lon = lat.copy()
    located = Located(lat, lon, crs=crs)
    if epsg is not None:
        per_row = epsg.map(parse_crs)
        for code in per_row.dropna().unique():
            rows = per_row == code
            lat_part, lon_part = to_wgs84(xs[rows], ys[rows], str(code))
            lat[rows], lon[rows] = lat_part, lon_part
        rest = per_row.isna()
        if not rest.any():
            located.crs = str(per_row.mode().iloc[0]) if per_row.notna().any() else crs
            return _checked(located, given)
        xs, ys = xs[rest], ys[rest]
    if crs is None:
        guess = guess_crs(xs, ys)
        if guess is None:
            located.unreadable = list(xs.index[xs.notna() & ys.notna()])
            return located
        crs, located.axes_swapped = guess
        located.crs, located.crs_guessed = crs, True
        if located.axes_swapped:
            xs, ys = ys, xs
    lat_part, lon_part = to_wgs84(xs, ys, crs)
    lat[lat_part.index], lon[lon_part.index] = lat_part, lon_part
    return _checked(located, given)


def _checked(located: Located, given: pd.Series) -> Located:
    """Mark rows given but not converted to a valid position as unreadable."""
    bad = given & located.missing
    located.unreadable = [*located.unreadable, *bad[bad].index]
    return located


def _numbers(values: pd.Series) -> pd.Series:
    text = values.astype(object).where(values.notna(), "").astype(str)
    return parse_numbers(text)
