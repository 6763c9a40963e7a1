"""Check raw tables against the data contract and build a Zone, or raise every problem at once."""

from __future__ import annotations

import datetime as dt
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from eit_geo.codes import canonical_alias, family_of, is_ewc_chapter, normalise_code
from eit_geo.distinct import map_distinct
from eit_geo.errors import Problem, ZoneError
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.reading import RawTable
from eit_geo.written_numbers import parse_numbers
from eit_geo.zone import COMPANY_COLUMNS, FLOW_COLUMNS, SYNERGY_COLUMNS, WGS84, Zone

__all__ = ["QUANTITY_STATUSES", "TO_CODE", "UNLOCATED", "as_text", "build_zone"]

# Columns the loader derives itself: an input copy of them (e.g. from an export) is dropped.
_DERIVED = ("flow_id", "family", "lat", "lon")
_SWAP_FAR_DEG = 5.0
_SWAP_NEAR_DEG = 2.0
_LAST_YEAR = 2100  # an end year may be planned (an exchange stops, a plant closes)
_MOSTLY = 0.5
UNLOCATED = "à localiser"
"""``position_status`` of a company kept without a position, to be located."""
QUANTITY_STATUSES: tuple[str, ...] = ("published", "estimate", "unknown")
"""``quantity_status``: given as such, approximate or converted under an assumption, not known."""
TO_CODE = "à coder"
"""``resource_status`` of a flow whose free text could not be coded with confidence."""


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


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the attribute columns as stripped text, missing values as empty strings."""
    kept = [i for i, column in enumerate(frame.columns) if column != "geometry"]
    # by position: a file may repeat a header (two « Commune », blank headers)
    text = pd.DataFrame({i: _column_text(frame.iloc[:, i]) for i in kept}, index=frame.index)
    return text.set_axis([frame.columns[i] for i in kept], axis=1).astype(str)


def _column_text(values: pd.Series) -> pd.Series:
    """Return one column as stripped text: text in one vectorised pass, other values once each."""
    given = values.notna()
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return values.where(given, "").astype(str).str.strip()
    return map_distinct(values.astype(object).where(given, ""), _cell_text)


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a table's attribute columns as stripped text, missing values as ``""``."""
    return _as_text(frame)


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
    check.headers = {name: str(original).strip() for original, name in headers if name is not None}
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


def _check_required_values(
    text: pd.DataFrame,
    columns: tuple[str, ...],
    check: _Checker,
    allowed: dict[str, pd.Series] | None = None,
) -> None:
    """Report empty required values, except where ``allowed[column]`` says empty is honest."""
    for column in columns:
        empty = text[column] == ""
        if allowed and column in allowed:
            empty &= ~allowed[column]
        for row in text.index[empty]:
            check.add(int(row), column, None, "validation.empty_value")


def _statuses(text: pd.DataFrame, column: str) -> pd.Series:
    """Return a status column in canonical form (``data/aliases.csv``), ``""`` when absent."""
    if column not in text:
        return pd.Series("", index=text.index, dtype=object)
    values = text[column]
    return map_distinct(values, lambda v: (canonical_alias(column, v) or v) if v else "")


def _unlocated(text: pd.DataFrame) -> pd.Series:
    """Rows whose ``position_status`` says the company is still to be located."""
    return _statuses(text, "position_status") == UNLOCATED


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
    unlocated = _unlocated(text)
    unplaced = unlocated & (text["lat"] == "") & (text["lon"] == "") if not geographic else None
    allowed = {"lat": unplaced, "lon": unplaced} if unplaced is not None else None
    _check_required_values(text, required, check, allowed)
    _check_duplicates(text["id"], check)
    if geographic and isinstance(frame, gpd.GeoDataFrame):
        points = _geometry_points(frame, check, unlocated)
    else:
        points = _coordinate_points(text, check)
    employees = _optional_integers(text, "employees", "validation.bad_employees", check, low=0)
    years = _optional_period(text, ("since", "closed"), check)
    if points is None:
        return None
    attributes = text.drop(columns=[c for c in ("lat", "lon") if c in text]).assign(**years)
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
    given = ids[ids != ""]
    repeated = given.duplicated()
    if not repeated.any():
        return
    first_rows = given[~repeated]
    first_of = pd.Series(first_rows.index, index=first_rows.to_numpy())
    for row, value in zip(given.index[repeated].tolist(), given[repeated], strict=True):
        check.add(int(row), "id", value, "validation.duplicate_id", first=int(first_of[value]))


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
            f"{text.at[row, 'lat']!s} ; {text.at[row, 'lon']!s}",
            "validation.lat_lon_swapped",
            lat=text.at[row, "lat"],
            lon=text.at[row, "lon"],
        )
    check.add_rows(lat_out & ~swapped, text["lat"], "lat", "validation.lat_range")
    check.add_rows(lon_out & ~swapped, text["lon"], "lon", "validation.lon_range")
    points = gpd.GeoSeries(gpd.points_from_xy(lon, lat), index=text.index, crs=WGS84)
    return points.where(lat.notna() | lon.notna(), None)  # a company still to be located


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


