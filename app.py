"""eit-geo dashboard: the frame (page config, language, zone picker) and the navigation."""

import streamlit as st

from eit_geo import ui

st.set_page_config(page_title="eit-geo", page_icon="♻️", layout="wide")
ui.sidebar()

pages = [
    st.Page("pages/accueil.py", title=ui.tr("app.page_home"), icon="🏠", default=True),
    st.Page("pages/donnees.py", title=ui.tr("app.page_data"), icon="📂", url_path="donnees"),
]
st.navigation(pages).run()
