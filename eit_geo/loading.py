"""Read a zone from a folder, a GeoPackage, a workbook or a zip, into a validated Zone."""

from __future__ import annotations

import csv
import io
import tempfile
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import pyogrio

from eit_geo._memory import release_memory
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
    "load_zone",
    "load_zone_files",
    "read_file_tables",
    "read_raw_tables",
]

TABLE_NAMES: tuple[str, ...] = ("companies", "flows", "synergies", "perimeter")
REQUIRED_TABLES: tuple[str, ...] = ("companies", "flows")
TABLE_EXTENSIONS: tuple[str, ...] = (".csv", ".xlsx", ".geojson", ".json", ".gpkg", ".parquet")
MULTI_TABLE_EXTENSIONS: tuple[str, ...] = (".gpkg", ".xlsx")
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_ROWS = 2_000_000
_SEPARATORS = (";", ",", "\t", "|")
_BOMS = {b"\xef\xbb\xbf": "utf-8-sig", b"\xff\xfe": "utf-16", b"\xfe\xff": "utf-16"}
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


@dataclass
class _Reading:
    """What every reader needs: where problems go, their language and the size limits."""

    problems: list[Problem]
    lang: str = DEFAULT_LANGUAGE
    max_bytes: int = MAX_FILE_BYTES
    max_rows: int = MAX_ROWS

    def fail(self, file: str, key: str, **values: object) -> None:
        """Record a problem about a whole file."""
        message = t(key, self.lang, **values)
        self.problems.append(Problem(file, None, None, None, message, self.lang))