def _geometry_points(
    frame: gpd.GeoDataFrame, check: _Checker, unlocated: pd.Series
) -> gpd.GeoSeries | None:
    """Return the companies' points in WGS84; an empty one only where still to be located."""
    geometry = frame.geometry
    if _projected_without_crs(geometry):
        check.add(None, "geometry", None, "validation.projected_no_crs")
        return None
    if geometry.crs is None:
        warnings.warn(f"{check.file}: {t('validation.no_crs', check.lang)}", stacklevel=3)
        geometry = geometry.set_crs(WGS84)
    geometry = geometry.to_crs(WGS84)
    empty = geometry.isna() | geometry.is_empty
    for row in empty[empty & ~unlocated].index:
        check.add(int(row), "geometry", None, "validation.no_geometry")
    # QGIS often saves points as one-part MultiPoints: take that one point.
    single = ~empty & (geometry.geom_type == "MultiPoint") & (geometry.count_geometries() == 1)
    if single.any():
        # types-geopandas type a GeoSeries masked or located as a Series; it stays a GeoSeries
        geometry = geometry.where(  # type: ignore[call-overload]
            ~single, geometry.explode(index_parts=False).loc[single[single].index]
        )
    kinds = geometry.geom_type
    bad = ~empty & (kinds != "Point")
    for row in bad[bad].index:
        check.add(int(row), "geometry", None, "validation.not_point", kind=kinds.at[row])
    points: gpd.GeoSeries = geometry[~empty & ~bad]  # type: ignore[assignment]  # as above
    out_of_range = (points.y.abs() > 90) | (points.x.abs() > 180)  # noqa: PLR2004
    check.add_rows(out_of_range, points.to_wkt(), "geometry", "validation.lat_range")
    return geometry


def _projected_without_crs(geometry: gpd.GeoSeries) -> bool:
    """Tell whether coordinates in metres come with no CRS, or with degrees declared.

    A GeoPackage without a CRS, or a GeoJSON without a ``crs`` member (read as WGS84), whose
    positions are nearly all beyond ±180/±90: a Lambert-93 file, say.
    """
    if geometry.crs is not None and not geometry.crs.is_geographic:
        return False
    # types-geopandas type a masked GeoSeries as a Series; it stays a GeoSeries
    present: gpd.GeoSeries = geometry[geometry.notna() & ~geometry.is_empty]  # type: ignore[assignment]
    if present.empty:
        return False
    bounds = present.bounds
    beyond = (bounds["maxy"].abs() > 90) | (bounds["maxx"].abs() > 180)  # noqa: PLR2004
    return bool(beyond.mean() > _MOSTLY)


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


def _optional_period(
    text: pd.DataFrame,
    columns: tuple[str, str],
    check: _Checker,
    *,
    start_years: pd.Series | None = None,
) -> dict[str, pd.Series]:
    """Parse the optional start and end years of a row (``docs/data-format.md``) when given.

    Returns the columns present, as nullable integers; an end before the start is a problem.
    ``start_years``: the start column already parsed by the caller (then not returned).
    """
    start, end = columns
    max_year = dt.datetime.now(tz=dt.UTC).year + 1
    years: dict[str, pd.Series] = {}
    if start_years is None and start in text:
        years[start] = _optional_integers(
            text, start, "validation.bad_year", check, low=1900, high=max_year
        )
    begun = start_years if start_years is not None else years.get(start)
    if end in text:
        years[end] = _optional_integers(
            text, end, "validation.bad_year", check, low=1900, high=_LAST_YEAR
        )
        if begun is not None:
            before = (years[end] < begun).fillna(value=False).astype(bool)
            for row in before[before].index:
                check.add(
                    int(row), end, text.at[row, end], "validation.end_before_start",
                    start=int(begun[row]),
                )  # fmt: skip
    return years


def _check_quantity_unit_resource(
    text: pd.DataFrame, check: _Checker
) -> tuple[pd.Series, pd.Series, pd.Series]:
    quantity = parse_numbers(text["quantity"])
    given = text["quantity"] != ""
    check.add_rows(given & quantity.isna(), text["quantity"], "quantity", "validation.not_number")
    check.add_rows(given & (quantity <= 0), text["quantity"], "quantity", "validation.not_positive")
    units = map_distinct(text["unit"], lambda v: canonical_alias("unit", v) if v else "")
    check.add_rows(units.isna(), text["unit"], "unit", "validation.unknown_unit")
    codes = _codes(text["resource"]).where(text["resource"] != "", "")
    check.add_rows(
        codes.isna() & (text["resource"] != ""),
        text["resource"],
        "resource",
        "validation.unknown_resource",
    )
    return quantity, units, codes


