"""Recognise the shape of an inventory table and take its companies, flows and synergies."""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING

import pandas as pd

from eit_geo.codes import canonical_alias, fold_text
from eit_geo.distinct import map_distinct
from eit_geo.import_columns import direction_of_name, header_unit
from eit_geo.quantities import has_period
from eit_geo.resources_resolve import fold_name
from eit_geo.siret import read_siret

if TYPE_CHECKING:
    import numpy as np

    from eit_geo.import_sources import SourceTable
    from eit_geo.positions import Located
    from eit_geo.zone import Zone

__all__ = [
    "COMPANY_ROW_COLUMNS",
    "FLOW_ROW_COLUMNS",
    "SHAPES",
    "SYNERGY_ROW_COLUMNS",
    "Extracted",
    "classify_table",
    "extract_table",
    "extract_zone",
    "named_direction",
    "split_items",
]

SHAPES: tuple[str, ...] = ("flat", "lists", "companies", "flows", "synergies", "ignore")
"""How a table is read: one row per flow with its company (``flat``), one row per company with
lists of needs and offers (``lists``), companies, flows or synergies alone, or left aside."""

COMPANY_ROW_COLUMNS: tuple[str, ...] = (
    "key", "document", "file", "row", "id", "siret", "siret_status", "siret_written", "name",
    "sector", "activity", "employees", "address", "postcode", "commune", "lat", "lon",
    "position_status",
)  # fmt: skip
FLOW_ROW_COLUMNS: tuple[str, ...] = (
    "document", "file", "row", "company_key", "company", "direction", "label", "resource",
    "quantity", "unit", "quantity_status",
)  # fmt: skip
SYNERGY_ROW_COLUMNS: tuple[str, ...] = (
    "document", "file", "row", "from_id", "to_id", "label", "resource", "quantity", "unit",
    "since", "quantity_status",
)  # fmt: skip

_IDENTITY = ("id", "siret", "name", "company")
_DESCRIBED = ("name", "siret", "sector", "activity", "employees", "address", "postcode", "commune")
_PLACED = ("lat", "lon", "latlon", "x", "y")
_FLOW = ("direction", "resource", "label")
_STRONG_SEPARATORS = re.compile(r"\s*(?:\||;|\r?\n|•|·)\s*")
_COMMA = re.compile(r"\s*,(?!\d)\s*")
_BULLET = re.compile(r"^[-–—*•·]\s*")
# Words of a quantity's header saying the quantity is per year (folded, `codes.fold_text`), and
# the period then added to a unit written without one, in the header's language.
_YEARLY_WORDS = {"annuel": "an", "annuelle": "an", "annuels": "an", "annuelles": "an", "an": "an",
                 "annee": "an", "annual": "yr", "yearly": "yr", "year": "yr", "yr": "yr",
                 "pa": "yr"}  # fmt: skip
_QUANTITY_IN_BRACKETS = re.compile(r"^(.*?)\s*[(\[]\s*(\d[^()\[\]]*?)\s*[)\]]\s*$")


@dataclass
class Extracted:
    """Rows taken from tables, before companies are merged and texts converted.

    ``companies`` has `COMPANY_ROW_COLUMNS` (``key`` unique per row), ``flows`` has
    `FLOW_ROW_COLUMNS` (``company_key`` when the row itself is the company, else ``company``
    names it), ``synergies`` has `SYNERGY_ROW_COLUMNS`; every value is text, except ``lat``
    and ``lon`` (floats).
    """

    companies: pd.DataFrame
    flows: pd.DataFrame
    synergies: pd.DataFrame

    @classmethod
    def empty(cls) -> Extracted:
        """Return an Extracted with no rows."""
        return cls(*(pd.DataFrame(columns=list(c)) for c in _ROW_COLUMNS))

    @classmethod
    def concat(cls, parts: list[Extracted]) -> Extracted:
        """Put the rows of several tables together."""
        frames = [
            pd.concat([getattr(p, name) for p in parts] or [pd.DataFrame(columns=list(c))])
            for name, c in zip(("companies", "flows", "synergies"), _ROW_COLUMNS, strict=True)
        ]
        return cls(*(frame.reset_index(drop=True) for frame in frames))


_ROW_COLUMNS = (COMPANY_ROW_COLUMNS, FLOW_ROW_COLUMNS, SYNERGY_ROW_COLUMNS)


