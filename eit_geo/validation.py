"""Check raw tables against the data contract and build a Zone, or raise every problem at once."""

from __future__ import annotations

import datetime as dt
import warnings
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from eit_geo.codes import canonical_alias, family_of, is_ewc_chapter, normalise_code
from eit_geo.errors import Problem, ZoneError
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.zone import COMPANY_COLUMNS, FLOW_COLUMNS, SYNERGY_COLUMNS, Zone

if TYPE_CHECKING:
    from eit_geo.loading import RawTable


def _raw_table(table: str, file: str, frame: pd.DataFrame) -> RawTable:
    from eit_geo.loading import RawTable  # noqa: PLC0415 - loading imports this module

    return RawTable(table, file, frame)


__all__ = ["build_zone", "parse_numbers"]

WGS84 = "EPSG:4326"
# Columns the loader derives itself: an input copy of them (e.g. from an export) is dropped.
_DERIVED = ("flow_id", "family", "lat", "lon")
_SWAP_FAR_DEG = 5.0
_SWAP_NEAR_DEG = 2.0


class _Checker:
    """Collects the problems of one table, each naming the file, row, column and value."""

    def __init__(self, raw: RawTable, problems: list[Problem], lang: str) -> None:
        self.file = raw.file
        self.problems = problems
        self.lang = lang
        self.headers: dict[str, str] = {}  # canonical name -> header as the user wrote it

    def add(
        self, row: int | None, column: str | None, value: object, key: str, **kw: object
    ) -> None:
        text = None if value is None else str(value)
        message = t(key, self.lang, **kw)
        shown = self.headers.get(column, column) if column is not None else None
        self.problems.append(Problem(self.file, row, shown, text, message, self.lang))

    def add_rows(self, mask: pd.Series, values: pd.Series, column: str, key: str) -> None:
        for row in mask[mask].index:
            self.add(int(row), column, values.at[row], key)


def parse_numbers(values: pd.Series) -> pd.Series:
    """Parse numbers written the French or English way (``1 234,5``, ``1,234.5``, ``12.5``).

    Returns floats, NaN where the text is not a finite number. Plain numbers (``12.5``) are
    read in one vectorised pass; only the others go through the separators' rules.
    """
    text = values.astype(str)
    numbers = pd.to_numeric(text, errors="coerce").astype(float)
    rest = numbers.isna() & text.str.contains(r"\d", regex=True)
    if rest.any():
        numbers[rest] = _parse_written_numbers(text[rest])
    return numbers.where(np.isfinite(numbers))


