"""Gather the tables of every file, folder and zip given to ``eit-geo import``."""

from __future__ import annotations

import tempfile
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import geopandas as gpd

from eit_geo.bounded import LimitError, Limits, unzip_members
from eit_geo.codes import fold_text
from eit_geo.errors import Problem, ZoneError
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.import_headers import find_header
from eit_geo.loading import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    MULTI_TABLE_EXTENSIONS,
    TABLE_EXTENSIONS,
    load_zone,
    read_file_tables,
)
from eit_geo.validation import as_text

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    import pandas as pd

    from eit_geo.loading import RawTable
    from eit_geo.zone import Zone

__all__ = ["Document", "SourceTable", "read_sources"]

# Sheets of our collection workbook (eit_geo.template) that explain, not hold, data.
_HELP_SHEETS = ("lisez_moi", "listes")
_JUNK = ("__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini")


@dataclass
class SourceTable:
    """One table of a source, as text, with the positions of a geographic file.

    Attributes
    ----------
    document : label of the file it comes from (its path inside the folder or zip given)
    name : sheet or layer name, ``""`` for a file holding one table
    frame : the cells as stripped text, indexed by the row a user sees (header = row 1)
    geometry : the features' geometries for a geographic file (its CRS as declared), else None
    header_row : the row of the header, when rows above it (a title, a date) were left out
    totals : the rows of sums left out (« Total »)
    """

    document: str
    name: str
    frame: pd.DataFrame
    geometry: gpd.GeoSeries | None = None
    header_row: int = 1
    totals: tuple[int, ...] = ()

    @property
    def label(self) -> str:
        """How the report names the table: ``file`` or ``file:sheet``."""
        return f"{self.document}:{self.name}" if self.name else self.document

    @property
    def headers(self) -> list[str]:
        """The headers as written in the file."""
        return [str(column) for column in self.frame.columns]


@dataclass
class Document:
    """One file (or a folder holding a zone): its tables, or the zone it already is."""

    label: str
    tables: list[SourceTable] = field(default_factory=list)
    zone: Zone | None = None


@dataclass
class _Gathering:
    lang: str
    max_bytes: int
    max_rows: int
    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def fail(self, label: str, key: str, **values: object) -> None:
        message = t(key, self.lang, **values)
        self.problems.append(Problem(label, None, None, None, message, self.lang))


def read_sources(
    sources: Sequence[str | Path],
    *,
    lang: str = DEFAULT_LANGUAGE,
    max_bytes: int = MAX_FILE_BYTES,
    max_rows: int = MAX_ROWS,
    labels: Sequence[str] | None = None,
) -> tuple[list[Document], list[Problem]]:
    """Read every table of the files, folders and zips given.

    A folder, workbook, GeoPackage or zip that already is a zone of the contract comes back as
    its Zone; other folders and zips are walked (subfolders and zips inside too). Every file
    keeps its path inside what was given as label, so that files of the same name in different
    folders never replace each other.

    ``labels`` name the sources in the report (default: their names, with their parent folder
    when two share a name).

    Returns
    -------
    tuple
        The documents read, and the problems of what could not be read.
    """
    gathering = _Gathering(lang, max_bytes, max_rows)
    paths = [Path(source) for source in sources]
    named = zip(paths, labels, strict=True) if labels is not None else _labelled(paths)
    for path, label in named:
        _read_path(path, label, gathering)
    return gathering.documents, gathering.problems


def _labelled(paths: list[Path]) -> Iterator[tuple[Path, str]]:
    """Give each source its name, with its parent folder when two sources share a name."""
    names = [path.name or str(path) for path in paths]
    for path, name in zip(paths, names, strict=True):
        shared = names.count(name) > 1
        yield path, f"{path.parent.name}/{name}" if shared and path.parent.name else name


def _read_path(path: Path, label: str, gathering: _Gathering) -> None:
    if not path.exists():
        gathering.fail(label, "validation.not_found")
    elif path.is_dir():
        _read_folder(path, label, gathering)
    elif path.suffix.lower() == ".zip":
        _read_zip(path, label, gathering)
    elif path.suffix.lower() in TABLE_EXTENSIONS:
        _read_file(path, label, gathering)
    else:
        gathering.fail(label, "validation.unsupported_format")