def classify_table(
    fields: Collection[str], *, geographic: bool = False, companies_elsewhere: bool = False
) -> str:
    """Tell how to read a table from the fields its columns were recognised as.

    Parameters
    ----------
    fields
        The recognised fields (``""`` ignored).
    geographic
        True for a file with geometries (companies placed by them).
    companies_elsewhere
        True when another table of the import lists companies: a table naming companies only
        by a ``company`` column is then their flows, not a flat inventory.

    Returns
    -------
    str
        One of `SHAPES`.
    """
    has = set(fields)
    identity = bool(has & set(_IDENTITY))
    described = bool(has & set(_DESCRIBED)) or bool(has & set(_PLACED)) or geographic
    if {"from_id", "to_id"} <= has:
        return "synergies"
    if identity and has & {"needs", "offers"}:
        return "lists"
    if identity and has & set(_FLOW):
        described_here = bool(has & (set(_DESCRIBED) - {"siret"})) or bool(has & set(_PLACED))
        only_named = not described_here and not geographic
        return "flows" if only_named and companies_elsewhere else "flat"
    if identity and described:
        return "companies"
    return "ignore"


def extract_table(
    table: SourceTable, fields: Mapping[str, str], shape: str, located: Located | None
) -> Extracted:
    """Take the rows of one table read in ``shape``.

    Parameters
    ----------
    table
        The table.
    fields
        ``{header: field}`` (``""``: column left aside).
    shape
        One of `SHAPES`.
    located
        The rows' positions (for shapes with companies).

    Returns
    -------
    Extracted
    """
    columns = _columns(table.frame, fields)
    extracted = Extracted.empty()
    if shape in ("flat", "lists", "companies"):
        extracted.companies = _companies(table, columns, located)
    if shape == "flat":
        extracted.flows = _flows(table, columns, fields, own_company=True)
    elif shape == "flows":
        extracted.flows = _flows(table, columns, fields, own_company=False)
    elif shape == "lists":
        extracted.flows = _listed_flows(table, columns)
    elif shape == "synergies":
        extracted.synergies = _synergies(table, columns, fields)
    return extracted


def _columns(frame: pd.DataFrame, fields: Mapping[str, str]) -> dict[str, pd.Series]:
    """Return ``{field: column}`` for the recognised columns (the first one of each field)."""
    columns: dict[str, pd.Series] = {}
    for position, header in enumerate(frame.columns):
        field = fields.get(str(header), "")
        if field and field not in columns:
            columns[field] = frame.iloc[:, position]
    return columns


def _text(columns: dict[str, pd.Series], field: str, index: pd.Index) -> pd.Series:
    if field in columns:
        return columns[field].astype(str)
    return pd.Series("", index=index, dtype=object)


def _base(table: SourceTable) -> dict[str, object]:
    return {"document": table.document, "file": table.label, "row": table.frame.index.astype(int)}


def _companies(
    table: SourceTable, columns: dict[str, pd.Series], located: Located | None
) -> pd.DataFrame:
    index = table.frame.index
    sirets = map_distinct(_text(columns, "siret", index), read_siret)
    names = _text(columns, "name", index)
    ids = _text(columns, "id", index)
    company = _text(columns, "company", index)
    # A table that names its companies in a `company` column only: that column is the name.
    if "name" not in columns:
        names = company
    elif "id" not in columns:
        ids = company
    frame = pd.DataFrame(
        {
            **_base(table),
            "key": [f"{table.label}#{row}" for row in index],
            "id": ids,
            "siret": sirets.map(lambda pair: pair[0]),
            "siret_status": sirets.map(lambda pair: pair[1]),
            "siret_written": _text(columns, "siret", index),
            "name": names,
            **{field: _text(columns, field, index) for field in _DESCRIBED[2:]},
            "lat": located.lat if located is not None else math.nan,
            "lon": located.lon if located is not None else math.nan,
            "position_status": _text(columns, "position_status", index),
        },
        index=index,
    )
    identified = (frame[["id", "siret", "name"]] != "").any(axis=1)
    return frame[identified].reset_index(drop=True)


def _quantity_header(fields: Mapping[str, str]) -> str:
    """Return the header of the quantity column, ``""`` when there is none."""
    return next((header for header, field in fields.items() if field == "quantity"), "")


def _words(header: str) -> list[str]:
    """Return a header's words, folded (`codes.fold_text`): « Tonnage annuel » → tonnage, annuel."""
    return re.split(r"[^a-z0-9]+", fold_text(header))


