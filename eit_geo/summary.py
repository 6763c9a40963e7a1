"""Figures and tables that describe a zone at a glance (home page, reports)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.indicators import format_number

if TYPE_CHECKING:
    from eit_geo.zone import Zone

__all__ = ["flows_by_family", "readable_table", "zone_figures"]

# Contract columns and the ``app.*`` key of their header as users read it.
_HEADERS = {
    "id": "col_id",
    "name": "col_name",
    "sector": "col_sector",
    "employees": "col_employees",
    "company_id": "col_company",
    "direction": "direction",
    "resource": "col_resource",
    "family": "family",
    "quantity": "col_quantity",
    "unit": "col_unit",
    "label": "col_label",
    "from_id": "col_from",
    "to_id": "col_to",
    "since": "col_since",
}


def zone_figures(zone: Zone) -> dict[str, int]:
    """Return the zone's headline counts, keyed by their ``app.*`` translation key."""
    directions = zone.flows["direction"].value_counts()
    return {
        "companies": len(zone.companies),
        "outputs": int(directions.get("output", 0)),
        "inputs": int(directions.get("input", 0)),
        "existing_synergies": len(zone.synergies),
        "employees": int(zone.companies["employees"].fillna(0).sum()),
    }


def flows_by_family(zone: Zone, lang: str = DEFAULT_LANGUAGE) -> pd.DataFrame:
    """Count flows and sum quantities by family, direction and unit, with translated headers.

    Quantities come as text written for people (``1 164 500``), in the unit of their row.
    """
    table = (
        zone.flows.groupby(["family", "direction", "unit"], as_index=False)
        .agg(count=("flow_id", "size"), quantity=("quantity", "sum"))
        .sort_values(["family", "direction"])
    )
    table["direction"] = table["direction"].map(lambda d: t(f"app.direction_{d}", lang))
    table["family"] = table["family"].map(lambda f: t(f"families.{f}", lang))
    table["unit"] = table["unit"].map(lambda u: t(f"units.{u.replace('/', '_')}", lang))
    table["quantity"] = table["quantity"].map(lambda q: format_number(q, lang))
    return table.rename(
        columns={
            "family": t("app.family", lang),
            "direction": t("app.direction", lang),
            "unit": t("app.col_unit", lang),
            "count": t("app.count", lang),
            "quantity": t("app.col_quantity", lang),
        }
    )


def readable_table(table: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> pd.DataFrame:
    """Return a zone table for people: no geometry, contract headers translated, others kept."""
    shown = table.drop(columns=[c for c in ("geometry", "flow_id") if c in table])
    names = {c: t(f"app.{key}", lang) for c, key in _HEADERS.items() if c in shown}
    return pd.DataFrame(shown).rename(columns=names)
