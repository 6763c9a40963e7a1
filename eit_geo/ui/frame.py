"""The frame of every page: the sidebar (language, zone picker) and the shared selection."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from eit_geo.datafiles import example_names
from eit_geo.i18n import LANGUAGES
from eit_geo.ui import access
from eit_geo.ui.decisions import decision_url, workshop_board
from eit_geo.ui.state import KEY_LANG, KEY_SELECTED_CANDIDATES, tr
from eit_geo.ui.zones import (
    KEY_IMPORTED,
    KEY_UPLOAD,
    KEY_ZONE_SOURCE,
    current_zone,
    default_zone_source,
    select_example,
)


def sidebar() -> None:
    """Draw the frame's sidebar: who is signed in, language switch and example zone picker."""
    access.show_identity()
    with st.sidebar:
        st.radio(
            tr("app.language"),
            LANGUAGES,
            key=KEY_LANG,
            horizontal=True,
            format_func=lambda code: {"fr": "Français", "en": "English"}[code],
        )
        if not access.may("choose_zone"):  # shared: the facilitator's zone for everyone
            return
        names = example_names()
        labels = {name: tr(f"app.example_{name.replace('-', '_')}") for name in names}
        source = st.session_state.get(KEY_ZONE_SOURCE, default_zone_source())
        own = st.session_state.get(KEY_UPLOAD) or st.session_state.get(KEY_IMPORTED) is not None
        current = Path(source).name if not own else None
        choice = st.selectbox(
            tr("app.example_zone"),
            names,
            index=names.index(current) if current in names else None,
            format_func=lambda name: labels[name],
            placeholder=tr("app.own_zone"),
        )
        if choice is not None and choice != current:
            select_example(choice)
            st.rerun()


def share_workshop_selection() -> None:
    """Give every page the workshop's selection (``KEY_SELECTED_CANDIDATES``) from the store.

    Called by the frame on each run, so that the Indicators page's "selected" scenario follows
    the decisions of every participant, even in a session that never opened the Atelier.
    Before any workshop (no SQLite file yet) nothing is created; a store that cannot be read
    leaves the selection unset (the page then says so).
    """
    zone = current_zone()
    if zone is None:
        return
    url = decision_url(zone)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        st.session_state.pop(KEY_SELECTED_CANDIDATES, None)  # no workshop yet: nothing to read
        return
    try:
        workshop_board(zone)
    except SQLAlchemyError:
        st.session_state.pop(KEY_SELECTED_CANDIDATES, None)
