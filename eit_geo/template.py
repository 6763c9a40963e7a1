"""Build the Excel template a local authority sends to companies to collect their flows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from eit_geo.datafiles import data_path, read_table
from eit_geo.frames import records

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "DATA_SHEETS",
    "LAST_ROW",
    "build_template",
    "style_header",
    "write_block",
    "write_intro",
]

DATA_SHEETS: tuple[str, ...] = ("entreprises", "flux", "synergies")
"""Sheets the companies fill in, in the order of the workbook (French names of the contract)."""

LAST_ROW = 1000
"""Last spreadsheet row covered by the drop-down lists and number checks."""

_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="0072B2")
_TITLE_FONT = Font(bold=True, size=14)
_LIST_COLUMNS = {"sens": "A", "unité": "B", "ressource": "C"}


def build_template(path: Path) -> Path:
    """Write the flow-collection workbook and return its path.

    The workbook holds a ``lisez-moi`` sheet explaining every column and the resource families,
    the sheets ``entreprises``, ``flux`` and ``synergies`` with the French headers of the data
    contract, and a ``listes`` sheet with the allowed directions, units and resource codes, which
    the drop-down lists of ``sens``, ``unité`` and ``ressource`` point to.

    Parameters
    ----------
    path
        Where to write the ``.xlsx`` file; missing parent folders are created.

    Returns
    -------
    Path
        ``path``, once written.
    """
    columns = _read_template_table("colonnes.csv")
    workbook = Workbook()
    _write_readme(workbook.worksheets[0], columns)
    list_ranges = _write_lists(workbook.create_sheet("listes"))
    for sheet in DATA_SHEETS:
        worksheet = workbook.create_sheet(sheet, index=len(workbook.sheetnames) - 1)
        _write_data_sheet(worksheet, columns[columns["feuille"] == sheet], list_ranges)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def _read_template_table(name: str) -> pd.DataFrame:
    """Read a table of ``data/template/`` as text."""
    return pd.read_csv(
        data_path("template", name), dtype=str, keep_default_na=False, encoding="utf-8"
    )


def _write_readme(sheet: Worksheet, columns: pd.DataFrame) -> None:
    """Fill the ``lisez-moi`` sheet: purpose, one row per column, then the families."""
    sheet.title = "lisez-moi"
    lines = [
        "Modèle de collecte des flux — écologie industrielle et territoriale (eit-geo)",
        "Remplissez les feuilles entreprises, flux et synergies, une ligne par établissement, "
        "par ressource donnée ou reçue, et par échange déjà en place. Ne renommez ni les feuilles "
        "ni les colonnes. Les listes déroulantes viennent de la feuille listes.",
        "Quantités par an ; décimales avec une virgule ; coordonnées en degrés décimaux (WGS84).",
    ]
    row = write_intro(sheet, lines)
    headers = ["feuille", "colonne", "obligatoire", "explication", "exemple"]
    row = write_block(sheet, row, headers, columns[headers].itertuples(index=False, name=None))
    families = read_table("families.csv")
    resources = read_table("resources.csv")
    core = resources[~resources["code"].str[0].str.isdigit()]
    rows = [
        (
            family["label_fr"],
            family["default_max_km"],
            ", ".join(core.loc[core["family"] == family["family"], "code"]),
        )
        for family in records(families)
    ]
    sheet.cell(row=row + 1, column=1, value="Familles de ressources").font = Font(bold=True)
    note = (
        "Chaque code appartient à une famille ; tout code déchet (ex. 10 01 05) est de la famille "
        "Matière. "
        "La distance par défaut (km) est la distance au-delà de laquelle un échange est jugé "
        "peu probable ; elle se règle dans l'outil."
    )
    sheet.cell(row=row + 2, column=1, value=note)
    write_block(sheet, row + 3, ["famille", "distance par défaut (km)", "codes"], rows)
    for letter, width in zip("ABCDE", (22, 16, 12, 90, 22), strict=True):
        sheet.column_dimensions[letter].width = width


def write_intro(sheet: Worksheet, lines: Sequence[str]) -> int:
    """Write a sheet's opening lines, the first as its title; return the row after a blank."""
    for row, text in enumerate(lines, start=1):
        sheet.cell(row=row, column=1, value=text)
    sheet["A1"].font = _TITLE_FONT
    return len(lines) + 2


