"""The Présentation page: title, switches, the gain, the totals, the map, the retained list."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st
from streamlit_folium import st_folium

from eit_geo import (
    anonymise,
    codes,
    formatting,
    report,
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
from eit_geo.ui import access
from eit_geo.ui.analyses import public_zone, zone_groups
from eit_geo.ui.carte import default_basemap, local_tiles
from eit_geo.ui.state import KEY_ASSETS, language, tr
from eit_geo.ui.widgets import metric_style

KEY_ANONYMISED = "presentation_anonymised"
KEY_FULLSCREEN = "presentation_fullscreen"
SKIPPED = ("transport_co2_t", "money_saved_eur")  # not headline figures for a public room
_NARROW = 6  # a gain card is never narrower than a figure of six characters (« ≈ +198 »)


def presentation_header(title: str) -> tuple[bool, bool]:
    """Draw the title and the switches (anonymised view, full screen); return their values.

    The page's style puts it on one 16:9 screen (``data/report/presentation.css``), the
    sidebar and header hidden in full screen (``fullscreen.css``).
    """
    st.session_state.setdefault(KEY_ANONYMISED, True)
    st.title(title)
    note, left, right = st.columns([4, 3, 4], vertical_alignment="center")
    anonymised = True  # observers (elected officials) see the anonymised view only
    if access.may("name_companies"):
        anonymised = left.toggle(
            tr("workshop.anonymised"), key=KEY_ANONYMISED, help=tr("workshop.anonymised_help")
        )
    fullscreen = right.toggle(
        tr("workshop.fullscreen"), key=KEY_FULLSCREEN, help=tr("workshop.fullscreen_help")
    )
    if anonymised:
        note.caption(tr("workshop.presentation_anonymised_note"))
    metric_style()
    style = data_path("report", "presentation.css").read_text(encoding="utf-8")
    if fullscreen:
        style += data_path("report", "fullscreen.css").read_text(encoding="utf-8")
    st.html(f"<style>{style}</style>")
    return anonymised, fullscreen


def show_gain(kpis: list[report.Kpi]) -> None:
    """Show first and large what the retained leads add: their count and each indicator's gain."""
    retained = next((k for k in kpis if k.key == "retained"), None)
    gains = [k for k in kpis if k.gain and k.key not in SKIPPED]
    with st.container(key="presentation_gain"):
        st.markdown(f"**{escape_markdown(tr('workshop.gain_title'))}**")
        if retained is None or retained.value == "0" or not gains:
            st.info(tr("workshop.gain_none"))
            return
        cards = [(tr("workshop.gain_retained"), f"+{retained.value}")]
        cards += [(f"{k.label} ({k.unit})" if k.unit else k.label, k.gain) for k in gains]
        # each card as wide as its figure and label need (« ≈ +10 000 » wider than « +2 »)
        widths = [max(len(value), _NARROW) + len(label) / 4 for label, value in cards]
        for column, (label, value) in zip(st.columns(widths), cards, strict=True):
            column.metric(label, value, border=True)


def show_totals(kpis: list[report.Kpi]) -> None:
    """Show the totals second: synergies in place and each indicator with the retained leads."""
    shown = [k for k in kpis if k.key != "retained" and k.key not in SKIPPED]
    with st.container(key="presentation_totals"):
        for column, kpi in zip(st.columns(len(shown)), shown, strict=True):
            label = f"{kpi.label} ({kpi.unit})" if kpi.unit else kpi.label
            column.metric(label, kpi.headline or kpi.value, border=True)


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
        shown_zone,
        lang=lang,
        basemap=default_basemap(),
        assets_url=assets,
        tiles=not anonymised,
        local=local_tiles(),
    )
    layers = feature_layers(
        layer_features(
            shown_zone, shown_zone.companies, links, zone_groups(zone).iloc[0:0], lang=lang
        )
    )
    st_folium(
        fmap,
        key=f"presentation_map_{anonymised}",
        height=560,
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
            f"- **{escape_markdown(who)}**{formatting.colon(lang)}"
            f"{escape_markdown(what)}, {escape_markdown(quantity)}"
        )
    st.markdown("\n".join(lines))