def load_zone(
    source: str | Path,
    *,
    name: str | None = None,
    lang: str = DEFAULT_LANGUAGE,
    max_bytes: int = MAX_FILE_BYTES,
    max_rows: int = MAX_ROWS,
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
        Limits per file, beyond which the file is refused before it is read whole.

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
    problems: list[Problem] = []
    reading = _Reading(problems, lang, max_bytes, max_rows)
    try:
        tables = read_raw_tables(path, reading)
    except Exception as error:  # any reader failure is reported, never raised
        reading.fail(label, "validation.unreadable", reason=_reason(error, path))
        tables = {}
    if not all(table in tables for table in REQUIRED_TABLES):
        raise ZoneError(problems)
    zone_name = name or (path.stem if path.is_file() else path.name)
    try:
        zone = build_zone(tables, name=zone_name, source=str(path), lang=lang)
    except ZoneError as error:
        raise ZoneError([*problems, *error.problems]) from None
    except Exception as error:  # content the checks did not foresee
        reading.fail(label, "validation.unexpected", reason=_reason(error, path))
        raise ZoneError(problems) from None
    if problems:
        raise ZoneError(problems)
    del tables
    release_memory()  # what reading and checking freed
    return zone


def load_zone_files(
    files: Iterable[tuple[str, bytes]],
    *,
    name: str,
    lang: str = DEFAULT_LANGUAGE,
    max_bytes: int = MAX_FILE_BYTES,
    max_rows: int = MAX_ROWS,
) -> Zone:
    """Load a zone from files given as ``(file name, bytes)``, e.g. uploaded in the dashboard.

    The files are refused whole when together they exceed ``max_bytes``, before anything is
    written; otherwise they live in a temporary folder only while they are read. A single
    GeoPackage, workbook or zip is read as the zone itself.

    Raises
    ------
    ZoneError
        As :func:`load_zone`.
    """
    # One file per name: a name given twice (uploaded again after a fix) keeps its last bytes.
    files = list({Path(file_name).name: data for file_name, data in files}.items())
    reading = _Reading([], lang, max_bytes, max_rows)
    if _over_limit(name, sum(len(data) for _, data in files), reading):
        raise ZoneError(reading.problems)
    with tempfile.TemporaryDirectory(prefix="eit-geo-upload-") as folder:
        for file_name, data in files:
            (Path(folder) / file_name).write_bytes(data)
        source = Path(folder)
        if len(files) == 1 and Path(files[0][0]).suffix.lower() in (".gpkg", ".xlsx", ".zip"):
            source = source / files[0][0]
        zone = load_zone(source, name=name, lang=lang, max_bytes=max_bytes, max_rows=max_rows)
    zone.source = "upload"
    return zone


def read_raw_tables(path: Path, reading: _Reading) -> dict[str, RawTable]:
    """Read every table a zone source holds, recording in ``reading`` what cannot be read."""
    label = path.name or str(path)
    suffix = path.suffix.lower()
    if not path.exists():
        reading.fail(label, "validation.not_found")
        return {}
    if path.is_dir():
        return _read_folder(path, reading)
    readers = {
        ".zip": _read_zip,
        ".gpkg": _read_geopackage_layers,
        ".xlsx": _read_workbook_sheets,
    }
    if suffix in readers:
        if _too_large(path, reading) or _wrong_content(path, reading):
            return {}
        return readers[suffix](path, reading)
    if suffix in TABLE_EXTENSIONS:
        return _read_single_file(path, reading)
    reading.fail(label, "validation.unsupported_format")
    return {}


def _read_single_file(path: Path, reading: _Reading) -> dict[str, RawTable]:
    """Read a lone table file: not a zone, but its own problems are reported too."""
    table = canonical_alias("table", path.stem)
    tables = {}
    if table in TABLE_NAMES:
        raw = _read_table_file(path, table, reading)
        tables = {table: raw} if raw is not None else {}
    elif _too_large(path, reading) or _wrong_content(path, reading):
        return tables
    _require_tables(tables, path.name, reading, present={table or ""})
    return tables


def _read_folder(folder: Path, reading: _Reading, label: str | None = None) -> dict[str, RawTable]:
    label = label or folder.name or str(folder)
    by_table: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix.lower() not in TABLE_EXTENSIONS:
            continue
        table = canonical_alias("table", path.stem)
        if table in TABLE_NAMES:
            by_table.setdefault(table, []).append(path)
    if not by_table:
        project_files = [
            p
            for p in sorted(folder.iterdir())
            if p.is_file() and p.suffix.lower() in MULTI_TABLE_EXTENSIONS
        ]
        if len(project_files) == 1:
            return read_raw_tables(project_files[0], reading)
    tables: dict[str, RawTable] = {}
    for table, paths in by_table.items():
        if len(paths) > 1:
            files = ", ".join(p.name for p in paths)
            reading.fail(label, "validation.duplicate_table", table=table, files=files)
            continue
        raw = _read_table_file(paths[0], table, reading)
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


def _read_zip(archive: Path, reading: _Reading) -> dict[str, RawTable]:
    """Extract a zip safely (no paths outside, bounded size) and read it as a folder."""
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = [m for m in bundle.infolist() if not m.is_dir()]
            total = sum(m.file_size for m in members)
            if _over_limit(archive.name, total, reading):
                return {}
            with tempfile.TemporaryDirectory(prefix="eit-geo-zip-") as tmp:
                for member in members:
                    name = PurePosixPath(member.filename).name
                    if name and not name.startswith(".") and "__MACOSX" not in member.filename:
                        (Path(tmp) / name).write_bytes(bundle.read(member))
                first = len(reading.problems)
                tables = _read_folder(Path(tmp), reading, label=archive.name)
                _relabel_problems(reading, first, archive.name, Path(tmp))
                return _relabel(tables, archive.name)
    except Exception as error:  # a broken archive is a problem, not a crash
        reading.fail(archive.name, "validation.unreadable", reason=_reason(error, archive))
        return {}


def _relabel(tables: dict[str, RawTable], archive: str) -> dict[str, RawTable]:
    for raw in tables.values():
        raw.file = f"{archive}/{raw.file}"
    return tables


def _relabel_problems(reading: _Reading, first: int, archive: str, folder: Path) -> None:
    """Name the files of a zip as ``archive/file`` in the problems recorded since ``first``."""
    for index in range(first, len(reading.problems)):
        problem = reading.problems[index]
        if problem.file != archive and (folder / problem.file.split(":")[0]).exists():
            reading.problems[index] = replace(problem, file=f"{archive}/{problem.file}")


def _reason(error: BaseException, path: Path | None = None) -> str:
    """Return the first line of an error, without the full path of the file."""
    text = str(error).splitlines()[0] if str(error).strip() else type(error).__name__
    if path is not None:
        text = text.replace(str(path), path.name)
    text = text.split("; It might help")[0]
    return text[:200]


def _over_limit(label: str, size: int, reading: _Reading) -> bool:
    if size <= reading.max_bytes:
        return False
    megabytes = round(size / 2**20, 1)
    limit = round(reading.max_bytes / 2**20, 1)
    reading.fail(label, "validation.too_large", size=megabytes, limit=limit)
    return True


def _too_large(path: Path, reading: _Reading) -> bool:
    """Refuse a file over the size limit, or an empty one, before reading it."""
    size = path.stat().st_size
    if size == 0:
        reading.fail(path.name, "validation.empty_file")
        return True
    return _over_limit(path.name, size, reading)


def _wrong_content(path: Path, reading: _Reading) -> bool:
    """Refuse a file whose first bytes do not match its extension (e.g. a renamed text file)."""
    suffix = path.suffix.lower()
    with path.open("rb") as handle:
        head = handle.read(64)
    if suffix == ".csv":
        utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
        wrong = not utf16 and (b"\x00" in head or head.startswith(_BINARY_MAGIC))
        if wrong:
            reading.fail(path.name, "validation.not_text")
        return wrong
    signature = _SIGNATURES.get(suffix)
    if signature is None:
        text = head.lstrip(b"\xef\xbb\xbf").lstrip()
        wrong = suffix in (".geojson", ".json") and not text.startswith(b"{")
    else:
        wrong = not head.startswith(signature)
    if wrong:
        reading.fail(path.name, "validation.wrong_content", ext=suffix)
    return wrong


def _read_table_file(path: Path, table: str, reading: _Reading) -> RawTable | None:
    """Read one file holding one table; None (and a problem) when it cannot be read."""
    if _too_large(path, reading) or _wrong_content(path, reading):
        return None
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            raw = _read_csv(path, table, reading)
        elif suffix == ".xlsx":
            frame = pd.read_excel(path, sheet_name=0, dtype=str, keep_default_na=False)
            raw = RawTable(table, path.name, frame, first_row=2)
        elif suffix == ".parquet":
            raw = RawTable(table, path.name, _read_parquet(path), first_row=1)
        elif suffix == ".gpkg":
            frame = _read_layer(path, None)
            raw = RawTable(table, path.name, frame, first_row=1)
        else:
            raw = RawTable(table, path.name, pyogrio.read_dataframe(path), first_row=1)
    except Exception as error:  # any reader failure becomes a Problem
        reading.fail(path.name, "validation.unreadable", reason=_reason(error, path))
        return None
    return None if raw is None else _checked_size(raw, reading)


def _read_layer(path: Path, layer: str | None) -> pd.DataFrame:
    """Read a GeoPackage layer, indexed by its ``fid`` (the feature number QGIS shows)."""
    frame = pyogrio.read_dataframe(path, layer=layer, fid_as_index=True)
    return frame.set_axis(pd.Index(frame.index.astype(int), name=None), axis=0)


def _read_parquet(path: Path) -> pd.DataFrame:
    """Read a GeoParquet file as a GeoDataFrame, a plain Parquet file as a DataFrame."""
    import pyarrow.parquet as pq  # noqa: PLC0415 - optional: only Parquet files need it

    metadata = pq.read_schema(path).metadata or {}
    if b"geo" in metadata:
        return gpd.read_parquet(path)
    return pd.read_parquet(path)


def _checked_size(raw: RawTable, reading: _Reading) -> RawTable | None:
    if len(raw.frame) > reading.max_rows:
        rows, limit = len(raw.frame), reading.max_rows
        reading.fail(raw.file, "validation.too_many_rows", rows=rows, limit=limit)
        return None
    return raw


def _read_geopackage_layers(path: Path, reading: _Reading) -> dict[str, RawTable]:
    try:
        with warnings.catch_warnings():  # GDAL's notes on a foreign SQLite file: not for users
            warnings.simplefilter("ignore", RuntimeWarning)
            layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as error:  # not a GeoPackage after all
        reading.fail(path.name, "validation.unreadable", reason=_reason(error, path))
        return {}
    tables: dict[str, RawTable] = {}
    for layer in layers:
        table = canonical_alias("table", layer)
        if table not in TABLE_NAMES or table in tables:
            continue
        label = f"{path.name}:{layer}"
        try:
            frame = _read_layer(path, layer)
        except Exception as error:  # one bad layer is one problem
            reading.fail(label, "validation.unreadable", reason=_reason(error, path))
            continue
        raw = _checked_size(RawTable(table, label, frame, first_row=1), reading)
        if raw is not None:
            tables[table] = raw
    _require_tables(tables, path.name, reading, present=_present(layers))
    return tables


def _present(names: list[str]) -> set[str]:
    return {canonical_alias("table", name) or "" for name in names}


def _read_workbook_sheets(path: Path, reading: _Reading) -> dict[str, RawTable]:
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False)
    except Exception as error:  # not a workbook after all
        reading.fail(path.name, "validation.unreadable", reason=_reason(error, path))
        return {}
    tables: dict[str, RawTable] = {}
    for sheet, frame in sheets.items():
        table = canonical_alias("table", str(sheet))
        if table in TABLE_NAMES and table not in tables:
            raw = RawTable(table, f"{path.name}:{sheet}", frame, first_row=2)
            checked = _checked_size(raw, reading)
            if checked is not None:
                tables[table] = checked
    _require_tables(tables, path.name, reading, present=_present(list(map(str, sheets))))
    return tables


