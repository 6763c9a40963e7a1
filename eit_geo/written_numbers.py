"""Numbers as people write them, French or English: ``1 234,5``, ``1,234.5``, ``12.5``, ``4,2``.

One set of rules, in `parse_number`; `parse_numbers` reads a column's plain numbers and lone
decimal commas in one vectorised pass (Arrow) and applies those rules once per distinct other
value.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["parse_number", "parse_numbers"]

_FEW = 8  # up to this many values, numbers are parsed one by one (no vectorised pass)
_PLAIN = r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$"  # what Arrow reads as a float
_DECIMAL_COMMA = r"^[-+]?\d+,\d+$"  # « 12,5 »: a lone comma is a decimal mark (parse_number)
_GROUPING = re.compile(r"[\s\u00a0\u202f']")  # blanks and apostrophes between thousands


def parse_number(text: str) -> float:
    """Parse one number written the French or English way; NaN if it is not a finite number.

    Blanks and apostrophes are thousands separators; with both a dot and a comma, the last one
    is the decimal mark and the other a thousands separator; a mark written more than once
    alone separates thousands (``1,250,000``, ``1.250.000``); a lone comma is a decimal mark.
    """
    value = _plain_float(text)
    if math.isnan(value) and any(char.isdigit() for char in text):
        written = _GROUPING.sub("", text)
        dot, comma = written.rfind("."), written.rfind(",")
        if dot >= 0 and comma >= 0:
            written = written.replace("." if comma > dot else ",", "")
        elif written.count(",") > 1 or written.count(".") > 1:
            written = written.replace("," if comma >= 0 else ".", "")
        value = _plain_float(written.replace(",", "."))
    return value if math.isfinite(value) else math.nan


def parse_numbers(values: pd.Series) -> pd.Series:
    """Parse a column of numbers as `parse_number` does, on the same index (floats, NaN).

    Plain numbers (``12.5``) are read in one vectorised pass; each distinct other text holding
    a digit goes through `parse_number` once.
    """
    text = values.astype(str)
    if len(text) <= _FEW:
        return pd.Series([parse_number(v) for v in text], index=values.index, dtype=float)
    numbers = _plain_numbers(text)
    rest = numbers.isna() & text.str.contains(r"\d", regex=True)
    if rest.any():
        written = text[rest]
        read = {value: parse_number(value) for value in written.unique()}
        numbers[rest] = written.map(read).astype(float)
    return numbers.where(np.isfinite(numbers))


def _plain_numbers(text: pd.Series) -> pd.Series:
    """Read plain numbers (``12.5``, ``-3e4``) and lone decimal commas (``12,5``) by Arrow.

    Other values are left NaN here: `parse_numbers` reads them one distinct value at a time.
    """
    array = pa.array(text, type=pa.string())
    try:  # a column of plain numbers only, the usual case, is read in one cast
        plain_only = pc.cast(array, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    else:
        return pd.Series(np.asarray(plain_only, dtype=float), index=text.index, dtype="float64")
    comma = pc.match_substring_regex(array, _DECIMAL_COMMA)
    array = pc.if_else(comma, pc.replace_substring(array, ",", "."), array)
    plain = pc.match_substring_regex(array, _PLAIN)
    read = pc.cast(pc.if_else(plain, array, pa.scalar(None, pa.string())), pa.float64())
    return pd.Series(np.asarray(read, dtype=float), index=text.index, dtype="float64")


def _plain_float(text: str) -> float:
    """Read a number as ``pandas.to_numeric`` does: ASCII digits, no ``_``; else NaN."""
    if not text.isascii() or "_" in text:
        return math.nan
    try:
        return float(text)
    except ValueError:
        return math.nan
