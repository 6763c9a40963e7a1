"""Carte: the zone's companies, synergies and mutualisation areas, details of a click beside."""

import streamlit as st

from eit_geo import ui

ui.ensure_frame()
st.title(ui.tr("map.page_map"))
zone = ui.zone_or_stop()

choice = ui.map_filter(zone)
basemap = ui.basemap_choice()
st.caption(f"{ui.shown_counts(zone, choice)} — {ui.tr('map.map_intro')}")

map_column, detail_column = st.columns([3, 2], gap="medium")
with map_column:
    selection = ui.show_map(zone, choice, basemap)
with detail_column:
    ui.show_selection(zone, choice, selection)
