"""Read a zone from a folder, a GeoPackage, a workbook or a zip, into a validated Zone.

Every reader stays within limits (`bounded.Limits`) before it spends: sizes are checked before
reading, zips and workbooks are scanned by streaming, GeoPackages inspected with SQLite, CSV
width and line lengths measured. Uploaded files are read from memory and never written to disk.

This module finds the tables of a zone (a folder, a container, a zip) and has them checked; the
files themselves are read by `read_tables` and `read_csv`, with what they share in `reading`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from eit_geo.bounded import LimitError, Limits, unzip_members
from eit_geo.codes import canonical_alias
from eit_geo.errors import ZoneError
from eit_geo.i18n import DEFAULT_LANGUAGE
from eit_geo.read_csv import decode_text, sniff_separator
from eit_geo.read_tables import (
    read_file_tables,
    read_geopackage_layers,
    read_table_file,
    read_workbook_sheets,
    require_tables,
)
from eit_geo.reading import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    MULTI_TABLE_EXTENSIONS,
    REQUIRED_TABLES,
    TABLE_EXTENSIONS,
    TABLE_NAMES,
    ZONE_FILE_EXTENSIONS,
    RawTable,
    Reading,
    SourceFile,
    new_reading,
    over_limit,
    reason,
    too_large,
    wrong_content,
)
from eit_geo.validation import build_zone

if TYPE_CHECKING:
    from eit_geo.zone import Zone

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "MULTI_TABLE_EXTENSIONS",
    "TABLE_EXTENSIONS",
    "RawTable",
    "decode_text",
    "load_zone",
    "load_zone_files",
    "read_file_tables",
    "read_raw_tables",
    "sniff_separator",
]


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
    reading = new_reading(lang, limits or Limits(max_bytes=max_bytes, max_rows=max_rows))
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
    uploads = [SourceFile(file_name, data=data) for file_name, data in named.items() if file_name]
    reading = new_reading(lang, limits or Limits(max_bytes=max_bytes, max_rows=max_rows))
    if over_limit(name, sum(f.size() for f in uploads), reading):
        raise ZoneError(reading.problems)

    def read() -> dict[str, RawTable]:
        if len(uploads) == 1 and uploads[0].suffix in ZONE_FILE_EXTENSIONS:
            return _read_source(uploads[0], reading)
        return _read_folder(uploads, reading, label=name)

    zone = _load(read, reading, name, name, "upload")
    zone.source = "upload"
    return zone


def _load(
    read: Callable[[], dict[str, RawTable]],
    reading: Reading,
    label: str,
    name: str,
    source: str,
) -> Zone:
    problems = reading.problems
    try:
        tables = read()
    except Exception as error:  # any reader failure is reported, never raised
        reading.fail(label, "validation.unreadable", reason=reason(error))
        tables = {}
    if not all(table in tables for table in REQUIRED_TABLES):
        raise ZoneError(problems)
    try:
        zone = build_zone(tables, name=name, source=source, lang=reading.lang)
    except ZoneError as error:
        raise ZoneError([*problems, *error.problems]) from None
    except Exception as error:  # content the checks did not foresee
        reading.fail(label, "validation.unexpected", reason=reason(error))
        raise ZoneError(problems) from None
    if problems:
        raise ZoneError(problems)
    return zone


def read_raw_tables(path: Path, reading: Reading) -> dict[str, RawTable]:
    """Read every table a zone source holds, recording in ``reading`` what cannot be read."""
    label = path.name or str(path)
    if not path.exists():
        reading.fail(label, "validation.not_found")
        return {}
    if path.is_dir():
        files = [SourceFile(p.name, path=p) for p in sorted(path.iterdir()) if p.is_file()]
        return _read_folder(files, reading, label)
    return _read_source(SourceFile(path.name, path=path), reading)


def _read_source(file: SourceFile, reading: Reading) -> dict[str, RawTable]:
    """Read one file given as the zone: a container, or a lone table (then problems only)."""
    readers = {
        ".zip": _read_zip,
        ".gpkg": read_geopackage_layers,
        ".xlsx": read_workbook_sheets,
    }
    if file.suffix in readers:
        if too_large(file, reading) or wrong_content(file, reading):
            return {}
        return readers[file.suffix](file, reading)
    if file.suffix in TABLE_EXTENSIONS:
        return _read_single_file(file, reading)
    reading.fail(file.name, "validation.unsupported_format")
    return {}


def _read_single_file(file: SourceFile, reading: Reading) -> dict[str, RawTable]:
    """Read a lone table file: not a zone, but its own problems are reported too."""
    table = canonical_alias("table", file.stem)
    tables = {}
    if table in TABLE_NAMES:
        raw = read_table_file(file, table, reading)
        tables = {table: raw} if raw is not None else {}
    elif too_large(file, reading) or wrong_content(file, reading):
        return tables
    require_tables(tables, file.name, reading, present={table or ""})
    return tables


def _read_folder(files: list[SourceFile], reading: Reading, label: str) -> dict[str, RawTable]:
    by_table: dict[str, list[SourceFile]] = {}
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
        raw = read_table_file(found[0], table, reading)
        if raw is not None:
            tables[table] = raw
    require_tables(tables, label, reading, present=set(by_table))
    return tables


def _zip_member_wanted(name: str) -> bool:
    base = PurePosixPath(name).name
    return (
        bool(base)
        and not base.startswith(".")
        and "__MACOSX" not in name
        and PurePosixPath(base).suffix.lower() in TABLE_EXTENSIONS
    )


def _read_zip(archive: SourceFile, reading: Reading) -> dict[str, RawTable]:
    """Read a zip as a folder: its table files inflated in memory within the size limit."""
    try:
        members = unzip_members(
            archive.source(), reading.limits, wanted=_zip_member_wanted, deadline=reading.deadline
        )
    except LimitError as error:
        reading.refuse(archive.name, error)
        return {}
    except Exception as error:  # a broken archive is a problem, not a crash
        reading.fail(archive.name, "validation.unreadable", reason=reason(error, archive))
        return {}
    named = {PurePosixPath(name).name: data for name, data in members}
    files = [SourceFile(name, data=data) for name, data in named.items()]
    first = len(reading.problems)
    tables = _read_folder(files, reading, label=archive.name)
    _relabel_problems(reading, first, archive.name, set(named))
    for raw in tables.values():
        raw.file = f"{archive.name}/{raw.file}"
    return tables


def _relabel_problems(reading: Reading, first: int, archive: str, names: set[str]) -> None:
    """Name the files of a zip as ``archive/file`` in the problems recorded since ``first``."""
    for index in range(first, len(reading.problems)):
        problem = reading.problems[index]
        if problem.file != archive and problem.file.split(":")[0] in names:
            reading.problems[index] = replace(problem, file=f"{archive}/{problem.file}")
