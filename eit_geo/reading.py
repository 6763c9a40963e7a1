"""What every reader of a zone's files shares: the files, the limits, the problems, the checks.

A file is read from disk or from memory (`SourceFile`); a `Reading` carries where problems go,
their language, the limits (`bounded.Limits`) and the time left. Sizes and first bytes are
checked before anything is read; a table read is a `RawTable`, checked later by `validation`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import geopandas as gpd
import pandas as pd

from eit_geo.bounded import MEGABYTE, Deadline, LimitError, Limits, megabytes
from eit_geo.errors import Problem
from eit_geo.i18n import DEFAULT_LANGUAGE, t

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "MULTI_TABLE_EXTENSIONS",
    "REQUIRED_TABLES",
    "TABLE_EXTENSIONS",
    "TABLE_NAMES",
    "ZONE_FILE_EXTENSIONS",
    "RawTable",
    "Reading",
    "SourceFile",
    "checked_size",
    "new_reading",
    "over_limit",
    "reason",
    "too_large",
    "wrong_content",
]

TABLE_NAMES: tuple[str, ...] = ("companies", "flows", "synergies", "perimeter")
REQUIRED_TABLES: tuple[str, ...] = ("companies", "flows")
TABLE_EXTENSIONS: tuple[str, ...] = (".csv", ".xlsx", ".geojson", ".json", ".gpkg", ".parquet")
MULTI_TABLE_EXTENSIONS: tuple[str, ...] = (".gpkg", ".xlsx")
ZONE_FILE_EXTENSIONS: tuple[str, ...] = (".gpkg", ".xlsx", ".zip")
MAX_FILE_BYTES = 200 * MEGABYTE
MAX_ROWS = 2_000_000
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
class SourceFile:
    """A file to read: on disk (``path``) or in memory (``data``: uploaded, or from a zip)."""

    name: str
    path: Path | None = None
    data: bytes | None = None

    @property
    def suffix(self) -> str:
        """The file's extension, in lower case."""
        return PurePosixPath(self.name).suffix.lower()

    @property
    def stem(self) -> str:
        """The file's name without its extension."""
        return PurePosixPath(self.name).stem

    def size(self) -> int:
        """Return the file's size in bytes."""
        return len(self.data) if self.data is not None else self._path().stat().st_size

    def head(self, count: int) -> bytes:
        """Return the first ``count`` bytes of the file."""
        if self.data is not None:
            return self.data[:count]
        with self._path().open("rb") as handle:
            return handle.read(count)

    def read(self) -> bytes:
        """Return the file's bytes."""
        return self.data if self.data is not None else self._path().read_bytes()

    def source(self) -> Path | bytes:
        """Return the file for `bounded`'s checks and pyogrio: its path, or its bytes."""
        return self.data if self.data is not None else self._path()

    def buffer(self) -> str | io.BytesIO:
        """Return the file for pandas and pyarrow: its path, or a fresh buffer over its bytes."""
        return io.BytesIO(self.data) if self.data is not None else str(self._path())

    def _path(self) -> Path:
        assert self.path is not None  # noqa: S101 - a SourceFile has a path or data
        return self.path


@dataclass
class Reading:
    """What every reader needs: where problems go, their language, the limits and the time."""

    problems: list[Problem]
    lang: str = DEFAULT_LANGUAGE
    limits: Limits = field(default_factory=Limits)
    deadline: Deadline = field(default_factory=lambda: Deadline(None))

    @property
    def max_bytes(self) -> int:
        """The largest file allowed, in bytes."""
        return self.limits.max_bytes

    @property
    def max_rows(self) -> int:
        """The most rows a table may have."""
        return self.limits.max_rows

    def fail(self, file: str, key: str, **values: object) -> None:
        """Record a problem about a whole file."""
        message = t(key, self.lang, **values)
        self.problems.append(Problem(file, None, None, None, message, self.lang))

    def refuse(self, file: str, error: LimitError) -> None:
        """Record a file refused for a limit."""
        message = error.message(self.lang)
        self.problems.append(Problem(file, None, None, None, message, self.lang))


def new_reading(lang: str, limits: Limits) -> Reading:
    """Start a reading with no problem yet, its time counted from now."""
    return Reading([], lang, limits, Deadline(limits.seconds))


def reason(error: BaseException, file: SourceFile | None = None) -> str:
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


def over_limit(label: str, size: int, reading: Reading) -> bool:
    """Refuse ``size`` bytes over the size limit (a problem recorded); tell whether refused."""
    if size <= reading.max_bytes:
        return False
    size_text = megabytes(size, reading.lang)
    limit = megabytes(reading.max_bytes, reading.lang)
    reading.fail(label, "validation.too_large", size=size_text, limit=limit)
    return True


def too_large(file: SourceFile, reading: Reading) -> bool:
    """Refuse a file over the size limit, or an empty one, before reading it."""
    size = file.size()
    if size == 0:
        reading.fail(file.name, "validation.empty_file")
        return True
    return over_limit(file.name, size, reading)


def wrong_content(file: SourceFile, reading: Reading) -> bool:
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


def checked_size(raw: RawTable, reading: Reading) -> RawTable | None:
    """Return a table within the row and column limits; None (and a problem) otherwise."""
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
