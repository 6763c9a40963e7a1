"""Check untrusted files within limits before a reader spends memory or time on them.

Zip members are inflated by streaming and their real sizes counted: the sizes an archive
declares are never trusted, whatever the compression. A workbook's parts are scanned the same
way for rows, columns, cells, shared strings and cell lengths before openpyxl parses them (it
reads every shared string at once). A GeoPackage's schema is read with SQLite under a time
budget: views and foreign triggers are refused, rows and columns counted. Each breach raises a
`LimitError` naming its message in ``data/i18n/limits.toml``.
"""

from __future__ import annotations

import bz2
import io
import re
import sqlite3
import struct
import time
import zipfile
import zlib
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from eit_geo.formatting import format_count, format_decimal
from eit_geo.i18n import DEFAULT_LANGUAGE, t

__all__ = [
    "MEGABYTE",
    "Deadline",
    "LimitError",
    "Limits",
    "Size",
    "check_geopackage",
    "check_workbook",
    "geopackage_layers",
    "megabytes",
    "member_chunks",
    "unzip_members",
]

MEGABYTE = 1_000_000  # the unit of every size shown, as Streamlit counts server.maxUploadSize
_CHUNK = 1 << 18  # bytes inflated at a time
_CENTRAL_DIRECTORY_MAX = 4 * 1024 * 1024  # ~40,000 entries: more is no zone
_XML_PART_MAX = 16 * 1024 * 1024  # a workbook part other than sheets and shared strings
_ENTITY_BYTES = 6  # « &quot; »: the most bytes one character of a cell takes in XML
_GPKG_SECONDS = 2.0  # SQLite time to inspect a GeoPackage's schema and count its rows
_ZIP64_MARK = 0xFFFFFFFF  # a size too large for the classic end record
_ZIP64_END = 56  # bytes of the zip64 end record up to the directory's size and offset
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature ... file name length, extra length


@dataclass(frozen=True)
class Limits:
    """What one reading may take.

    Attributes
    ----------
    max_bytes : size of one file, and of a zip's members once inflated, in bytes
    max_rows : data rows of one table
    max_columns : columns of one table
    max_cell_chars : characters of one cell (Excel's own limit)
    max_members : files in a zip, parts in a workbook
    seconds : time for the whole reading, or None
    """

    max_bytes: int = 200 * MEGABYTE
    max_rows: int = 2_000_000
    max_columns: int = 500
    max_cell_chars: int = 32_767
    max_members: int = 1_000
    seconds: float | None = None

    @property
    def max_cells(self) -> int:
        """Cells of a workbook, empty ones of its grid included (tables of ~40 columns)."""
        return self.max_rows * 40


class Size(int):
    """A number of bytes, shown in MB (10⁶ bytes) by `LimitError.message`."""


class LimitError(ValueError):
    """A file beyond a limit: ``key`` is its message in ``data/i18n``, ``values`` fill it in."""

    def __init__(self, key: str, **values: object) -> None:
        self.key = key
        self.values = values
        super().__init__(f"{key} {values}")

    def message(self, lang: str) -> str:
        """Return the message in ``lang``: sizes in MB, numbers grouped as ``lang`` writes them."""
        return t(self.key, lang, **{k: _shown(v, lang) for k, v in self.values.items()})


def _shown(value: object, lang: str) -> object:
    if isinstance(value, Size):
        return megabytes(value, lang)
    if isinstance(value, int) and not isinstance(value, bool):
        return format_count(value, lang)
    return value


def megabytes(size: int, lang: str = DEFAULT_LANGUAGE) -> str:
    """Return a size in MB (10⁶ bytes) as messages show it: ``50``, ``0,2`` (``0.2`` in English)."""
    value = round(size / MEGABYTE, 1)
    return format_decimal(value, lang, decimals=0 if value.is_integer() else 1)


