"""The session's zone (shipped example, file or upload) and its problems as a table."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from eit_geo._memory import release_memory
from eit_geo.bounded import MEGABYTE
from eit_geo.datafiles import example_path
from eit_geo.errors import ZoneError
from eit_geo.loading import load_zone
from eit_geo.settings import zone_setting
from eit_geo.summary import zone_label
from eit_geo.ui.state import language, tr
from eit_geo.upload import UPLOAD_LIMITS, Upload, read_upload

if TYPE_CHECKING:
    from eit_geo.zone import Zone

DEFAULT_EXAMPLE = "kalundborg"
KEY_ZONE_SOURCE = "zone_source"
KEY_UPLOAD = "zone_upload"
KEY_UPLOAD_ZONE = "zone_upload_loaded"
KEY_ERROR = "zone_error"
KEY_TITLES = "zone_titles"
KEY_IMPORTED = "zone_imported"


@st.cache_data(show_spinner=False, max_entries=16)
def load_zone_from_path(source: str, modified: float, lang: str) -> Zone:
    """Load a zone from disk, cached on its path and modification time."""
    del modified  # part of the cache key only
    zone = load_zone(source, lang=lang)
    release_memory()  # what reading and checking freed: the server lives long
    return zone


def load_uploaded_zone(files: tuple[tuple[str, bytes], ...], lang: str) -> Zone:
    """Load a zone from uploaded files, once per session and content.

    The files are read in a worker process within `upload.UPLOAD_LIMITS` (50 MB, 10⁶ bytes to
    the MB as for ``server.maxUploadSize``), never written to disk; the result is kept in this
    session's state only (not in a cache shared with other sessions).

    Raises
    ------
    ZoneError
        The upload's problems, including a file refused for its size, its time or its memory.
    """
    digest = hashlib.sha256(lang.encode())
    for name, data in files:
        digest.update(name.encode() + b"\0" + data)
    kept = st.session_state.get(KEY_UPLOAD_ZONE)
    if kept is None or kept[0] != digest.hexdigest():
        with st.spinner(tr("app.upload_reading")):
            upload = read_upload(files, name=_upload_name(files), lang=lang, limits=UPLOAD_LIMITS)
            release_memory()  # what unpickling the zone left behind
        kept = (digest.hexdigest(), upload)
        st.session_state[KEY_UPLOAD_ZONE] = kept
    upload = kept[1]
    if upload.zone is None:
        raise ZoneError(list(upload.problems))
    return upload.zone


UPLOAD_MAX_MB = UPLOAD_LIMITS.max_bytes // MEGABYTE  # the widget's limit, in the same MB


def current_upload() -> Upload | None:
    """Return what the session's upload gave (zone, problems, decisions it carries), if any."""
    if not st.session_state.get(KEY_UPLOAD):
        return None
    kept = st.session_state.get(KEY_UPLOAD_ZONE)
    return None if kept is None else kept[1]


def _upload_name(files: tuple[tuple[str, bytes], ...]) -> str:
    names = [Path(name).stem for name, _ in files]
    return names[0] if len(names) == 1 else tr("app.own_zone")


def _modified(path: Path) -> float:
    files = [path] if path.is_file() else list(path.iterdir())
    return max((f.stat().st_mtime for f in files), default=0.0)


def default_zone_source() -> str:
    """Return the zone to open at start: ``EIT_GEO_ZONE`` (set by ``eit-geo app``) or Kalundborg."""
    return zone_setting() or str(example_path(DEFAULT_EXAMPLE))


def select_example(name: str) -> None:
    """Make a shipped example the session's zone."""
    st.session_state[KEY_ZONE_SOURCE] = str(example_path(name))
    st.session_state.pop(KEY_UPLOAD, None)
    st.session_state.pop(KEY_IMPORTED, None)


def use_imported(zone: Zone) -> None:
    """Make a zone built by the import assistant the session's zone (in place of any upload)."""
    st.session_state[KEY_IMPORTED] = zone
    st.session_state.pop(KEY_UPLOAD, None)
    st.session_state.pop(KEY_ERROR, None)


def use_upload(files: list[tuple[str, bytes]]) -> None:
    """Make uploaded files the session's zone (validated when next read).

    New files rerun the app at once, so that the frame (zone picker, filters) shows them too.
    """
    if st.session_state.get(KEY_UPLOAD) != tuple(files):
        st.session_state[KEY_UPLOAD] = tuple(files)
        st.rerun()


def current_zone() -> Zone | None:
    """Return the session's zone, or None (and the ZoneError kept for display) if it is invalid."""
    lang = language()
    upload = st.session_state.get(KEY_UPLOAD)
    try:
        if upload:
            zone = load_uploaded_zone(upload, lang)
        elif st.session_state.get(KEY_IMPORTED) is not None:
            zone = st.session_state[KEY_IMPORTED]
        else:
            source = st.session_state.setdefault(KEY_ZONE_SOURCE, default_zone_source())
            zone = load_zone_from_path(source, _modified(Path(source)), lang)
    except ZoneError as error:
        st.session_state[KEY_ERROR] = error
        return None
    st.session_state.pop(KEY_ERROR, None)
    return zone


def _title_key(zone: Zone) -> str:
    return f"{zone.source}|{zone.name}"


def set_zone_title(zone: Zone, title: str) -> None:
    """Keep the title the user typed for a zone, for this session."""
    titles = st.session_state.setdefault(KEY_TITLES, {})
    titles[_title_key(zone)] = " ".join(title.split())


def zone_title(zone: Zone) -> str:
    """Return the name to show for a zone, never a folder or file name as such.

    The title the user typed on the Données page, else `eit_geo.summary.zone_label` (a shipped
    example's label, or the zone's name written as words).
    """
    typed = st.session_state.get(KEY_TITLES, {}).get(_title_key(zone))
    return typed or zone_label(zone, language())


def zone_or_stop(message_key: str = "app.zone_invalid") -> Zone:
    """Return the session's zone; if it is invalid, say so with its problems and stop the page."""
    zone = current_zone()
    if zone is None:
        st.warning(tr(message_key))
        error = zone_error()
        if error is not None:
            show_errors(error)
        st.stop()
    return zone


def zone_error() -> ZoneError | None:
    """Return the problems of the session's zone, if the last read refused it."""
    return st.session_state.get(KEY_ERROR)


def problems_table(error: ZoneError) -> pd.DataFrame:
    """Return the problems of a ZoneError as a table with translated headers."""
    rows = [
        {
            tr("validation.file"): p.file,
            tr("validation.row"): p.row,
            tr("validation.column"): p.column or "",
            tr("validation.value"): p.value or "",
            tr("validation.message"): p.message,
        }
        for p in error.problems
    ]
    return pd.DataFrame(rows)


def show_errors(error: ZoneError) -> None:
    """Show every problem of a zone as a table; never a traceback."""
    st.error(tr("validation.summary", count=len(error.problems)))
    st.dataframe(problems_table(error), hide_index=True, use_container_width=True, placeholder="—")
