"""Présentation: full-width map and key figures in large type, anonymised for a public room."""

import streamlit as st

from eit_geo import ui
from eit_geo.ui import analyses, decisions, presentation, widgets

ui.ensure_frame()
zone = ui.zone_or_stop()
anonymised, _ = presentation.presentation_options()
board = decisions.workshop_board(zone)

st.title(ui.tr("workshop.report_title", zone=ui.zone_title(zone)))
if anonymised:
    st.caption(ui.tr("workshop.presentation_anonymised_note"))
widgets.show_kpi_cards(
    analyses.board_kpis(zone, board),
    per_row=3,
    large=True,
    skip=("transport_co2_t", "money_saved_eur"),
)
presentation.show_presentation_map(zone, board, anonymised=anonymised)
left, right = st.columns([2, 3])
with left:
    st.subheader(ui.tr("workshop.presentation_retained"))
    presentation.show_presentation_list(zone, board, anonymised=anonymised)
with right:
    decisions.show_timeline(zone, board, anonymised=anonymised)