def _codes(values: pd.Series) -> pd.Series:
    return map_distinct(values, normalise_code)


def _families(codes: pd.Series) -> pd.Series:
    """Return the family of each code (``""`` for an empty or unknown code), once per code."""
    return map_distinct(codes, lambda c: family_of(c) if isinstance(c, str) and c else "")


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
    _check_required_values(text, required, check, _honest_gaps(text))
    return text


def _honest_gaps(text: pd.DataFrame) -> dict[str, pd.Series]:
    """Empty values a flow or synergy may honestly have (data-format.md, « incomplete data »).

    A resource not coded yet when its free text (``label``) is kept; a quantity not known
    (its unit may then be empty too).
    """
    labelled = text["label"] != "" if "label" in text else pd.Series(False, index=text.index)
    return {
        "resource": labelled,
        "quantity": pd.Series(True, index=text.index),
        "unit": text["quantity"] == "",
    }


def _with_statuses(table: pd.DataFrame, text: pd.DataFrame, check: _Checker) -> pd.DataFrame:
    """Write down what is missing: ``quantity_status`` unknown, ``resource_status`` à coder."""
    statuses = _statuses(text, "quantity_status")
    check.add_rows(
        ~statuses.isin(QUANTITY_STATUSES) & (statuses != ""),
        text.get("quantity_status", statuses),
        "quantity_status",
        "validation.unknown_quantity_status",
    )
    no_quantity = text["quantity"] == ""
    # « 80 t »: a unit without a period is read per year, an assumption written as a status
    no_period = ~no_quantity & (text["unit"] != "") & ~text["unit"].str.contains("/", regex=False)
    no_period &= statuses == ""
    if "quantity_status" in text or no_quantity.any() or no_period.any():
        statuses = statuses.where(~no_period, "estimate")
        table["quantity_status"] = statuses.where(~no_quantity, "unknown")
    uncoded = text["resource"] == ""
    if uncoded.any():
        table["resource_status"] = np.where(uncoded, TO_CODE, "")
    return table


def _check_known_companies(
    text: pd.DataFrame, columns: tuple[str, ...], company_ids: pa.Array | None, check: _Checker
) -> None:
    """Report ids of ``columns`` that are not companies (skipped if companies were unreadable)."""
    if company_ids is None:
        return
    for column in columns:
        values = pa.array(text[column].astype(str), type=pa.string())
        found = pc.is_in(values, value_set=company_ids).to_numpy(zero_copy_only=False)
        unknown = pd.Series(~found, index=text.index) & (text[column] != "")
        check.add_rows(unknown, text[column], column, "validation.unknown_company")


def _check_flows(
    raw: RawTable, company_ids: pa.Array | None, problems: list[Problem], lang: str
) -> pd.DataFrame | None:
    check = _Checker(raw, problems, lang)
    required = ("company_id", "direction", "resource", "quantity", "unit")
    text = _required_text(raw, required, check)
    if text is None:
        return None
    _check_known_companies(text, ("company_id",), company_ids, check)
    directions = map_distinct(
        text["direction"], lambda v: canonical_alias("direction", v) if v else ""
    )
    check.add_rows(
        directions.isna(), text["direction"], "direction", "validation.unknown_direction"
    )
    quantity, units, codes = _check_quantity_unit_resource(text, check)
    chapter_output = (directions == "output") & map_distinct(
        codes, lambda c: isinstance(c, str) and is_ewc_chapter(c)
    ).astype(bool)
    check.add_rows(chapter_output, text["resource"], "resource", "validation.output_chapter")
    flows = text.assign(direction=directions, resource=codes, quantity=quantity, unit=units)
    flows = flows.assign(**_optional_period(text, ("since", "closed"), check))
    flows = _with_statuses(flows, text, check)
    flows["family"] = _families(codes)
    if "label" not in flows:
        flows["label"] = ""
    ordered = [*FLOW_COLUMNS, *(c for c in flows if c not in FLOW_COLUMNS)]
    flows = flows[ordered].reset_index(drop=True)
    flows.insert(0, "flow_id", range(len(flows)))
    return flows


def _check_synergies(
    raw: RawTable, company_ids: pa.Array | None, problems: list[Problem], lang: str
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
    synergies = synergies.assign(
        **_optional_period(text, ("since", "until"), check, start_years=since)
    )
    synergies = _with_statuses(synergies, text, check)
    synergies["family"] = _families(codes)
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
    ids = None  # the companies' ids, distinct, as Arrow text: flows and exchanges must name one
    if companies is not None:
        ids = pc.unique(pa.array(companies["id"].astype(str), type=pa.string()))
    flows = _check_flows(tables["flows"], ids, problems, lang)
    no_synergies = pd.DataFrame(columns=list(SYNERGY_COLUMNS), dtype=str)
    synergies_raw = tables.get("synergies") or RawTable("synergies", "synergies", no_synergies)
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