def _unit_of(
    fields: Mapping[str, str], index: pd.Index, columns: dict[str, pd.Series]
) -> pd.Series:
    """Return each flow's unit: the unit column, else the unit the quantity's header gives.

    ``Quantité (t/an)`` gives ``t/an``; a header saying the quantity is yearly (« Tonnage
    annuel », « Annual quantity ») gives the year to a unit written without a period (« t »).
    """
    header = _quantity_header(fields)
    if "unit" not in columns:
        return pd.Series(header_unit(header) or "", index=index, dtype=object)
    units = columns["unit"].astype(str)
    year = next((_YEARLY_WORDS[word] for word in _words(header) if word in _YEARLY_WORDS), None)
    if year is None:
        return units
    return map_distinct(
        units, lambda unit: unit if not unit or has_period(unit) else f"{unit}/{year}"
    )


def _quantity_status(
    fields: Mapping[str, str], index: pd.Index, columns: dict[str, pd.Series]
) -> pd.Series:
    """Return each flow's stated status: its column's, else ``estimate`` under a header saying so.

    « Quantité estimée », « Estimated tonnage »: every figure of the column is an estimate (the
    words of a status column, ``quantity_status`` rows of ``data/aliases.csv``).
    """
    if "quantity_status" in columns:
        return _text(columns, "quantity_status", index)
    words = _words(_quantity_header(fields))
    said = any(canonical_alias("quantity_status", word) == "estimate" for word in words if word)
    return pd.Series("estimate" if said else "", index=index, dtype=object)


def _flows(
    table: SourceTable,
    columns: dict[str, pd.Series],
    fields: Mapping[str, str],
    *,
    own_company: bool,
) -> pd.DataFrame:
    index = table.frame.index
    resource = _text(columns, "resource", index)
    label = _text(columns, "label", index)
    company = _text(columns, "company", index)
    if own_company:
        keys = pd.Series([f"{table.label}#{row}" for row in index], index=index)
    else:
        keys = pd.Series("", index=index, dtype=object)
        for field in ("id", "siret", "name"):  # whatever names the company in a flows table
            company = company.where(company != "", _text(columns, field, index))
    frame = pd.DataFrame(
        {
            **_base(table),
            "company_key": keys,
            "company": company,
            "direction": _text(columns, "direction", index)
            if "direction" in columns
            else pd.Series(named_direction(table) or "", index=index, dtype=object),
            "label": label.where(label != "", resource),
            "resource": resource,
            "quantity": _text(columns, "quantity", index),
            "unit": _unit_of(fields, index, columns),
            "quantity_status": _quantity_status(fields, index, columns),
        },
        index=index,
    )
    described = (frame[["label", "resource", "direction", "quantity"]] != "").any(axis=1)
    return frame[described].reset_index(drop=True)


def named_direction(table: SourceTable) -> str | None:
    """Return the direction the sheet's name, else the file's, gives a table without one."""
    return direction_of_name(table.name) or direction_of_name(PurePath(table.document).name)


def split_items(cell: str) -> list[str]:
    """Split a cell listing resources (``a | b``, ``a; b``, ``a, b``, one per line).

    Commas split only when no stronger separator is used, and never a decimal comma
    (``vapeur 6,5 bars``). Bullets are dropped, repeats kept once.
    """
    text = str(cell).strip()
    if not text:
        return []
    parts = _STRONG_SEPARATORS.split(text)
    if len(parts) == 1:
        parts = _COMMA.split(text)
    items = [_BULLET.sub("", part).strip() for part in parts]
    return list(dict.fromkeys(item for item in items if item))


def _item_quantity(item: str) -> tuple[str, str]:
    """Split a listed item into its name and the quantity in brackets after it, if any.

    ``"sciure (200 t/an)"`` is ``("sciure", "200 t/an")``; a temperature, a pressure or a
    share in brackets describes the resource and stays in its name (``"Waste heat (35°C)"``,
    ``"boues (20 % MS)"``).
    """
    match = _QUANTITY_IN_BRACKETS.match(item)
    if match is None or "%" in match.group(2) or fold_name(match.group(2))[1] is not None:
        return item, ""
    return match.group(1), match.group(2)


