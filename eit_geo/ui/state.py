"""Session state shared by every page: the interface language and the keys pages share."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from eit_geo.i18n import DEFAULT_LANGUAGE, t

KEY_LANG = "lang"
KEY_ASSETS = "map_assets_url"
KEY_LOCAL_TILES = "map_local_tiles"
KEY_SELECTED_CANDIDATES = "selected_candidates"
FILTER_PREFIX = "filters_"


def language() -> str:
    """Return the interface language chosen in this session (French by default)."""
    return st.session_state.setdefault(KEY_LANG, DEFAULT_LANGUAGE)


def tr(key: str, /, **values: object) -> str:
    """Translate ``key`` into the session's language."""
    return t(key, language(), **values)


def ensure_frame() -> None:
    """Run the page inside the frame of ``app.py``; call it first in every page.

    With a ``pages/`` folder next to ``app.py``, Streamlit runs a legacy multipage app until a
    run of ``app.py`` calls ``st.navigation`` (``streamlit/runtime/pages_manager.py``): the
    first visit of a fresh server straight to ``/carte`` would run the page alone, without
    language, zone picker or navigation. The page then switches that mode off and reruns.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def keep_filters() -> None:
    """Keep the filters' values while a page without them is shown (call it on every run)."""
    for key in [k for k in st.session_state if str(k).startswith(FILTER_PREFIX)]:
        st.session_state[key] = st.session_state[key]


def page_default(key: str, value: object) -> str:
    """Give a page's session key its first value; return the key."""
    st.session_state.setdefault(key, value)
    return key
