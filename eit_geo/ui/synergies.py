"""The Synergies page: the sortable list of leads, one opened with both inventories."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from eit_geo.panels import (
    SORT_COLUMNS,
    company_inventory,
    escape_markdown,
    group_facts,
    link_facts,
    link_tip,
    synergy_table,
)

if TYPE_CHECKING:
    import geopandas as gpd

    from eit_geo.filters import MapFilter
    from eit_geo.zone import Zone
from eit_geo.ui.analyses import filtered
from eit_geo.ui.state import language, page_default, tr
from eit_geo.ui.widgets import facts

KEY_SORT = "synergies_sort"
KEY_TABLE = "synergies_table"
NUMBER_PX = 118  # a score or a distance column: its header « Distance (km) » whole


def show_synergy_list(zone: Zone, choice: MapFilter) -> None:
    """Show the synergy list: sort it, pick a row, read its details and both inventories."""
    lang = language()
    _, links, groups = filtered(zone, choice)
    if links.empty:
        st.info(tr("map.no_synergy"))
    else:
        sort = st.segmented_control(
            tr("map.sort_by"),
            list(SORT_COLUMNS),
            key=page_default(KEY_SORT, "score"),
            format_func=lambda s: tr(f"map.sort_{s}"),
        )
        table = synergy_table(links, lang, sort=sort or "score")
        st.caption(tr("map.list_counts", count=len(table)))
        # the columns one sorts by (score, distance) right after the status, narrow, so that a
        # laptop (1400 px) or a projector shows them without scrolling sideways
        quantity, *sorted_by = table.attrs["numeric"]
        order = [table.columns[0], *reversed(sorted_by)]
        order += [c for c in table.columns if c not in order]
        event = st.dataframe(
            table,
            hide_index=True,
            on_select="rerun",
            selection_mode="single-row",
            key=KEY_TABLE,
            column_order=order,
            column_config={
                name: (
                    st.column_config.TextColumn(
                        alignment="right", width=NUMBER_PX if name != quantity else None
                    )
                    if name in table.attrs["numeric"]
                    else st.column_config.TextColumn(
                        width="small" if name in table.attrs["short"] else "medium"
                    )
                )
                for name in table.columns
            },
            placeholder="—",
        )
        rows = event.selection.rows if event is not None else []
        if rows:
            _show_link(zone, links, str(table.index[rows[0]]))
    if not groups.empty:
        st.subheader(tr("map.groups_title"))
        st.dataframe(
            pd.DataFrame([group_facts(g, zone, lang) for _, g in groups.iterrows()]),
            hide_index=True,
            placeholder="—",
        )


def _show_link(zone: Zone, links: gpd.GeoDataFrame, ident: str) -> None:
    lang = language()
    link = links.loc[links["candidate_id"] == ident].iloc[0]
    st.caption(tr("map.open_one"))
    st.subheader(escape_markdown(link_tip(link, lang)))
    left, middle, right = st.columns(3)
    with left:
        facts(link_facts(link, lang, zone.company_names()))
    names = zone.company_names()
    for column, company in ((middle, link["from_id"]), (right, link["to_id"])):
        name = escape_markdown(names.get(company, company))
        column.markdown(f"**{name}** — {tr('map.inventory')}")
        column.dataframe(company_inventory(zone, company, lang), hide_index=True, placeholder="—")
