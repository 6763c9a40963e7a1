"""Cached analyses of a zone (candidates, groups, scenarios, headline figures) for the pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from eit_geo import (
    anonymise,
    indicators,
    report,
)
from eit_geo.filters import (
    MapFilter,
    apply_filter,
    best_links,
    linked_companies_first,
)
from eit_geo.maps import (
    DRAWN_COMPANIES,
    DRAWN_LINKS,
    focus_links,
    layer_features,
)
from eit_geo.matching import find_mutualisations, find_substitutions
from eit_geo.network_years import running_now
from eit_geo.zone import Zone

if TYPE_CHECKING:
    import geopandas as gpd
from eit_geo.ui.state import language


@st.cache_data(show_spinner=False, max_entries=32, hash_funcs={Zone: Zone.fingerprint})
def zone_links(
    zone: Zone, max_km: tuple[tuple[str, float], ...] = (), year: int | None = None
) -> gpd.GeoDataFrame:
    """Return the zone's substitution links (existing and candidates), cached per distances.

    Existing links are the synergies running in ``year`` (this year when None): one that
    stopped is a lead again (`network_years.running_now`).
    """
    return find_substitutions(running_now(zone, year), max_km=dict(max_km) or None)


@st.cache_data(show_spinner=False, max_entries=8, hash_funcs={Zone: Zone.fingerprint})
def zone_groups(zone: Zone) -> gpd.GeoDataFrame:
    """Return the zone's mutualisation groups, cached."""
    return find_mutualisations(zone)


@st.cache_data(
    show_spinner=False,
    max_entries=16,
    hash_funcs={Zone: Zone.fingerprint, MapFilter: repr},
)
def filtered(
    zone: Zone, choice: MapFilter
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Return ``(companies, links, groups)`` as the filters keep them, cached."""
    return apply_filter(zone.companies, zone_links(zone, choice.max_km), zone_groups(zone), choice)


@st.cache_data(
    show_spinner=False,
    max_entries=16,
    hash_funcs={Zone: Zone.fingerprint, MapFilter: repr},
)
def map_features(
    zone: Zone,
    choice: MapFilter,
    lang: str,
    view: str = "all",
    retained: tuple[str, ...] = (),
) -> tuple[dict[str, dict], int, int]:
    """Return the GeoJSON of the map's layers and how many leads and companies were left out.

    At most `DRAWN_LINKS` candidate links are drawn, the best-scored, and at most
    `DRAWN_COMPANIES` companies, those the drawn links and groups name first. ``view`` and
    ``retained`` choose the links of a view (`maps.focus_links`). Cached.
    """
    companies, links, groups = filtered(zone, choice)
    links, faded = focus_links(links, view, retained=retained)
    if view != "all":
        groups = groups.iloc[0:0]
    drawn, hidden = best_links(links, DRAWN_LINKS)
    companies, hidden_companies = linked_companies_first(companies, drawn, groups, DRAWN_COMPANIES)
    features = layer_features(zone, companies, drawn, groups, lang=lang, faded=faded)
    return features, hidden, hidden_companies


def indicator_candidates(zone: Zone) -> pd.DataFrame:
    """Return the zone's substitution candidates at the default distances (`zone_links`)."""
    return pd.DataFrame(zone_links(zone).drop(columns="geometry"))


@st.cache_data(show_spinner=False, max_entries=32, hash_funcs={Zone: Zone.fingerprint})
def scenario(
    zone: Zone,
    name: str,
    factors: pd.DataFrame | None = None,
    prices: pd.DataFrame | None = None,
    selected: tuple[str, ...] | None = None,
    *,
    year: int | None = None,
) -> indicators.Scenario:
    """Return a scenario of `indicators.SCENARIOS`, cached on the zone, tables and selection.

    ``year``: the year of the ``existing`` scenario's network (this year when None).
    """
    tables = {"factors": factors, "prices": prices}
    if name == "existing":
        return indicators.existing_scenario(zone, year=year, **tables)
    candidates = indicator_candidates(zone)
    if name == "optimal":
        return indicators.optimal_scenario(zone, candidates, **tables)
    return indicators.selected_scenario(zone, candidates, selected, **tables)


@st.cache_data(show_spinner=False, max_entries=8, hash_funcs={Zone: Zone.fingerprint})
def public_zone(zone: Zone, lang: str) -> Zone:
    """Return the zone with companies under aliases (anonymised presentation), cached."""
    return anonymise.anonymise_zone(zone, lang=lang)


@st.cache_data(show_spinner=False, max_entries=32, hash_funcs={Zone: Zone.fingerprint})
def _workshop_kpis(
    zone: Zone, decisions: tuple[tuple[str, str], ...], lang: str
) -> list[report.Kpi]:
    board = zone_links(zone).assign(decision=dict(decisions))
    board["decision"] = board["candidate_id"].map(dict(decisions))
    return report.workshop_kpis(zone, board, lang)


def board_kpis(zone: Zone, board: gpd.GeoDataFrame) -> list[report.Kpi]:
    """Return the workshop's headline figures (selected scenario against the existing), cached."""
    decisions = tuple(zip(board["candidate_id"].astype(str), board["decision"], strict=True))
    return _workshop_kpis(zone, decisions, language())