class Deadline:
    """The time left for a reading; ``check`` raises `LimitError` once it has passed."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.end = None if seconds is None else time.monotonic() + seconds

    def passed(self) -> bool:
        """Tell whether the time is up."""
        return self.end is not None and time.monotonic() > self.end

    def check(self) -> None:
        """Raise `LimitError` if the time is up."""
        if self.passed():
            raise LimitError(key="limits.too_slow", seconds=self.seconds)


# --------------------------------------------------------------------------- zip archives


def unzip_members(
    source: Path | bytes,
    limits: Limits,
    *,
    wanted: Callable[[str], bool] = lambda _name: True,
    deadline: Deadline | None = None,
) -> list[tuple[str, bytes]]:
    """Return the wanted members of a zip, inflated in memory within ``limits.max_bytes``.

    Parameters
    ----------
    source
        The archive, on disk or in memory.
    limits
        ``max_bytes`` bounds the members' inflated sizes together, ``max_members`` their number.
    wanted
        Which member names (full names in the archive) to inflate; the others are skipped.
    deadline
        Time left.

    Returns
    -------
    list of (name, bytes)

    Raises
    ------
    LimitError
        Too many members, sizes over the limit or not those declared, encryption, an unknown
        compression, a damaged member.
    """
    deadline = deadline or Deadline(limits.seconds)
    with _opened(source) as handle, _archive(handle, limits) as archive:
        members = [m for m in archive.infolist() if not m.is_dir() and wanted(m.filename)]
        total, found = 0, []
        for member in members:
            parts = []
            for chunk in member_chunks(handle, member, limits.max_bytes - total, deadline):
                total += len(chunk)
                parts.append(chunk)
            found.append((member.filename, b"".join(parts)))
        return found


def _opened(source: Path | bytes) -> BinaryIO:
    return source.open("rb") if isinstance(source, Path) else io.BytesIO(source)


def _archive(handle: BinaryIO, limits: Limits) -> zipfile.ZipFile:
    """Open a zip whose directory is small enough to list, with at most ``max_members``."""
    if _central_directory_size(handle) > _CENTRAL_DIRECTORY_MAX:
        raise LimitError(key="limits.too_many_members", limit=limits.max_members)
    handle.seek(0)
    archive = zipfile.ZipFile(handle)
    if len(archive.infolist()) > limits.max_members:
        raise LimitError(key="limits.too_many_members", limit=limits.max_members)
    return archive


def _central_directory_size(handle: BinaryIO) -> int:
    """Return the size the end record gives the central directory (0 when none is found)."""
    handle.seek(0, io.SEEK_END)
    size = handle.tell()
    handle.seek(max(0, size - 65_557))
    tail = handle.read()
    end = tail.rfind(b"PK\x05\x06")
    if end < 0 or len(tail) < end + 22:
        return 0  # not a zip: zipfile says so
    directory = struct.unpack_from("<I", tail, end + 12)[0]
    if directory == _ZIP64_MARK:  # zip64: the size is in the zip64 end record
        locator = tail.rfind(b"PK\x06\x07", 0, end)
        if locator < 0:
            return 0
        record = struct.unpack_from("<Q", tail, locator + 8)[0]
        handle.seek(record)
        head = handle.read(_ZIP64_END)
        if len(head) < _ZIP64_END or head[:4] != b"PK\x06\x06":
            return 0
        directory = struct.unpack_from("<Q", head, 40)[0]
    return directory


def member_chunks(
    handle: BinaryIO, member: zipfile.ZipInfo, budget: int, deadline: Deadline
) -> Iterator[bytes]:
    """Yield a zip member's content by pieces of at most 64 KiB, within ``budget`` bytes.

    The compressed bytes are read from the archive and inflated here, a piece at a time, so
    that no declared size is trusted: more than ``budget`` bytes, a size or checksum unlike the
    declared ones, encryption or a compression other than none, deflate or bzip2 raise
    `LimitError` at once.
    """
    if member.flag_bits & 0x1:
        raise LimitError(key="limits.zip_encrypted", name=member.filename)
    inflate = _INFLATERS.get(member.compress_type)
    if inflate is None:
        raise LimitError(key="limits.zip_compression", name=member.filename)
    size, crc = 0, 0
    for piece in inflate(_raw_chunks(handle, member)):
        size += len(piece)
        if size > budget:
            raise LimitError(key="limits.unzipped_too_large", limit=Size(budget))
        deadline.check()
        crc = zlib.crc32(piece, crc)
        yield piece
    if size != member.file_size or crc != member.CRC:
        raise LimitError(key="limits.zip_damaged", name=member.filename)


def _raw_chunks(handle: BinaryIO, member: zipfile.ZipInfo) -> Iterator[bytes]:
    """Yield a member's compressed bytes, found through its local header."""
    handle.seek(member.header_offset)
    header = handle.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size:
        raise LimitError(key="limits.zip_damaged", name=member.filename)
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    if signature != b"PK\x03\x04":
        raise LimitError(key="limits.zip_damaged", name=member.filename)
    handle.seek(name_length + extra_length, io.SEEK_CUR)
    left = member.compress_size
    while left > 0:
        chunk = handle.read(min(_CHUNK, left))
        if not chunk:
            return
        left -= len(chunk)
        yield chunk


