"""The Présentation page: switches, the retained synergies on the map and in a list."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st
from streamlit_folium import st_folium

from eit_geo import (
    anonymise,
    codes,
    formatting,
    workshop,
)
from eit_geo.datafiles import data_path
from eit_geo.i18n import t
from eit_geo.maps import (
    build_base_map,
    feature_layers,
    layer_features,
)
from eit_geo.offline import STATIC_URL
from eit_geo.panels import escape_markdown

if TYPE_CHECKING:
    import geopandas as gpd

    from eit_geo.zone import Zone
from eit_geo.ui.analyses import public_zone, zone_groups
from eit_geo.ui.state import KEY_ASSETS, language, tr

KEY_ANONYMISED = "presentation_anonymised"
KEY_FULLSCREEN = "presentation_fullscreen"


def presentation_options() -> tuple[bool, bool]:
    """Draw the presentation switches (anonymised view, full screen); return their values."""
    st.session_state.setdefault(KEY_ANONYMISED, True)
    left, right = st.columns(2)
    anonymised = left.toggle(
        tr("workshop.anonymised"), key=KEY_ANONYMISED, help=tr("workshop.anonymised_help")
    )
    fullscreen = right.toggle(tr("workshop.fullscreen"), key=KEY_FULLSCREEN)
    style = data_path("report", "presentation.css").read_text(encoding="utf-8")
    if fullscreen:
        style += data_path("report", "fullscreen.css").read_text(encoding="utf-8")
    st.html(f"<style>{style}</style>")
    return anonymised, fullscreen


def show_presentation_map(zone: Zone, board: gpd.GeoDataFrame, *, anonymised: bool) -> None:
    """Show the retained and in-place synergies full width; anonymised if asked."""
    lang = language()
    chosen = board[board["decision"].isin(workshop.SELECTED)]
    shown_zone, links = zone, chosen
    if anonymised:
        shown_zone = public_zone(zone, lang)
        links = anonymise.anonymise_candidates(chosen, zone, lang=lang)
        links = links[links.geometry.notna()]
    assets = st.session_state.get(KEY_ASSETS, STATIC_URL)
    # anonymised: the neutral background only, no tile request that would tell where the zone is
    fmap = build_base_map(
        shown_zone, lang=lang, basemap="auto", assets_url=assets, tiles=not anonymised
    )
    layers = feature_layers(
        layer_features(
            shown_zone, shown_zone.companies, links, zone_groups(zone).iloc[0:0], lang=lang
        )
    )
    st_folium(
        fmap,
        key=f"presentation_map_{anonymised}",
        height=680,
        use_container_width=True,
        returned_objects=[],
        feature_group_to_add=layers,
    )


def show_presentation_list(zone: Zone, board: gpd.GeoDataFrame, *, anonymised: bool) -> None:
    """List the retained synergies in large type (aliases in the anonymised view)."""
    lang = language()
    chosen = board[board["decision"] == "retained"]
    if anonymised:
        chosen = anonymise.anonymise_candidates(chosen, zone, lang=lang)
    if chosen.empty:
        st.info(tr("workshop.report_none"))
        return
    lines = []
    for _, row in chosen.iterrows():
        quantity = formatting.format_quantity(row["quantity"], str(row["unit"]), lang)
        if str(row["candidate_id"]).startswith("group:"):  # small ones, grouped by family
            who = str(row["from_name"])
            what = t(f"families.{row['family']}", lang)
        else:
            who = f"{row['from_name']} → {row['to_name']}"
            what = codes.resource_label(str(row["resource"]), lang)
        lines.append(
            f"- **{escape_markdown(who)}** : {escape_markdown(what)}, {escape_markdown(quantity)}"
        )
    st.markdown("\n".join(lines))
