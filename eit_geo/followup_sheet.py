"""The follow-up workbook: the template companies fill with the quantities exchanged, read back.

One row per synergy, year (and month, optional): supplier, receiver, resource, year, month,
quantity, unit, status (« mesuré » or « estimé ») and source. The columns are described in
``data/template/suivi-colonnes.csv``; the workbook written for a zone lists its synergies in
place, so that a company only types its figures. Reading it checks every row and raises one
`eit_geo.errors.ZoneError` with every problem (file, row, column, value), or returns rows ready
for ``plan_store.record_realised_rows``.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict
from zipfile import BadZipFile

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from eit_geo.codes import canonical_alias, fold_text, normalise_code
from eit_geo.datafiles import data_path
from eit_geo.errors import Problem, ZoneError
from eit_geo.frames import records
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.network_years import current_year
from eit_geo.template import style_header, write_block, write_intro
from eit_geo.written_numbers import parse_numbers

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "SHEET",
    "FollowupRow",
    "build_followup_template",
    "read_followup_sheet",
    "template_columns",
]

SHEET = "suivi"
LAST_ROW = 2000
_STATUS_WORDS = ("mesuré", "estimé")
_MONTHS = 12
_FIRST_YEAR = 1900


class FollowupRow(TypedDict):
    """One figure read from a follow-up sheet, as ``plan_store.record_realised_rows`` takes it."""

    from_id: str
    to_id: str
    resource: str
    year: int
    month: int
    quantity: float
    unit: str
    status: str | None
    source: str


def template_columns() -> pd.DataFrame:
    """Return the columns of the follow-up sheet (``data/template/suivi-colonnes.csv``)."""
    return pd.read_csv(
        data_path("template", "suivi-colonnes.csv"),
        dtype=str,
        keep_default_na=False,
        encoding="utf-8",
    )


def build_followup_template(in_place: pd.DataFrame | None = None) -> bytes:
    """Return the follow-up workbook (``.xlsx``), listing the synergies in place if given.

    Parameters
    ----------
    in_place
        ``followup.synergies_in_place`` output: one row per synergy with its ids, names,
        resource and unit filled in, year and quantity left to type. None: an empty sheet (the
        shipped ``data/template/modele-suivi-echanges.xlsx``).

    Returns
    -------
    bytes
        The workbook: a ``lisez-moi`` sheet explaining each column, the ``suivi`` sheet with
        drop-down lists for the status and the month.
    """
    columns = template_columns()
    workbook = Workbook()
    _write_readme(workbook.worksheets[0], columns)
    sheet = workbook.create_sheet(SHEET)
    for index, name in enumerate(columns["colonne"], start=1):
        style_header(sheet.cell(row=1, column=index, value=name))
        sheet.column_dimensions[get_column_letter(index)].width = max(14, len(name) + 4)
    if in_place is not None:
        year = current_year() - 1
        for row, synergy in enumerate(in_place.itertuples(index=False), start=2):
            values = {
                "from_id": synergy.from_id,
                "from_name": synergy.from_name,
                "to_id": synergy.to_id,
                "to_name": synergy.to_name,
                "resource": synergy.resource,
                "year": year,
                "unit": t(f"units.{str(synergy.unit).replace('/', '_')}", "fr"),
            }
            for index, canonical in enumerate(columns["canonique"], start=1):
                if canonical in values:
                    sheet.cell(row=row, column=index, value=values[canonical]).number_format = "@"
    _add_lists(sheet, list(columns["canonique"]))
    sheet.freeze_panes = "A2"
    workbook.move_sheet(SHEET, offset=-1)
    workbook.active = 0
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_readme(sheet: Worksheet, columns: pd.DataFrame) -> None:
    sheet.title = "lisez-moi"
    lines = [
        "Suivi des échanges en place — quantités réellement échangées (eit-geo)",
        "Feuille suivi : une ligne par synergie et par année (ou par mois). Ne renommez pas les "
        "colonnes ; laissez vide la quantité d'une année que vous ne connaissez pas (elle n'est "
        "pas comptée comme zéro).",
    ]
    headers = ["colonne", "obligatoire", "explication", "exemple"]
    rows = columns[headers].itertuples(index=False, name=None)
    write_block(sheet, write_intro(sheet, lines), headers, rows)
    for letter, width in zip("ABCD", (20, 12, 90, 20), strict=True):
        sheet.column_dimensions[letter].width = width


def _add_lists(sheet: Worksheet, canonical: list[str]) -> None:
    status = DataValidation(type="list", formula1=f'"{",".join(_STATUS_WORDS)}"', allow_blank=True)
    status.error = "Statut : mesuré ou estimé."
    month = DataValidation(
        type="whole", operator="between", formula1="1", formula2="12", allow_blank=True
    )
    month.error = "Mois : un nombre de 1 à 12, ou vide pour l'année entière."
    for validation, name in ((status, "status"), (month, "month")):
        letter = get_column_letter(canonical.index(name) + 1)
        validation.errorTitle = "eit-geo"
        validation.showErrorMessage = True
        sheet.add_data_validation(validation)
        validation.add(f"{letter}2:{letter}{LAST_ROW}")


# --------------------------------------------------------------------------- reading


def read_followup_sheet(
    data: bytes | Path,
    *,
    file_name: str,
    in_place: pd.DataFrame,
    lang: str = DEFAULT_LANGUAGE,
) -> list[FollowupRow]:
    """Read a filled follow-up sheet (``.xlsx`` or ``.csv``) and check every row.

    Parameters
    ----------
    data
        The file's bytes, or its path.
    file_name
        Its name, shown in the problems (and telling a CSV from a workbook).
    in_place
        ``followup.synergies_in_place`` output: the synergies figures may be given for.
    lang
        Language of the problems.

    Returns
    -------
    list of dict
        One row per figure given (rows without a quantity are skipped): ``from_id``, ``to_id``,
        ``resource``, ``year``, ``month`` (0: whole year), ``quantity``, ``unit`` (the
        synergy's), ``status`` (``measured`` or ``estimated``), ``source``.

    Raises
    ------
    ZoneError
        With one Problem per missing column or bad value; nothing is half-read.
    """
    raw = data.read_bytes() if isinstance(data, Path) else data
    table = _read_table(raw, file_name, lang)
    problems: list[Problem] = []
    headers = {}
    for column in table.columns:
        canonical = _canonical_column(str(column))
        if canonical is not None and canonical not in headers:
            headers[canonical] = str(column)
    columns = template_columns()
    required = columns.loc[columns["obligatoire"] == "oui", "canonique"]
    shown = dict(zip(columns["canonique"], columns["colonne"], strict=True))
    missing = [name for name in required if name not in headers]
    for name in missing:
        problems.append(
            Problem(file_name, None, shown[name], None, t("validation.missing_column", lang), lang)
        )
    if missing:
        raise ZoneError(problems)
    text = pd.DataFrame({name: table[original] for name, original in headers.items()})
    text = text.fillna("").astype(str).map(str.strip)
    units = dict(zip(in_place["key"], in_place["unit"], strict=True))
    rows: list[FollowupRow] = []
    seen: dict[tuple[str, str, str, int, int], int] = {}
    for position, values in enumerate(records(text), start=2):
        if not values.get("quantity"):
            continue
        checked = _checked_row(
            values,
            position,
            headers=headers,
            units=units,
            file_name=file_name,
            lang=lang,
            problems=problems,
        )
        if checked is None:
            continue
        key = (checked["from_id"], checked["to_id"], checked["resource"], checked["year"],
               checked["month"])  # fmt: skip
        if key in seen:
            problems.append(
                Problem(
                    file_name, position, headers["year"], str(checked["year"]),
                    t("followup.sheet_duplicate", lang, first=seen[key]), lang,
                )
            )  # fmt: skip
            continue
        seen[key] = position
        rows.append(checked)
    if problems:
        raise ZoneError(problems)
    return rows


def _read_table(raw: bytes, file_name: str, lang: str) -> pd.DataFrame:
    suffix = Path(file_name).suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
            name = SHEET if SHEET in book.sheetnames else book.sheetnames[0]
            book.close()
            return pd.read_excel(io.BytesIO(raw), sheet_name=name, dtype=str)
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        return pd.read_csv(io.StringIO(text), sep=None, engine="python", dtype=str)
    except (OSError, ValueError, KeyError, BadZipFile, InvalidFileException) as error:
        message = t("followup.sheet_unreadable", lang, error=str(error)[:200])
        raise ZoneError([Problem(file_name, None, None, None, message, lang)]) from error


def _canonical_column(header: str) -> str | None:
    folded = fold_text(header)
    for spec in template_columns().itertuples(index=False):
        if folded in (fold_text(str(spec.colonne)), spec.canonique):
            return str(spec.canonique)
    return None


def _checked_row(
    values: dict[str, str],
    row: int,
    *,
    headers: dict[str, str],
    units: dict[str, str],
    file_name: str,
    lang: str,
    problems: list[Problem],
) -> FollowupRow | None:
    found: list[Problem] = []

    def problem(column: str, key: str, **more: object) -> None:
        message = t(key, lang, **more)
        found.append(Problem(file_name, row, headers[column], values.get(column), message, lang))

    for column in ("from_id", "to_id", "resource", "year", "status"):
        if not values.get(column):
            problem(column, "validation.empty_value")
    year = parse_numbers(pd.Series([values.get("year", "")])).iloc[0]
    if values.get("year") and (
        pd.isna(year) or year % 1 or not _FIRST_YEAR <= year <= current_year() + 1
    ):
        problem("year", "validation.bad_year", max_year=current_year() + 1)
    month = parse_numbers(pd.Series([values.get("month") or "0"])).iloc[0]
    if pd.isna(month) or month % 1 or not 0 <= month <= _MONTHS:
        problem("month", "followup.sheet_bad_month")
    quantity = parse_numbers(pd.Series([values["quantity"]])).iloc[0]
    if pd.isna(quantity) or quantity < 0:
        problem("quantity", "followup.sheet_bad_quantity")
    status = (
        canonical_alias("measure_status", values.get("status", ""))
        if values.get("status")
        else None
    )
    if values.get("status") and status is None:
        problem("status", "followup.sheet_bad_status")
    resource = normalise_code(values.get("resource", "")) or values.get("resource", "")
    key = f"{values.get('from_id', '')}>{values.get('to_id', '')}:{resource}"
    if all(values.get(c) for c in ("from_id", "to_id", "resource")) and key not in units:
        problem("to_id", "followup.sheet_unknown_synergy")
    elif key in units and values.get("unit") and "unit" in headers:
        given = canonical_alias("unit", values["unit"])
        if given != units[key]:
            problem("unit", "followup.sheet_bad_unit", unit=units[key])
    problems.extend(found)
    if found:
        return None
    return {
        "from_id": values["from_id"],
        "to_id": values["to_id"],
        "resource": resource,
        "year": int(year),
        "month": int(month),
        "quantity": float(quantity),
        "unit": units[key],
        "status": status,
        "source": values.get("source", ""),
    }
