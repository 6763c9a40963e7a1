"""Read the positions of an import's companies, from whatever a table holds, and by SIRET.

Geometries, latitude and longitude (two columns or one), X/Y in a projected CRS, in that order
of trust; a whole table of swapped columns, projected coordinates undeclared and unreadable rows
are noted (`PositionNote`). A positions file keyed by SIRET fills the companies left unplaced.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from eit_geo.errors import Problem
from eit_geo.import_columns import recognise_columns
from eit_geo.import_plan import ImportPlan, ImportReport, PositionNote, TablePlan, tr
from eit_geo.positions import Located, locate_degrees, locate_xy, parse_degrees, split_lat_lon
from eit_geo.read_tables import read_file_tables
from eit_geo.siret import read_siret
from eit_geo.validation import as_text
from eit_geo.written_numbers import parse_numbers
from eit_geo.zone import WGS84

if TYPE_CHECKING:
    from pathlib import Path

    from eit_geo.bounded import Limits
    from eit_geo.import_sources import SourceTable
    from eit_geo.reading import RawTable

__all__ = ["fill_positions", "locate", "positions_table"]

_DEGREES_LIMIT = 180.0


def locate(table_plan: TablePlan, plan: ImportPlan, report: ImportReport) -> Located | None:
    """Read the positions of a table's rows, the best source first, and note how."""
    if table_plan.shape not in ("flat", "lists", "companies"):
        return None
    table = table_plan.table
    columns = {field: table.frame[h] for h, field in reversed(table_plan.columns.items()) if field}
    crs = table_plan.crs or plan.crs
    attempts: list[tuple[str, Located, PositionNote]] = []
    if table.geometry is not None and table.geometry.notna().any():
        attempts.append(_from_geometry(table, crs))
    if "lat" in columns and "lon" in columns:
        attempts.append(_from_lat_lon(table, columns["lat"], columns["lon"], crs, "lat_lon"))
    if "latlon" in columns:
        first, second = split_lat_lon(columns["latlon"])
        header = next(h for h, f in table_plan.columns.items() if f == "latlon")
        if header.strip().lower().startswith(("lon", "lng", "long")):
            first, second = second, first
        note = PositionNote(table.label, "lat_lon_column", len(table.frame))
        located = locate_degrees(first, second)
        attempts.append(("lat_lon_column", located, note))
    if "x" in columns and "y" in columns:
        attempts.append(_from_xy(table, columns, crs))
    if not attempts:
        report.positions.append(PositionNote(table.label, "none", len(table.frame)))
        return None
    located = attempts[0][1]
    for _, other, _ in attempts[1:]:
        located.lat = located.lat.fillna(other.lat)
        located.lon = located.lon.fillna(other.lon)
    for _, found, note in attempts:
        note.crs = note.crs or found.crs
        note.crs_guessed = note.crs_guessed or found.crs_guessed
        note.axes_swapped = found.axes_swapped
        note.rows_swapped = [int(r) for r in found.rows_swapped]
        note.unreadable = [int(r) for r in found.unreadable if pd.isna(located.lat.get(r))]
        report.positions.append(note)
    return located


def _from_lat_lon(
    table: SourceTable, lat: pd.Series, lon: pd.Series, crs: str | None, method: str
) -> tuple[str, Located, PositionNote]:
    """Angles in two columns; coordinates in metres there are read as X/Y."""
    note = PositionNote(table.label, method, len(table.frame))
    lat_deg, lon_deg = parse_degrees(lat), parse_degrees(lon)
    numbers = parse_numbers(lat.astype(str)), parse_numbers(lon.astype(str))
    given = numbers[0].notna() & numbers[1].notna()
    metres = given & ((numbers[0].abs() > _DEGREES_LIMIT) | (numbers[1].abs() > _DEGREES_LIMIT))
    if given.any() and metres.sum() > given.sum() / 2:
        note.method = "xy"
        return "xy", locate_xy(lon, lat, crs=crs), note
    return method, locate_degrees(lat_deg, lon_deg), note


