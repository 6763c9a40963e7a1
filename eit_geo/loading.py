"""Read a zone from a folder, a GeoPackage, a workbook or a zip, into a validated Zone.

Every reader stays within limits (`bounded.Limits`) before it spends: sizes are checked before
reading, zips and workbooks are scanned by streaming, GeoPackages inspected with SQLite, CSV
width and line lengths measured. Uploaded files are read from memory and never written to disk.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyogrio
from pyarrow import csv as arrow_csv

from eit_geo._memory import release_memory
from eit_geo.bounded import (
    MEGABYTE,
    Deadline,
    LimitError,
    Limits,
    Size,
    check_geopackage,
    check_workbook,
    megabytes,
    unzip_members,
)
from eit_geo.codes import canonical_alias
from eit_geo.errors import Problem, ZoneError
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.validation import build_zone

if TYPE_CHECKING:
    from eit_geo.zone import Zone

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "TABLE_EXTENSIONS",
    "RawTable",
    "decode_text",
    "load_zone",
    "load_zone_files",
    "read_file_tables",
    "read_raw_tables",
    "sniff_separator",
]

TABLE_NAMES: tuple[str, ...] = ("companies", "flows", "synergies", "perimeter")
REQUIRED_TABLES: tuple[str, ...] = ("companies", "flows")
TABLE_EXTENSIONS: tuple[str, ...] = (".csv", ".xlsx", ".geojson", ".json", ".gpkg", ".parquet")
MULTI_TABLE_EXTENSIONS: tuple[str, ...] = (".gpkg", ".xlsx")
ZONE_FILE_EXTENSIONS: tuple[str, ...] = (".gpkg", ".xlsx", ".zip")
MAX_FILE_BYTES = 200 * MEGABYTE
MAX_ROWS = 2_000_000
MAX_LINE_BYTES = MEGABYTE  # one line of a CSV file
_SEPARATORS = (";", ",", "\t", "|")
_BOMS = {b"\xef\xbb\xbf": "utf-8-sig", b"\xff\xfe": "utf-16", b"\xfe\xff": "utf-16"}
_TEXT_CONTROLS = np.array([9, 10, 13], dtype=np.uint8)  # the control bytes a text file holds
_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' « str », kept in Arrow's memory
_CONTROL_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# First bytes of each binary format: a file whose content does not match its extension is
# refused with a clear message instead of a reader's error.
_SIGNATURES = {
    ".xlsx": b"PK\x03\x04",
    ".zip": b"PK",
    ".gpkg": b"SQLite format 3\x00",
    ".parquet": b"PAR1",
}
_BINARY_MAGIC = (b"\x89PNG", b"%PDF", b"PK\x03\x04", b"\xff\xd8\xff", b"GIF8", b"SQLite format")


@dataclass
class RawTable:
    """One table as read from a file, before validation.

    The frame's index is the row a user sees: the spreadsheet row (the header is row 1) in a CSV
    file or a sheet, the feature number (from 1, the ``fid`` of a GeoPackage) in a geographic or
    Parquet file. ``first_row`` numbers a frame read with a default index; left None, it is 1 for
    a GeoDataFrame and 2 otherwise.
    """

    table: str
    file: str
    frame: pd.DataFrame
    first_row: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.frame.index, pd.RangeIndex) and self.frame.index.start == 0:
            first = self.first_row
            if first is None:
                first = 1 if isinstance(self.frame, gpd.GeoDataFrame) else 2
            self.frame = self.frame.set_axis(range(first, first + len(self.frame)))


@dataclass(frozen=True)
class _File:
    """A file to read: on disk (``path``) or in memory (``data``: uploaded, or from a zip)."""

    name: str
    path: Path | None = None
    data: bytes | None = None

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name).suffix.lower()

    @property
    def stem(self) -> str:
        return PurePosixPath(self.name).stem

    def size(self) -> int:
        return len(self.data) if self.data is not None else self._path().stat().st_size

    def head(self, count: int) -> bytes:
        if self.data is not None:
            return self.data[:count]
        with self._path().open("rb") as handle:
            return handle.read(count)

    def read(self) -> bytes:
        return self.data if self.data is not None else self._path().read_bytes()

    def source(self) -> Path | bytes:
        """Return the file for `bounded`'s checks and pyogrio: its path, or its bytes."""
        return self.data if self.data is not None else self._path()

    def buffer(self) -> str | io.BytesIO:
        """Return the file for pandas and pyarrow: its path, or a fresh buffer over its bytes."""
        return io.BytesIO(self.data) if self.data is not None else str(self._path())

    def _path(self) -> Path:
        assert self.path is not None  # noqa: S101 - a _File has a path or data
        return self.path


