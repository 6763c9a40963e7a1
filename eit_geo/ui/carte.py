"""The Carte page: the zone's map, as large as the screen, and the details of what a click chose.

The map takes the page's width and the screen's height (``data/report/carte.css``); a click's
details open beside it on a wide screen, below it on a narrower one (``carte-detail.css``),
without reloading the map.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import folium
import streamlit as st
from streamlit_folium import st_folium

from eit_geo import workshop
from eit_geo.datafiles import data_path
from eit_geo.maps import (
    BASEMAPS,
    BEST_LEADS,
    DRAWN_COMPANIES,
    DRAWN_LINKS,
    LOCAL,
    VIEWS,
    build_base_map,
    clicked_feature,
    feature_layers,
)
from eit_geo.mbtiles import LocalTiles
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
from eit_geo.ui.decisions import workshop_board
from eit_geo.ui.state import KEY_ASSETS, KEY_LOCAL_TILES, language, page_default, tr
from eit_geo.ui.widgets import facts, static_serving_on, table_or_note

if TYPE_CHECKING:
    from eit_geo.filters import MapFilter
    from eit_geo.zone import Zone

KEY_BASEMAP = "carte_basemap"
KEY_MAP = "carte_map"
KEY_SELECTION = "carte_selection"
KEY_LAST_CLICK = "carte_last_click"
KEY_VIEW = "carte_view"
MAP_HEIGHT = 640


def local_tiles() -> LocalTiles | None:
    """Return the basemap file of this machine the app serves (``eit-geo app --basemap``)."""
    tiles = st.session_state.get(KEY_LOCAL_TILES)
    return tiles if isinstance(tiles, LocalTiles) else None


def default_basemap() -> str:
    """Return the basemap maps start with: the local file's when there is one, else ``auto``."""
    return LOCAL if local_tiles() is not None else "auto"


def _basemap_name(basemap: str) -> str:
    tiles = local_tiles()
    if basemap == LOCAL and tiles is not None:
        return tr("map.basemap_local", name=tiles.name)
    return tr(f"map.basemap_{basemap}")


def basemap_choice() -> str:
    """Draw the basemap picker in the sidebar; return the basemap chosen (`maps.BASEMAPS`).

    ``local`` (the basemap file given to ``eit-geo app --basemap``) comes first when there is
    one; a file that cannot be used is said here.
    """
    problem = st.session_state.get(KEY_LOCAL_TILES)
    if isinstance(problem, str):
        st.warning(problem)
    choices = (LOCAL, *BASEMAPS) if local_tiles() is not None else BASEMAPS
    if st.session_state.get(KEY_BASEMAP) not in choices:
        st.session_state.pop(KEY_BASEMAP, None)
    with st.sidebar:
        return st.selectbox(
            tr("map.basemap"),
            choices,
            key=KEY_BASEMAP,
            format_func=_basemap_name,
            help=tr("map.basemap_help"),
        )


def view_choice() -> str:
    """Draw the choice of links shown (in place, retained, all leads); return the view."""
    view = st.segmented_control(
        tr("map.view"),
        VIEWS,
        key=page_default(KEY_VIEW, "all"),
        format_func=lambda v: tr(f"map.view_{v}"),
        help=tr("map.view_help", best=BEST_LEADS),
        label_visibility="collapsed",
    )
    return view or "all"


def page_style(selection: tuple[str, str] | None) -> None:
    """Size the map to the screen; with a selection, open its details beside or below it."""
    style = data_path("report", "carte.css").read_text(encoding="utf-8")
    if selection is not None:
        style += data_path("report", "carte-detail.css").read_text(encoding="utf-8")
    st.html(f"<style>{style}</style>")


def show_map(
    zone: Zone, choice: MapFilter, basemap: str, view: str = "all"
) -> tuple[str, str] | None:
    """Show the map; return the selection ``(kind, id)`` of the last click, kept per session.

    The base map only changes with the zone, the language and the basemap; the filtered layers
    (those of ``view``, `maps.focus_links`) go through ``feature_group_to_add``, so a filter
    change redraws them without reloading the map.
    """
    lang = language()
    if not static_serving_on():
        st.warning(tr("map.static_off"))
    retained: tuple[str, ...] = ()
    if view == "retained":
        retained = tuple(sorted(workshop.selected_ids(workshop_board(zone))))
    features, hidden, hidden_companies = map_features(zone, choice, lang, view, retained)
    if hidden:
        st.info(tr("map.best_notice", shown=DRAWN_LINKS, hidden=hidden))
    if hidden_companies:
        st.info(tr("map.companies_notice", shown=DRAWN_COMPANIES, hidden=hidden_companies))
    assets = st.session_state.get(KEY_ASSETS, STATIC_URL)
    fmap = build_base_map(zone, lang=lang, basemap=basemap, assets_url=assets, local=local_tiles())
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
    return current_selection()


def current_selection() -> tuple[str, str] | None:
    """Return what the last click on the map chose, kept for the session."""
    return st.session_state.get(KEY_SELECTION)


def _clear_selection() -> None:
    st.session_state.pop(KEY_SELECTION, None)


def show_selection(zone: Zone, choice: MapFilter, selection: tuple[str, str] | None) -> None:
    """Show beside or below the map what the click chose: a company, a link or a group."""
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
        facts(link_facts(link, lang, zone.company_names()))
    elif kind == "group" and ident in set(groups["group_id"]):
        group = groups.loc[groups["group_id"] == ident].iloc[0]
        st.subheader(escape_markdown(group_tip(group, lang)))
        facts(group_facts(group, zone, lang))
    else:
        st.info(tr("map.nothing_selected"))
        return
    st.button(tr("map.clear_selection"), on_click=_clear_selection, key="carte_clear")