def decode_text(data: bytes) -> str | None:
    """Decode a CSV file's bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252.

    Returns None for content that is not text (NUL bytes or control characters).
    """
    text: str | None = None
    for bom, encoding in _BOMS.items():
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                return None
            break
    if text is None:
        if b"\x00" in data:
            return None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    text = text.lstrip("\ufeff")
    if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in text):  # noqa: PLR2004
        return None
    return text


def sniff_separator(text: str) -> str:
    """Guess a CSV separator from the header line: the most frequent of ``; , TAB |``."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {sep: header.count(sep) for sep in _SEPARATORS}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


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


def _read_csv(path: Path, table: str, reading: _Reading) -> RawTable | None:
    text = decode_text(path.read_bytes())
    if text is None:
        reading.fail(path.name, "validation.not_text")
        return None
    if not text.strip():
        reading.fail(path.name, "validation.empty_file")
        return None
    separator = sniff_separator(text)
    rows = _csv_rows(text, separator)
    if isinstance(rows, int):
        message = t("validation.unclosed_quote", reading.lang)
        reading.problems.append(Problem(path.name, rows, None, None, message, reading.lang))
        return None
    header, body = rows[0], rows[1:]
    width = len(header)
    records: list[list[str]] = []
    numbers: list[int] = []
    for number, row in enumerate(body, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > width and any(cell.strip() for cell in row[width:]):
            message = t("validation.too_many_fields", reading.lang, count=len(row), width=width)
            value = separator.join(row)[:80]
            problem = Problem(path.name, number, None, value, message, reading.lang)
            reading.problems.append(problem)
        records.append((row + [""] * width)[:width])
        numbers.append(number)
    frame = pd.DataFrame(records, columns=header, index=numbers, dtype=str)
    return RawTable(table, path.name, frame)


def read_file_tables(
    path: Path,
    *,
    lang: str = DEFAULT_LANGUAGE,
    max_bytes: int = MAX_FILE_BYTES,
    max_rows: int = MAX_ROWS,
) -> tuple[list[RawTable], list[Problem]]:
    """Read every sheet or layer of one file, or its one table, whatever their names.

    For ``eit-geo import``, which reads inventories that are not zones yet: each table is
    named after its sheet or layer (``""`` for a file holding one table), with the same size
    limits and checks as :func:`load_zone`.

    Returns
    -------
    tuple
        The tables read, and the problems of what could not be read.
    """
    reading = _Reading([], lang, max_bytes, max_rows)
    suffix = path.suffix.lower()
    if suffix not in TABLE_EXTENSIONS:
        reading.fail(path.name, "validation.unsupported_format")
        return [], reading.problems
    if suffix not in MULTI_TABLE_EXTENSIONS:
        raw = _read_table_file(path, "", reading)
        return ([] if raw is None else [raw]), reading.problems
    if _too_large(path, reading) or _wrong_content(path, reading):
        return [], reading.problems
    try:
        with warnings.catch_warnings():  # GDAL's notes on a foreign SQLite file: not for users
            warnings.simplefilter("ignore", RuntimeWarning)
            if suffix == ".xlsx":
                sheets = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False)
                found = [RawTable(str(s), f"{path.name}:{s}", f, 2) for s, f in sheets.items()]
            else:
                layers = [str(name) for name, _ in pyogrio.list_layers(path)]
                found = [RawTable(n, f"{path.name}:{n}", _read_layer(path, n), 1) for n in layers]
    except Exception as error:  # any reader failure becomes a Problem
        reading.fail(path.name, "validation.unreadable", reason=_reason(error, path))
        return [], reading.problems
    tables = [checked for raw in found if (checked := _checked_size(raw, reading)) is not None]
    return tables, reading.problems
