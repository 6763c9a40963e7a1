"""The Carte page: the zone's map and the details of what a click chose."""

from __future__ import annotations

from typing import TYPE_CHECKING

import folium
import streamlit as st
from streamlit_folium import st_folium

from eit_geo.maps import (
    BASEMAPS,
    DRAWN_COMPANIES,
    DRAWN_LINKS,
    build_base_map,
    clicked_feature,
    feature_layers,
)
from eit_geo.offline import STATIC_URL
from eit_geo.panels import (
    company_facts,
    company_inventory,
    company_links,
    escape_markdown,
    group_facts,
    group_tip,
    link_facts,
    link_tip,
)
from eit_geo.ui.analyses import filtered, map_features
from eit_geo.ui.state import KEY_ASSETS, language, tr
from eit_geo.ui.widgets import facts, static_serving_on, table_or_note

if TYPE_CHECKING:
    from eit_geo.filters import MapFilter
    from eit_geo.zone import Zone

KEY_BASEMAP = "carte_basemap"
KEY_MAP = "carte_map"
KEY_SELECTION = "carte_selection"
KEY_LAST_CLICK = "carte_last_click"
MAP_HEIGHT = 640


def basemap_choice() -> str:
    """Draw the basemap picker in the sidebar and return ``auto``, ``osm``, ``light``, ``none``."""
    with st.sidebar:
        return st.selectbox(
            tr("map.basemap"),
            BASEMAPS,
            key=KEY_BASEMAP,
            format_func=lambda b: tr(f"map.basemap_{b}"),
            help=tr("map.basemap_help"),
        )


def show_map(zone: Zone, choice: MapFilter, basemap: str) -> tuple[str, str] | None:
    """Show the map; return the selection ``(kind, id)`` of the last click, kept per session.

    The base map only changes with the zone, the language and the basemap; the filtered layers
    go through ``feature_group_to_add``, so a filter change redraws them without reloading
    the map.
    """
    lang = language()
    if not static_serving_on():
        st.warning(tr("map.static_off"))
    features, hidden, hidden_companies = map_features(zone, choice, lang)
    if hidden:
        st.info(tr("map.best_notice", shown=DRAWN_LINKS, hidden=hidden))
    if hidden_companies:
        st.info(tr("map.companies_notice", shown=DRAWN_COMPANIES, hidden=hidden_companies))
    assets = st.session_state.get(KEY_ASSETS, STATIC_URL)
    fmap = build_base_map(zone, lang=lang, basemap=basemap, assets_url=assets)
    returned = st_folium(
        fmap,
        key=KEY_MAP,
        height=MAP_HEIGHT,
        use_container_width=True,
        returned_objects=["last_active_drawing"],
        feature_group_to_add=feature_layers(features, lang=lang),
        layer_control=folium.LayerControl(collapsed=True),
    )
    drawing = (returned or {}).get("last_active_drawing")
    if drawing and drawing != st.session_state.get(KEY_LAST_CLICK):
        st.session_state[KEY_LAST_CLICK] = drawing
        st.session_state[KEY_SELECTION] = clicked_feature(returned)
    return st.session_state.get(KEY_SELECTION)


def _clear_selection() -> None:
    st.session_state.pop(KEY_SELECTION, None)


def show_selection(zone: Zone, choice: MapFilter, selection: tuple[str, str] | None) -> None:
    """Show beside the map what the click chose: a company, a link or a mutualisation group."""
    lang = language()
    _, links, groups = filtered(zone, choice)
    if selection is None:
        st.info(tr("map.nothing_selected"))
        return
    kind, ident = selection
    if kind == "company" and ident in set(zone.companies["id"]):
        company = zone.companies.loc[zone.companies["id"] == ident].iloc[0]
        st.subheader(escape_markdown(str(company["name"])))
        facts(company_facts(company, lang))
        st.markdown(f"**{tr('map.inventory')}**")
        table_or_note(company_inventory(zone, ident, lang), "map.no_flows")
        st.markdown(f"**{tr('map.its_links')}**")
        table_or_note(company_links(links, ident, lang), "map.no_links")
    elif kind == "link" and ident in set(links["candidate_id"]):
        link = links.loc[links["candidate_id"] == ident].iloc[0]
        st.subheader(escape_markdown(link_tip(link, lang)))
        facts(link_facts(link, lang))
    elif kind == "group" and ident in set(groups["group_id"]):
        group = groups.loc[groups["group_id"] == ident].iloc[0]
        st.subheader(escape_markdown(group_tip(group, lang)))
        facts(group_facts(group, zone, lang))
    else:
        st.info(tr("map.nothing_selected"))
        return
    st.button(tr("map.clear_selection"), on_click=_clear_selection, key="carte_clear")
