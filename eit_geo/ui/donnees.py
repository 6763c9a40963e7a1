"""The Données page: files offered for download (template, project GeoPackage)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from eit_geo.datafiles import data_path
from eit_geo.export import export_zone
from eit_geo.zone import Zone


@st.cache_data(show_spinner=False)
def template_bytes() -> bytes:
    """Return the Excel template for collecting flows, as bytes for a download button."""
    return data_path("template", "modele-collecte-flux.xlsx").read_bytes()


@st.cache_data(show_spinner=False, max_entries=4, hash_funcs={Zone: Zone.fingerprint})
def zone_gpkg_bytes(zone: Zone) -> bytes:
    """Return the zone as a project GeoPackage, as bytes for a download button."""
    with tempfile.TemporaryDirectory(prefix="eit-geo-export-") as folder:
        return export_zone(zone, Path(folder) / "zone.gpkg").read_bytes()
