"""Synergies: the list of existing synergies and substitution leads; filter, sort, open one."""

import streamlit as st

from eit_geo import ui

ui.ensure_frame()
st.title(ui.tr("map.page_synergies"))
zone = ui.zone_or_stop()

choice = ui.map_filter(zone)
st.caption(f"{ui.shown_counts(zone, choice)} — {ui.tr('map.list_intro')}")
ui.show_synergy_list(zone, choice)