def _stored(raw: Iterator[bytes]) -> Iterator[bytes]:
    yield from raw


def _deflated(raw: Iterator[bytes]) -> Iterator[bytes]:
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    for chunk in raw:
        pending = chunk
        while True:
            piece = inflater.decompress(pending, _CHUNK)
            pending = inflater.unconsumed_tail
            if piece:
                yield piece
            if inflater.eof or (not piece and not pending):
                break
        if inflater.eof:
            return


def _bzip2(raw: Iterator[bytes]) -> Iterator[bytes]:
    inflater = bz2.BZ2Decompressor()
    for chunk in raw:
        piece = inflater.decompress(chunk, _CHUNK)
        while True:
            if piece:
                yield piece
            if inflater.eof or inflater.needs_input:
                break
            piece = inflater.decompress(b"", _CHUNK)
        if inflater.eof:
            return


_INFLATERS: dict[int, Callable[[Iterator[bytes]], Iterator[bytes]]] = {
    zipfile.ZIP_STORED: _stored,
    zipfile.ZIP_DEFLATED: _deflated,
    zipfile.ZIP_BZIP2: _bzip2,
}


# --------------------------------------------------------------------------- workbooks

_PREFIX = rb"<(?:[A-Za-z_][\w.-]*:)?"
_SHARED_STRING = re.compile(_PREFIX + rb"si[\s/>]")
_ROW = re.compile(_PREFIX + rb"row[\s/>]")
_ROW_NUMBER = re.compile(rb"\sr=\"(\d{1,12})\"")  # rows: cells' references begin with letters
_CELL = re.compile(_PREFIX + rb"c[\s/>]")
_CELL_COLUMN = re.compile(rb"\sr=\"([A-Za-z]{1,4})\d")  # cells: « r="AB12" »


@dataclass
class _Sheet:
    rows: int = 0
    last_row: int = 0
    cells: int = 0
    last_column: str = ""

    def grid(self) -> int:
        """Cells the sheet takes once read, the empty ones before its last row and column too."""
        return max(self.cells, max(self.rows, self.last_row) * _column_number(self.last_column))


