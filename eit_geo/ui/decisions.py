"""The workshop's decision store for a zone and what the Atelier and Présentation pages share."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from eit_geo import (
    anonymise,
    store,
    timeline,
    workshop,
)
from eit_geo.datafiles import data_path
from eit_geo.formatting import format_datetime

if TYPE_CHECKING:
    import geopandas as gpd
    from sqlalchemy.engine import Engine

    from eit_geo.zone import Zone
from eit_geo.ui import access
from eit_geo.ui.analyses import zone_links
from eit_geo.ui.state import KEY_SELECTED_CANDIDATES, language, tr
from eit_geo.ui.zones import KEY_UPLOAD

KEY_PARTICIPANT = "atelier_participant"
KEY_PARTICIPANT_INPUT = "atelier_participant_input"


@st.cache_resource(show_spinner=False)
def decision_engine(url: str) -> Engine:
    """Return the decision store's engine for ``url``, one per server (shared by sessions)."""
    return store.open_store(url)


@st.cache_resource(show_spinner=False, max_entries=32)
def _restore_once(url: str, key: str, source: str, modified: float) -> int:
    """Load the decisions a zone's GeoPackage carries into the store, once per file version."""
    del modified  # part of the cache key only
    return store.restore_decisions(decision_engine(url), key, store.read_decision_layers(source))


@st.cache_resource(show_spinner=False, max_entries=8)
def _restore_upload(url: str, key: str, files: tuple[tuple[str, bytes], ...]) -> int:
    restored = 0
    with tempfile.TemporaryDirectory(prefix="eit-geo-decisions-") as folder:
        for name, data in files:
            if Path(name).suffix.lower() == ".gpkg":
                path = Path(folder) / Path(name).name
                path.write_bytes(data)
                restored += store.restore_decisions(
                    decision_engine(url), key, store.read_decision_layers(path)
                )
    return restored


def decision_store(zone: Zone) -> tuple[Engine, str]:
    """Return the engine of the zone's decision store and the zone's key in it.

    The store is ``EIT_GEO_DATABASE_URL`` or the default SQLite file
    (`store.default_database_url`). A zone opened from a project GeoPackage brings back the
    decisions it carries (never over those already in the store).
    """
    url = store.default_database_url(zone.source, shipped=data_path("examples"))
    key = store.zone_key(zone)
    upload = st.session_state.get(KEY_UPLOAD)
    if upload:
        _restore_upload(url, key, upload)
    elif Path(zone.source).suffix.lower() == ".gpkg" and Path(zone.source).is_file():
        _restore_once(url, key, zone.source, Path(zone.source).stat().st_mtime)
    return decision_engine(url), key


def workshop_board(zone: Zone) -> gpd.GeoDataFrame:
    """Return the zone's candidates with the decisions and votes stored right now.

    Also shares the selected ids with the Indicators page (``KEY_SELECTED_CANDIDATES``).
    """
    engine, key = decision_store(zone)
    board = workshop.build_board(
        zone_links(zone),
        store.get_decisions(engine, key),
        store.get_votes(engine, key),
        store.history(engine, key),
    )
    st.session_state[KEY_SELECTED_CANDIDATES] = workshop.selected_ids(board)  # in order
    return board


def participant_name() -> str:
    """Ask for the participant's name in the sidebar; return it (empty until given).

    On a shared server the name is the one signed in with (`access.identity`), not typed here:
    nobody decides or votes under another's name.
    """
    who = access.identity()
    if who is not None:
        st.session_state[KEY_PARTICIPANT] = who.name if access.may("decide") else ""
        return st.session_state[KEY_PARTICIPANT]
    st.session_state.setdefault(KEY_PARTICIPANT, "")
    with st.sidebar:
        st.text_input(
            tr("workshop.participant"),
            value=st.session_state[KEY_PARTICIPANT],
            key=KEY_PARTICIPANT_INPUT,
            max_chars=store.MAX_PARTICIPANT,
            placeholder=tr("workshop.participant_placeholder"),
            help=tr("workshop.participant_help"),
            on_change=_keep_participant,
        )
    return st.session_state[KEY_PARTICIPANT]


def _keep_participant() -> None:
    st.session_state[KEY_PARTICIPANT] = " ".join(
        str(st.session_state.get(KEY_PARTICIPANT_INPUT, "")).split()
    )


def show_timeline(zone: Zone, board: gpd.GeoDataFrame, *, anonymised: bool = False) -> None:
    """Show the network's growth: synergies in place over the years, the workshop's events."""
    lang = language()
    engine, key = decision_store(zone)
    names = None
    if anonymised:
        aliases = anonymise.pseudonyms(zone.companies, lang=lang)
        names = dict(zip(aliases["id"], aliases["alias"], strict=True))
    events = timeline.network_timeline(
        zone, board, store.history(engine, key), names=names, lang=lang
    )
    st.plotly_chart(timeline.timeline_figure(events, lang=lang), width="stretch")


def when_text(moment: object) -> str:
    """Return a stored moment as a local date and time to show (`formatting`), or a dash."""
    return format_datetime(moment, language())
