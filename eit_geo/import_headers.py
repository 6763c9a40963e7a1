"""Find a table's header row, give every column a name of its own, set total rows aside.

Spreadsheets exported from other tools often start with a title, a date or a blank line above
the real header (« Inventaire des flux - ZI de Grande-Synthe », « Extraction du 12/03/2026 »),
repeat or leave out some headers, and end with a « Total » row. The header is the row, among
the first ones, in which the most cells are recognised as columns (``data/import/columns.csv``);
the rows above it and the total rows are left out, and the import's report says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from eit_geo.codes import fold_text
from eit_geo.distinct import map_distinct
from eit_geo.import_columns import recognise_columns
from eit_geo.quantities import parse_quantity

__all__ = ["HEADER_SEARCH_ROWS", "Headed", "find_header"]

HEADER_SEARCH_ROWS = 15
"""How many rows under the first line are looked at for the real header."""
_MIN_RECOGNISED = 2  # a row with fewer recognised cells is not taken for a header
# A figure, with a short unit after it: what a row of sums holds besides its « Total ».
_FIGURE = re.compile(r"^[~≈]?\s*[\d\s\u00a0\u202f.,']+\s*[^\d\s]{0,8}$")
_LONGEST_FIGURE = 40  # characters of the longest figure with its unit (« ≈ 1 234 567,89 MWh/an »)
# First cells of a row of sums, folded (`codes.fold_text`): « Total », « Sous-total »…
_TOTAL_WORDS = frozenset(("total", "totaux", "total_general", "sous_total", "grand_total",
                          "somme", "subtotal", "sub_total", "sum"))  # fmt: skip


@dataclass(frozen=True)
class Headed:
    """A table with its real header.

    Attributes
    ----------
    frame : the rows under the header, with one distinct name per column, totals left out
    header_row : the spreadsheet row of the header (1 when it is the first line)
    totals : the spreadsheet rows of sums left out (« Total », « Sous-total »)
    """

    frame: pd.DataFrame
    header_row: int
    totals: tuple[int, ...] = ()


def find_header(text: pd.DataFrame) -> Headed:
    """Return ``text`` (cells as text, indexed by spreadsheet row) under its real header.

    The first line stays the header unless a row among the next `HEADER_SEARCH_ROWS` has more
    cells recognised as columns (at least two). Blank headers become ``""`` and repeated
    ones get a number (``Commune``, ``Commune (2)``).
    """
    best_row, best = None, _recognised([str(name) for name in text.columns])
    for position in range(min(HEADER_SEARCH_ROWS, len(text))):
        count = _recognised(list(text.iloc[position]))
        if count > best and count >= _MIN_RECOGNISED:
            best_row, best = position, count
    header_row = 1
    if best_row is not None:
        header_row = int(text.index[best_row])
        names = list(text.iloc[best_row])
        text = text.iloc[best_row + 1 :].set_axis(range(len(names)), axis=1)
        text.columns = names
    text = text.set_axis(_distinct([str(n) for n in text.columns]), axis=1)
    total = _total_rows(text)
    if not total.any():
        return Headed(text, header_row)  # the usual case: no copy of the table
    return Headed(text[~total], header_row, tuple(int(row) for row in text.index[total]))


def _total_rows(text: pd.DataFrame) -> pd.Series:
    """Tell the rows of sums: a first filled cell « Total » (« TOTAL : »), then only figures.

    A company called « TOTAL » has a resource, a direction or an address written beside its
    name: its rows stay. Column by column, each distinct text folded once.
    """
    first = pd.Series("", index=text.index, dtype=object)
    for column in range(len(text.columns)):
        empty = first == ""
        if not empty.any():
            break
        first = first.where(~empty, text.iloc[:, column])
    words = map_distinct(first.astype(str).str.rstrip(" :"), fold_text)
    total = words.isin(_TOTAL_WORDS)
    for row in total[total].index:
        cells = [str(cell) for cell in text.loc[row] if str(cell)]
        total[row] = all(_figure_or_unit(cell) for cell in cells[1:])
    return total


def _figure_or_unit(cell: str) -> bool:
    """Tell whether a cell is a figure (« 5 400 t ») or a unit alone (« t/an »)."""
    if len(cell) > _LONGEST_FIGURE:  # no figure; and `_FIGURE` backtracks on long blanks
        return False
    return bool(_FIGURE.match(cell)) or parse_quantity("1", cell).value is not None


def _recognised(cells: list[str]) -> int:
    """Count the distinct fields a row's cells would be recognised as, taken as headers."""
    headers = [cell.strip() for cell in cells if cell.strip() and not cell.startswith("Unnamed:")]
    return sum(1 for field in recognise_columns(list(dict.fromkeys(headers))).values() if field)


def _distinct(names: list[str]) -> list[str]:
    """Return the names with repeats numbered (``Commune (2)``); blank names stay ``""``."""
    seen: dict[str, int] = {}
    out = []
    for name in (raw.strip() for raw in names):
        if not name:
            out.append("")
            continue
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out