def check_workbook(source: Path | bytes, limits: Limits, deadline: Deadline | None = None) -> None:
    """Refuse a workbook that would cost more than ``limits`` once parsed.

    Every part is inflated by streaming and scanned without being parsed or kept: the shared
    strings are counted, each sheet's rows, columns and cells, and no text between two tags
    may exceed a cell's length; the parts together stay within ``8 × max_bytes``.

    Raises
    ------
    LimitError
        At the first limit reached.
    """
    deadline = deadline or Deadline(limits.seconds)
    budget = 8 * limits.max_bytes
    longest = limits.max_cell_chars * _ENTITY_BYTES
    strings, grid = 0, 0
    with _opened(source) as handle, _archive(handle, limits) as archive:
        for member in archive.infolist():
            name = member.filename.lower()
            shared = name.rsplit("/", 1)[-1].startswith("sharedstrings")
            sheet = _Sheet() if "worksheets/" in name and name.endswith(".xml") else None
            part_budget = budget
            if name.endswith((".xml", ".rels")) and not shared and sheet is None:
                part_budget = min(budget, _XML_PART_MAX)
            chunks = member_chunks(handle, member, part_budget, deadline)
            if not name.endswith((".xml", ".rels")):
                for _chunk in chunks:  # pictures, macros: counted, never scanned
                    pass
                budget -= member.file_size
                continue
            for text in _tag_aligned(chunks, longest):
                if shared:
                    strings += _count(_SHARED_STRING, text, b"si")
                    if strings > limits.max_cells:
                        raise LimitError(key="limits.too_many_strings", limit=limits.max_cells)
                elif sheet is not None:
                    _scan_sheet(text, sheet, limits)
            budget -= member.file_size
            if sheet is not None:
                grid += sheet.grid()
                if grid > limits.max_cells:
                    raise LimitError(key="limits.too_many_cells", limit=limits.max_cells)


