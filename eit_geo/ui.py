"""Streamlit glue: session state, language, zone choice, cached loaders, error display.

The only module of the package that imports streamlit. Pages call these helpers and the pure
functions of the package; they hold no logic of their own.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from eit_geo.datafiles import data_path, example_names, example_path
from eit_geo.errors import ZoneError
from eit_geo.export import export_zone
from eit_geo.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from eit_geo.loading import load_zone
from eit_geo.zone import Zone

__all__ = [
    "ZONE_ENV",
    "current_zone",
    "language",
    "load_uploaded_zone",
    "load_zone_from_path",
    "problems_table",
    "select_example",
    "show_errors",
    "sidebar",
    "template_bytes",
    "tr",
    "use_upload",
    "zone_error",
    "zone_gpkg_bytes",
]

ZONE_ENV = "EIT_GEO_ZONE"
DEFAULT_EXAMPLE = "kalundborg"
KEY_LANG = "lang"
KEY_ZONE_SOURCE = "zone_source"
KEY_UPLOAD = "zone_upload"
KEY_ERROR = "zone_error"


def language() -> str:
    """Return the interface language chosen in this session (French by default)."""
    return st.session_state.setdefault(KEY_LANG, DEFAULT_LANGUAGE)


def tr(key: str, /, **values: object) -> str:
    """Translate ``key`` into the session's language."""
    return t(key, language(), **values)


@st.cache_data(show_spinner=False, max_entries=16)
def load_zone_from_path(source: str, modified: float, lang: str) -> Zone:
    """Load a zone from disk, cached on its path and modification time."""
    del modified  # part of the cache key only
    return load_zone(source, lang=lang)


@st.cache_data(show_spinner=False, max_entries=8)
def load_uploaded_zone(files: tuple[tuple[str, bytes], ...], lang: str) -> Zone:
    """Load a zone from uploaded files, cached on their bytes; nothing is kept on disk after."""
    with tempfile.TemporaryDirectory(prefix="eit-geo-upload-") as folder:
        for name, data in files:
            (Path(folder) / Path(name).name).write_bytes(data)
        source = Path(folder)
        entries = list(source.iterdir())
        if len(entries) == 1 and entries[0].suffix.lower() in (".gpkg", ".xlsx", ".zip"):
            source = entries[0]
        zone = load_zone(source, name=_upload_name(files), lang=lang)
    zone.source = "upload"
    return zone


def _upload_name(files: tuple[tuple[str, bytes], ...]) -> str:
    names = [Path(name).stem for name, _ in files]
    return names[0] if len(names) == 1 else "zone importée"


def _modified(path: Path) -> float:
    files = [path] if path.is_file() else list(path.iterdir())
    return max((f.stat().st_mtime for f in files), default=0.0)


def default_zone_source() -> str:
    """Return the zone to open at start: ``EIT_GEO_ZONE`` (set by ``eit-geo app``) or Kalundborg."""
    return os.environ.get(ZONE_ENV) or str(example_path(DEFAULT_EXAMPLE))


def select_example(name: str) -> None:
    """Make a shipped example the session's zone."""
    st.session_state[KEY_ZONE_SOURCE] = str(example_path(name))
    st.session_state.pop(KEY_UPLOAD, None)


def use_upload(files: list[tuple[str, bytes]]) -> None:
    """Make uploaded files the session's zone (validated when next read)."""
    st.session_state[KEY_UPLOAD] = tuple(files)


def current_zone() -> Zone | None:
    """Return the session's zone, or None (and the ZoneError kept for display) if it is invalid."""
    lang = language()
    upload = st.session_state.get(KEY_UPLOAD)
    try:
        if upload:
            zone = load_uploaded_zone(upload, lang)
        else:
            source = st.session_state.setdefault(KEY_ZONE_SOURCE, default_zone_source())
            zone = load_zone_from_path(source, _modified(Path(source)), lang)
    except ZoneError as error:
        st.session_state[KEY_ERROR] = error
        return None
    st.session_state.pop(KEY_ERROR, None)
    return zone


def zone_error() -> ZoneError | None:
    """Return the problems of the session's zone, if the last read refused it."""
    return st.session_state.get(KEY_ERROR)


@st.cache_data(show_spinner=False)
def template_bytes() -> bytes:
    """Return the Excel template for collecting flows, as bytes for a download button."""
    return data_path("template", "modele-collecte-flux.xlsx").read_bytes()


@st.cache_data(show_spinner=False, max_entries=4, hash_funcs={Zone: Zone.fingerprint})
def zone_gpkg_bytes(zone: Zone) -> bytes:
    """Return the zone as a project GeoPackage, as bytes for a download button."""
    with tempfile.TemporaryDirectory(prefix="eit-geo-export-") as folder:
        return export_zone(zone, Path(folder) / "zone.gpkg").read_bytes()


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
    st.dataframe(problems_table(error), hide_index=True, use_container_width=True)


def sidebar() -> None:
    """Draw the frame's sidebar: language switch and example zone picker."""
    with st.sidebar:
        st.radio(
            tr("app.language"),
            LANGUAGES,
            key=KEY_LANG,
            horizontal=True,
            format_func=lambda code: {"fr": "Français", "en": "English"}[code],
        )
        names = example_names()
        labels = {name: tr(f"app.example_{name.replace('-', '_')}") for name in names}
        source = st.session_state.get(KEY_ZONE_SOURCE, default_zone_source())
        current = Path(source).name if not st.session_state.get(KEY_UPLOAD) else None
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
