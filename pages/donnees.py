"""Data: upload a zone, see its validation messages, download the template, export the zone."""

import streamlit as st

from eit_geo import ui
from eit_geo.formatting import format_count
from eit_geo.summary import readable_table
from eit_geo.ui import access, decisions, donnees, import_assistant, zones

ui.ensure_frame()

st.title(ui.tr("app.page_data"))

uploaded = donnees.upload_box() if access.may("choose_zone") else []
if uploaded:
    import_assistant.show_files(uploaded)  # a zone loaded as it is, or the import assistant
if st.session_state.pop(import_assistant.KEY_LOADED, False):
    st.toast(ui.tr("app.import_loaded"))

zone = zones.current_zone()
error = zones.zone_error()
if uploaded:
    st.divider()
    st.subheader(ui.tr("app.zone_in_use"))
if error is not None:
    zones.show_errors(error)
    if uploaded:
        st.info(ui.tr("app.import_try_assistant"))
elif zone is not None:
    title = donnees.title_input(zone)
    lang = ui.language()
    st.success(
        ui.tr(
            "app.upload_ok",
            name=title,
            companies=format_count(len(zone.companies), lang),
            flows=format_count(len(zone.flows), lang),
        )
    )
    decisions.note_uploaded_decisions()

left, right = st.columns(2)
left.download_button(
    ui.tr("app.template"),
    data=donnees.template_bytes(),
    file_name="modele-collecte-flux.xlsx",
    help=ui.tr("app.template_help"),
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
if zone is not None:
    if access.may("export_data"):
        right.download_button(
            ui.tr("app.export"),
            data=donnees.zone_gpkg_bytes(zone),
            file_name=f"{zone.name}.gpkg",
            mime="application/geopackage+sqlite3",
        )
    st.subheader(ui.tr("app.tables"))
    companies_tab, flows_tab, synergies_tab = st.tabs(
        [ui.tr("app.companies"), ui.tr("app.flows"), ui.tr("app.existing_synergies")]
    )
    lang = ui.language()
    companies_tab.dataframe(readable_table(zone.companies, lang), hide_index=True, placeholder="—")
    flows_tab.dataframe(readable_table(zone.flows, lang), hide_index=True, placeholder="—")
    synergies_tab.dataframe(readable_table(zone.synergies, lang), hide_index=True, placeholder="—")
