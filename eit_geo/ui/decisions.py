"""The workshop's decision store for a zone and what the Atelier and Présentation pages share."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

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
from eit_geo.ui.zones import current_upload

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
    layers = store.read_decision_layers(source)
    return store.restore_decisions(decision_engine(url), key, layers, origin=Path(source).name)


def decision_url(zone: Zone) -> str:
    """Return the URL of the zone's decision store: by default one SQLite file per zone."""
    examples = data_path("examples")
    return store.default_database_url(zone.source, shipped=examples, key=store.zone_key(zone))


def decision_store(zone: Zone) -> tuple[Engine, str]:
    """Return the engine of the zone's decision store and the zone's key in it.

    The store is ``EIT_GEO_DATABASE_URL`` or the zone's SQLite file (`decision_url`). A zone
    opened from a project GeoPackage on disk brings back the decisions it carries, checked and
    marked with their origin (never over those already in the store); an uploaded one's wait
    for a facilitator (`show_uploaded_decisions`).
    """
    key = store.zone_key(zone)
    url = decision_url(zone)
    source = Path(zone.source)
    if zone.source != "upload" and source.suffix.lower() == ".gpkg" and source.is_file():
        _restore_once(url, key, zone.source, source.stat().st_mtime)
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


def board_or_stop(zone: Zone) -> gpd.GeoDataFrame:
    """Return `workshop_board`; if the store cannot be read, say so and stop the page."""
    try:
        return workshop_board(zone)
    except (SQLAlchemyError, store.StoreBusyError):
        st.error(tr("workshop.store_unavailable"))
        st.stop()


KEY_IMPORT_NOTICE = "atelier_import_notice"


def note_uploaded_decisions() -> None:
    """Say that the uploaded GeoPackage carries decisions, which the Atelier page can import."""
    upload = current_upload()
    if upload is not None and upload.zone is not None and upload.decisions:
        st.info(tr("decisions.waiting"))


def show_uploaded_decisions(zone: Zone) -> None:
    """Offer the decisions an uploaded GeoPackage carries: checked, shown, imported on request.

    Only a facilitator (right ``import_decisions``, `access.may`) may import them, after this
    preview, under the name signed in (or typed, when the server is not shared); rows that
    break a rule are listed with their reason and never imported.
    """
    notice = st.session_state.pop(KEY_IMPORT_NOTICE, None)
    if notice is not None:
        getattr(st, notice[0])(notice[1])
    upload = current_upload()
    if upload is None or upload.zone is None or not upload.decisions:
        return
    lang = language()
    engine, key = decision_store(zone)
    preview = store.preview_imported_decisions(
        upload.decisions,
        origin=upload.origin,
        candidates=set(zone_links(zone)["candidate_id"].astype(str)),
        engine=engine,
        zone=key,
        lang=lang,
    )
    title = tr(
        "decisions.found",
        origin=upload.origin,
        decisions=len(preview.decisions),
        votes=len(preview.votes),
        refused=len(preview.refused),
    )
    with st.expander(title, expanded=not preview.empty()):
        if preview.kept:
            st.caption(tr("decisions.kept", count=len(preview.kept)))
        if not preview.decisions.empty:
            st.dataframe(_preview_table(preview.decisions), hide_index=True)
        if not preview.refused.empty:
            st.markdown(tr("decisions.refused_title"))
            st.dataframe(_refused_table(preview.refused), hide_index=True)
        facilitator = access.may("import_decisions")
        who = st.session_state.get(KEY_PARTICIPANT, "")
        st.button(
            tr("decisions.import"),
            disabled=preview.empty() or not facilitator or not who,
            help=tr("decisions.import_help" if facilitator else "decisions.facilitator_only"),
            on_click=_import_decisions,
            args=(zone, preview, facilitator),
        )


def _import_decisions(zone: Zone, preview: store.ImportPreview, facilitator: bool) -> None:
    engine, key = decision_store(zone)
    who = st.session_state.get(KEY_PARTICIPANT, "")
    try:
        count = store.import_decisions(engine, key, preview, by=who, facilitator=facilitator)
    except (PermissionError, ValueError, SQLAlchemyError, store.StoreBusyError):
        st.session_state[KEY_IMPORT_NOTICE] = ("error", tr("decisions.import_failed"))
        return
    st.session_state[KEY_IMPORT_NOTICE] = (
        "success",
        tr("decisions.imported", count=count, origin=preview.origin),
    )


def _preview_table(decisions: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            tr("workshop.col_candidate"): decisions["candidate_id"],
            tr("workshop.col_status"): decisions["status"].map(
                lambda s: tr(f"workshop.status_{s}")
            ),
            tr("workshop.col_participant"): decisions["participant"],
            tr("workshop.col_updated"): decisions["updated_at"].map(when_text),
        }
    )


def _refused_table(refused: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            tr("decisions.col_layer"): refused["layer"].map(lambda n: tr(f"decisions.layer_{n}")),
            tr("decisions.col_row"): refused["row"].astype("Int64"),
            tr("workshop.col_candidate"): refused["candidate_id"],
            tr("decisions.col_reason"): refused["reason"],
        }
    )


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
