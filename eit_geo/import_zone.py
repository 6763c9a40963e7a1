"""Assemble an import's companies, flows and exchanges into the contract's tables, and check them.

The tables are written as the contract's files would be, then checked by `validation.build_zone`
like any zone: an import is valid by the same rules as a zone loaded from files.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from eit_geo.errors import ZoneError
from eit_geo.reading import RawTable
from eit_geo.validation import UNLOCATED, build_zone
from eit_geo.written_numbers import parse_numbers
from eit_geo.zone import WGS84

if TYPE_CHECKING:
    from eit_geo.import_plan import ImportPlan, ImportReport
    from eit_geo.zone import Zone

__all__ = ["OUTPUT_NAMES", "zone_of"]

OUTPUT_NAMES = {"siret": "siret_number"}
"""Columns written under another name: ``siret`` would be read back as the id (an alias)."""


def zone_of(
    companies: pd.DataFrame,
    flows: pd.DataFrame,
    synergies: pd.DataFrame,
    plan: ImportPlan,
    report: ImportReport,
) -> Zone | None:
    """Assemble the tables of the contract and validate them into a Zone."""
    company_table = _company_table(companies, report)
    flow_table = pd.DataFrame(
        {
            "company_id": flows.get("company_id", pd.Series(dtype=object)),
            "direction": flows.get("direction", pd.Series(dtype=object)),
            "resource": flows.get("code", pd.Series(dtype=object)),
            "quantity": [_number_text(v) for v in flows.get("value", [])],
            "unit": flows.get("canonical_unit", pd.Series(dtype=object)),
            "label": flows.get("label", pd.Series(dtype=object)),
            "quantity_status": flows.get("status", pd.Series(dtype=object)),
            "quantity_written": flows.get("written", pd.Series(dtype=object)),
            "source_file": flows.get("file", pd.Series(dtype=object)),
        }
    )
    tables = {
        "companies": RawTable("companies", "companies", company_table),
        "flows": RawTable("flows", "flows", flow_table),
    }
    if not synergies.empty:
        tables["synergies"] = RawTable("synergies", "synergies", _synergy_table(synergies))
    perimeters = [d.zone.perimeter for d in plan.zones if d.zone and d.zone.perimeter is not None]
    if perimeters:  # the zones' perimeters, kept (already in WGS84)
        joined = gpd.GeoDataFrame(pd.concat(perimeters, ignore_index=True), crs=WGS84)
        tables["perimeter"] = RawTable("perimeter", "perimeter", joined[["geometry"]])
    report.counts = {
        "companies": len(company_table),
        "flows": len(flow_table),
        "synergies": len(synergies),
    }
    if company_table.empty or flow_table.empty:
        return None
    try:
        return build_zone(tables, name="import", lang=plan.lang)
    except ZoneError as error:
        report.problems += error.problems
        return None


def _company_table(companies: pd.DataFrame, report: ImportReport) -> pd.DataFrame:
    table = companies.copy()
    placed = table["lat"].notna() & table["lon"].notna()
    table["position_status"] = table["position_status"].where(placed, UNLOCATED)
    report.unlocated = list(table.loc[~placed, "name"])
    employees = parse_numbers(table["employees"].astype(str))
    bad = (table["employees"] != "") & (employees.isna() | (employees < 0) | (employees % 1 != 0))
    report.bad_employees = list(
        zip(table.loc[bad, "name"], table.loc[bad, "employees"], strict=True)
    )
    out = pd.DataFrame(
        {
            "id": table["id"],
            "name": table["name"].where(table["name"] != "", table["id"]),
            "lat": [_number_text(v) for v in table["lat"]],
            "lon": [_number_text(v) for v in table["lon"]],
            "sector": table["sector"],
            "employees": table["employees"].where(~bad, ""),
            "position_status": table["position_status"],
        }
    )
    for column in ("siret", "activity", "address", "postcode", "commune"):
        if (table[column] != "").any():
            out[OUTPUT_NAMES.get(column, column)] = table[column]
    out["source_file"] = table["files"]
    return out


def _synergy_table(synergies: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "from_id": synergies["from_id"],
            "to_id": synergies["to_id"],
            "resource": synergies["code"],
            "quantity": [_number_text(v) for v in synergies["value"]],
            "unit": synergies["canonical_unit"],
            "since": synergies["since"],
            "label": synergies["label"],
            "quantity_status": synergies["status"],
            "quantity_written": synergies["written"],
            "source_file": synergies["file"],
        }
    )


def _number_text(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return repr(float(value))
