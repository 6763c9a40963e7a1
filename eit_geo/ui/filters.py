"""The map filters of the sidebar, shared by the Carte and Synergies pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from eit_geo.codes import FAMILIES, UNITS
from eit_geo.filters import (
    MapFilter,
    sector_colours,
    sector_groups,
)
from eit_geo.formatting import format_km
from eit_geo.i18n import t
from eit_geo.ui.analyses import filtered
from eit_geo.ui.state import FILTER_PREFIX, language, tr

if TYPE_CHECKING:
    from eit_geo.zone import Zone

_DEFAULT_KM = "default"
DISTANCE_STEPS: tuple[float, ...] = (0.5, 1, 2, 5, 10, 20, 33, 50, 100, 200, 500)


def _filter_default(name: str, value: object) -> str:
    key = FILTER_PREFIX + name
    st.session_state.setdefault(key, value)
    return key


def map_filter(zone: Zone) -> MapFilter:
    """Draw the filters in the sidebar and return the choice (shared by Carte and Synergies)."""
    lang = language()
    present = [g for g in sector_colours() if g in set(sector_groups(zone.companies))]
    units = [u for u in UNITS if u in set(zone.flows["unit"])]
    with st.sidebar:
        st.subheader(tr("map.filters"))
        # Short lists: no typing (Streamlit's « No results » is English only), no « Select all »
        # entry (English only too), a French placeholder when everything is taken off.
        families = st.multiselect(
            tr("map.filter_families"),
            FAMILIES,
            key=_filter_default("families", list(FAMILIES)),
            format_func=lambda f: t(f"families.{f}", lang),
            placeholder=tr("map.filter_none_families"),
            filter_mode=None,
            select_all=False,
        )
        sectors = st.multiselect(
            tr("map.filter_sectors"),
            present,
            key=_filter_default(f"sectors_{zone.name}", present),
            format_func=lambda g: t(f"sectors.{g}", lang),
            placeholder=tr("map.filter_none_sectors"),
            filter_mode=None,
            select_all=False,
        )
        st.caption(tr("map.filter_show"))
        shown = {
            name: st.checkbox(tr(f"map.layer_{name}"), key=_filter_default(name, True))
            for name in ("existing", "candidates", "groups")
        }
        with st.expander(tr("map.filter_distance")):
            st.caption(tr("map.filter_distance_help"))
            distances = {
                family: st.select_slider(
                    t(f"families.{family}", lang),
                    options=[_DEFAULT_KM, *DISTANCE_STEPS],
                    key=_filter_default(f"km_{family}", _DEFAULT_KM),
                    format_func=lambda v: (
                        tr("map.distance_default") if v == _DEFAULT_KM else format_km(v, lang)
                    ),
                )
                for family in FAMILIES
            }
        with st.expander(tr("map.filter_quantity")):
            st.caption(tr("map.filter_quantity_help"))
            minimum = {
                unit: st.number_input(
                    t(f"units.{unit.replace('/', '_')}", lang),
                    min_value=0.0,
                    step=1000.0,
                    key=_filter_default(f"min_{unit.replace('/', '_')}", 0.0),
                )
                for unit in units
            }
    return MapFilter(
        families=tuple(families),
        sectors=tuple(sectors),
        min_quantity=tuple((u, float(q)) for u, q in minimum.items() if q),
        max_km=tuple((f, float(km)) for f, km in distances.items() if isinstance(km, int | float)),
        **shown,
    )


def shown_counts(zone: Zone, choice: MapFilter) -> str:
    """Return the sentence counting what the map shows."""
    companies, links, groups = filtered(zone, choice)
    existing = int((links["status"] == "existing").sum())
    return tr(
        "map.shown_counts",
        companies=len(companies),
        existing=existing,
        candidates=len(links) - existing,
        groups=len(groups),
    )
