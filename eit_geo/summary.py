"""Figures and tables that describe a zone at a glance (home page, reports)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from eit_geo.formatting import format_amount, format_count, unit_label
from eit_geo.i18n import DEFAULT_LANGUAGE, t

if TYPE_CHECKING:
    from eit_geo.zone import Zone

__all__ = ["figure_notes", "flows_by_family", "readable_table", "zone_figures"]

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


def zone_figures(zone: Zone) -> dict[str, int | None]:
    """Return the zone's headline counts, keyed by their ``app.*`` translation key.

    ``employees`` sums the headcounts companies gave (None when none did): read it with
    `figure_notes`, which says how many companies it covers.
    """
    directions = zone.flows["direction"].value_counts()
    headcounts = zone.companies["employees"]
    return {
        "companies": len(zone.companies),
        "outputs": int(directions.get("output", 0)),
        "inputs": int(directions.get("input", 0)),
        "existing_synergies": len(zone.synergies),
        "employees": int(headcounts.sum()) if headcounts.notna().any() else None,
    }


def figure_notes(zone: Zone, lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """Return what a headline figure does not cover, keyed like `zone_figures`.

    A headcount total given by only some companies says so (« 3 entreprises sur 12 »).
    """
    known = int(zone.companies["employees"].notna().sum())
    total = len(zone.companies)
    if known == total:
        return {}
    key = "app.employees_none" if known == 0 else "app.employees_partial"
    counts = {"known": format_count(known, lang), "total": format_count(total, lang)}
    return {"employees": t(key, lang, **counts)}


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
    table["unit"] = table["unit"].map(lambda u: unit_label(u, lang))
    table["quantity"] = table["quantity"].map(lambda q: format_amount(q, lang))
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