def _listed_flows(table: SourceTable, columns: dict[str, pd.Series]) -> pd.DataFrame:
    rows = []
    for field, direction in (("needs", "input"), ("offers", "output")):
        if field not in columns:
            continue
        cells = columns[field]
        for row, cell in zip(cells.index.tolist(), cells, strict=True):  # row: the sheet's row
            for item in split_items(cell):
                label, quantity = _item_quantity(item)
                rows.append(
                    {
                        "document": table.document,
                        "file": table.label,
                        "row": int(row),
                        "company_key": f"{table.label}#{row}",
                        "company": "",
                        "direction": direction,
                        "label": label,
                        "resource": label,
                        "quantity": quantity,
                        "unit": "",
                        "quantity_status": "",
                    }
                )
    return pd.DataFrame(rows, columns=list(FLOW_ROW_COLUMNS))


def _synergies(
    table: SourceTable, columns: dict[str, pd.Series], fields: Mapping[str, str]
) -> pd.DataFrame:
    index = table.frame.index
    resource = _text(columns, "resource", index)
    label = _text(columns, "label", index)
    frame = pd.DataFrame(
        {
            **_base(table),
            "from_id": _text(columns, "from_id", index),
            "to_id": _text(columns, "to_id", index),
            "label": label.where(label != "", resource),
            "resource": resource,
            "quantity": _text(columns, "quantity", index),
            "unit": _unit_of(fields, index, columns),
            "since": _text(columns, "since", index),
            "quantity_status": _text(columns, "quantity_status", index),
        },
        index=index,
    )
    return frame[(frame["from_id"] != "") | (frame["to_id"] != "")].reset_index(drop=True)


def extract_zone(zone: Zone, document: str) -> Extracted:
    """Take the rows of a zone that already follows the contract."""
    companies = zone.companies
    present = companies.geometry.notna() & ~companies.geometry.is_empty
    lat = companies.geometry.y.where(present)
    lon = companies.geometry.x.where(present)
    frame = pd.DataFrame(
        {
            "key": [f"{document}#{cid}" for cid in companies["id"]],
            "document": document,
            "file": document,
            "row": range(2, len(companies) + 2),
            "id": companies["id"].astype(str),
            "siret": "",
            "siret_status": "empty",
            "siret_written": "",
            "name": companies["name"].astype(str),
            "sector": companies["sector"].astype(str),
            "activity": _zone_text(companies, "activity"),
            "employees": companies["employees"].astype("string").fillna(""),
            "address": _zone_text(companies, "address"),
            "postcode": _zone_text(companies, "postcode"),
            "commune": _zone_text(companies, "commune"),
            "lat": lat.to_numpy(),
            "lon": lon.to_numpy(),
            "position_status": _zone_text(companies, "position_status"),
        }
    )
    sirets = _zone_text(companies, "siret_number")
    frame["siret"] = [read_siret(v)[0] for v in (sirets if len(sirets) else frame["id"])]
    flows = zone.flows
    flow_frame = pd.DataFrame(
        {
            "document": document,
            "file": document,
            "row": range(2, len(flows) + 2),
            "company_key": "",
            "company": flows["company_id"].astype(str),
            "direction": flows["direction"].astype(str),
            "label": _zone_text(flows, "label"),
            "resource": flows["resource"].astype(str),
            "quantity": _numbers_text(flows["quantity"]),
            "unit": flows["unit"].astype(str),
            "quantity_status": _zone_text(flows, "quantity_status"),
        }
    )
    synergies = zone.synergies
    synergy_frame = pd.DataFrame(
        {
            "document": document,
            "file": document,
            "row": range(2, len(synergies) + 2),
            "from_id": synergies["from_id"].astype(str),
            "to_id": synergies["to_id"].astype(str),
            "label": _zone_text(synergies, "label"),
            "resource": synergies["resource"].astype(str),
            "quantity": _numbers_text(synergies["quantity"]),
            "unit": synergies["unit"].astype(str),
            "since": synergies["since"].astype("string").fillna(""),
            "quantity_status": _zone_text(synergies, "quantity_status"),
        },
        columns=list(SYNERGY_ROW_COLUMNS),
    )
    return Extracted(frame, flow_frame, synergy_frame)


def _zone_text(frame: pd.DataFrame, column: str) -> np.ndarray | str:
    if column not in frame:
        return ""
    return frame[column].astype("string").fillna("").astype(str).to_numpy()


def _numbers_text(values: pd.Series) -> list[str]:
    return ["" if pd.isna(value) else repr(float(value)) for value in values]
