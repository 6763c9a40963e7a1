"""Atelier: the workshop board — filter and sort the leads, open one, decide, vote, export."""

import streamlit as st

from eit_geo import ui
from eit_geo.ui import analyses, atelier, decisions, plan, widgets

ui.ensure_frame()
st.title(ui.tr("workshop.page_atelier"))
zone = ui.zone_or_stop()
st.caption(ui.tr("workshop.intro"))
decisions.participant_name()
board = decisions.board_or_stop(zone)
decisions.show_uploaded_decisions(zone)

st.subheader(ui.tr("workshop.board_title"))
plan.show_late(zone, board)
chosen = atelier.show_board(board)
left, right = st.columns([3, 2])
with left:
    st.subheader(ui.tr("workshop.map_title"))
    atelier.show_workshop_map(zone, board, chosen)
with right:
    st.subheader(ui.tr("workshop.decision_title"))
    atelier.show_decision(zone, board, chosen)
    plan.show_step(zone, board, chosen)

st.subheader(ui.tr("workshop.indicators_title"))
widgets.show_kpi_cards(analyses.board_kpis(zone, board))
st.subheader(ui.tr("workshop.timeline_section"))
decisions.show_timeline(zone, board)
st.subheader(ui.tr("workshop.exports_title"))
atelier.show_exports(zone)
