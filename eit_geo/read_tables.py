"""Read the tables of one file (CSV, workbook, GeoJSON, GeoPackage, Parquet) within limits.

Workbooks and GeoPackages are inspected (`bounded`) before they are read; a GeoPackage layer is
indexed by its ``fid``, a sheet by its spreadsheet row.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import geopandas as gpd
import pandas as pd
import pyogrio

from eit_geo.bounded import LimitError, Limits, Size, check_geopackage, check_workbook
from eit_geo.codes import canonical_alias
from eit_geo.i18n import DEFAULT_LANGUAGE
from eit_geo.read_csv import read_csv
from eit_geo.reading import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    MULTI_TABLE_EXTENSIONS,
    REQUIRED_TABLES,
    TABLE_EXTENSIONS,
    TABLE_NAMES,
    RawTable,
    Reading,
    SourceFile,
    checked_size,
    new_reading,
    reason,
    too_large,
    wrong_content,
)

if TYPE_CHECKING:
    from eit_geo.errors import Problem

__all__ = [
    "read_file_tables",
    "read_geopackage_layers",
    "read_table_file",
    "read_workbook_sheets",
    "require_tables",
]

_T = TypeVar("_T")


def _attempted(read: Callable[[], _T], file: SourceFile, reading: Reading, label: str) -> _T | None:
    """Return what ``read`` returns; when it fails, a problem of ``label`` and None.

    A limit passed says which (`Reading.refuse`); any other failure of a reader says the file
    is unreadable, and why.
    """
    try:
        return read()
    except LimitError as error:
        reading.refuse(label, error)
    except Exception as error:  # any reader failure becomes a Problem
        reading.fail(label, "validation.unreadable", reason=reason(error, file))
    return None


def read_table_file(file: SourceFile, table: str, reading: Reading) -> RawTable | None:
    """Read one file holding one table; None (and a problem) when it cannot be read."""
    if too_large(file, reading) or wrong_content(file, reading):
        return None
    raw = _attempted(lambda: _read_one(file, table, reading), file, reading, file.name)
    return None if raw is None else checked_size(raw, reading)


def _read_one(file: SourceFile, table: str, reading: Reading) -> RawTable | None:
    suffix = file.suffix
    if suffix == ".csv":
        return read_csv(file, table, reading)
    if suffix == ".xlsx":
        check_workbook(file.source(), reading.limits, reading.deadline)
        frame = pd.read_excel(file.buffer(), sheet_name=0, dtype=str, keep_default_na=False)
        return RawTable(table, file.name, frame, first_row=2)
    if suffix == ".parquet":
        return RawTable(table, file.name, _read_parquet(file, reading.limits), first_row=1)
    if suffix == ".gpkg":
        check_geopackage(file.source(), reading.limits, read=lambda _layer: True)
        return RawTable(table, file.name, read_layer(file, None), first_row=1)
    _check_features(file, reading.limits)
    frame = pyogrio.read_dataframe(file.source())
    return RawTable(table, file.name, frame, first_row=1)


def _check_features(file: SourceFile, limits: Limits) -> None:
    """Refuse a GeoJSON file with more features than rows allowed, before GDAL parses it."""
    if file.read().count(b'"Feature"') > limits.max_rows:
        raise LimitError(key="limits.too_many_rows", limit=limits.max_rows)


def read_layer(file: SourceFile, layer: str | None) -> pd.DataFrame:
    """Read a GeoPackage layer, indexed by its ``fid`` (the feature number QGIS shows)."""
    with warnings.catch_warnings():  # in memory, GDAL finds the file's name odd: not for users
        warnings.filterwarnings("ignore", "File /vsimem/", RuntimeWarning)
        frame = pyogrio.read_dataframe(file.source(), layer=layer, fid_as_index=True)
    return frame.set_axis(pd.Index(frame.index.astype(int), name=None), axis=0)


def _read_parquet(file: SourceFile, limits: Limits) -> pd.DataFrame:
    """Read a GeoParquet file as a GeoDataFrame, a plain Parquet file as a DataFrame.

    Rows, columns and the sizes the file declares once decompressed are checked first.
    """
    import pyarrow.parquet as pq  # noqa: PLC0415 - optional: only Parquet files need it

    metadata = pq.ParquetFile(file.buffer()).metadata
    if metadata.num_rows > limits.max_rows:
        raise LimitError(key="limits.too_many_rows", limit=limits.max_rows)
    if metadata.num_columns > limits.max_columns:
        raise LimitError(key="limits.too_many_columns", limit=limits.max_columns)
    unpacked = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    if unpacked > 8 * limits.max_bytes:
        raise LimitError(key="limits.unzipped_too_large", limit=Size(8 * limits.max_bytes))
    if b"geo" in (pq.read_schema(file.buffer()).metadata or {}):
        # types-geopandas type the source as a path; geopandas reads a file object as well
        return gpd.read_parquet(file.buffer())  # type: ignore[arg-type]
    return pd.read_parquet(file.buffer())


def read_geopackage_layers(file: SourceFile, reading: Reading) -> dict[str, RawTable]:
    """Read the layers of a GeoPackage named as a zone's tables (French names too)."""
    layers = _attempted(lambda: _zone_layers(file, reading), file, reading, file.name)
    if layers is None:  # not a GeoPackage after all, or over a limit
        return {}
    tables: dict[str, RawTable] = {}
    for layer in layers:
        table = canonical_alias("table", layer)
        if table not in TABLE_NAMES or table in tables:
            continue
        label = f"{file.name}:{layer}"
        frame = _attempted(functools.partial(read_layer, file, layer), file, reading, label)
        if frame is None:  # one bad layer is one problem
            continue
        raw = checked_size(RawTable(table, label, frame, first_row=1), reading)
        if raw is not None:
            tables[table] = raw
    require_tables(tables, file.name, reading, present=_present(layers))
    return tables