def _as_zone(path: Path, label: str, gathering: _Gathering) -> bool:
    """Take a source that already is a zone of the contract as it is; False if it is not."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            zone = load_zone(
                path,
                name=label,
                lang=gathering.lang,
                max_bytes=gathering.max_bytes,
                max_rows=gathering.max_rows,
            )
    except (ZoneError, OSError, ValueError):
        return False
    gathering.documents.append(Document(label, zone=zone))
    return True


def _read_folder(folder: Path, label: str, gathering: _Gathering) -> None:
    if _as_zone(folder, label, gathering):
        return
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.name in _JUNK:
            continue
        child = f"{label}/{path.name}"
        if path.is_dir() or path.suffix.lower() in (*TABLE_EXTENSIONS, ".zip"):
            _read_path(path, child, gathering)


def _read_zip(archive: Path, label: str, gathering: _Gathering) -> None:
    """Unpack a zip into a private folder, its subfolders kept, and walk it as a folder.

    The members are inflated by `eit_geo.bounded.unzip_members`, within the size limit
    (members' declared sizes checked, their number bounded).
    """
    limits = Limits(max_bytes=gathering.max_bytes, max_rows=gathering.max_rows)
    try:
        members = unzip_members(archive, limits, wanted=_safe)
    except LimitError as error:
        gathering.problems.append(
            Problem(label, None, None, None, error.message(gathering.lang), gathering.lang)
        )
        return
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError) as error:
        gathering.fail(label, "validation.unreadable", reason=str(error).splitlines()[0][:200])
        return
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in members:
            target = Path(tmp).joinpath(*PurePosixPath(name.replace("\\", "/")).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        _read_folder(Path(tmp), label, gathering)
        for document in gathering.documents:
            if document.zone is not None and document.zone.source.startswith(tmp):
                document.zone.source = label


def _safe(name: str) -> bool:
    """Keep a zip member only if it stays inside the folder and is not system clutter."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return (
        bool(parts)
        and not any(
            part in ("..", "") or part.startswith(".") or part in _JUNK or part.endswith(":")
            for part in parts
        )
        and not name.startswith("/")
    )


def _read_file(path: Path, label: str, gathering: _Gathering) -> None:
    container = path.suffix.lower() in MULTI_TABLE_EXTENSIONS
    if container and _as_zone(path, label, gathering):
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a CRS or a driver note: said in the report instead
        raws, problems = read_file_tables(
            path, lang=gathering.lang, max_bytes=gathering.max_bytes, max_rows=gathering.max_rows
        )
    for problem in problems:
        gathering.problems.append(_relabelled(problem, path.name, label))
    tables = [table for raw in raws if (table := _source_table(raw, label)) is not None]
    gathering.documents.append(Document(label, tables))


def _relabelled(problem: Problem, name: str, label: str) -> Problem:
    file = label + problem.file[len(name) :] if problem.file.startswith(name) else problem.file
    return Problem(file, problem.row, problem.column, problem.value, problem.message, problem.lang)


def _source_table(raw: RawTable, document: str) -> SourceTable | None:
    """Turn a table read into text; None for a help sheet or a table without data."""
    if fold_text(raw.table) in _HELP_SHEETS:
        return None
    frame = raw.frame
    geometry = None
    if isinstance(frame, gpd.GeoDataFrame) and "geometry" in frame:
        geometry = frame.geometry
    text = as_text(frame)
    header_row = 1
    totals: tuple[int, ...] = ()
    if geometry is None:  # a geographic file's columns are named by its schema
        headed = find_header(text)
        text, header_row, totals = headed.frame, headed.header_row, headed.totals
    keep = [c for c in text.columns if str(c).strip() and not _blank_unnamed(text, c)]
    text = text[keep]
    filled = (text != "").any(axis=1)
    if not filled.any():
        return None
    text = text[filled]
    if geometry is not None:
        # types-geopandas type a masked GeoSeries as a Series; it stays a GeoSeries
        geometry = geometry[filled]  # type: ignore[assignment]
    return SourceTable(document, raw.table, text, geometry, header_row, totals)


def _blank_unnamed(text: pd.DataFrame, column: object) -> bool:
    return str(column).startswith("Unnamed:") and bool((text[column] == "").all())
