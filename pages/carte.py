"""Carte: the zone's companies, synergies and mutualisation areas, details of a click beside."""

import streamlit as st

from eit_geo import ui
from eit_geo.ui import carte, filters

ui.ensure_frame()
heading, views = st.columns([1, 2], vertical_alignment="bottom")
heading.title(ui.tr("map.page_map"))
zone = ui.zone_or_stop()

choice = filters.map_filter(zone)
basemap = carte.basemap_choice()
with views:
    view = carte.view_choice()
st.caption(f"{filters.shown_counts(zone, choice)} — {ui.tr('map.map_intro')}")

with st.container(key="carte_body"):
    map_column, detail_column = st.columns([7, 3], gap="medium")
    with map_column, st.container(key="carte_map_box"):
        selection = carte.show_map(zone, choice, basemap, view)
    with detail_column:
        carte.show_selection(zone, choice, selection)
carte.page_style(selection)