@dataclass
class _Reading:
    """What every reader needs: where problems go, their language, the limits and the time."""

    problems: list[Problem]
    lang: str = DEFAULT_LANGUAGE
    limits: Limits = field(default_factory=Limits)
    deadline: Deadline = field(default_factory=lambda: Deadline(None))

    @property
    def max_bytes(self) -> int:
        return self.limits.max_bytes

    @property
    def max_rows(self) -> int:
        return self.limits.max_rows

    def fail(self, file: str, key: str, **values: object) -> None:
        """Record a problem about a whole file."""
        message = t(key, self.lang, **values)
        self.problems.append(Problem(file, None, None, None, message, self.lang))

    def refuse(self, file: str, error: LimitError) -> None:
        """Record a file refused for a limit."""
        message = error.message(self.lang)
        self.problems.append(Problem(file, None, None, None, message, self.lang))


def load_zone(
    source: str | Path,
    *,
    name: str | None = None,
    lang: str = DEFAULT_LANGUAGE,
    max_bytes: int = MAX_FILE_BYTES,
    max_rows: int = MAX_ROWS,
    limits: Limits | None = None,
) -> Zone:
    """Load and validate a zone.

    Parameters
    ----------
    source
        A folder holding ``companies.*``, ``flows.*`` and optionally ``synergies.*`` and
        ``perimeter.*``; a GeoPackage or workbook with layers or sheets of those names; or a zip
        of such a folder. French names are accepted (``entreprises``, ``flux``, ``perimetre``).
    name
        Display name; defaults to the folder or file name.
    lang
        Language of the problem messages (``fr`` or ``en``).
    max_bytes, max_rows
        Limits per file (bytes, 10⁶ to a MB) and per table, checked before a file is read whole.
    limits
        All the limits at once (`bounded.Limits`); overrides ``max_bytes`` and ``max_rows``.

    Returns
    -------
    Zone

    Raises
    ------
    ZoneError
        With every problem found; nothing is returned half-loaded.
    """
    path = Path(source)
    label = path.name or str(path)
    reading = _reading(lang, limits or Limits(max_bytes=max_bytes, max_rows=max_rows))
    zone_name = name or (path.stem if path.is_file() else path.name)
    return _load(lambda: read_raw_tables(path, reading), reading, label, zone_name, str(path))


def load_zone_files(
    files: Iterable[tuple[str, bytes]],
    *,
    name: str,
    lang: str = DEFAULT_LANGUAGE,
    max_bytes: int = MAX_FILE_BYTES,
    max_rows: int = MAX_ROWS,
    limits: Limits | None = None,
) -> Zone:
    """Load a zone from files given as ``(file name, bytes)``, e.g. uploaded in the dashboard.

    The files are refused whole when together they exceed ``max_bytes``; otherwise they are read
    from memory, never written to disk. A single GeoPackage, workbook or zip is read as the zone
    itself. The zone's ``source`` is ``"upload"``.

    Raises
    ------
    ZoneError
        As :func:`load_zone`.
    """
    # One file per name: a name given twice (uploaded again after a fix) keeps its last bytes.
    named = {PurePosixPath(file_name).name: data for file_name, data in files}
    uploads = [_File(file_name, data=data) for file_name, data in named.items() if file_name]
    reading = _reading(lang, limits or Limits(max_bytes=max_bytes, max_rows=max_rows))
    if _over_limit(name, sum(f.size() for f in uploads), reading):
        raise ZoneError(reading.problems)

    def read() -> dict[str, RawTable]:
        if len(uploads) == 1 and uploads[0].suffix in ZONE_FILE_EXTENSIONS:
            return _read_source(uploads[0], reading)
        return _read_folder(uploads, reading, label=name)

    zone = _load(read, reading, name, name, "upload")
    zone.source = "upload"
    return zone


def _reading(lang: str, limits: Limits) -> _Reading:
    return _Reading([], lang, limits, Deadline(limits.seconds))


