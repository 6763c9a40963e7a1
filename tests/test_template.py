"""Tests of eit_geo.template: the Excel flow-collection workbook."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import openpyxl
import pandas as pd
import pytest

from eit_geo.datafiles import data_path, example_path, read_table
from eit_geo.loading import load_zone
from eit_geo.template import DATA_SHEETS, LAST_ROW, build_template

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

HEADERS = {
    "entreprises": ["identifiant", "nom", "secteur", "effectif", "lat", "lon"],
    "flux": ["entreprise", "sens", "ressource", "quantité", "unité", "libellé"],
    "synergies": ["from_id", "to_id", "ressource", "quantité", "unité", "depuis"],
}


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> Workbook:
    path = build_template(tmp_path_factory.mktemp("template") / "sub" / "modele.xlsx")
    return openpyxl.load_workbook(path)


def _validation(workbook: Workbook, sheet: str, column: str) -> DataValidation:
    """Return the validation covering the data cells of a column, found by its header."""
    worksheet = workbook[sheet]
    headers = [cell.value for cell in worksheet[1]]
    letter = "ABCDEFGHIJ"[headers.index(column)]
    cells = f"{letter}2:{letter}{LAST_ROW}"
    matches = [
        dv for dv in worksheet.data_validations.dataValidation if cells in str(dv.sqref).split()
    ]
    assert len(matches) == 1, f"{sheet}.{column}: {matches}"
    return matches[0]


def _list_values(workbook: Workbook, formula: str) -> list[str]:
    """Return the values of a list validation formula such as ``listes!$B$2:$B$4``."""
    sheet, cells = formula.split("!")
    rows = workbook[sheet][cells.replace("$", "")]
    return [row[0].value for row in rows]


def test_sheets_in_order(workbook: Workbook) -> None:
    assert workbook.sheetnames == ["lisez-moi", "entreprises", "flux", "synergies", "listes"]
    assert tuple(HEADERS) == DATA_SHEETS


@pytest.mark.parametrize("sheet", DATA_SHEETS)
def test_headers_are_the_french_contract_names(workbook: Workbook, sheet: str) -> None:
    worksheet = workbook[sheet]
    assert [cell.value for cell in worksheet[1]] == HEADERS[sheet]
    assert worksheet.freeze_panes == "A2"


@pytest.mark.parametrize("sheet", ["flux", "synergies"])
def test_unit_drop_down_lists_the_three_units(workbook: Workbook, sheet: str) -> None:
    validation = _validation(workbook, sheet, "unité")
    assert validation.type == "list"
    assert validation.formula1 == "listes!$B$2:$B$4"
    assert _list_values(workbook, validation.formula1) == ["t/an", "m3/an", "MWh/an"]
    assert validation.errorStyle == "stop"


def test_direction_drop_down_lists_sortie_and_entree(workbook: Workbook) -> None:
    validation = _validation(workbook, "flux", "sens")
    assert validation.type == "list"
    assert _list_values(workbook, validation.formula1) == ["sortie", "entrée"]
    assert validation.errorStyle == "stop"


@pytest.mark.parametrize("sheet", ["flux", "synergies"])
def test_resource_drop_down_lists_every_code_but_allows_others(
    workbook: Workbook, sheet: str
) -> None:
    validation = _validation(workbook, sheet, "ressource")
    codes = read_table("resources.csv")["code"].tolist()
    assert _list_values(workbook, validation.formula1) == codes
    assert {"steam", "electricity", "co2", "gypsum", "10 01 05"} <= set(codes)
    # EWC codes and chapters outside the list stay possible after a warning
    assert validation.errorStyle == "warning"


def test_list_sheet_gives_family_and_label_of_each_code(workbook: Workbook) -> None:
    rows = {
        row[2]: row[3:6]
        for row in workbook["listes"].iter_rows(min_row=2, values_only=True)
        if row[2]
    }
    assert rows["steam"] == ("Énergie", "Vapeur", "5")
    assert rows["electricity"][2] in (None, "")
    assert rows["10 01 05"][0] == "Matière"


def test_company_ids_come_from_the_companies_sheet(workbook: Workbook) -> None:
    for sheet, column in [("flux", "entreprise"), ("synergies", "from_id"), ("synergies", "to_id")]:
        validation = _validation(workbook, sheet, column)
        assert validation.formula1 == f"entreprises!$A$2:$A${LAST_ROW}"


@pytest.mark.parametrize(
    ("sheet", "column", "expected"),
    [
        ("entreprises", "lat", ("decimal", "-90", "90")),
        ("entreprises", "lon", ("decimal", "-180", "180")),
        ("entreprises", "effectif", ("whole", "0", "1000000")),
        ("flux", "quantité", ("decimal", "0", None)),
        ("synergies", "quantité", ("decimal", "0", None)),
        ("synergies", "depuis", ("whole", "1900", "2100")),
    ],
)
def test_number_checks(
    workbook: Workbook, sheet: str, column: str, expected: tuple[str, str, str | None]
) -> None:
    validation = _validation(workbook, sheet, column)
    assert (validation.type, validation.formula1, validation.formula2) == expected
    assert validation.operator == ("between" if expected[2] else "greaterThan")


def test_code_columns_are_text_so_excel_keeps_leading_zeros(workbook: Workbook) -> None:
    worksheet = workbook["flux"]
    assert worksheet["C2"].number_format == "@"
    assert worksheet[f"A{LAST_ROW}"].number_format == "@"
    assert worksheet["D2"].number_format != "@"


def test_readme_explains_every_column_and_the_families(workbook: Workbook) -> None:
    rows = list(workbook["lisez-moi"].iter_rows(values_only=True))
    explained = {(row[0], row[1]) for row in rows}
    for sheet, headers in HEADERS.items():
        assert {(sheet, header) for header in headers} <= explained
    by_family = {row[0]: row for row in rows}
    for label in ("Énergie", "Eau", "Gaz", "Matière"):
        assert label in by_family
    assert by_family["Matière"][1] == "33"
    assert "waste_heat" in by_family["Énergie"][2]


def test_data_sheets_start_empty(tmp_path: Path) -> None:
    path = build_template(tmp_path / "modele.xlsx")
    sheets = pd.read_excel(path, sheet_name=list(DATA_SHEETS))
    assert {name: frame.shape for name, frame in sheets.items()} == {
        "entreprises": (0, 6),
        "flux": (0, 6),
        "synergies": (0, 6),
    }


def test_filled_template_loads_as_a_zone(tmp_path: Path) -> None:
    workbook = openpyxl.load_workbook(build_template(tmp_path / "modele.xlsx"))
    options = {"sep": ";", "decimal": ",", "encoding": "utf-8-sig", "dtype": str}
    folder = example_path("parc-rural")
    numbers = {"lat", "lon", "quantité", "effectif", "depuis"}
    for sheet, table in zip(DATA_SHEETS, ["companies", "flows", "synergies"], strict=True):
        frame = pd.read_csv(folder / f"{table}.csv", **options)
        for row, record in enumerate(frame.to_dict("records"), start=2):
            for column, header in enumerate(HEADERS[sheet], start=1):
                value = record[header]
                if header in numbers:
                    value = float(value.replace(",", "."))
                workbook[sheet].cell(row=row, column=column, value=value)
    filled = tmp_path / "rempli.xlsx"
    workbook.save(filled)
    zone = load_zone(filled)
    assert (len(zone.companies), len(zone.flows), len(zone.synergies)) == (11, 34, 2)


def test_shipped_template_matches_the_builder() -> None:
    shipped = openpyxl.load_workbook(data_path("template", "modele-collecte-flux.xlsx"))
    assert shipped.sheetnames == ["lisez-moi", "entreprises", "flux", "synergies", "listes"]
    listed = [row[0] for row in shipped["listes"].iter_rows(min_row=2, min_col=3, values_only=True)]
    assert [code for code in listed if code] == read_table("resources.csv")["code"].tolist()
