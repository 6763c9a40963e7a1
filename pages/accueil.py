"""Home: what the tool is for and what the chosen zone holds at a glance."""

import streamlit as st

from eit_geo import ui
from eit_geo.summary import flows_by_family, zone_figures

ui.ensure_frame()
st.title(ui.tr("app.title"))
st.markdown(ui.tr("app.intro"))

zone = ui.zone_or_stop()

st.header(zone.name)
figures = zone_figures(zone)
for column, (key, value) in zip(st.columns(len(figures)), figures.items(), strict=True):
    column.metric(ui.tr(f"app.{key}"), f"{value:,}".replace(",", "\u202f"))

st.subheader(ui.tr("app.flows_by_family"))
st.dataframe(flows_by_family(zone, ui.language()), hide_index=True)
