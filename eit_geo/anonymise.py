"""Anonymise a zone and its candidates for a public room: aliases, blurred positions, grouping.

Companies become « Entreprise A — chimie » (letters in an order that does not follow names or
ids; a sector shared by fewer than ``SECTOR_K`` companies of the zone is generalised to its NACE
section, or to « autre activité », so that no label singles one out), their points move to the
centre of a square cell of about a kilometre (the neighbourhood), extra columns (activity,
headcount, sources, labels) are dropped, quantities keep two significant digits and flows or
candidates too small to hide in a crowd are grouped by family.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from eit_geo.datafiles import read_table
from eit_geo.formatting import is_missing
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.matching.tables import QUANTITY_COLUMNS
from eit_geo.zone import WGS84

if TYPE_CHECKING:
    from eit_geo.zone import Zone

__all__ = [
    "CELL_KM",
    "SMALL_SHARE",
    "alias_letters",
    "anonymise_candidates",
    "anonymise_zone",
    "blur_points",
    "generalised_sectors",
    "pseudonyms",
    "round_significant",
    "sector_label",
]

CELL_KM = 1.0
SMALL_SHARE = 0.05
SECTOR_K = 3  # a sector label is shown only if at least this many companies of the zone share it
_FREE_TEXT = (
    "comment",
    "technical_note",
    "regulatory_note",
    "economic_note",
    "participant",
    "voters",
)  # workshop text may name companies or people: never shown in the anonymised view
_RING = 0.3  # companies sharing a cell sit on a ring of this fraction of the cell around its centre


def alias_letters(count: int) -> list[str]:
    """Return ``count`` spreadsheet-style letters: A to Z, then AA, AB and so on."""
    letters = []
    for index in range(count):
        name, number = "", index + 1
        while number:
            number, rest = divmod(number - 1, 26)
            name = chr(ord("A") + rest) + name
        letters.append(name)
    return letters


def sector_label(sector: object, lang: str = DEFAULT_LANGUAGE) -> str:
    """Return a short sector name from a NACE / NAF code (``20.59``, ``35.11Z``, ``C``).

    The division (two digits) or the section letter is looked up in ``data/nace_labels.csv``.
    """
    key = _sector_code(sector)
    if key is None:
        return t("workshop.sector_unknown", lang)
    table = read_table("nace_labels.csv").set_index("code")
    return str(table.at[key, f"label_{lang}"] or table.at[key, "label_fr"])


def _sector_code(sector: object) -> str | None:
    """Return the division (``20``) or section letter (``C``) of a sector code, if known."""
    text = "" if is_missing(sector) else str(sector).strip().upper()
    key = text[:2] if text[:2].isdigit() else text[:1]
    return key if key in _known_codes() else None


@cache
def _known_codes() -> frozenset[str]:
    return frozenset(read_table("nace_labels.csv")["code"])


@cache
def _section_of(code: str) -> str:
    """Return the NACE section letter of a division (``19`` → ``C``), or the letter itself."""
    if not code.isdigit():
        return code
    sections = read_table("nace_sections.csv")
    inside = sections[(sections["first_division"] <= code) & (code <= sections["last_division"])]
    return str(inside["section"].iloc[0]) if len(inside) else ""


def generalised_sectors(companies: pd.DataFrame, *, k: int = SECTOR_K) -> pd.Series:
    """Return the sector code each company may show so that every label is shared by ``k``.

    A NACE division shared by fewer than ``k`` companies of the zone is generalised to its
    section, pooled with the section's smallest divisions until the pool counts ``k``
    companies; a section that cannot reach ``k`` goes to « autre activité » (None), and so do
    unknown sectors: that label, the last resort, says nothing of a sector.

    Parameters
    ----------
    companies
        Companies, optionally with ``sector``.
    k
        The smallest number of companies a shown label may describe (1 keeps every division).

    Returns
    -------
    pandas.Series
        Indexed like ``companies``: a division (``20``), a section letter (``C``) or None.
    """
    sectors = companies["sector"] if "sector" in companies else pd.Series(None, companies.index)
    codes = {value: _sector_code(value) for value in sectors.dropna().unique()}
    shown = pd.Series([codes.get(s) for s in sectors], index=companies.index, dtype=object)
    sections = shown.map(lambda code: _section_of(code) if code else "")
    for section in sorted(set(sections) - {""}):
        members = shown[sections == section]
        sizes = members.value_counts()
        rare = [code for code, size in sizes.items() if size < k or not code.isdigit()]
        common = sorted((size, code) for code, size in sizes.items() if code not in rare)
        pool = set(rare)
        while pool and members.isin(pool).sum() < k and common:
            pool.add(common.pop(0)[1])
        if not pool:
            continue
        pooled = members.index[members.isin(pool)]
        shown[pooled] = section if len(pooled) >= k else None
    shown[sections == ""] = None
    return shown


def _shown_label(code: object, lang: str) -> str:
    if is_missing(code):
        return t("workshop.sector_other", lang)
    return sector_label(code, lang)


def pseudonyms(
    companies: pd.DataFrame, *, lang: str = DEFAULT_LANGUAGE, k: int = SECTOR_K
) -> pd.DataFrame:
    """Return the alias of every company.

    Parameters
    ----------
    companies
        Companies with ``id`` and optionally ``sector``.
    lang
        Language of the alias text.
    k
        Sector labels shared by fewer companies are generalised (`generalised_sectors`).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``companies``: ``id``, ``alias_id`` (the letter), ``alias`` (« Entreprise A —
        chimie ») and ``sector_label``. Letters follow a digest of the ids, so the same zone always
        gets the same letters and the order reveals neither names nor ids.
    """
    ids = companies["id"].astype(str)
    order = sorted(ids, key=lambda value: hashlib.sha256(value.encode()).hexdigest())
    letters = dict(zip(order, alias_letters(len(order)), strict=True))
    labels = generalised_sectors(companies, k=k).map(lambda code: _shown_label(code, lang))
    alias_ids = ids.map(letters)
    aliases = [
        t("workshop.company_alias", lang, letter=letter, sector=label)
        for letter, label in zip(alias_ids, labels, strict=True)
    ]
    return pd.DataFrame(
        {"id": ids, "alias_id": alias_ids, "alias": aliases, "sector_label": labels},
        index=companies.index,
    )


def blur_points(points: gpd.GeoSeries, *, cell_km: float = CELL_KM) -> gpd.GeoSeries:
    """Move each point to the centre of its square cell of ``cell_km`` (in a metric CRS).

    Points sharing a cell are spread evenly on a small ring around its centre, in index order,
    so that none hides another on the map. The result has the input's index and CRS.
    """
    if points.empty:
        return points.copy()
    if points.crs is None:
        msg = "blur_points needs points with a CRS"
        raise ValueError(msg)
    metric = points.to_crs(points.estimate_utm_crs())
    size = cell_km * 1000.0
    cells = np.floor(np.column_stack([metric.x, metric.y]) / size)
    centres = (cells + 0.5) * size
    frame = pd.DataFrame(cells, columns=["cx", "cy"], index=points.index)
    rank = frame.groupby(["cx", "cy"]).cumcount().to_numpy()
    crowd = frame.groupby(["cx", "cy"])["cx"].transform("size").to_numpy()
    angle = 2 * math.pi * rank / crowd
    radius = np.where(crowd > 1, _RING * size, 0.0)
    moved = shapely.points(
        centres[:, 0] + radius * np.sin(angle), centres[:, 1] + radius * np.cos(angle)
    )
    return gpd.GeoSeries(moved, index=points.index, crs=metric.crs).to_crs(points.crs)


def round_significant(values: pd.Series, digits: int = 2) -> pd.Series:
    """Round positive quantities to ``digits`` significant digits (``438 000`` → ``440 000``)."""
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    magnitude = np.floor(np.log10(numbers.where(numbers > 0)))
    factor = 10.0 ** (digits - 1 - magnitude)
    rounded = (numbers * factor).round() / factor
    return rounded.where(numbers > 0, numbers)


def anonymise_zone(
    zone: Zone,
    *,
    cell_km: float = CELL_KM,
    small_share: float = SMALL_SHARE,
    lang: str = DEFAULT_LANGUAGE,
) -> Zone:
    """Return an anonymised copy of ``zone`` to show to a public room.

    Parameters
    ----------
    zone
        The zone; never modified.
    cell_km
        Size of the cells positions are blurred to.
    small_share
        Flows under this share of their family's total (same direction and unit) are grouped into
        one row per company, family and direction, labelled « n petits flux groupés ».
    lang
        Language of the aliases and labels.

    Returns
    -------
    Zone
        Companies keep ``id`` (now the alias letter), ``name`` (the alias), ``sector`` (the
        NACE division, or its section, or nothing: `generalised_sectors`) and the blurred
        ``geometry``; flows and synergies refer to the letters, without labels, with rounded
        quantities. The perimeter is kept.
    """
    names = pseudonyms(zone.companies, lang=lang)
    letters = dict(zip(names["id"], names["alias_id"], strict=True))
    companies = gpd.GeoDataFrame(
        {
            "id": names["alias_id"],
            "name": names["alias"],
            "sector": generalised_sectors(zone.companies),
            "employees": pd.array([pd.NA] * len(names), dtype="Int64"),
        },
        geometry=blur_points(zone.companies.geometry, cell_km=cell_km),
        crs=zone.companies.crs,
    ).sort_values("id", key=lambda s: s.str.len() * 1000 + s.map(_letter_rank))
    flows = _grouped_flows(zone.flows, letters, small_share=small_share, lang=lang)
    synergies = zone.synergies.copy()
    synergies["from_id"] = synergies["from_id"].astype(str).map(letters)
    synergies["to_id"] = synergies["to_id"].astype(str).map(letters)
    synergies["quantity"] = round_significant(synergies["quantity"])
    synergies = synergies[[c for c in synergies.columns if c in _SYNERGY_KEEP]]
    return replace(
        zone,
        companies=companies.reset_index(drop=True),
        flows=flows,
        synergies=synergies.reset_index(drop=True),
        source="anonymised",
        warnings=[],
    )


_SYNERGY_KEEP = ("from_id", "to_id", "resource", "family", "quantity", "unit", "since", "until")


def _letter_rank(letters: str) -> int:
    return sum((ord(c) - 64) * 27**i for i, c in enumerate(reversed(letters)))


def _small(table: pd.DataFrame, keys: list[str], small_share: float) -> pd.Series:
    totals = table.groupby(keys, dropna=False)["quantity"].transform("sum")
    return table["quantity"] < small_share * totals


def _grouped_flows(
    flows: pd.DataFrame, letters: dict[str, str], *, small_share: float, lang: str
) -> pd.DataFrame:
    table = flows.copy()
    table["company_id"] = table["company_id"].astype(str).map(letters)
    table["label"] = ""
    small = _small(table, ["family", "direction", "unit"], small_share)
    keys = ["company_id", "direction", "family", "unit"]
    grouped = (
        table[small]
        .groupby(keys, as_index=False, dropna=False)
        .agg(quantity=("quantity", "sum"), count=("quantity", "size"))
    )
    grouped["resource"] = grouped["family"]
    grouped["label"] = [t("workshop.grouped_flows", lang, count=n) for n in grouped["count"]]
    kept = table.loc[
        ~small, ["company_id", "direction", "resource", *keys[2:], "quantity", "label"]
    ]
    result = pd.concat([kept, grouped.drop(columns="count")], ignore_index=True)
    result["quantity"] = round_significant(result["quantity"])
    result = result.sort_values(["company_id", "direction", "family"], ignore_index=True)
    result.insert(0, "flow_id", [f"F{i + 1}" for i in range(len(result))])
    return result[
        ["flow_id", "company_id", "direction", "resource", "family", "quantity", "unit", "label"]
    ]


def anonymise_candidates(
    candidates: gpd.GeoDataFrame,
    zone: Zone,
    *,
    cell_km: float = CELL_KM,
    small_share: float = SMALL_SHARE,
    lang: str = DEFAULT_LANGUAGE,
) -> gpd.GeoDataFrame:
    """Return candidate synergies with aliases, blurred ends and small ones grouped.

    Parameters
    ----------
    candidates
        ``matching.find_substitutions`` output, possibly with workshop columns (status…).
    zone
        The zone the candidates come from (for aliases and positions).
    cell_km, small_share, lang
        As in `anonymise_zone`; a candidate is small under ``small_share`` of the total quantity
        of the candidates of its family and unit.

    Returns
    -------
    geopandas.GeoDataFrame
        Same columns; ``from_id``/``to_id`` are letters, names are aliases, lines join blurred
        points, quantities are rounded, distances given to 0.5 km, workshop comments, notes and
        names blanked. Small candidates of a family,
        unit, status (and workshop ``decision``) make one row ``group:<family>:<unit>:…`` with
        no geometry and
        ``grouped`` (their count; 1 elsewhere).
    """
    names = pseudonyms(zone.companies, lang=lang).set_index("id")
    blurred = blur_points(zone.companies.geometry, cell_km=cell_km)
    where = pd.DataFrame(
        {"lon": blurred.x.to_numpy(), "lat": blurred.y.to_numpy()},
        index=zone.companies["id"].astype(str),
    )
    table = pd.DataFrame(candidates.drop(columns=candidates.geometry.name)).copy()
    for end in ("from", "to"):
        ids = table[f"{end}_id"].astype(str)
        table[f"{end}_name"] = ids.map(names["alias"])
        table[f"{end}_lon"] = ids.map(where["lon"])
        table[f"{end}_lat"] = ids.map(where["lat"])
        table[f"{end}_id"] = ids.map(names["alias_id"])
        if f"{end}_flow_id" in table:
            table[f"{end}_flow_id"] = pd.NA
    for column in ("offer_used_by", "need_used_by"):  # company ids, comma-joined
        if column in table:
            table[column] = [
                ",".join(names["alias_id"].get(i, "") for i in str(ids).split(",") if i)
                for ids in table[column].fillna("")
            ]
    table["candidate_id"] = table["candidate_id"].astype(str).map(_short_digest)
    for column in _FREE_TEXT:
        if column in table:
            table[column] = ""
    table["grouped"] = 1
    small = _small(table, ["family", "unit"], small_share)
    groups = _candidate_groups(table[small], lang=lang)
    kept = table[~small]
    for column in QUANTITY_COLUMNS:
        if column in kept:
            kept[column] = round_significant(kept[column])
    if "distance_km" in kept:
        kept["distance_km"] = (kept["distance_km"].astype(float) * 2).round() / 2
    lines = gpd.GeoSeries(
        shapely.linestrings(
            kept[["from_lon", "from_lat", "to_lon", "to_lat"]].to_numpy(float).reshape(-1, 2, 2)
        ),
        index=kept.index,
    )
    result = pd.concat(
        [kept.assign(geometry=lines), groups.assign(geometry=None)], ignore_index=True
    )
    return gpd.GeoDataFrame(result, geometry="geometry", crs=WGS84)


def _short_digest(value: str) -> str:
    return "anon-" + hashlib.sha256(value.encode()).hexdigest()[:10]


def _candidate_groups(small: pd.DataFrame, *, lang: str) -> pd.DataFrame:
    if small.empty:
        return small.iloc[0:0]
    keys = [key for key in ("family", "unit", "status", "decision") if key in small]
    groups = small.groupby(keys, as_index=False, dropna=False).agg(
        quantity=("quantity", "sum"),
        grouped=("candidate_id", "size"),
        score=("score", "max"),
    )
    groups["candidate_id"] = [
        "group:" + ":".join(map(str, key)) for key in groups[keys].itertuples(index=False)
    ]
    label = [t("workshop.grouped_candidates", lang, count=n) for n in groups["grouped"]]
    groups["from_name"] = label
    groups["to_name"] = label
    groups["resource"] = groups["family"]
    groups["input_resource"] = groups["family"]
    groups["quantity"] = round_significant(groups["quantity"])
    return groups
