"""Figures and tables that describe a zone at a glance (home page, reports)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.indicators import format_number

if TYPE_CHECKING:
    import pandas as pd

    from eit_geo.zone import Zone

__all__ = ["flows_by_family", "zone_figures"]


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
