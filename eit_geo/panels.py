"""Texts and tables shown beside the map and in the synergy list, in the user's language.

A company's inventory and links, the facts of one link or group and the list of synergies,
numbers written by `eit_geo.formatting` (French: ``150 000 t/an``, ``2,6 km``). Plain text
only: the map (``maps``) escapes what it puts into HTML; Streamlit shows these frames as tables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, SupportsFloat

import numpy as np
import pandas as pd

from eit_geo.codes import resource_label
from eit_geo.escaping import escape_markdown
from eit_geo.filters import sector_group
from eit_geo.formatting import (
    aligned_numbers,
    format_count,
    format_km,
    format_quantity,
    format_score,
    is_missing,
    unit_label,
)
from eit_geo.i18n import DEFAULT_LANGUAGE, t

if TYPE_CHECKING:
    from eit_geo.frames import Row
    from eit_geo.zone import Zone

__all__ = [
    "company_facts",
    "company_inventory",
    "company_links",
    "escape_markdown",
    "facts_frame",
    "group_facts",
    "group_tip",
    "link_facts",
    "link_text",
    "link_tip",
    "synergy_table",
]


def link_tip(link: Row, lang: str = DEFAULT_LANGUAGE) -> str:
    """Return the one-line text of a link: ``Vapeur : Asnæs → Novo Nordisk``."""
    return link_text(str(link["resource"]), link["from_name"], link["to_name"], lang)


def link_text(resource: str, source: object, target: object, lang: str = DEFAULT_LANGUAGE) -> str:
    """Return the one-line text of an exchange of ``resource`` from ``source`` to ``target``."""
    return t(
        "map.link_tip", lang, resource=resource_label(resource, lang), source=source, target=target
    )


def group_tip(group: Row, lang: str = DEFAULT_LANGUAGE) -> str:
    """Return the one-line text of a mutualisation group."""
    return t(
        "map.group_tip",
        lang,
        kind=t(f"map.group_{group['direction']}", lang),
        resource=resource_label(str(group["resource"]), lang),
        count=group["n_members"],
    )


def link_facts(
    link: Row,
    lang: str = DEFAULT_LANGUAGE,
    names: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Return what a click on a link shows: what, how much, how far, between whom, why.

    Parameters
    ----------
    link
        One row of ``matching.find_substitutions``.
    lang
        Language of the labels and numbers.
    names
        Company names by id, to say who already uses the offer or the need (ids otherwise).

    Returns
    -------
    dict
        ``{label: value}`` in reading order.
    """
    unit = str(link["unit"])
    facts = {
        t("map.status", lang): t(f"map.status_{link['status']}", lang),
        t("map.what", lang): resource_label(str(link["resource"]), lang),
        t("map.how_much", lang): format_quantity(float(link["quantity"]), unit, lang),
        t("map.how_far", lang): format_km(float(link["distance_km"]), lang),
        t("map.from", lang): str(link["from_name"]),
        t("map.to", lang): str(link["to_name"]),
    }
    if link.get("input_resource") and link["input_resource"] != link["resource"]:
        facts[t("map.replaces", lang)] = resource_label(str(link["input_resource"]), lang)
    for key, column in (("offer", "offer_quantity"), ("need", "need_quantity")):
        value = link.get(column)
        if isinstance(value, float) and not math.isnan(value):
            facts[t(f"map.{key}", lang)] = format_quantity(value, unit, lang)
        used = _float(link.get(f"{key}_used"))
        if used > 0:
            ids = [i for i in str(link.get(f"{key}_used_by") or "").split(",") if i]
            by = ", ".join((names or {}).get(i, i) for i in ids)
            quantity = format_quantity(used, unit, lang)
            facts[t(f"map.{key}_used", lang)] = (
                t("map.used_by", lang, quantity=quantity, by=by) if by else quantity
            )
    facts[t("map.limit", lang)] = format_km(_float(link.get("max_km")), lang)
    facts[t("map.match", lang)] = t(f"map.match_{link['match']}", lang)
    if link.get("conversion"):
        facts[t("map.conversion", lang)] = t(f"map.conversion_{link['conversion']}", lang)
    score = _float(link.get("score"))
    if not math.isnan(score):
        facts[t("map.score", lang)] = format_score(score, lang)
    return facts


def _float(value: object) -> float:
    if not isinstance(value, str | SupportsFloat):  # None, pd.NA
        return math.nan
    try:
        return float(value)
    except ValueError:
        return math.nan


