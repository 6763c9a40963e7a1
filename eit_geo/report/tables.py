"""The report's tables: the workshop's decisions and the factors' sources, and their files.

Tables come out with translated headers and values, ready for a page, the report or a file:
`table_csv` for the reader's spreadsheet (French: ``;`` and a decimal comma) and `table_xlsx`
with a frozen header and filters. Cells a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import io
from collections.abc import Collection

import pandas as pd

from eit_geo.codes import resource_label
from eit_geo.datafiles import read_table
from eit_geo.export import neutralise_formulas
from eit_geo.formatting import (
    factor_unit,
    format_datetime,
    format_exact,
    is_missing,
    sources_in,
    unit_label,
)
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.workshop import CHECKS
from eit_geo.written_numbers import parse_numbers

__all__ = ["date_text", "decisions_table", "factor_sources", "table_csv", "table_xlsx"]


def decisions_table(board: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> pd.DataFrame:
    """Return the board as a readable table: one row per candidate, translated headers and values.

    Columns: supplier, receiver, resource, quantity, unit, distance, score, workshop status, the
    three checks with their notes, comment, votes, points, last change by and on, candidate id.
    """
    rows = pd.DataFrame(
        {
            t("app.col_from", lang): board["from_name"],
            t("app.col_to", lang): board["to_name"],
            t("app.col_resource", lang): board["resource"].map(lambda c: resource_label(c, lang)),
            t("app.col_quantity", lang): board["quantity"],
            t("app.col_unit", lang): board["unit"].map(lambda u: unit_label(str(u), lang)),
            t("workshop.col_distance", lang): board["distance_km"].round(1),
            t("workshop.col_score", lang): board["score"].round(2),
            t("workshop.col_status", lang): board["decision"].map(
                lambda s: t(f"workshop.status_{s}", lang)
            ),
        }
    )
    for check in CHECKS:
        rows[t(f"workshop.check_{check}", lang)] = board[check].map(
            lambda s: t(f"workshop.check_{s}", lang)
        )
        rows[t(f"workshop.col_{check}_note", lang)] = board[f"{check}_note"]
    rows[t("workshop.col_comment", lang)] = board["comment"]
    rows[t("workshop.col_votes", lang)] = board["votes"]
    rows[t("workshop.col_points", lang)] = board["points"]
    rows[t("workshop.col_participant", lang)] = board["participant"]
    rows[t("workshop.col_updated", lang)] = board["updated_at"].map(lambda m: date_text(m, lang))
    rows[t("workshop.col_candidate", lang)] = board["candidate_id"]
    return rows.reset_index(drop=True)


def date_text(moment: object, lang: str = DEFAULT_LANGUAGE) -> str:
    """Return a stored moment as a local date and time, or an empty text."""
    return "" if is_missing(moment) else format_datetime(moment, lang)


def _safe_cells(table: pd.DataFrame) -> pd.DataFrame:
    """Neutralise text cells a spreadsheet would run as a formula (`export.neutralise_formulas`)."""
    return neutralise_formulas(table)


def table_csv(table: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> bytes:
    """Return a table as CSV for the reader's spreadsheet, UTF-8 with BOM.

    French: ``;`` between cells and a decimal comma; English: ``,`` and a decimal point.
    """
    sep, decimal = (";", ",") if lang == "fr" else (",", ".")
    text = _safe_cells(table).to_csv(index=False, sep=sep, decimal=decimal)
    return text.encode("utf-8-sig")


def table_xlsx(table: pd.DataFrame, *, sheet: str = "decisions") -> bytes:
    """Return a table as an Excel workbook: frozen header, filters, readable column widths."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        _safe_cells(table).to_excel(writer, index=False, sheet_name=sheet[:31])
        worksheet = writer.sheets[sheet[:31]]
        worksheet.freeze_panes = "A2"
        worksheet.auto_filter.ref = worksheet.dimensions
        for index, column in enumerate(table.columns, start=1):
            longest = max([len(str(column)), *(len(str(v)) for v in table[column].head(200))])
            letter = worksheet.cell(row=1, column=index).column_letter
            worksheet.column_dimensions[letter].width = min(60, max(8, longest + 2))
    return buffer.getvalue()


def factor_sources(
    lang: str = DEFAULT_LANGUAGE, keys: Collection[str] | None = None
) -> pd.DataFrame:
    """Return the factors behind the indicators with value, unit, source, year and status.

    Parameters
    ----------
    lang
        Language of the descriptions and headers.
    keys
        Keep only these factor keys (those an indicator used); None keeps all of ``factors.csv``.
    """
    factors = read_table("factors.csv")
    if keys is not None:
        factors = factors[factors["key"].isin(list(keys))]
    estimate = factors["status"].ne("sourced").to_numpy()
    values = [
        f"≈ {format_exact(v, lang)}" if rough and not is_missing(v) else format_exact(v, lang)
        for v, rough in zip(parse_numbers(factors["value"]), estimate, strict=True)
    ]
    return pd.DataFrame(
        {
            t("workshop.col_factor", lang): factors[f"description_{lang}"],
            t("workshop.col_value", lang): values,
            t("app.col_unit", lang): factors["unit"].map(lambda u: factor_unit(str(u), lang)),
            t("workshop.col_source", lang): sources_in(factors, lang),
            t("workshop.col_year", lang): factors["year"],
            t("workshop.col_factor_status", lang): factors["status"].map(
                lambda s: t(f"workshop.factor_{s}", lang)
            ),
        }
    ).reset_index(drop=True)
