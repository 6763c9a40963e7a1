"""Tell how a file writes its quantities: the French way (« 1 200,5 ») or the English (« 1,200.5 »).

A lone comma before three figures (« 250,000 ») is a decimal mark in French and separates
thousands in English. The other quantities of the same file decide: figures written
« 1,200.5 » or « 12.5 » and none with a decimal comma make the file English, and its lone
commas separate thousands. When nothing in the file decides, the comma stays a decimal mark
(the French reading, `written_numbers.parse_number`) and the quantity is marked an estimate,
with a note saying how it was read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    import numpy as np

__all__ = ["CommaReading", "read_commas"]

# A figure with a decimal dot, or with thousands commas and a dot: English evidence.
_ENGLISH = re.compile(r"\d,\d{3}\.\d|\d\.\d{1,2}(?!\d)|\d\.\d{4,}")
# A decimal comma (not before exactly three figures), or « 1.200,5 », « 1 200,5 »: French.
_FRENCH = re.compile(r"\d\.\d{3},\d|\d,\d{1,2}(?!\d)|\d,\d{4,}|\d[\s\u00a0\u202f]\d{3},\d")
# A number whose only marks are commas before groups of three figures: « 250,000 ».
_COMMA_GROUPS = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d.,])")


@dataclass(frozen=True)
class CommaReading:
    """The quantities to read, and the rows whose commas were read as thousands or decimals.

    Attributes
    ----------
    quantity : the quantities as written, English thousands commas taken out
    thousands : rows of an English file whose commas were read as separating thousands
    ambiguous : rows of a file that does not decide, read with a decimal comma
    """

    quantity: pd.Series
    thousands: pd.Series
    ambiguous: pd.Series


def read_commas(quantity: pd.Series, files: pd.Series) -> CommaReading:
    """Read the lone commas of each file's quantities as its other quantities write numbers.

    Each distinct writing is looked at once.
    """
    text = quantity.astype(str)
    none = pd.Series(False, index=quantity.index)
    if not text.str.contains(",", regex=False).any():
        return CommaReading(text, none, none)  # no comma: nothing to decide
    codes, distinct = pd.factorize(text)
    written = pd.Series(distinct, dtype=object).astype(str)
    grouped = written.str.contains(_COMMA_GROUPS).to_numpy()[codes]
    english = _per_file(written.str.contains(_ENGLISH).to_numpy()[codes], files)
    french = _per_file(written.str.contains(_FRENCH).to_numpy()[codes], files)
    thousands = pd.Series(grouped & english & ~french, index=quantity.index)
    rewritten = written.str.replace(
        _COMMA_GROUPS, lambda found: found.group(0).replace(",", ""), regex=True
    ).to_numpy()[codes]
    return CommaReading(
        text.where(~thousands, pd.Series(rewritten, index=quantity.index)),
        thousands,
        pd.Series(grouped & ~english & ~french, index=quantity.index),
    )


def _per_file(rows: np.ndarray, files: pd.Series) -> np.ndarray:
    """Spread to every row of a file whether any of its rows says so."""
    return pd.Series(rows, index=files.index).groupby(files.to_numpy()).transform("any").to_numpy()