def group_facts(group: Row, zone: Zone, lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """Return what a click on a mutualisation group shows: what, who, how much in total."""
    names = zone.company_names()
    members = [names.get(member, member) for member in str(group["members"]).split(",")]
    return {
        t("map.group", lang): t(f"map.group_{group['direction']}", lang),
        t("map.what", lang): resource_label(str(group["resource"]), lang),
        t("map.members", lang): ", ".join(members),
        t("map.total", lang): format_quantity(float(group["quantity"]), str(group["unit"]), lang),
        t("map.limit", lang): format_km(_float(group.get("max_km")), lang),
    }


def company_facts(company: Row, lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """Return the identity of a company: sector (code and group), headcount, activity."""
    sector = company.get("sector")
    group = t(f"sectors.{sector_group(sector)}", lang)
    facts = {t("map.sector", lang): f"{sector} ({group})" if isinstance(sector, str) else group}
    employees = company.get("employees")
    if not is_missing(employees):
        facts[t("map.employees", lang)] = format_count(employees, lang)
    activity = company.get("activity")
    if isinstance(activity, str) and activity:
        facts[t("map.activity", lang)] = activity
    return facts


def facts_frame(facts: Mapping[str, str]) -> pd.DataFrame:
    """Return ``{label: value}`` as a two-column table (no headers worth reading)."""
    return pd.DataFrame({" ": list(facts), "  ": list(facts.values())})


def company_inventory(zone: Zone, company_id: str, lang: str = DEFAULT_LANGUAGE) -> pd.DataFrame:
    """Return a company's flows: direction, quantity with unit, resource, label."""
    flows = zone.flows[zone.flows["company_id"] == company_id]
    labels = flows["label"] if "label" in flows.columns else pd.Series("", index=flows.index)
    return pd.DataFrame(
        {
            t("app.direction", lang): [t(f"app.direction_{d}", lang) for d in flows["direction"]],
            t("app.col_quantity", lang): [
                format_quantity(q, u, lang)
                for q, u in zip(flows["quantity"], flows["unit"], strict=True)
            ],
            t("app.col_resource", lang): [resource_label(c, lang) for c in flows["resource"]],
            t("app.col_label", lang): labels.fillna("").astype(str).to_list(),
        }
    )


def company_links(
    links: pd.DataFrame, company_id: str, lang: str = DEFAULT_LANGUAGE
) -> pd.DataFrame:
    """Return the links of a company, best first: role, partner, quantity, distance, resource."""
    mine = links[(links["from_id"] == company_id) | (links["to_id"] == company_id)]
    supplies = mine["from_id"] == company_id
    return pd.DataFrame(
        {
            t("map.role", lang): [
                t("map.role_supplier" if s else "map.role_receiver", lang) for s in supplies
            ],
            t("map.partner", lang): mine["to_name"].where(supplies, mine["from_name"]).to_list(),
            t("app.col_quantity", lang): [
                format_quantity(q, u, lang)
                for q, u in zip(mine["quantity"], mine["unit"], strict=True)
            ],
            t("map.how_far", lang): [format_km(d, lang) for d in mine["distance_km"]],
            t("app.col_resource", lang): [resource_label(c, lang) for c in mine["resource"]],
            t("map.status", lang): [t(f"map.status_{s}", lang) for s in mine["status"]],
        }
    )


SORT_COLUMNS: dict[str, tuple[str, bool]] = {
    "score": ("score", False),
    "quantity": ("quantity", False),
    "distance": ("distance_km", True),
    "resource": ("resource", True),
}


def synergy_table(
    links: pd.DataFrame, lang: str = DEFAULT_LANGUAGE, *, sort: str = "score"
) -> pd.DataFrame:
    """Return the synergy list: one row per link, figures written in the user's language.

    Parameters
    ----------
    links
        Links of ``matching.find_substitutions`` (filtered).
    lang
        Language of headers, labels and numbers.
    sort
        ``score`` (default), ``quantity``, ``distance`` or ``resource``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``candidate_id``, sorted. Quantity, distance and score are texts of one
        length (`eit_geo.formatting.aligned_numbers`): French shows « 1 500 » and « 2,6 »,
        which no Streamlit number format can, and a click on their header still sorts them by
        value. ``attrs["numeric"]`` names those columns, ``attrs["short"]`` those with short
        texts.
    """
    column, ascending = SORT_COLUMNS[sort]
    ordered = links.sort_values(column, ascending=ascending, kind="stable", na_position="last")
    quantity = ordered["quantity"].to_numpy(dtype=float)
    distance = f"{t('map.how_far', lang)} ({unit_label('km', lang)})"
    table = pd.DataFrame(
        {
            t("map.status", lang): [t(f"map.status_{s}", lang) for s in ordered["status"]],
            t("app.col_resource", lang): [resource_label(c, lang) for c in ordered["resource"]],
            t("app.col_from", lang): ordered["from_name"].to_numpy(),
            t("app.col_to", lang): ordered["to_name"].to_numpy(),
            t("app.col_quantity", lang): aligned_numbers(
                quantity, lang, decimals=_decimals_needed(quantity)
            ),
            t("app.col_unit", lang): [unit_label(u, lang) for u in ordered["unit"]],
            distance: aligned_numbers(ordered["distance_km"].astype(float), lang, decimals=1),
            t("map.score", lang): aligned_numbers(ordered["score"].astype(float), lang, decimals=2),
            t("app.family", lang): [t(f"families.{f}", lang) for f in ordered["family"]],
        },
        index=pd.Index(ordered["candidate_id"].to_numpy(), name="candidate_id"),
    )
    table.attrs["numeric"] = [t("app.col_quantity", lang), distance, t("map.score", lang)]
    table.attrs["short"] = [t("app.col_unit", lang), t("app.family", lang)]
    return table


def _decimals_needed(values: np.ndarray, most: int = 2) -> int:
    """Return the fewest decimals (up to ``most``) that write every value as it is."""
    known = values[~np.isnan(values)]
    for decimals in range(most):
        if np.allclose(known, np.round(known, decimals), rtol=0, atol=1e-9):
            return decimals
    return most