def _load(
    read: Callable[[], dict[str, RawTable]],
    reading: _Reading,
    label: str,
    name: str,
    source: str,
) -> Zone:
    problems = reading.problems
    try:
        tables = read()
    except Exception as error:  # any reader failure is reported, never raised
        reading.fail(label, "validation.unreadable", reason=_reason(error))
        tables = {}
    if not all(table in tables for table in REQUIRED_TABLES):
        raise ZoneError(problems)
    try:
        zone = build_zone(tables, name=name, source=source, lang=reading.lang)
    except ZoneError as error:
        raise ZoneError([*problems, *error.problems]) from None
    except Exception as error:  # content the checks did not foresee
        reading.fail(label, "validation.unexpected", reason=_reason(error))
        raise ZoneError(problems) from None
    if problems:
        raise ZoneError(problems)
    del tables
    release_memory()  # what reading and checking freed
    return zone


def read_raw_tables(path: Path, reading: _Reading) -> dict[str, RawTable]:
    """Read every table a zone source holds, recording in ``reading`` what cannot be read."""
    label = path.name or str(path)
    if not path.exists():
        reading.fail(label, "validation.not_found")
        return {}
    if path.is_dir():
        files = [_File(p.name, path=p) for p in sorted(path.iterdir()) if p.is_file()]
        return _read_folder(files, reading, label)
    return _read_source(_File(path.name, path=path), reading)


def _read_source(file: _File, reading: _Reading) -> dict[str, RawTable]:
    """Read one file given as the zone: a container, or a lone table (then problems only)."""
    readers = {
        ".zip": _read_zip,
        ".gpkg": _read_geopackage_layers,
        ".xlsx": _read_workbook_sheets,
    }
    if file.suffix in readers:
        if _too_large(file, reading) or _wrong_content(file, reading):
            return {}
        return readers[file.suffix](file, reading)
    if file.suffix in TABLE_EXTENSIONS:
        return _read_single_file(file, reading)
    reading.fail(file.name, "validation.unsupported_format")
    return {}


def _read_single_file(file: _File, reading: _Reading) -> dict[str, RawTable]:
    """Read a lone table file: not a zone, but its own problems are reported too."""
    table = canonical_alias("table", file.stem)
    tables = {}
    if table in TABLE_NAMES:
        raw = _read_table_file(file, table, reading)
        tables = {table: raw} if raw is not None else {}
    elif _too_large(file, reading) or _wrong_content(file, reading):
        return tables
    _require_tables(tables, file.name, reading, present={table or ""})
    return tables


def _read_folder(files: list[_File], reading: _Reading, label: str) -> dict[str, RawTable]:
    by_table: dict[str, list[_File]] = {}
    for file in files:
        if file.suffix not in TABLE_EXTENSIONS:
            continue
        table = canonical_alias("table", file.stem)
        if table in TABLE_NAMES:
            by_table.setdefault(table, []).append(file)
    if not by_table:
        project_files = [f for f in files if f.suffix in MULTI_TABLE_EXTENSIONS]
        if len(project_files) == 1:
            return _read_source(project_files[0], reading)
    tables: dict[str, RawTable] = {}
    for table, found in by_table.items():
        if len(found) > 1:
            names = ", ".join(f.name for f in found)
            reading.fail(label, "validation.duplicate_table", table=table, files=names)
            continue
        raw = _read_table_file(found[0], table, reading)
        if raw is not None:
            tables[table] = raw
    _require_tables(tables, label, reading, present=set(by_table))
    return tables


def _require_tables(
    tables: dict[str, RawTable], label: str, reading: _Reading, present: set[str] | None = None
) -> None:
    present = set(tables) if present is None else present
    for table in REQUIRED_TABLES:
        if table not in present:
            reading.fail(label, "validation.missing_table", table=table)


def _zip_member_wanted(name: str) -> bool:
    base = PurePosixPath(name).name
    return (
        bool(base)
        and not base.startswith(".")
        and "__MACOSX" not in name
        and PurePosixPath(base).suffix.lower() in TABLE_EXTENSIONS
    )


def _read_zip(archive: _File, reading: _Reading) -> dict[str, RawTable]:
    """Read a zip as a folder: its table files inflated in memory within the size limit."""
    try:
        members = unzip_members(
            archive.source(), reading.limits, wanted=_zip_member_wanted, deadline=reading.deadline
        )
    except LimitError as error:
        reading.refuse(archive.name, error)
        return {}
    except Exception as error:  # a broken archive is a problem, not a crash
        reading.fail(archive.name, "validation.unreadable", reason=_reason(error, archive))
        return {}
    named = {PurePosixPath(name).name: data for name, data in members}
    files = [_File(name, data=data) for name, data in named.items()]
    first = len(reading.problems)
    tables = _read_folder(files, reading, label=archive.name)
    _relabel_problems(reading, first, archive.name, set(named))
    for raw in tables.values():
        raw.file = f"{archive.name}/{raw.file}"
    return tables


