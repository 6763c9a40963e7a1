"""Présentation: one 16:9 screen, the gain first and large, the map beside the retained list."""

import streamlit as st

from eit_geo import ui
from eit_geo.ui import analyses, decisions, presentation

ui.ensure_frame()
zone = ui.zone_or_stop()
title = ui.tr("workshop.report_title", zone=ui.zone_title(zone))
anonymised, _ = presentation.presentation_header(title)  # with the anonymised note
board = decisions.workshop_board(zone)
kpis = analyses.board_kpis(zone, board)

presentation.show_gain(kpis)
presentation.show_totals(kpis)
map_column, list_column = st.columns([3, 2], gap="medium")
with map_column, st.container(key="presentation_map"):
    presentation.show_presentation_map(zone, board, anonymised=anonymised)
with list_column, st.container(key="presentation_list"):
    st.subheader(ui.tr("workshop.presentation_retained"))
    presentation.show_presentation_list(zone, board, anonymised=anonymised)
decisions.show_timeline(zone, board, anonymised=anonymised)
