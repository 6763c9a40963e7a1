"""Synergies: the list of existing synergies and substitution leads; filter, sort, open one."""

import streamlit as st

from eit_geo import ui
from eit_geo.ui import filters, synergies

ui.ensure_frame()
st.title(ui.tr("map.page_synergies"))
zone = ui.zone_or_stop()

choice = filters.map_filter(zone)
st.caption(f"{filters.shown_counts(zone, choice)} — {ui.tr('map.list_intro')}")
synergies.show_synergy_list(zone, choice)