def _relabel_problems(reading: _Reading, first: int, archive: str, names: set[str]) -> None:
    """Name the files of a zip as ``archive/file`` in the problems recorded since ``first``."""
    for index in range(first, len(reading.problems)):
        problem = reading.problems[index]
        if problem.file != archive and problem.file.split(":")[0] in names:
            reading.problems[index] = replace(problem, file=f"{archive}/{problem.file}")


def _reason(error: BaseException, file: _File | None = None) -> str:
    """Return the first line of an error, without the full path of the file.

    A `MemoryError` is raised again: the worker reading an upload reports it as such.
    """
    if isinstance(error, MemoryError):
        raise error
    text = str(error).splitlines()[0] if str(error).strip() else type(error).__name__
    if file is not None and file.path is not None:
        text = text.replace(str(file.path), file.name)
    text = text.split("; It might help")[0]
    return text[:200]


def _over_limit(label: str, size: int, reading: _Reading) -> bool:
    if size <= reading.max_bytes:
        return False
    size_text = megabytes(size, reading.lang)
    limit = megabytes(reading.max_bytes, reading.lang)
    reading.fail(label, "validation.too_large", size=size_text, limit=limit)
    return True


def _too_large(file: _File, reading: _Reading) -> bool:
    """Refuse a file over the size limit, or an empty one, before reading it."""
    size = file.size()
    if size == 0:
        reading.fail(file.name, "validation.empty_file")
        return True
    return _over_limit(file.name, size, reading)


def _wrong_content(file: _File, reading: _Reading) -> bool:
    """Refuse a file whose first bytes do not match its extension (e.g. a renamed text file)."""
    suffix = file.suffix
    head = file.head(64)
    if suffix == ".csv":
        utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
        wrong = not utf16 and (b"\x00" in head or head.startswith(_BINARY_MAGIC))
        if wrong:
            reading.fail(file.name, "validation.not_text")
        return wrong
    signature = _SIGNATURES.get(suffix)
    if signature is None:
        text = head.lstrip(b"\xef\xbb\xbf").lstrip()
        wrong = suffix in (".geojson", ".json") and not text.startswith(b"{")
    else:
        wrong = not head.startswith(signature)
    if wrong:
        reading.fail(file.name, "validation.wrong_content", ext=suffix)
    return wrong


def _read_table_file(file: _File, table: str, reading: _Reading) -> RawTable | None:
    """Read one file holding one table; None (and a problem) when it cannot be read."""
    if _too_large(file, reading) or _wrong_content(file, reading):
        return None
    suffix = file.suffix
    try:
        if suffix == ".csv":
            raw = _read_csv(file, table, reading)
        elif suffix == ".xlsx":
            check_workbook(file.source(), reading.limits, reading.deadline)
            frame = pd.read_excel(file.buffer(), sheet_name=0, dtype=str, keep_default_na=False)
            raw = RawTable(table, file.name, frame, first_row=2)
        elif suffix == ".parquet":
            raw = RawTable(table, file.name, _read_parquet(file, reading.limits), first_row=1)
        elif suffix == ".gpkg":
            check_geopackage(file.source(), reading.limits, read=lambda _layer: True)
            raw = RawTable(table, file.name, _read_layer(file, None), first_row=1)
        else:
            _check_features(file, reading.limits)
            frame = pyogrio.read_dataframe(file.source())
            raw = RawTable(table, file.name, frame, first_row=1)
    except LimitError as error:
        reading.refuse(file.name, error)
        return None
    except Exception as error:  # any reader failure becomes a Problem
        reading.fail(file.name, "validation.unreadable", reason=_reason(error, file))
        return None
    return None if raw is None else _checked_size(raw, reading)


def _check_features(file: _File, limits: Limits) -> None:
    """Refuse a GeoJSON file with more features than rows allowed, before GDAL parses it."""
    if file.read().count(b'"Feature"') > limits.max_rows:
        raise LimitError(key="limits.too_many_rows", limit=limits.max_rows)


