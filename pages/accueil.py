"""Home: what the tool is for, what the chosen zone holds at a glance, where to go next."""

import streamlit as st

from eit_geo import ui
from eit_geo.formatting import format_count
from eit_geo.summary import figure_notes, flows_by_family, running_sentence, zone_figures
from eit_geo.ui import access
from eit_geo.ui.analyses import analysis

ui.ensure_frame()
st.title(ui.tr("app.title"))
st.markdown(ui.tr("app.intro"))

zone = ui.zone_or_stop()
lang = ui.language()

st.header(ui.zone_title(zone))
running = analysis(zone).running  # the zone as it runs this year, found once and kept
st.markdown(running_sentence(zone, lang, running=running))  # the file's and this year's counts
figures = zone_figures(zone, running=running)
notes = figure_notes(zone, lang, running=running)
for column, (key, value) in zip(st.columns(len(figures)), figures.items(), strict=True):
    column.metric(ui.tr(f"app.{key}"), format_count(value, lang), border=True)
    if key in notes:
        column.caption(notes[key])

st.subheader(ui.tr("app.flows_by_family"))
st.dataframe(flows_by_family(zone, lang), hide_index=True, placeholder="—")

st.subheader(ui.tr("app.next_steps"))
steps = {
    "carte": "next_map",
    "synergies": "next_synergies",
    "indicateurs": "next_indicators",
    "atelier": "next_workshop",
    "donnees": "next_data",
}
for page in access.page_names(list(steps)):  # the pages of this browser's role
    st.page_link(f"pages/{page}.py", label=ui.tr(f"app.{steps[page]}"))
