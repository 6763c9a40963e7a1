"""Carte: the zone's companies, synergies and mutualisation areas, details of a click beside."""

import streamlit as st

from eit_geo import ui
from eit_geo.ui import carte, filters

ui.ensure_frame()
st.title(ui.tr("map.page_map"))
zone = ui.zone_or_stop()

choice = filters.map_filter(zone)
basemap = carte.basemap_choice()
st.caption(f"{filters.shown_counts(zone, choice)} — {ui.tr('map.map_intro')}")

map_column, detail_column = st.columns([3, 2], gap="medium")
with map_column:
    selection = carte.show_map(zone, choice, basemap)
with detail_column:
    carte.show_selection(zone, choice, selection)