def _read_layer(file: _File, layer: str | None) -> pd.DataFrame:
    """Read a GeoPackage layer, indexed by its ``fid`` (the feature number QGIS shows)."""
    with warnings.catch_warnings():  # in memory, GDAL finds the file's name odd: not for users
        warnings.filterwarnings("ignore", "File /vsimem/", RuntimeWarning)
        frame = pyogrio.read_dataframe(file.source(), layer=layer, fid_as_index=True)
    return frame.set_axis(pd.Index(frame.index.astype(int), name=None), axis=0)


def _read_parquet(file: _File, limits: Limits) -> pd.DataFrame:
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


def _checked_size(raw: RawTable, reading: _Reading) -> RawTable | None:
    limits = reading.limits
    if len(raw.frame) > limits.max_rows:
        reading.refuse(raw.file, LimitError(key="limits.too_many_rows", limit=limits.max_rows))
        return None
    if len(raw.frame.columns) > limits.max_columns:
        reading.refuse(
            raw.file, LimitError(key="limits.too_many_columns", limit=limits.max_columns)
        )
        return None
    return raw


def _read_geopackage_layers(file: _File, reading: _Reading) -> dict[str, RawTable]:
    try:
        check_geopackage(
            file.source(),
            reading.limits,
            read=lambda layer: canonical_alias("table", layer) in TABLE_NAMES,
        )
        with warnings.catch_warnings():  # GDAL's notes on a foreign SQLite file: not for users
            warnings.simplefilter("ignore", RuntimeWarning)
            layers = [str(name) for name, _ in pyogrio.list_layers(file.source())]
    except LimitError as error:
        reading.refuse(file.name, error)
        return {}
    except Exception as error:  # not a GeoPackage after all
        reading.fail(file.name, "validation.unreadable", reason=_reason(error, file))
        return {}
    tables: dict[str, RawTable] = {}
    for layer in layers:
        table = canonical_alias("table", layer)
        if table not in TABLE_NAMES or table in tables:
            continue
        label = f"{file.name}:{layer}"
        try:
            frame = _read_layer(file, layer)
        except Exception as error:  # one bad layer is one problem
            reading.fail(label, "validation.unreadable", reason=_reason(error, file))
            continue
        raw = _checked_size(RawTable(table, label, frame, first_row=1), reading)
        if raw is not None:
            tables[table] = raw
    _require_tables(tables, file.name, reading, present=_present(layers))
    return tables


def _present(names: list[str]) -> set[str]:
    return {canonical_alias("table", name) or "" for name in names}


def _read_workbook_sheets(file: _File, reading: _Reading) -> dict[str, RawTable]:
    try:
        check_workbook(file.source(), reading.limits, reading.deadline)
        sheets = pd.read_excel(file.buffer(), sheet_name=None, dtype=str, keep_default_na=False)
    except LimitError as error:
        reading.refuse(file.name, error)
        return {}
    except Exception as error:  # not a workbook after all
        reading.fail(file.name, "validation.unreadable", reason=_reason(error, file))
        return {}
    tables: dict[str, RawTable] = {}
    for sheet, frame in sheets.items():
        table = canonical_alias("table", str(sheet))
        if table in TABLE_NAMES and table not in tables:
            raw = RawTable(table, f"{file.name}:{sheet}", frame, first_row=2)
            checked = _checked_size(raw, reading)
            if checked is not None:
                tables[table] = checked
    _require_tables(tables, file.name, reading, present=_present(list(map(str, sheets))))
    return tables


# --------------------------------------------------------------------------- CSV


def decode_text(data: bytes) -> str | None:
    """Decode a CSV file's bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252.

    Returns None for content that is not text (NUL bytes or control characters).
    """
    utf8 = _utf8(data)
    return None if utf8 is None else utf8.decode("utf-8")


def _utf8(data: bytes) -> bytes | None:
    """Return a CSV file's bytes as UTF-8 without BOM; None if they are not text.

    UTF-8 and cp1252 bytes are checked as they are, by NumPy (control characters are single
    bytes in both); only UTF-16 and cp1252 are decoded and encoded again.
    """
    for bom, encoding in _BOMS.items():
        if data.startswith(bom) and encoding == "utf-16":
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                return None
            if _CONTROL_TEXT.search(text):
                return None
            return text.lstrip("\ufeff").encode("utf-8")
    while data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    codes = np.frombuffer(data, dtype=np.uint8)
    if np.isin(codes[codes < ord(" ")], _TEXT_CONTROLS, invert=True).any():
        return None
    if not _is_utf8(data):
        data = data.decode("cp1252", errors="replace").encode("utf-8")
    return data


