"""Tests of eit_geo.import_headers: the real header under title rows, repeats, total rows."""

from __future__ import annotations

import pandas as pd

from eit_geo.import_headers import find_header


def table(rows: list[list[str]]) -> pd.DataFrame:
    """Cells as the readers give them: the first line as header, rows indexed from 2."""
    header, *body = rows
    return pd.DataFrame(body, columns=header, index=range(2, len(body) + 2))


def test_the_header_under_a_title_and_a_date() -> None:
    headed = find_header(
        table([
            ["Inventaire des flux - ZI de Grande-Synthe", "", "", ""],
            ["Extraction du 12/03/2026", "", "", ""],
            ["", "", "", ""],
            ["Raison sociale", "Sens du flux", "Ressource", "Quantité"],
            ["Scierie du Nord", "Sortant", "sciure", "4 200"],
        ])
    )  # fmt: skip
    assert headed.header_row == 4
    assert list(headed.frame.columns) == ["Raison sociale", "Sens du flux", "Ressource", "Quantité"]
    assert headed.frame.loc[5].tolist() == ["Scierie du Nord", "Sortant", "sciure", "4 200"]


def test_a_header_on_the_first_line_stays() -> None:
    rows = [["Raison sociale", "Ressource"], ["Raison sociale", "Ressource"], ["A", "sciure"]]
    headed = find_header(table(rows))  # the header repeated below it is no better: kept first
    assert headed.header_row == 1
    assert len(headed.frame) == 2


def test_repeated_headers_are_numbered() -> None:
    headed = find_header(table([["Commune", "Commune", "", ""], ["Dunkerque", "Nord", "", ""]]))
    assert list(headed.frame.columns) == ["Commune", "Commune (2)", "", ""]


def test_a_repeated_header_under_blank_lines_is_found() -> None:
    rows = [["", "", ""], ["Raison sociale", "Raison sociale", "Ressource"], ["A", "B", "sciure"]]
    headed = find_header(table(rows))
    assert headed.header_row == 2  # the first line is the blank header the readers took
    assert list(headed.frame.columns) == ["Raison sociale", "Raison sociale (2)", "Ressource"]


def test_rows_of_sums_are_left_out_a_company_called_total_is_not() -> None:
    headed = find_header(
        table([
            ["Raison sociale", "Ressource", "Quantité", "Unité"],
            ["TOTAL", "fioul lourd", "1 200", "t"],  # the oil company, as inventories write it
            ["Sous-total :", "", "1 200", "t"],
            ["Scierie du Nord", "sciure", "4 200", "t"],
            ["Total", "", "5 400 t", ""],
        ])
    )  # fmt: skip
    assert headed.totals == (3, 5)
    assert headed.frame["Raison sociale"].tolist() == ["TOTAL", "Scierie du Nord"]


def test_a_long_cell_beside_total_is_no_figure() -> None:
    # hostile: blanks inside Excel's longest cell (read at once: no backtracking on them)
    rows = [["Raison sociale", "Quantité"], ["Total", "1" + " " * 32_700 + "x" * 11]]
    headed = find_header(table(rows))
    assert headed.totals == ()
    assert len(headed.frame) == 1
