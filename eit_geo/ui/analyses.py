"""The pages' analyses: one `Analysis` per zone, its parts kept for every session.

The map's filtered layers, the anonymised zone and the headline figures are cached here too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from eit_geo import (
    anonymise,
    indicators,
    report,
)
from eit_geo.analysis import Analysis
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
from eit_geo.ui.state import language
from eit_geo.zone import Zone

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd


def analysis(
    zone: Zone,
    *,
    max_km: tuple[tuple[str, float], ...] = (),
    factors: pd.DataFrame | None = None,
    prices: pd.DataFrame | None = None,
    selected: tuple[str, ...] | None = None,
    board: pd.DataFrame | None = None,
    year: int | None = None,
) -> Analysis:
    """Return the zone's `Analysis` under these settings, shared by every session.

    The zone's analysis is kept (`st.cache_resource` on the zone's fingerprint), and each of
    its parts under the settings it depends on (`Analysis.with_settings`): new factors do not
    search the candidates again. The analysis made here for other settings is a light view
    of it, not kept: a workshop board it names is not held after the page has run.
    """
    return _zone_analysis(zone.fingerprint(), zone).with_settings(
        max_km=max_km, factors=factors, prices=prices, selected=selected, board=board, year=year
    )


@st.cache_resource(show_spinner=False, max_entries=8)
def _zone_analysis(fingerprint: str, _zone: Zone) -> Analysis:  # noqa: ARG001 - the cache key
    return Analysis(_zone)


def zone_links(
    zone: Zone, max_km: tuple[tuple[str, float], ...] = (), year: int | None = None
) -> gpd.GeoDataFrame:
    """Return the zone's substitution links (existing and candidates) at these distances.

    Existing links are the synergies running in ``year`` (this year when None).
    """
    return analysis(zone, max_km=max_km, year=year).candidates


def zone_groups(zone: Zone) -> gpd.GeoDataFrame:
    """Return the zone's mutualisation groups."""
    return analysis(zone).groups


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


def scenario(
    zone: Zone,
    name: str,
    factors: pd.DataFrame | None = None,
    prices: pd.DataFrame | None = None,
    selected: tuple[str, ...] | None = None,
    *,
    year: int | None = None,
) -> indicators.Scenario:
    """Return a scenario of `indicators.SCENARIOS` (`Analysis.scenario`) in ``year``'s network."""
    chosen = analysis(zone, factors=factors, prices=prices, selected=selected, year=year)
    return chosen.scenario(name)


@st.cache_data(show_spinner=False, max_entries=8, hash_funcs={Zone: Zone.fingerprint})
def public_zone(zone: Zone, lang: str) -> Zone:
    """Return the zone with companies under aliases (anonymised presentation), cached."""
    return anonymise.anonymise_zone(zone, lang=lang)


def board_kpis(zone: Zone, board: gpd.GeoDataFrame) -> list[report.Kpi]:
    """Return the workshop's headline figures (its scenario against the existing one)."""
    return report.workshop_kpis(zone, board, language(), analysis=analysis(zone, board=board))