def _tag_aligned(chunks: Iterator[bytes], longest: int) -> Iterator[bytes]:
    """Yield the text cut just before a ``<``, so that no tag straddles two pieces.

    Raises `LimitError` when more than ``longest`` bytes run without a tag: a cell (or an
    attribute) longer than a spreadsheet allows.
    """
    carry = b""
    for chunk in chunks:
        text = carry + chunk
        cut = text.rfind(b"<")
        if cut <= 0:
            carry = text
        else:
            carry = text[cut:]
            _check_runs(text[:cut], longest)
            yield text[:cut]
        if len(carry) > longest:
            raise LimitError(key="limits.cell_too_long", limit=longest // _ENTITY_BYTES)
    if carry:
        yield carry


def _check_runs(text: bytes, longest: int) -> None:
    """Refuse a piece where more than ``longest`` bytes run without a ``<``."""
    if len(text) <= longest:
        return
    window = longest // 2  # a longer run holds a whole window: look closer only then
    if all(b"<" in text[start : start + window] for start in range(0, len(text), window)):
        return
    opens = np.flatnonzero(np.frombuffer(text, dtype=np.uint8) == ord("<"))
    gaps = np.diff(opens, prepend=-1, append=len(text))
    if gaps.max() > longest:
        raise LimitError(key="limits.cell_too_long", limit=longest // _ENTITY_BYTES)


def _count(pattern: re.Pattern[bytes], text: bytes, tag: bytes) -> int:
    """Count the ``<tag`` openings (any namespace prefix) in a piece of XML, or a few more.

    Other tags beginning alike (``<col`` for ``<c``) are few and count too: an upper bound.
    """
    if b":" + tag in text:  # prefixed names (« <x:si> »): slower, rarer
        return len(pattern.findall(text))
    return text.count(b"<" + tag)


def _scan_sheet(text: bytes, sheet: _Sheet, limits: Limits) -> None:
    sheet.rows += _count(_ROW, text, b"row")
    sheet.cells += _count(_CELL, text, b"c")
    numbers = _ROW_NUMBER.findall(text)
    if numbers:
        sheet.last_row = max(sheet.last_row, *map(int, numbers))
    if max(sheet.rows, sheet.last_row) > limits.max_rows + 1:  # the header is a row
        raise LimitError(key="limits.too_many_rows", limit=limits.max_rows)
    columns = _CELL_COLUMN.findall(text)
    if columns:
        longest = max(map(len, columns))
        widest = max(c for c in columns if len(c) == longest).decode().upper()
        if (len(widest), widest) > (len(sheet.last_column), sheet.last_column):
            sheet.last_column = widest
        if _column_number(sheet.last_column) > limits.max_columns:
            raise LimitError(key="limits.too_many_columns", limit=limits.max_columns)


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return max(number, 1)


# --------------------------------------------------------------------------- GeoPackages

_GDAL_TRIGGER = re.compile(
    r"(rtree_.+_(insert|update\d*|delete)\d*|trigger_(insert|delete)_feature_count_.+|gpkg_.+)",
    re.IGNORECASE,
)


def check_geopackage(
    source: Path | bytes,
    limits: Limits,
    *,
    read: Callable[[str], bool],
) -> dict[str, int]:
    """Inspect a GeoPackage with SQLite before GDAL opens it; return the rows of each layer read.

    Parameters
    ----------
    source
        The file, on disk (opened read-only) or in memory.
    limits
        ``max_rows`` and ``max_columns`` for the layers read.
    read
        Which layers (names of ``gpkg_contents``) will be read: only those are counted.

    Returns
    -------
    dict
        ``{layer: rows}`` of the layers read.

    Raises
    ------
    LimitError
        A view or virtual table among the layers, a view anywhere, a trigger GDAL does not make,
        a layer read with too many rows or columns, or SQLite still busy after its time budget.
    sqlite3.DatabaseError
        Not a SQLite database: GDAL gives the reason.
    """
    connection = _sqlite(source)
    started = time.monotonic()
    connection.set_progress_handler(lambda: int(time.monotonic() - started > _GPKG_SECONDS), 1000)
    try:
        return _inspect(connection, limits, read)
    except sqlite3.OperationalError as error:
        if "interrupted" in str(error):
            raise LimitError(key="limits.too_slow", seconds=_GPKG_SECONDS) from None
        raise
    finally:
        connection.close()


def _sqlite(source: Path | bytes) -> sqlite3.Connection:
    if isinstance(source, Path):
        uri = f"{source.resolve().as_uri()}?mode=ro&immutable=1"
        connection = sqlite3.connect(uri, uri=True)
    else:
        connection = sqlite3.connect(":memory:")
        connection.deserialize(source)
    connection.execute("PRAGMA query_only = 1")
    connection.execute("PRAGMA trusted_schema = 0")
    return connection


def _inspect(
    connection: sqlite3.Connection, limits: Limits, read: Callable[[str], bool]
) -> dict[str, int]:
    schema = connection.execute(
        "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master LIMIT 100001"
    ).fetchall()
    if len(schema) > 100_000:  # noqa: PLR2004 - no GeoPackage of a zone holds that many objects
        raise LimitError(key="limits.gpkg_view", name="sqlite_master")
    kinds = {str(name).lower(): (kind, sql) for kind, name, _table, sql in schema}
    for kind, name, _table, _sql in schema:
        if kind == "view":
            raise LimitError(key="limits.gpkg_view", name=name)
        if kind == "trigger" and not _GDAL_TRIGGER.fullmatch(str(name)):
            raise LimitError(key="limits.gpkg_trigger", name=name)
    if "gpkg_contents" not in kinds:
        return {}  # GDAL tells what is missing
    layers = [str(row[0]) for row in connection.execute("SELECT table_name FROM gpkg_contents")]
    rows: dict[str, int] = {}
    for layer in layers:
        kind, sql = kinds.get(layer.lower(), ("", ""))
        if kind != "table" or sql.lstrip().upper().startswith("CREATE VIRTUAL"):
            raise LimitError(key="limits.gpkg_view", name=layer)
        if not read(layer):
            continue
        quoted = '"' + layer.replace('"', '""') + '"'
        columns = connection.execute("SELECT count(*) FROM pragma_table_info(?)", (layer,))
        if columns.fetchone()[0] > limits.max_columns:
            raise LimitError(key="limits.too_many_columns", limit=limits.max_columns)
        count = connection.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0]  # noqa: S608
        if count > limits.max_rows:
            raise LimitError(key="limits.too_many_rows", limit=limits.max_rows)
        rows[layer] = int(count)
    return rows


def geopackage_layers(names: Collection[str]) -> Callable[[str], bool]:
    """Return a predicate telling whether a layer name is among ``names`` (any case)."""
    lowered = {name.lower() for name in names}
    return lambda layer: layer.lower() in lowered