def _zone_layers(file: SourceFile, reading: Reading) -> list[str]:
    """Check a GeoPackage's layers named as a zone's tables; return every layer's name."""
    check_geopackage(file.source(), reading.limits, read=_zone_table)
    return _layer_names(file)


def _zone_table(name: str) -> bool:
    return canonical_alias("table", name) in TABLE_NAMES


def _layer_names(file: SourceFile) -> list[str]:
    with warnings.catch_warnings():  # GDAL's notes on a foreign SQLite file: not for users
        warnings.simplefilter("ignore", RuntimeWarning)
        return [str(name) for name, _ in pyogrio.list_layers(file.source())]


def _present(names: list[str]) -> set[str]:
    return {canonical_alias("table", name) or "" for name in names}


def read_workbook_sheets(file: SourceFile, reading: Reading) -> dict[str, RawTable]:
    """Read the sheets of a workbook named as a zone's tables (French names too)."""
    sheets = _attempted(lambda: _sheets(file, reading), file, reading, file.name)
    if sheets is None:  # not a workbook after all, or over a limit
        return {}
    tables: dict[str, RawTable] = {}
    for sheet, frame in sheets.items():
        table = canonical_alias("table", str(sheet))
        if table in TABLE_NAMES and table not in tables:
            raw = RawTable(table, f"{file.name}:{sheet}", frame, first_row=2)
            checked = checked_size(raw, reading)
            if checked is not None:
                tables[table] = checked
    require_tables(tables, file.name, reading, present=_present(list(map(str, sheets))))
    return tables


def _sheets(file: SourceFile, reading: Reading) -> dict[str, pd.DataFrame]:
    """Check a workbook and read all its sheets as text, by name."""
    check_workbook(file.source(), reading.limits, reading.deadline)
    sheets = pd.read_excel(file.buffer(), sheet_name=None, dtype=str, keep_default_na=False)
    return {str(name): frame for name, frame in sheets.items()}


def require_tables(
    tables: dict[str, RawTable], label: str, reading: Reading, present: set[str] | None = None
) -> None:
    """Record a problem for each required table neither read nor ``present`` (found, unread)."""
    present = set(tables) if present is None else present
    for table in REQUIRED_TABLES:
        if table not in present:
            reading.fail(label, "validation.missing_table", table=table)


def read_file_tables(
    path: Path,
    *,
    lang: str = DEFAULT_LANGUAGE,
    max_bytes: int = MAX_FILE_BYTES,
    max_rows: int = MAX_ROWS,
    limits: Limits | None = None,
) -> tuple[list[RawTable], list[Problem]]:
    """Read every sheet or layer of one file, or its one table, whatever their names.

    For ``eit-geo import``, which reads inventories that are not zones yet: each table is
    named after its sheet or layer (``""`` for a file holding one table), with the same limits
    and checks as :func:`load_zone` (``limits`` overrides ``max_bytes`` and ``max_rows``).

    Returns
    -------
    tuple
        The tables read, and the problems of what could not be read.
    """
    reading = new_reading(lang, limits or Limits(max_bytes=max_bytes, max_rows=max_rows))
    file = SourceFile(path.name, path=path)
    if file.suffix not in TABLE_EXTENSIONS:
        reading.fail(path.name, "validation.unsupported_format")
        return [], reading.problems
    if file.suffix not in MULTI_TABLE_EXTENSIONS:
        raw = read_table_file(file, "", reading)
        return ([] if raw is None else [raw]), reading.problems
    if too_large(file, reading) or wrong_content(file, reading):
        return [], reading.problems
    found = _attempted(lambda: _every_table(file, reading), file, reading, path.name) or []
    tables = [checked for raw in found if (checked := checked_size(raw, reading)) is not None]
    return tables, reading.problems


def _every_table(file: SourceFile, reading: Reading) -> list[RawTable]:
    """Read every sheet of a workbook, or layer of a GeoPackage, as a table named after it."""
    with warnings.catch_warnings():  # GDAL's notes on a foreign SQLite file: not for users
        warnings.simplefilter("ignore", RuntimeWarning)
        if file.suffix == ".xlsx":
            sheets = _sheets(file, reading).items()
            return [RawTable(s, f"{file.name}:{s}", f, first_row=2) for s, f in sheets]
        check_geopackage(file.source(), reading.limits, read=lambda _layer: True)
        layers = _layer_names(file)
        return [RawTable(n, f"{file.name}:{n}", read_layer(file, n), 1) for n in layers]
