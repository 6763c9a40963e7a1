"""Figures and tables that describe a zone at a glance (home page, reports)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from babel import Locale

from eit_geo.codes import resource_label
from eit_geo.datafiles import data_path
from eit_geo.formatting import (
    format_amount,
    format_count,
    format_year,
    is_missing,
    locale_of,
    source_text,
    unit_label,
)
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.network_years import running_now

if TYPE_CHECKING:
    from eit_geo.zone import Zone

__all__ = [
    "figure_notes",
    "flows_by_family",
    "readable_table",
    "running_sentence",
    "zone_figures",
    "zone_label",
]

# Contract columns (and the optional ones of the examples) with the ``app.*`` key of their header.
_HEADERS = {
    "id": "col_id",
    "name": "col_name",
    "sector": "col_sector",
    "employees": "col_employees",
    "activity": "col_activity",
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
    "until": "col_until",
    "closed": "col_closed",
    "position_status": "col_position_status",
    "quantity_status": "col_quantity_status",
    "resource_status": "col_resource_status",
    "source": "col_source",
    # written by eit-geo import
    "siret_number": "col_siret",
    "address": "col_address",
    "postcode": "col_postcode",
    "commune": "col_commune",
    "quantity_written": "col_quantity_written",
    "source_file": "col_source_file",
}
_YEARS = ("since", "until", "closed")
# Coded values of the status columns shown as words (``app.value_*``).
_VALUES = ("published", "estimate", "unknown", "source", "to_locate", "to_code", "sirene")
_STATUS_KEYS = {"à localiser": "to_locate", "à coder": "to_code"}  # French values of the data


def zone_label(zone: Zone, lang: str = DEFAULT_LANGUAGE) -> str:
    """Return the name to show for a zone, never a folder or file name as such.

    A shipped example's label (« Kalundborg (Danemark) »), else the zone's name written as
    words (« amiens-4-entreprises » → « Amiens 4 entreprises »). The web app shows first the
    title the user typed.
    """
    source = Path(zone.source) if zone.source and zone.source != "upload" else None
    if source is not None and source.parent.resolve() == data_path("examples").resolve():
        return t(f"app.example_{source.name.replace('-', '_')}", lang)
    words = " ".join(re.split(r"[-_\s]+", zone.name)).strip()
    return words[:1].upper() + words[1:] if words else t("app.own_zone", lang)


def _running(zone: Zone, running: Zone | None) -> Zone:
    """Return ``running``, or the zone as it runs this year when the caller has not got it."""
    return running_now(zone) if running is None else running


def zone_figures(zone: Zone, *, running: Zone | None = None) -> dict[str, int | None]:
    """Return the zone's headline counts, keyed by their ``app.*`` translation key.

    ``existing_synergies`` counts the synergies running this year
    (`eit_geo.network_years.running_now`, or ``running`` when the caller has it), as the map
    and the indicators do. ``employees`` sums the headcounts companies gave (None when none
    did): read it with `figure_notes`, which says how many companies it covers.
    """
    directions = zone.flows["direction"].value_counts()
    headcounts = zone.companies["employees"]
    return {
        "companies": len(zone.companies),
        "outputs": int(directions.get("output", 0)),
        "inputs": int(directions.get("input", 0)),
        "existing_synergies": len(_running(zone, running).synergies),
        "employees": int(headcounts.sum()) if headcounts.notna().any() else None,
    }


def figure_notes(
    zone: Zone, lang: str = DEFAULT_LANGUAGE, *, running: Zone | None = None
) -> dict[str, str]:
    """Return what a headline figure does not cover, keyed like `zone_figures`.

    A headcount total given by only some companies says so (« 3 entreprises sur 12 »); the
    synergies of the file that do not run this year (stopped, a company closed, not started
    yet) are said to be left out of the count. ``running``: as in `zone_figures`.
    """
    notes: dict[str, str] = {}
    left_out = len(zone.synergies) - len(_running(zone, running).synergies)
    if left_out:
        notes["existing_synergies"] = t(
            "app.synergies_not_running", lang, count=format_count(left_out, lang)
        )
    known = int(zone.companies["employees"].notna().sum())
    total = len(zone.companies)
    if known == total:
        return notes
    key = "app.employees_none" if known == 0 else "app.employees_partial"
    counts = {"known": format_count(known, lang), "total": format_count(total, lang)}
    notes["employees"] = t(key, lang, **counts)
    return notes


def running_sentence(
    zone: Zone, lang: str = DEFAULT_LANGUAGE, *, running: Zone | None = None
) -> str:
    """Say in one sentence how many companies and flows the file holds, and how many run.

    « 12 entreprises, dont 11 en activité cette année ; 42 flux, dont 39 en cours cette
    année. »: the file's counts beside those of the network running this year
    (`eit_geo.network_years.running_now`), which the map, the leads and the indicators use.
    ``running``: as in `zone_figures`.
    """
    now = _running(zone, running)
    parts = {
        kind: _running_part(kind, len(given), len(in_place), lang)
        for kind, given, in_place in (
            ("companies", zone.companies, now.companies),
            ("flows", zone.flows, now.flows),
        )
    }
    return t("app.running_sentence", lang, **parts)


def _running_part(kind: str, total: int, running: int, lang: str) -> str:
    """Return « 12 entreprises, dont 11 en activité cette année », the noun agreeing with 12."""
    plural = Locale.parse(locale_of(lang)).plural_form(total)
    key = f"app.running_{kind}_{'one' if plural == 'one' else 'other'}"
    return t(key, lang, total=format_count(total, lang), now=format_count(running, lang))


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
    """Return a zone table for people: no geometry, headers and codes in words, figures written.

    Headers of the contract and of the usual optional columns are translated (other columns
    keep the name their file gave them); quantities and headcounts are written in ``lang``,
    years as years, families, directions, units and statuses in words; an empty cell stays
    empty (never « None »).
    """
    shown = pd.DataFrame(table.drop(columns=[c for c in ("geometry", "flow_id") if c in table]))
    for column in shown.columns:
        values = shown[column]
        if column == "quantity":
            shown[column] = [_blank(v, format_amount(v, lang)) for v in values]
        elif column == "employees":
            shown[column] = [_blank(v, format_count(v, lang)) for v in values]
        elif column in _YEARS:
            shown[column] = [_blank(v, format_year(v)) for v in values]
        elif column == "unit":
            shown[column] = [_blank(v, unit_label(str(v), lang)) for v in values]
        elif column == "family":
            shown[column] = [_blank(v, t(f"families.{v}", lang)) for v in values]
        elif column == "direction":
            shown[column] = [_blank(v, t(f"app.direction_{v}", lang)) for v in values]
        elif column == "resource":
            shown[column] = [_blank(v, resource_label(str(v), lang)) for v in values]
        elif column == "source":
            shown[column] = [_blank(v, source_text(v)) for v in values]
        elif column.endswith("_status"):
            shown[column] = [_blank(v, _status_word(str(v), lang)) for v in values]
        else:
            shown[column] = [_blank(v, str(v)) for v in values]
    names = {c: t(f"app.{key}", lang) for c, key in _HEADERS.items() if c in shown}
    return shown.rename(columns=names)


def _blank(value: object, text: str) -> str:
    return "" if is_missing(value) or str(value).strip() == "" else text


def _status_word(value: str, lang: str) -> str:
    key = _STATUS_KEYS.get(value, value)
    return t(f"app.value_{key}", lang) if key in _VALUES else value