def write_block(
    sheet: Worksheet, row: int, headers: list[str], rows: Iterable[Sequence[str | float | None]]
) -> int:
    """Write a header row then the rows below it; return the first free row after a blank."""
    for column, header in enumerate(headers, start=1):
        style_header(sheet.cell(row=row, column=column, value=header))
    for row_values in rows:
        row += 1
        for column, value in enumerate(row_values, start=1):
            cell = sheet.cell(row=row, column=column, value=value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    return row + 2


def _write_lists(sheet: Worksheet) -> dict[str, str]:
    """Fill the ``listes`` sheet and return, per list name, the range its drop-down points to."""
    values = _read_template_table("valeurs.csv")
    resources = read_table("resources.csv")
    family_labels = read_table("families.csv").set_index("family")["label_fr"]
    headers = ["sens", "unité", "ressource", "famille", "libellé", "distance par défaut (km)"]
    for column, header in enumerate(headers, start=1):
        style_header(sheet.cell(row=1, column=column, value=header))
    columns = {
        "sens": values.loc[values["liste"] == "sens", "valeur"].tolist(),
        "unité": values.loc[values["liste"] == "unité", "valeur"].tolist(),
        "ressource": resources["code"].tolist(),
        "famille": resources["family"].map(family_labels).tolist(),
        "libellé": resources["label_fr"].tolist(),
        "distance par défaut (km)": resources["default_max_km"].tolist(),
    }
    for column, header in enumerate(headers, start=1):
        for row, value in enumerate(columns[header], start=2):
            sheet.cell(row=row, column=column, value=value).number_format = "@"
    for letter, width in zip("ABCDEF", (10, 10, 20, 12, 60, 14), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    return {
        name: f"listes!${letter}$2:${letter}${len(columns[name]) + 1}"
        for name, letter in _LIST_COLUMNS.items()
    }


def _write_data_sheet(sheet: Worksheet, columns: pd.DataFrame, list_ranges: dict[str, str]) -> None:
    """Write the headers of one data sheet and attach a check to every column that has one."""
    list_ranges = {**list_ranges, "entreprise": f"entreprises!$A$2:$A${LAST_ROW}"}
    for index, spec in enumerate(records(columns), start=1):
        letter = get_column_letter(index)
        style_header(sheet.cell(row=1, column=index, value=spec["colonne"]))
        sheet.column_dimensions[letter].width = max(14, len(spec["colonne"]) + 4)
        cells = f"{letter}2:{letter}{LAST_ROW}"
        if spec["type"] == "texte":
            for row in range(2, LAST_ROW + 1):
                sheet.cell(row=row, column=index).number_format = "@"
        validation = _column_validation(spec, list_ranges)
        if validation is not None:
            sheet.add_data_validation(validation)
            validation.add(cells)
    sheet.freeze_panes = "A2"


def _column_validation(spec: dict[str, str], list_ranges: dict[str, str]) -> DataValidation | None:
    """Return the drop-down list or number check of a column described in ``colonnes.csv``."""
    name, kind, low, high = spec["colonne"], spec["type"], spec["minimum"], spec["maximum"]
    if spec["liste"]:
        strict = spec["liste"] in ("sens", "unité")
        validation = DataValidation(
            type="list",
            formula1=list_ranges[spec["liste"]],
            allow_blank=True,
            errorStyle="stop" if strict else "warning",
        )
        hint = "" if strict else " (une autre valeur reste possible après confirmation)"
        validation.error = f"Valeur hors de la liste pour « {name} »{hint}."
    elif kind in ("entier", "décimal") and low:
        validation = DataValidation(
            type="whole" if kind == "entier" else "decimal",
            formula1=low,
            formula2=high or None,
            allow_blank=True,
            operator="between" if high else "greaterThan",
        )
        bounds = f"entre {low} et {high}" if high else f"supérieur à {low}"
        validation.error = f"« {name} » doit être un nombre {bounds}."
    else:
        return None
    validation.errorTitle = "eit-geo"
    validation.prompt = spec["explication"]
    validation.showErrorMessage = True
    validation.showInputMessage = True
    return validation


def style_header(cell: Cell) -> None:
    """Give a header cell the white-on-blue header style."""
    cell.font = _HEADER_FONT
    cell.fill = _HEADER_FILL