def _is_utf8(data: bytes) -> bool:
    """Tell whether bytes are valid UTF-8, a megabyte at a time (no text of the whole file)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(data), MEGABYTE):
            decoder.decode(view[start : start + MEGABYTE])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def sniff_separator(text: str) -> str:
    """Guess a CSV separator from the header line: the most frequent of ``; , TAB |``."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {sep: header.count(sep) for sep in _SEPARATORS}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _read_csv(file: _File, table: str, reading: _Reading) -> RawTable | None:
    data = _utf8(file.read())
    if data is None:
        reading.fail(file.name, "validation.not_text")
        return None
    if not data.strip():
        reading.fail(file.name, "validation.empty_file")
        return None
    head = data[: 2 * MAX_LINE_BYTES].decode("utf-8", errors="ignore")
    separator = sniff_separator(head)
    header = _header(data, head, separator, reading.limits)
    frame = None if header is None else _arrow_frame(data, separator, header, reading.limits)
    if frame is None:  # irregular rows: read as a spreadsheet would, row by row
        return _read_csv_rows(file, data.decode("utf-8"), separator, table, reading)
    return RawTable(table, file.name, frame)


def _header(data: bytes, head: str, separator: str, limits: Limits) -> list[str] | None:
    """Return the header's names; None if the header is not one plain line (read row by row).

    Raises
    ------
    LimitError
        Too many columns, or a line longer than ``MAX_LINE_BYTES``.
    """
    line = head.split("\n", 1)[0]
    if line.count(separator) >= limits.max_columns:
        names = next(csv.reader([line[:MAX_LINE_BYTES]], delimiter=separator), [])
        if len(names) > limits.max_columns:
            raise LimitError(key="limits.too_many_columns", limit=limits.max_columns)
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n"))
    if np.diff(ends, prepend=-1, append=len(data)).max() > MAX_LINE_BYTES + 1:
        raise LimitError(key="limits.line_too_long", limit=Size(MAX_LINE_BYTES))
    if not line.strip() or line.count('"') % 2:
        return None
    return next(csv.reader([line.rstrip("\r")], delimiter=separator), [])