def _from_xy(
    table: SourceTable, columns: dict[str, pd.Series], crs: str | None
) -> tuple[str, Located, PositionNote]:
    """X/Y columns: projected coordinates, or degrees under those names."""
    x = parse_numbers(columns["x"].astype(str))
    y = parse_numbers(columns["y"].astype(str))
    given = x.notna() & y.notna()
    degrees = given.any() and bool(((x.abs() <= _DEGREES_LIMIT) & (y.abs() <= 90))[given].all())  # noqa: PLR2004
    note = PositionNote(table.label, "xy", len(table.frame))
    if degrees and "epsg" not in columns and crs is None:
        note.method = "lat_lon"
        return "lat_lon", locate_degrees(y, x), note
    return "xy", locate_xy(columns["x"], columns["y"], crs=crs, epsg=columns.get("epsg")), note


def _from_geometry(table: SourceTable, crs: str | None) -> tuple[str, Located, PositionNote]:
    """Points of a geographic file (a polygon gives its inner point), in its CRS or ``crs``."""
    geometry = table.geometry
    assert geometry is not None  # noqa: S101 - checked by the caller
    note = PositionNote(table.label, "geometry", len(table.frame))
    present = geometry.notna() & ~geometry.is_empty
    not_points = present & (geometry.geom_type != "Point")
    note.not_points = int(not_points.sum())
    points = geometry.where(~not_points, geometry.representative_point())
    points = gpd.GeoSeries(points.where(present, None), index=geometry.index, crs=geometry.crs)
    x, y = points.x.where(present), points.y.where(present)
    declared = geometry.crs
    beyond = present & ((x.abs() > _DEGREES_LIMIT) | (y.abs() > 90))  # noqa: PLR2004
    if (declared is None or declared.is_geographic) and beyond.sum() > present.sum() / 2:
        note.projected_undeclared = True
        return "geometry", locate_xy(x, y, crs=crs), note
    if declared is None:
        note.crs = WGS84
        return "geometry", locate_degrees(y, x), note
    wgs84 = points.to_crs(WGS84)
    if not declared.is_geographic:
        note.crs = f"EPSG:{declared.to_epsg()}" if declared.to_epsg() else declared.name
    return "geometry", locate_degrees(wgs84.y.where(present), wgs84.x.where(present)), note


def fill_positions(companies: pd.DataFrame, plan: ImportPlan, report: ImportReport) -> None:
    """Fill the companies without a position from the positions file, by SIRET."""
    table = plan.positions
    if table is None:
        return
    missing = companies["lat"].isna() & (companies["siret"] != "")
    found = companies.loc[missing, "siret"].map(lambda s: s in table.index)
    rows = found[found].index
    companies.loc[rows, "lat"] = companies.loc[rows, "siret"].map(table["lat"]).astype(float)
    companies.loc[rows, "lon"] = companies.loc[rows, "siret"].map(table["lon"]).astype(float)
    companies.loc[rows, "position_status"] = "sirene"
    report.positions_file = (plan.positions_name, len(rows), int(missing.sum() - len(rows)))


def positions_table(
    path: Path, lang: str, problems: list[Problem], limits: Limits | None = None
) -> pd.DataFrame | None:
    """Read a positions file keyed by SIRET: ``siret`` and X/Y (with ``epsg``) or lat/lon."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raws, found = read_file_tables(path, lang=lang, limits=limits)
    problems += found
    if not raws:
        return None
    raw: RawTable = raws[0]
    text = as_text(raw.frame)
    fields = recognise_columns([str(c) for c in text.columns])
    columns = {field: text[h] for h, field in reversed(fields.items()) if field}
    if "siret" not in columns:
        problems.append(
            Problem(path.name, None, "siret", None, tr("positions_no_siret", lang), lang)
        )
        return None
    if "x" in columns and "y" in columns:
        located = locate_xy(columns["x"], columns["y"], epsg=columns.get("epsg"))
    elif "lat" in columns and "lon" in columns:
        located = locate_degrees(parse_degrees(columns["lat"]), parse_degrees(columns["lon"]))
    else:
        problems.append(Problem(path.name, None, None, None, tr("positions_no_xy", lang), lang))
        return None
    sirets = columns["siret"].map(lambda value: read_siret(value)[0])
    table = pd.DataFrame({"siret": sirets, "lat": located.lat, "lon": located.lon})
    table = table[(table["siret"] != "") & table["lat"].notna()]
    return table.drop_duplicates("siret").set_index("siret")