def _parse_written_numbers(text: pd.Series) -> pd.Series:
    """Parse numbers with blanks, thousands separators or a decimal comma."""
    text = text.str.replace(r"[\s\u00a0\u202f']", "", regex=True)
    has_dot = text.str.contains(".", regex=False)
    has_comma = text.str.contains(",", regex=False)
    comma_last = text.str.rfind(",") > text.str.rfind(".")
    text = text.where(~(has_dot & has_comma & comma_last), text.str.replace(".", "", regex=False))
    text = text.where(~(has_dot & has_comma & ~comma_last), text.str.replace(",", "", regex=False))
    return pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce").astype(float)


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the attribute columns as stripped text, missing values as empty strings."""
    columns = [c for c in frame.columns if c != "geometry"]
    text = frame[columns].astype(object).where(frame[columns].notna(), "")
    return text.map(_cell_text).astype(str)


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _normalise_headers(raw: RawTable, check: _Checker) -> pd.DataFrame | None:
    """Rename columns to their canonical names; None if two columns collide."""
    frame = raw.frame
    keep = [
        position
        for position, column in enumerate(frame.columns)
        if not (_is_blank_header(column) and _all_blank(frame.iloc[:, position]))
    ]
    frame = frame.iloc[:, keep]
    names = [
        canonical_alias("column", str(c)) if c != "geometry" else "geometry" for c in frame.columns
    ]
    seen: set[str] = set()
    ok = True
    for original, name in zip(frame.columns, names, strict=True):
        if name in seen:
            check.add(None, str(original), None, "validation.duplicate_column")
            ok = False
        seen.add(name or "")
    if not ok:
        return None
    headers = zip(frame.columns, names, strict=True)
    check.headers = {name: str(original).strip() for original, name in headers}
    renamed = frame.set_axis(names, axis=1)
    return renamed.drop(columns=[c for c in _DERIVED if c in renamed and c not in ("lat", "lon")])


def _is_blank_header(column: object) -> bool:
    return str(column).strip() == "" or str(column).startswith("Unnamed:")


def _all_blank(values: pd.Series) -> bool:
    return bool(values.isna().all() or (values.astype(str).str.strip() == "").all())


def _require(frame: pd.DataFrame, columns: tuple[str, ...], check: _Checker) -> bool:
    missing = [c for c in columns if c not in frame.columns]
    for column in missing:
        check.add(None, column, None, "validation.missing_column")
    return not missing


def _check_required_values(text: pd.DataFrame, columns: tuple[str, ...], check: _Checker) -> None:
    for column in columns:
        for row in text.index[text[column] == ""]:
            check.add(int(row), column, None, "validation.empty_value")


def _check_companies(raw: RawTable, problems: list[Problem], lang: str) -> gpd.GeoDataFrame | None:
    check = _Checker(raw, problems, lang)
    frame = _normalise_headers(raw, check)
    if frame is None:
        return None
    geographic = _has_geometry(frame)
    required = ("id", "name") if geographic else ("id", "name", "lat", "lon")
    if not _require(frame, required, check):
        return None
    text = _as_text(frame)
    _check_required_values(text, required, check)
    _check_duplicates(text["id"], check)
    points = _geometry_points(frame, check) if geographic else _coordinate_points(text, check)
    employees = _optional_integers(text, "employees", "validation.bad_employees", check, low=0)
    if points is None:
        return None
    attributes = text.drop(columns=[c for c in ("lat", "lon") if c in text])
    for column in ("sector",):
        if column not in attributes:
            attributes[column] = ""
    attributes["employees"] = employees
    ordered = [*COMPANY_COLUMNS, *(c for c in attributes if c not in COMPANY_COLUMNS)]
    return gpd.GeoDataFrame(attributes[ordered], geometry=points, crs=WGS84)


def _has_geometry(frame: pd.DataFrame) -> bool:
    """Tell whether companies come as point geometries rather than ``lat``/``lon`` columns.

    A geographic file whose features all lack a geometry but that has ``lat`` and ``lon``
    columns (a GeoJSON written from a table) is read from those columns.
    """
    if not isinstance(frame, gpd.GeoDataFrame) or "geometry" not in frame:
        return False
    missing = frame.geometry.isna().all()
    return not (missing and "lat" in frame.columns and "lon" in frame.columns)


def _check_duplicates(ids: pd.Series, check: _Checker) -> None:
    first_rows: dict[str, int] = {}
    for row, value in ids.items():
        if value == "":
            continue
        if value in first_rows:
            first = first_rows[value]
            check.add(int(row), "id", value, "validation.duplicate_id", first=first)
        else:
            first_rows[value] = int(row)


def _coordinate_points(text: pd.DataFrame, check: _Checker) -> gpd.GeoSeries | None:
    lat = parse_numbers(text["lat"])
    lon = parse_numbers(text["lon"])
    for column, values in (("lat", lat), ("lon", lon)):
        check.add_rows(
            values.isna() & (text[column] != ""), text[column], column, "validation.not_number"
        )
    lat_out = lat.abs() > 90  # noqa: PLR2004
    lon_out = lon.abs() > 180  # noqa: PLR2004
    swapped = _swapped(lat, lon)
    for row in swapped[swapped].index:
        check.add(
            int(row),
            "lat",
            f"{text.at[row, 'lat']} ; {text.at[row, 'lon']}",
            "validation.lat_lon_swapped",
            lat=text.at[row, "lat"],
            lon=text.at[row, "lon"],
        )
    check.add_rows(lat_out & ~swapped, text["lat"], "lat", "validation.lat_range")
    check.add_rows(lon_out & ~swapped, text["lon"], "lon", "validation.lon_range")
    return gpd.GeoSeries(gpd.points_from_xy(lon, lat), index=text.index, crs=WGS84)


def _swapped(lat: pd.Series, lon: pd.Series) -> pd.Series:
    """Flag rows whose latitude and longitude look swapped.

    With three or more valid positions, a row is swapped when (lat, lon) lies far from the
    zone's median point and (lon, lat) near it. With fewer, when (lat, lon) is out of range
    and (lon, lat) in range.
    """
    given = lat.notna() & lon.notna()
    valid = given & (lat.abs() <= 90) & (lon.abs() <= 180)  # noqa: PLR2004
    swap_valid = given & (lon.abs() <= 90) & (lat.abs() <= 180)  # noqa: PLR2004
    if valid.sum() < 3:  # noqa: PLR2004
        return swap_valid & ~valid
    mid_lat, mid_lon = lat[valid].median(), lon[valid].median()
    far = np.hypot(lat - mid_lat, lon - mid_lon) > _SWAP_FAR_DEG
    near_swapped = np.hypot(lon - mid_lat, lat - mid_lon) < _SWAP_NEAR_DEG
    return (swap_valid & far & near_swapped).fillna(False).astype(bool)


def _geometry_points(frame: gpd.GeoDataFrame, check: _Checker) -> gpd.GeoSeries | None:
    geometry = frame.geometry
    if geometry.crs is None:
        warnings.warn(f"{check.file}: {t('validation.no_crs', check.lang)}", stacklevel=3)
        geometry = geometry.set_crs(WGS84)
    geometry = geometry.to_crs(WGS84)
    empty = geometry.isna() | geometry.is_empty
    for row in empty[empty].index:
        check.add(int(row), "geometry", None, "validation.no_geometry")
    # QGIS often saves points as one-part MultiPoints: take that one point.
    single = ~empty & (geometry.geom_type == "MultiPoint") & (geometry.count_geometries() == 1)
    if single.any():
        geometry = geometry.where(
            ~single, geometry.explode(index_parts=False).loc[single[single].index]
        )
    kinds = geometry.geom_type
    bad = ~empty & (kinds != "Point")
    for row in bad[bad].index:
        check.add(int(row), "geometry", None, "validation.not_point", kind=kinds.at[row])
    points = geometry[~empty & ~bad]
    out_of_range = (points.y.abs() > 90) | (points.x.abs() > 180)  # noqa: PLR2004
    check.add_rows(out_of_range, points.to_wkt(), "geometry", "validation.lat_range")
    return geometry


def _optional_integers(
    text: pd.DataFrame, column: str, key: str, check: _Checker, *, low: int, high: int | None = None
) -> pd.Series:
    if column not in text:
        return pd.Series(pd.NA, index=text.index, dtype="Int64")
    given = text[column] != ""
    numbers = parse_numbers(text[column])
    bad = given & (numbers.isna() | (numbers < low) | (numbers % 1 != 0))
    if high is not None:
        bad |= given & (numbers > high)
    for row in bad[bad].index:
        check.add(int(row), column, text.at[row, column], key, max_year=high)
    return numbers.where(given & ~bad).round().astype("Int64")


def _check_quantity_unit_resource(
    text: pd.DataFrame, check: _Checker
) -> tuple[pd.Series, pd.Series, pd.Series]:
    quantity = parse_numbers(text["quantity"])
    given = text["quantity"] != ""
    check.add_rows(given & quantity.isna(), text["quantity"], "quantity", "validation.not_number")
    check.add_rows(given & (quantity <= 0), text["quantity"], "quantity", "validation.not_positive")
    units = text["unit"].map(lambda v: canonical_alias("unit", v) if v else "")
    check.add_rows(units.isna(), text["unit"], "unit", "validation.unknown_unit")
    codes = _codes(text["resource"])
    check.add_rows(
        codes.isna() & (text["resource"] != ""),
        text["resource"],
        "resource",
        "validation.unknown_resource",
    )
    return quantity, units, codes


def _codes(values: pd.Series) -> pd.Series:
    unique = values.unique()
    mapping = {value: normalise_code(value) for value in unique}
    return values.map(mapping)


def _required_text(
    raw: RawTable, required: tuple[str, ...], check: _Checker
) -> pd.DataFrame | None:
    """Return a table's attributes as text with canonical headers, its required values checked.

    None when a header collides or a required column is missing (already reported).
    """
    frame = _normalise_headers(raw, check)
    if frame is None or not _require(frame, required, check):
        return None
    text = _as_text(frame)
    _check_required_values(text, required, check)
    return text


def _check_known_companies(
    text: pd.DataFrame, columns: tuple[str, ...], company_ids: set[str] | None, check: _Checker
) -> None:
    """Report ids of ``columns`` that are not companies (skipped if companies were unreadable)."""
    if company_ids is None:
        return
    for column in columns:
        unknown = ~text[column].isin(company_ids) & (text[column] != "")
        check.add_rows(unknown, text[column], column, "validation.unknown_company")


def _check_flows(
    raw: RawTable, company_ids: set[str] | None, problems: list[Problem], lang: str
) -> pd.DataFrame | None:
    check = _Checker(raw, problems, lang)
    required = ("company_id", "direction", "resource", "quantity", "unit")
    text = _required_text(raw, required, check)
    if text is None:
        return None
    _check_known_companies(text, ("company_id",), company_ids, check)
    directions = text["direction"].map(lambda v: canonical_alias("direction", v) if v else "")
    check.add_rows(
        directions.isna(), text["direction"], "direction", "validation.unknown_direction"
    )
    quantity, units, codes = _check_quantity_unit_resource(text, check)
    chapter_output = (directions == "output") & codes.map(
        lambda c: isinstance(c, str) and is_ewc_chapter(c)
    )
    check.add_rows(chapter_output, text["resource"], "resource", "validation.output_chapter")
    flows = text.assign(direction=directions, resource=codes, quantity=quantity, unit=units)
    flows["family"] = codes.map(lambda c: family_of(c) if isinstance(c, str) else "")
    if "label" not in flows:
        flows["label"] = ""
    ordered = [*FLOW_COLUMNS, *(c for c in flows if c not in FLOW_COLUMNS)]
    flows = flows[ordered].reset_index(drop=True)
    flows.insert(0, "flow_id", range(len(flows)))
    return flows


def _check_synergies(
    raw: RawTable, company_ids: set[str] | None, problems: list[Problem], lang: str
) -> pd.DataFrame | None:
    check = _Checker(raw, problems, lang)
    required = ("from_id", "to_id", "resource", "quantity", "unit")
    text = _required_text(raw, required, check)
    if text is None:
        return None
    _check_known_companies(text, ("from_id", "to_id"), company_ids, check)
    same = (text["from_id"] == text["to_id"]) & (text["from_id"] != "")
    check.add_rows(same, text["to_id"], "to_id", "validation.self_synergy")
    quantity, units, codes = _check_quantity_unit_resource(text, check)
    max_year = dt.datetime.now(tz=dt.UTC).year + 1
    since = _optional_integers(text, "since", "validation.bad_year", check, low=1900, high=max_year)
    synergies = text.assign(resource=codes, quantity=quantity, unit=units, since=since)
    synergies["family"] = codes.map(lambda c: family_of(c) if isinstance(c, str) else "")
    ordered = [*SYNERGY_COLUMNS, *(c for c in synergies if c not in SYNERGY_COLUMNS)]
    return synergies[ordered].reset_index(drop=True)


def _check_perimeter(raw: RawTable, problems: list[Problem], lang: str) -> gpd.GeoDataFrame | None:
    check = _Checker(raw, problems, lang)
    frame = raw.frame
    if not isinstance(frame, gpd.GeoDataFrame) or "geometry" not in frame:
        check.add(None, "geometry", None, "validation.missing_column")
        return None
    if frame.empty:
        return None
    geometry = frame.geometry if frame.crs is not None else frame.geometry.set_crs(WGS84)
    kinds = geometry.geom_type
    empty = geometry.isna() | geometry.is_empty
    for row in empty[empty].index:
        check.add(int(row), "geometry", None, "validation.no_geometry")
    bad = ~empty & ~kinds.isin(["Polygon", "MultiPolygon"])
    for row in bad[bad].index:
        check.add(int(row), "geometry", None, "validation.not_polygon", kind=kinds.at[row])
    attributes = _as_text(frame)
    return gpd.GeoDataFrame(attributes, geometry=geometry.to_crs(WGS84)).reset_index(drop=True)


def build_zone(
    tables: dict[str, RawTable], *, name: str, source: str = "", lang: str = DEFAULT_LANGUAGE
) -> Zone:
    """Validate raw tables and assemble a Zone.

    Raises
    ------
    ZoneError
        With one Problem per breach of the contract, gathered over every table.
    """
    problems = [
        Problem(tables[table].file, None, None, None, t("validation.no_rows", lang), lang)
        for table in ("companies", "flows")
        if tables[table].frame.empty
    ]
    if problems:
        raise ZoneError(problems)
    companies = _check_companies(tables["companies"], problems, lang)
    ids = set(companies["id"]) if companies is not None else None
    flows = _check_flows(tables["flows"], ids, problems, lang)
    no_synergies = pd.DataFrame(columns=list(SYNERGY_COLUMNS), dtype=str)
    synergies_raw = tables.get("synergies") or _raw_table("synergies", "synergies", no_synergies)
    synergies = _check_synergies(synergies_raw, ids, problems, lang)
    perimeter = (
        _check_perimeter(tables["perimeter"], problems, lang) if "perimeter" in tables else None
    )
    if problems or companies is None or flows is None or synergies is None:
        raise ZoneError(problems)
    return Zone(
        name=name,
        companies=companies.reset_index(drop=True),
        flows=flows,
        synergies=synergies,
        perimeter=perimeter,
        source=source,
    )
