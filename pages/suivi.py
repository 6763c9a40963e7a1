"""Suivi: after the workshop — what changed, the action plan, the exchanges in place, the years."""

import streamlit as st

from eit_geo import ui
from eit_geo.ui import decisions, plan, suivi

ui.ensure_frame()
st.title(ui.tr("followup.page_title"))
zone = ui.zone_or_stop()
st.caption(ui.tr("followup.intro"))
decisions.participant_name()
board = decisions.workshop_board(zone)
suivi.keep_snapshot(zone)

tabs = ("changes", "plan", "exchanges", "years")
changes_tab, plan_tab, exchanges_tab, years_tab = st.tabs(
    [ui.tr(f"followup.tab_{tab}") for tab in tabs]
)
with changes_tab:
    suivi.show_changes(zone, board)
with plan_tab:
    plan.show_late(zone, board)
    plan.show_plan(zone, board)
with exchanges_tab:
    suivi.show_followup(zone, board)
with years_tab:
    suivi.show_years(zone, board)