def _arrow_frame(
    data: bytes, separator: str, header: list[str], limits: Limits
) -> pd.DataFrame | None:
    """Read CSV rows with pyarrow, column by column; None if a row has the wrong width.

    Rows whose cells are all blank are left out; the index is the spreadsheet row.

    Raises
    ------
    LimitError
        More than ``limits.max_rows`` rows (counted while reading), or a cell too long.
    """
    names = [f"c{index}" for index in range(len(header))]
    irregular: list[int] = []

    def skip(row: arrow_csv.InvalidRow) -> Literal["skip"]:
        irregular.append(row.number or 0)
        return "skip"

    body = pa.py_buffer(data)[data.find(b"\n") + 1 :] if b"\n" in data else pa.py_buffer(b"")
    if not body.size:
        return pd.DataFrame([], columns=header, dtype=str)
    reader = arrow_csv.open_csv(
        pa.BufferReader(body),  # type: ignore[arg-type]  # pyarrow-stubs leave out NativeFile
        read_options=arrow_csv.ReadOptions(column_names=names, block_size=1 << 22),
        parse_options=arrow_csv.ParseOptions(
            delimiter=separator,
            newlines_in_values=True,
            ignore_empty_lines=False,
            invalid_row_handler=skip,
        ),
        convert_options=arrow_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            null_values=[],
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    kept: list[pa.RecordBatch] = []
    numbers: list[np.ndarray] = []
    read, rows = 0, 0
    for batch in reader:
        if irregular:
            return None
        filled = _filled_rows(batch)
        kept.append(batch.filter(filled))
        numbers.append(np.flatnonzero(filled.to_numpy(zero_copy_only=False)) + read + 2)
        read += batch.num_rows
        rows += kept[-1].num_rows
        if rows > limits.max_rows:
            raise LimitError(key="limits.too_many_rows", limit=limits.max_rows)
    if irregular:
        return None
    table = pa.Table.from_batches(kept, schema=reader.schema)
    for column in table.columns:
        if len(column) and pc.max(pc.utf8_length(column)).as_py() > limits.max_cell_chars:
            raise LimitError(key="limits.cell_too_long", limit=limits.max_cell_chars)
    frame = table.to_pandas(types_mapper=lambda kind: _TEXT if kind == pa.string() else None)
    index = np.concatenate(numbers) if numbers else np.array([], dtype=np.int64)
    return frame.set_axis(header, axis=1).set_axis(pd.Index(index), axis=0)


def _filled_rows(batch: pa.RecordBatch) -> pa.BooleanArray:
    """Tell which rows hold at least one cell that is not blank."""
    filled = pa.array(np.zeros(batch.num_rows, dtype=bool))
    for column in batch.columns:
        filled = pc.or_(filled, pc.not_equal(pc.utf8_trim_whitespace(column), pa.scalar("")))
    return filled


def _csv_rows(text: str, separator: str) -> list[list[str]] | int:
    """Split CSV text into rows; for a quote never closed, the row where it opens.

    The strict reading only serves to find that quote: any other irregularity (a quote inside
    a value) is read leniently, as a spreadsheet would.
    """
    rows: list[list[str]] = []
    strict = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    try:
        rows.extend(strict)
    except csv.Error as error:
        if "unexpected end of data" in str(error):
            return len(rows) + 1
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    return rows


def _read_csv_rows(
    file: _File, text: str, separator: str, table: str, reading: _Reading
) -> RawTable | None:
    """Read irregular CSV rows one by one: short rows filled, long ones reported."""
    rows = _csv_rows(text, separator)
    if isinstance(rows, int):
        message = t("validation.unclosed_quote", reading.lang)
        reading.problems.append(Problem(file.name, rows, None, None, message, reading.lang))
        return None
    header, body = rows[0], rows[1:]
    width = len(header)
    records: list[list[str]] = []
    numbers: list[int] = []
    longest = reading.limits.max_cell_chars
    for number, row in enumerate(body, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if any(len(cell) > longest for cell in row):
            raise LimitError(key="limits.cell_too_long", limit=longest)
        if len(row) > width and any(cell.strip() for cell in row[width:]):
            message = t("validation.too_many_fields", reading.lang, count=len(row), width=width)
            value = separator.join(row)[:80]
            problem = Problem(file.name, number, None, value, message, reading.lang)
            reading.problems.append(problem)
        records.append((row + [""] * width)[:width])
        numbers.append(number)
        if len(records) > reading.max_rows:
            raise LimitError(key="limits.too_many_rows", limit=reading.max_rows)
    frame = pd.DataFrame(records, columns=header, index=numbers, dtype=str)
    return RawTable(table, file.name, frame)


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
    reading = _reading(lang, limits or Limits(max_bytes=max_bytes, max_rows=max_rows))
    file = _File(path.name, path=path)
    if file.suffix not in TABLE_EXTENSIONS:
        reading.fail(path.name, "validation.unsupported_format")
        return [], reading.problems
    if file.suffix not in MULTI_TABLE_EXTENSIONS:
        raw = _read_table_file(file, "", reading)
        return ([] if raw is None else [raw]), reading.problems
    if _too_large(file, reading) or _wrong_content(file, reading):
        return [], reading.problems
    try:
        with warnings.catch_warnings():  # GDAL's notes on a foreign SQLite file: not for users
            warnings.simplefilter("ignore", RuntimeWarning)
            if file.suffix == ".xlsx":
                check_workbook(file.source(), reading.limits, reading.deadline)
                sheets = pd.read_excel(
                    file.buffer(), sheet_name=None, dtype=str, keep_default_na=False
                )
                found = [RawTable(str(s), f"{path.name}:{s}", f, 2) for s, f in sheets.items()]
            else:
                check_geopackage(file.source(), reading.limits, read=lambda _layer: True)
                layers = [str(name) for name, _ in pyogrio.list_layers(file.source())]
                found = [RawTable(n, f"{path.name}:{n}", _read_layer(file, n), 1) for n in layers]
    except LimitError as error:
        reading.refuse(path.name, error)
        return [], reading.problems
    except Exception as error:  # any reader failure becomes a Problem
        reading.fail(path.name, "validation.unreadable", reason=_reason(error, file))
        return [], reading.problems
    tables = [checked for raw in found if (checked := _checked_size(raw, reading)) is not None]
    return tables, reading.problems
