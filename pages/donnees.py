"""Data: upload a zone, see its validation messages, download the template, export the zone."""

import streamlit as st

from eit_geo import ui
from eit_geo.summary import readable_table
from eit_geo.ui import decisions, donnees, zones

ui.ensure_frame()

st.title(ui.tr("app.page_data"))

uploaded = st.file_uploader(
    ui.tr("app.upload"),
    type=["csv", "xlsx", "geojson", "json", "gpkg", "parquet", "zip"],
    accept_multiple_files=True,
    help=zones.upload_help(),
    key="data_upload",
    max_upload_size=zones.UPLOAD_MAX_MB,
)
if uploaded:
    zones.use_upload([(file.name, file.getvalue()) for file in uploaded])

zone = zones.current_zone()
error = zones.zone_error()
if error is not None:
    zones.show_errors(error)
elif zone is not None:
    st.success(
        ui.tr("app.upload_ok", name=zone.name, companies=len(zone.companies), flows=len(zone.flows))
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
    companies_tab.dataframe(readable_table(zone.companies, lang), hide_index=True)
    flows_tab.dataframe(readable_table(zone.flows, lang), hide_index=True)
    synergies_tab.dataframe(readable_table(zone.synergies, lang), hide_index=True)
