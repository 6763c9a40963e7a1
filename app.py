"""eit-geo dashboard: the frame (page config, sign-in, language, zone picker) and the navigation."""

from pathlib import Path

import streamlit as st

from eit_geo import ui
from eit_geo.ui import access, frame, state, widgets

st.set_page_config(page_title="eit-geo", page_icon="♻️", layout="wide")
access.require_sign_in()  # a shared server shows nothing of the zone before this
state.keep_filters()
widgets.serve_map_assets(Path(__file__).parent / "static")
frame.sidebar()
frame.share_workshop_selection()

pages = {
    "accueil": st.Page("pages/accueil.py", title=ui.tr("app.page_home"), icon=":material/home:"),
    "carte": st.Page(
        "pages/carte.py", title=ui.tr("map.page_map"), icon=":material/map:", url_path="carte"
    ),
    "synergies": st.Page(
        "pages/synergies.py",
        title=ui.tr("map.page_synergies"),
        icon=":material/swap_horiz:",
        url_path="synergies",
    ),
    "indicateurs": st.Page(
        "pages/indicateurs.py", title=ui.tr("indicators.title"), icon=":material/insights:"
    ),
    "atelier": st.Page(
        "pages/atelier.py",
        title=ui.tr("workshop.page_atelier"),
        icon=":material/groups:",
        url_path="atelier",
    ),
    "suivi": st.Page(
        "pages/suivi.py", title=ui.tr("followup.page_title"), icon=":material/event_repeat:"
    ),
    "presentation": st.Page(
        "pages/presentation.py",
        title=ui.tr("workshop.page_presentation"),
        icon=":material/co_present:",
        url_path="presentation",
    ),
    "donnees": st.Page(
        "pages/donnees.py",
        title=ui.tr("app.page_data"),
        icon=":material/folder_open:",
        url_path="donnees",
    ),
}
# the pages of this browser's role (all of them unshared), the landing page first: the default
st.navigation([pages[name] for name in access.page_names(list(pages))]).run()
