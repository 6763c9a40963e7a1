"""Read a CSV file as people save them: any common encoding and separator, by pyarrow.

The bytes are checked as text by NumPy and decoded only when they are not UTF-8; a regular
file is read column by column by pyarrow's CSV reader; a file with irregular rows is read row
by row as a spreadsheet would (short rows filled, long ones reported).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as arrow_csv

from eit_geo.bounded import MEGABYTE, LimitError, Limits, Size
from eit_geo.errors import Problem
from eit_geo.i18n import t
from eit_geo.reading import RawTable, Reading, SourceFile

__all__ = ["decode_text", "read_csv", "sniff_separator"]

MAX_LINE_BYTES = MEGABYTE  # one line of a CSV file
_SEPARATORS = (";", ",", "\t", "|")
_BOMS = {b"\xef\xbb\xbf": "utf-8-sig", b"\xff\xfe": "utf-16", b"\xfe\xff": "utf-16"}
_TEXT_CONTROLS = np.array([9, 10, 13], dtype=np.uint8)  # the control bytes a text file holds
_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' « str », kept in Arrow's memory
_CONTROL_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


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


def read_csv(file: SourceFile, table: str, reading: Reading) -> RawTable | None:
    """Read a CSV file as table ``table``; None (and a problem) when it is not readable text."""
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
    file: SourceFile, text: str, separator: str, table: str, reading: Reading
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
