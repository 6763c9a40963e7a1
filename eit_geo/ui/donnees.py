"""The Données page: the upload box, the zone's title, files offered for download."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from eit_geo.bounded import megabytes
from eit_geo.datafiles import data_path
from eit_geo.export import export_zone
from eit_geo.formatting import format_count
from eit_geo.ui.state import language, tr
from eit_geo.ui.widgets import uploaders_in_language
from eit_geo.ui.zones import UPLOAD_MAX_MB, set_zone_title, zone_title
from eit_geo.upload import UPLOAD_LIMITS
from eit_geo.zone import Zone

UPLOAD_TYPES = ("csv", "xlsx", "geojson", "json", "gpkg", "parquet", "zip")
KEY_TITLE_INPUT = "donnees_title"


def upload_box() -> list[tuple[str, bytes]]:
    """Show the upload box in the interface's language; return the files dropped (name, bytes).

    The size limit is said below it (`eit_geo.ui.widgets.uploaders_in_language`).
    """
    uploaders_in_language()
    files = st.file_uploader(
        tr("app.upload"),
        type=list(UPLOAD_TYPES),
        accept_multiple_files=True,
        help=tr("app.upload_help"),
        key="data_upload",
        max_upload_size=UPLOAD_MAX_MB,  # the widget counts 10⁶ bytes to the MB, as we do
    )
    lang = language()
    size = megabytes(UPLOAD_LIMITS.max_bytes, lang)
    rows = format_count(UPLOAD_LIMITS.max_rows, lang)
    st.caption(tr("app.upload_limits", size=size, rows=rows))
    return [(file.name, file.getvalue()) for file in files or []]


def title_input(zone: Zone) -> str:
    """Let the user name the zone (shown instead of a folder or file name); return the title."""
    current = zone_title(zone)
    typed = st.text_input(
        tr("app.zone_title"),
        value=current,
        key=f"{KEY_TITLE_INPUT}|{zone.source}|{zone.name}",
        max_chars=120,
        help=tr("app.zone_title_help"),
    )
    if typed.strip() and typed.strip() != current:
        set_zone_title(zone, typed)
    return zone_title(zone)


@st.cache_data(show_spinner=False)
def template_bytes() -> bytes:
    """Return the Excel template for collecting flows, as bytes for a download button."""
    return data_path("template", "modele-collecte-flux.xlsx").read_bytes()


@st.cache_data(show_spinner=False, max_entries=4, hash_funcs={Zone: Zone.fingerprint})
def zone_gpkg_bytes(zone: Zone) -> bytes:
    """Return the zone as a project GeoPackage, as bytes for a download button."""
    with tempfile.TemporaryDirectory(prefix="eit-geo-export-") as folder:
        return export_zone(zone, Path(folder) / "zone.gpkg").read_bytes()
