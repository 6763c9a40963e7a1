"""Read a zone from a folder, a GeoPackage, a workbook or a zip, into a validated Zone."""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import pyogrio

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


@dataclass
class RawTable:
    """One table as read from a file, before validation.

    The frame's index is the row a user sees: the spreadsheet row (the header is row 1), or the
    feature number (from 1) in a geographic file.
    """

    table: str
    file: str
    frame: pd.DataFrame

    def __post_init__(self) -> None:
        if isinstance(self.frame.index, pd.RangeIndex):
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
        self.problems.append(Problem(file, None, None, None, t(key, self.lang, **values)))


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
    problems: list[Problem] = []
    tables = read_raw_tables(path, _Reading(problems, lang, max_bytes, max_rows))
    if problems:
        raise ZoneError(problems)
    zone_name = name or (path.stem if path.is_file() else path.name)
    return build_zone(tables, name=zone_name, source=str(path), lang=lang)


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
        return {} if _too_large(path, reading) else readers[suffix](path, reading)
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
    _require_tables(tables, path.name, reading)
    return tables


def _read_folder(folder: Path, reading: _Reading) -> dict[str, RawTable]:
    by_table: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix.lower() not in TABLE_EXTENSIONS:
            continue
        table = canonical_alias("table", path.stem)
        if table in TABLE_NAMES:
            by_table.setdefault(table, []).append(path)
    if not by_table:
        project_files = [
            p for p in sorted(folder.iterdir()) if p.suffix.lower() in MULTI_TABLE_EXTENSIONS
        ]
        if len(project_files) == 1:
            return read_raw_tables(project_files[0], reading)
    tables: dict[str, RawTable] = {}
    for table, paths in by_table.items():
        if len(paths) > 1:
            files = ", ".join(p.name for p in paths)
            reading.fail(folder.name, "validation.duplicate_table", table=table, files=files)
            continue
        raw = _read_table_file(paths[0], table, reading)
        if raw is not None:
            tables[table] = raw
    _require_tables(tables, folder.name, reading, present=set(by_table))
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
                    if name and not name.startswith("."):
                        (Path(tmp) / name).write_bytes(bundle.read(member))
                tables = _read_folder(Path(tmp), reading)
                return _relabel(tables, archive.name)
    except (zipfile.BadZipFile, OSError, RuntimeError) as error:
        reading.fail(archive.name, "validation.unreadable", reason=_reason(error))
        return {}


def _relabel(tables: dict[str, RawTable], archive: str) -> dict[str, RawTable]:
    for raw in tables.values():
        raw.file = f"{archive}/{raw.file}"
    return tables


def _reason(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
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


def _read_table_file(path: Path, table: str, reading: _Reading) -> RawTable | None:
    """Read one file holding one table; None (and a problem) when it cannot be read."""
    if _too_large(path, reading):
        return None
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            raw = _read_csv(path, table, reading)
        elif suffix == ".xlsx":
            frame = pd.read_excel(path, sheet_name=0, dtype=str, keep_default_na=False)
            raw = RawTable(table, path.name, frame)
        elif suffix == ".parquet":
            raw = RawTable(table, path.name, _read_parquet(path))
        else:
            frame = pyogrio.read_dataframe(path)
            raw = RawTable(table, path.name, frame)
    except (
        ValueError,
        OSError,
        KeyError,
        IndexError,
        TypeError,
        UnicodeError,
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
        zipfile.BadZipFile,
    ) as error:
        reading.fail(path.name, "validation.unreadable", reason=_reason(error))
        return None
    return None if raw is None else _checked_size(raw, reading)


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return gpd.read_parquet(path)
    except (ValueError, KeyError):
        return pd.read_parquet(path)


def _checked_size(raw: RawTable, reading: _Reading) -> RawTable | None:
    if len(raw.frame) > reading.max_rows:
        rows, limit = len(raw.frame), reading.max_rows
        reading.fail(raw.file, "validation.too_many_rows", rows=rows, limit=limit)
        return None
    return raw


def _read_geopackage_layers(path: Path, reading: _Reading) -> dict[str, RawTable]:
    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    except (pyogrio.errors.DataSourceError, OSError, ValueError) as error:
        reading.fail(path.name, "validation.unreadable", reason=_reason(error))
        return {}
    tables: dict[str, RawTable] = {}
    for layer in layers:
        table = canonical_alias("table", layer)
        if table not in TABLE_NAMES or table in tables:
            continue
        label = f"{path.name}:{layer}"
        try:
            frame = pyogrio.read_dataframe(path, layer=layer)
        except (pyogrio.errors.DataLayerError, pyogrio.errors.DataSourceError) as error:
            reading.fail(label, "validation.unreadable", reason=_reason(error))
            continue
        raw = _checked_size(RawTable(table, label, frame), reading)
        if raw is not None:
            tables[table] = raw
    _require_tables(tables, path.name, reading, present=_present(layers))
    return tables


def _present(names: list[str]) -> set[str]:
    return {canonical_alias("table", name) or "" for name in names}


def _read_workbook_sheets(path: Path, reading: _Reading) -> dict[str, RawTable]:
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False)
    except (ValueError, OSError, KeyError, zipfile.BadZipFile) as error:
        reading.fail(path.name, "validation.unreadable", reason=_reason(error))
        return {}
    tables: dict[str, RawTable] = {}
    for sheet, frame in sheets.items():
        table = canonical_alias("table", str(sheet))
        if table in TABLE_NAMES and table not in tables:
            raw = RawTable(table, f"{path.name}:{sheet}", frame)
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


def _read_csv(path: Path, table: str, reading: _Reading) -> RawTable | None:
    text = decode_text(path.read_bytes())
    if text is None:
        reading.fail(path.name, "validation.not_text")
        return None
    if not text.strip():
        reading.fail(path.name, "validation.empty_file")
        return None
    separator = sniff_separator(text)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
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
            reading.problems.append(Problem(path.name, number, None, value, message))
        records.append((row + [""] * width)[:width])
        numbers.append(number)
    frame = pd.DataFrame(records, columns=header, index=numbers, dtype=str)
    return RawTable(table, path.name, frame)
