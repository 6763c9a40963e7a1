"""Streamlit glue: session state, language, zone choice, cached loaders, error display.

The only module of the package that imports streamlit. Pages call these helpers and the pure
functions of the package; they hold no logic of their own.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import folium
import pandas as pd
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError
from streamlit.runtime.pages_manager import PagesManager
from streamlit_folium import st_folium

from eit_geo import (
    anonymise,
    charts,
    codes,
    indicators,
    panels,
    report,
    store,
    timeline,
    workshop,
)
from eit_geo.codes import FAMILIES, UNITS
from eit_geo.datafiles import data_path, example_names, example_path
from eit_geo.errors import ZoneError
from eit_geo.export import export_zone
from eit_geo.filters import (
    MapFilter,
    apply_filter,
    best_links,
    linked_companies_first,
    sector_colours,
    sector_groups,
)
from eit_geo.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from eit_geo.loading import load_zone, load_zone_files
from eit_geo.maps import (
    BASEMAPS,
    DRAWN_COMPANIES,
    DRAWN_LINKS,
    build_base_map,
    clicked_feature,
    feature_layers,
    layer_features,
)
from eit_geo.matching import find_mutualisations, find_substitutions
from eit_geo.offline import STATIC_URL, install_assets, static_url
from eit_geo.panels import (
    SORT_COLUMNS,
    company_facts,
    company_inventory,
    company_links,
    escape_markdown,
    format_km,
    group_facts,
    group_tip,
    link_facts,
    link_tip,
    synergy_table,
)
from eit_geo.zone import Zone

if TYPE_CHECKING:
    import geopandas as gpd
    import plotly.graph_objects as go
    from sqlalchemy.engine import Engine

__all__ = [
    "KEY_SELECTED_CANDIDATES",
    "ZONE_ENV",
    "basemap_choice",
    "board_kpis",
    "current_zone",
    "decision_engine",
    "decision_store",
    "edit_factors_and_prices",
    "ensure_frame",
    "filtered",
    "indicator_candidates",
    "keep_filters",
    "language",
    "load_uploaded_zone",
    "load_zone_from_path",
    "map_features",
    "map_filter",
    "participant_name",
    "presentation_options",
    "problems_table",
    "reset_factors",
    "scenario",
    "select_example",
    "selected_candidate_ids",
    "serve_map_assets",
    "share_workshop_selection",
    "show_board",
    "show_decision",
    "show_errors",
    "show_exports",
    "show_figure",
    "show_kpi_cards",
    "show_kpis",
    "show_map",
    "show_presentation_list",
    "show_presentation_map",
    "show_selection",
    "show_synergy_list",
    "show_timeline",
    "show_workshop_map",
    "shown_counts",
    "sidebar",
    "template_bytes",
    "tr",
    "use_upload",
    "workshop_board",
    "zone_error",
    "zone_gpkg_bytes",
    "zone_groups",
    "zone_links",
    "zone_or_stop",
    "zone_title",
]

ZONE_ENV = "EIT_GEO_ZONE"
DEFAULT_EXAMPLE = "kalundborg"
KEY_LANG = "lang"
KEY_ZONE_SOURCE = "zone_source"
KEY_UPLOAD = "zone_upload"
KEY_UPLOAD_ZONE = "zone_upload_loaded"
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


UPLOAD_MAX_BYTES = 50 * 1024 * 1024  # also server.maxUploadSize in .streamlit/config.toml
UPLOAD_MAX_ROWS = 200_000


def load_uploaded_zone(files: tuple[tuple[str, bytes], ...], lang: str) -> Zone:
    """Load a zone from uploaded files, once per session and content.

    The result is kept in this session's state only (not in a cache shared with other
    sessions), and no uploaded file stays on disk after it is read.
    """
    digest = hashlib.sha256(lang.encode())
    for name, data in files:
        digest.update(name.encode() + b"\0" + data)
    kept = st.session_state.get(KEY_UPLOAD_ZONE)
    if kept is None or kept[0] != digest.hexdigest():
        try:
            result: Zone | ZoneError = load_zone_files(
                files,
                name=_upload_name(files),
                lang=lang,
                max_bytes=UPLOAD_MAX_BYTES,
                max_rows=UPLOAD_MAX_ROWS,
            )
        except ZoneError as error:
            result = error
        kept = (digest.hexdigest(), result)
        st.session_state[KEY_UPLOAD_ZONE] = kept
    if isinstance(kept[1], ZoneError):
        raise kept[1]
    return kept[1]


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
        else:
            source = st.session_state.setdefault(KEY_ZONE_SOURCE, default_zone_source())
            zone = load_zone_from_path(source, _modified(Path(source)), lang)
    except ZoneError as error:
        st.session_state[KEY_ERROR] = error
        return None
    st.session_state.pop(KEY_ERROR, None)
    return zone


def zone_title(zone: Zone) -> str:
    """Return the name to show for a zone: a shipped example's label, else the zone's name."""
    source = Path(zone.source) if zone.source and zone.source != "upload" else None
    if source is not None and source.parent == example_path(DEFAULT_EXAMPLE).parent:
        return tr(f"app.example_{source.name.replace('-', '_')}")
    return zone.name


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


# --------------------------------------------------------------------------- map and synergies
# Filters live under ``filters_*`` keys shared by the Carte and Synergies pages (kept across
# pages by `keep_filters`); each page's own state is under ``carte_*`` or ``synergies_*``.

FILTER_PREFIX = "filters_"
KEY_BASEMAP = "carte_basemap"
KEY_MAP = "carte_map"
KEY_SELECTION = "carte_selection"
KEY_LAST_CLICK = "carte_last_click"
KEY_SORT = "synergies_sort"
KEY_TABLE = "synergies_table"
KEY_ASSETS = "map_assets_url"
MAP_HEIGHT = 640
DISTANCE_STEPS: tuple[float, ...] = (0.5, 1, 2, 5, 10, 20, 33, 50, 100, 200, 500)
_DEFAULT_KM = "default"


def ensure_frame() -> None:
    """Run the page inside the frame of ``app.py``; call it first in every page.

    With a ``pages/`` folder next to ``app.py``, Streamlit runs a legacy multipage app until a
    run of ``app.py`` calls ``st.navigation`` (``streamlit/runtime/pages_manager.py``): the
    first visit of a fresh server straight to ``/carte`` would run the page alone, without
    language, zone picker or navigation. The page then switches that mode off and reruns.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def keep_filters() -> None:
    """Keep the filters' values while a page without them is shown (call it on every run)."""
    for key in [k for k in st.session_state if str(k).startswith(FILTER_PREFIX)]:
        st.session_state[key] = st.session_state[key]


@st.cache_resource(show_spinner=False)
def _install_assets(static_dir: str) -> str:
    install_assets(Path(static_dir))
    return static_url(st.get_option("server.baseUrlPath") or "")


def serve_map_assets(static_dir: Path) -> None:
    """Serve Leaflet from ``static_dir/vendor`` (copied once per server) for this session's maps.

    ``static_dir`` is the ``static`` folder next to ``app.py``, served by Streamlit.
    """
    st.session_state[KEY_ASSETS] = _install_assets(str(static_dir))


def static_serving_on() -> bool:
    """Tell whether Streamlit serves the ``static`` folder (needed by the offline map)."""
    return bool(st.get_option("server.enableStaticServing"))


@st.cache_data(show_spinner=False, max_entries=32, hash_funcs={Zone: Zone.fingerprint})
def zone_links(zone: Zone, max_km: tuple[tuple[str, float], ...] = ()) -> gpd.GeoDataFrame:
    """Return the zone's substitution links (existing and candidates), cached per distances."""
    return find_substitutions(zone, max_km=dict(max_km) or None)


@st.cache_data(show_spinner=False, max_entries=8, hash_funcs={Zone: Zone.fingerprint})
def zone_groups(zone: Zone) -> gpd.GeoDataFrame:
    """Return the zone's mutualisation groups, cached."""
    return find_mutualisations(zone)


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
        families = st.multiselect(
            tr("map.filter_families"),
            FAMILIES,
            key=_filter_default("families", list(FAMILIES)),
            format_func=lambda f: t(f"families.{f}", lang),
        )
        sectors = st.multiselect(
            tr("map.filter_sectors"),
            present,
            key=_filter_default(f"sectors_{zone.name}", present),
            format_func=lambda g: t(f"sectors.{g}", lang),
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
        max_km=tuple((f, float(km)) for f, km in distances.items() if km != _DEFAULT_KM),
        **shown,
    )


@st.cache_data(
    show_spinner=False,
    max_entries=16,
    hash_funcs={Zone: Zone.fingerprint, MapFilter: repr},
)
def filtered(
    zone: Zone, choice: MapFilter
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Return ``(companies, links, groups)`` as the filters keep them, cached."""
    return apply_filter(zone.companies, zone_links(zone, choice.max_km), zone_groups(zone), choice)


@st.cache_data(
    show_spinner=False,
    max_entries=16,
    hash_funcs={Zone: Zone.fingerprint, MapFilter: repr},
)
def map_features(zone: Zone, choice: MapFilter, lang: str) -> tuple[dict[str, dict], int, int]:
    """Return the GeoJSON of the map's layers and how many leads and companies were left out.

    At most `DRAWN_LINKS` candidate links are drawn, the best-scored, and at most
    `DRAWN_COMPANIES` companies, those the drawn links and groups name first. Cached.
    """
    companies, links, groups = filtered(zone, choice)
    drawn, hidden = best_links(links, DRAWN_LINKS)
    companies, hidden_companies = linked_companies_first(companies, drawn, groups, DRAWN_COMPANIES)
    features = layer_features(zone, companies, drawn, groups, lang=lang)
    return features, hidden, hidden_companies


def basemap_choice() -> str:
    """Draw the basemap picker in the sidebar and return ``auto``, ``osm``, ``light``, ``none``."""
    with st.sidebar:
        return st.selectbox(
            tr("map.basemap"),
            BASEMAPS,
            key=KEY_BASEMAP,
            format_func=lambda b: tr(f"map.basemap_{b}"),
            help=tr("map.basemap_help"),
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


def show_map(zone: Zone, choice: MapFilter, basemap: str) -> tuple[str, str] | None:
    """Show the map; return the selection ``(kind, id)`` of the last click, kept per session.

    The base map only changes with the zone, the language and the basemap; the filtered layers
    go through ``feature_group_to_add``, so a filter change redraws them without reloading
    the map.
    """
    lang = language()
    if not static_serving_on():
        st.warning(tr("map.static_off"))
    features, hidden, hidden_companies = map_features(zone, choice, lang)
    if hidden:
        st.info(tr("map.best_notice", shown=DRAWN_LINKS, hidden=hidden))
    if hidden_companies:
        st.info(tr("map.companies_notice", shown=DRAWN_COMPANIES, hidden=hidden_companies))
    assets = st.session_state.get(KEY_ASSETS, STATIC_URL)
    fmap = build_base_map(zone, lang=lang, basemap=basemap, assets_url=assets)
    returned = st_folium(
        fmap,
        key=KEY_MAP,
        height=MAP_HEIGHT,
        use_container_width=True,
        returned_objects=["last_active_drawing"],
        feature_group_to_add=feature_layers(features, lang=lang),
        layer_control=folium.LayerControl(collapsed=True),
    )
    drawing = (returned or {}).get("last_active_drawing")
    if drawing and drawing != st.session_state.get(KEY_LAST_CLICK):
        st.session_state[KEY_LAST_CLICK] = drawing
        st.session_state[KEY_SELECTION] = clicked_feature(returned)
    return st.session_state.get(KEY_SELECTION)


def _clear_selection() -> None:
    st.session_state.pop(KEY_SELECTION, None)


def _table_or_note(table: pd.DataFrame, empty_key: str) -> None:
    """Show a table, or a short note when it has no rows."""
    if table.empty:
        st.caption(tr(empty_key))
    else:
        st.dataframe(table, hide_index=True)


def _facts(facts: dict[str, str]) -> None:
    st.markdown(
        "\n".join(
            f"- **{escape_markdown(label)}** : {escape_markdown(value)}"
            for label, value in facts.items()
        )
    )


def show_selection(zone: Zone, choice: MapFilter, selection: tuple[str, str] | None) -> None:
    """Show beside the map what the click chose: a company, a link or a mutualisation group."""
    lang = language()
    _, links, groups = filtered(zone, choice)
    if selection is None:
        st.info(tr("map.nothing_selected"))
        return
    kind, ident = selection
    if kind == "company" and ident in set(zone.companies["id"]):
        company = zone.companies.loc[zone.companies["id"] == ident].iloc[0]
        st.subheader(escape_markdown(str(company["name"])))
        _facts(company_facts(company, lang))
        st.markdown(f"**{tr('map.inventory')}**")
        _table_or_note(company_inventory(zone, ident, lang), "map.no_flows")
        st.markdown(f"**{tr('map.its_links')}**")
        _table_or_note(company_links(links, ident, lang), "map.no_links")
    elif kind == "link" and ident in set(links["candidate_id"]):
        link = links.loc[links["candidate_id"] == ident].iloc[0]
        st.subheader(escape_markdown(link_tip(link, lang)))
        _facts(link_facts(link, lang))
    elif kind == "group" and ident in set(groups["group_id"]):
        group = groups.loc[groups["group_id"] == ident].iloc[0]
        st.subheader(escape_markdown(group_tip(group, lang)))
        _facts(group_facts(group, zone, lang))
    else:
        st.info(tr("map.nothing_selected"))
        return
    st.button(tr("map.clear_selection"), on_click=_clear_selection, key="carte_clear")


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
            key=_page_default(KEY_SORT, "score"),
            format_func=lambda s: tr(f"map.sort_{s}"),
        )
        table = synergy_table(links, lang, sort=sort or "score")
        st.caption(tr("map.list_counts", count=len(table)))
        event = st.dataframe(
            table,
            hide_index=True,
            on_select="rerun",
            selection_mode="single-row",
            key=KEY_TABLE,
            column_config={
                name: (
                    st.column_config.NumberColumn(format=table.attrs["numeric"][name])
                    if name in table.attrs["numeric"]
                    else st.column_config.TextColumn(
                        width="small" if name in table.attrs["short"] else "medium"
                    )
                )
                for name in table.columns
            },
        )
        rows = event.selection.rows if event is not None else []
        if rows:
            _show_link(zone, links, str(table.index[rows[0]]))
    if not groups.empty:
        st.subheader(tr("map.groups_title"))
        st.dataframe(
            pd.DataFrame([group_facts(g, zone, lang) for _, g in groups.iterrows()]),
            hide_index=True,
        )


def _page_default(key: str, value: object) -> str:
    st.session_state.setdefault(key, value)
    return key


def _show_link(zone: Zone, links: gpd.GeoDataFrame, ident: str) -> None:
    lang = language()
    link = links.loc[links["candidate_id"] == ident].iloc[0]
    st.caption(tr("map.open_one"))
    st.subheader(escape_markdown(link_tip(link, lang)))
    left, middle, right = st.columns(3)
    with left:
        _facts(link_facts(link, lang))
    names = zone.company_names()
    for column, company in ((middle, link["from_id"]), (right, link["to_id"])):
        name = escape_markdown(names.get(company, company))
        column.markdown(f"**{name}** — {tr('map.inventory')}")
        column.dataframe(company_inventory(zone, company, lang), hide_index=True)


# --------------------------------------------------------------------------- indicators page
# The Indicators page keeps its widgets under ``indicateurs_*``. A workshop page shares the
# candidate ids it selected (e.g. ``workshop.selected_ids``) under KEY_SELECTED_CANDIDATES.

KEY_SELECTED_CANDIDATES = "selected_candidates"
KEY_FACTORS = "indicateurs_factors"
KEY_PRICES = "indicateurs_prices"


def indicator_candidates(zone: Zone) -> pd.DataFrame:
    """Return the zone's substitution candidates at the default distances (`zone_links`)."""
    return pd.DataFrame(zone_links(zone).drop(columns="geometry"))


@st.cache_data(show_spinner=False, max_entries=32, hash_funcs={Zone: Zone.fingerprint})
def scenario(
    zone: Zone,
    name: str,
    factors: pd.DataFrame | None = None,
    prices: pd.DataFrame | None = None,
    selected: tuple[str, ...] | None = None,
) -> indicators.Scenario:
    """Return a scenario of `indicators.SCENARIOS`, cached on the zone, tables and selection."""
    tables = {"factors": factors, "prices": prices}
    if name == "existing":
        return indicators.existing_scenario(zone, **tables)
    candidates = indicator_candidates(zone)
    if name == "optimal":
        return indicators.optimal_scenario(zone, candidates, **tables)
    return indicators.selected_scenario(zone, candidates, selected, **tables)


def selected_candidate_ids() -> tuple[str, ...] | None:
    """Return the candidate ids a workshop selected in this session, or None if none yet."""
    chosen = st.session_state.get(KEY_SELECTED_CANDIDATES)
    return None if chosen is None else tuple(sorted(str(ident) for ident in chosen))


def reset_factors() -> None:
    """Drop the session's factor edits: back to the shipped ``data/factors.csv``."""
    st.session_state.pop(KEY_FACTORS, None)


def edit_factors_and_prices(zone: Zone, lang: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Show the factor and price editors; return the edited copies (the files stay untouched).

    Edits live in the session (``indicateurs_factors``, ``indicateurs_prices``); a button
    restores the shipped factors and another downloads the edited ones as CSV.
    """
    st.caption(tr("indicators.factors_help"))
    st.button(tr("indicators.factors_reset"), on_click=reset_factors)
    units = list(indicators.read_factor_units()["unit"])
    factors = st.data_editor(
        indicators.factor_editor_table(lang),
        key=KEY_FACTORS,
        disabled=["key", "description"],
        hide_index=True,
        column_config={
            "unit": st.column_config.SelectboxColumn(options=units),
            "status": st.column_config.SelectboxColumn(options=["sourced", "to_confirm"]),
        },
    )
    st.download_button(
        tr("indicators.factors_download"),
        factors.to_csv(index=False).encode("utf-8"),
        file_name=f"facteurs-{zone.name}.csv",
        mime="text/csv",
    )
    st.subheader(tr("indicators.prices_title"))
    st.caption(tr("indicators.prices_help"))
    prices = st.data_editor(
        indicators.price_template(zone), key=KEY_PRICES, disabled=["code"], hide_index=True
    )
    return factors, prices


def show_kpis(cards: list[dict[str, str]], per_row: int = 3) -> None:
    """Show indicator cards (`indicators.kpi_cards`), ``per_row`` a row, with help and delta."""
    for start in range(0, len(cards), per_row):
        row = cards[start : start + per_row]
        for column, card in zip(st.columns(per_row), row, strict=False):
            column.metric(
                f"{card['label']} ({card['unit']})",
                card["value"],
                delta=card.get("delta"),
                delta_color="inverse" if card["key"] == "transport_co2_t" else "normal",
                help=card["help"],
                border=True,
            )


def show_figure(figure: go.Figure, name: str) -> None:
    """Show a plotly figure full width; the modebar downloads it as ``name``.png."""
    st.plotly_chart(figure, width="stretch", theme=None, config=charts.figure_config(name))


# --------------------------------------------------------------------------- workshop
# The Atelier and Présentation pages keep their state under ``atelier_*`` and
# ``presentation_*``; the participant's name and the opened candidate survive page changes
# (plain keys, not widget keys). Decisions live in the store (`decision_store`), shared by every
# participant of the server; each run reads them afresh.

KEY_PARTICIPANT = "atelier_participant"
KEY_PARTICIPANT_INPUT = "atelier_participant_input"
KEY_CHOSEN = "atelier_chosen"
KEY_CHOSEN_INPUT = "atelier_chosen_input"
KEY_NOTICE = "atelier_notice"
KEY_STATUSES = "atelier_statuses"
KEY_BOARD_SORT = "atelier_sort"
KEY_ANONYMISED = "presentation_anonymised"
KEY_FULLSCREEN = "presentation_fullscreen"
WORKSHOP_MAP_HEIGHT = 560


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


def share_workshop_selection() -> None:
    """Give every page the workshop's selection (``KEY_SELECTED_CANDIDATES``) from the store.

    Called by the frame on each run, so that the Indicators page's "selected" scenario follows
    the decisions of every participant, even in a session that never opened the Atelier.
    Before any workshop (no SQLite file yet) nothing is created; a store that cannot be read
    leaves the selection unset (the page then says so).
    """
    zone = current_zone()
    if zone is None:
        return
    url = store.default_database_url(zone.source, shipped=data_path("examples"))
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        st.session_state.pop(KEY_SELECTED_CANDIDATES, None)  # no workshop yet: nothing to read
        return
    try:
        workshop_board(zone)
    except SQLAlchemyError:
        st.session_state.pop(KEY_SELECTED_CANDIDATES, None)


def participant_name() -> str:
    """Ask for the participant's name in the sidebar; return it (empty until given)."""
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


def workshop_board(zone: Zone) -> gpd.GeoDataFrame:
    """Return the zone's candidates with the decisions and votes stored right now.

    Also shares the selected ids with the Indicators page (``KEY_SELECTED_CANDIDATES``).
    """
    engine, key = decision_store(zone)
    board = workshop.build_board(
        zone_links(zone), store.get_decisions(engine, key), store.get_votes(engine, key)
    )
    st.session_state[KEY_SELECTED_CANDIDATES] = tuple(sorted(workshop.selected_ids(board)))
    return board


def _candidate_label(row: pd.Series, lang: str) -> str:
    status = t(f"workshop.status_{row['decision']}", lang)
    return f"{status} · {link_tip(row, lang)}"


def show_board(board: gpd.GeoDataFrame) -> str | None:
    """Show the workshop board (filter by status, sort) and return the opened candidate's id."""
    lang = language()
    left, right = st.columns([3, 2])
    statuses = left.pills(
        tr("workshop.filter_status"),
        store.STATUSES,
        selection_mode="multi",
        default=list(store.STATUSES),
        key=KEY_STATUSES,
        format_func=lambda s: t(f"workshop.status_{s}", lang),
    )
    sort = right.segmented_control(
        tr("workshop.sort_by"),
        workshop.SORTS,
        default="score",
        key=KEY_BOARD_SORT,
        format_func=lambda s: t(f"workshop.sort_{s}", lang),
    )
    rows = workshop.sort_board(board, by=sort or "score", statuses=statuses or [])
    st.caption(tr("workshop.board_counts", shown=len(rows), total=len(board)))
    table = pd.DataFrame(
        {
            tr("workshop.col_status"): rows["decision"].map(
                lambda s: t(f"workshop.status_{s}", lang)
            ),
            tr("app.col_from"): rows["from_name"],
            tr("app.col_to"): rows["to_name"],
            tr("app.col_resource"): rows["resource"].map(lambda c: codes.resource_label(c, lang)),
            tr("app.col_quantity"): [
                panels.format_quantity(q, u, lang)
                for q, u in zip(rows["quantity"], rows["unit"], strict=True)
            ],
            tr("workshop.col_score"): rows["score"].round(2),
            tr("workshop.col_checks"): [
                workshop.check_summary(r, lang) for _, r in rows.iterrows()
            ],
            tr("workshop.col_points"): rows["points"],
            tr("workshop.col_participant"): rows["participant"],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(table)))
    ids = rows["candidate_id"].astype(str).tolist()
    labels = {str(r["candidate_id"]): _candidate_label(r, lang) for _, r in board.iterrows()}
    chosen = st.session_state.get(KEY_CHOSEN)
    options = ids if chosen in ids or chosen not in labels else [chosen, *ids]
    picked = st.selectbox(
        tr("workshop.open"),
        options,
        index=options.index(chosen) if chosen in options else None,
        key=KEY_CHOSEN_INPUT,
        format_func=lambda ident: labels.get(ident, ident),
        placeholder=tr("workshop.open_placeholder"),
    )
    st.session_state[KEY_CHOSEN] = picked
    return picked


def _field_key(candidate: str, version: int, field: str) -> str:
    return f"atelier_{field}_{version}_{candidate}"


def show_decision(zone: Zone, board: gpd.GeoDataFrame, candidate: str | None) -> None:
    """Show the opened candidate: its facts, the decision form, the priority vote, the history."""
    lang = language()
    notice = st.session_state.pop(KEY_NOTICE, None)
    if notice is not None:
        getattr(st, notice[0])(notice[1])
    if candidate is None or candidate not in set(board["candidate_id"]):
        st.info(tr("workshop.nothing_open"))
        return
    row = board.loc[board["candidate_id"] == candidate].iloc[0]
    version = int(row["version"])
    st.subheader(escape_markdown(link_tip(row, lang)))
    _facts(link_facts(row, lang))
    if row["participant"]:
        st.caption(
            tr("workshop.last_change", who=row["participant"], date=_when(row["updated_at"]))
        )
    seen = {field: str(row[field]) for field in store.FIELDS}
    seen["status"] = str(row["decision"])
    with st.form(f"atelier_form_{version}_{candidate}", border=True):
        st.radio(
            tr("workshop.col_status"),
            store.STATUSES,
            index=store.STATUSES.index(seen["status"]),
            horizontal=True,
            key=_field_key(candidate, version, "status"),
            format_func=lambda s: t(f"workshop.status_{s}", lang),
        )
        for check in store.CHECKS:
            state, note = st.columns([2, 3])
            state.selectbox(
                t(f"workshop.check_{check}", lang),
                store.CHECK_STATES,
                index=store.CHECK_STATES.index(seen[check]),
                key=_field_key(candidate, version, check),
                format_func=lambda s: t(f"workshop.check_{s}", lang),
            )
            note.text_input(
                tr(f"workshop.col_{check}_note"),
                value=seen[f"{check}_note"],
                key=_field_key(candidate, version, f"{check}_note"),
                max_chars=store.MAX_TEXT,
            )
        st.text_area(
            tr("workshop.col_comment"),
            value=seen["comment"],
            key=_field_key(candidate, version, "comment"),
            max_chars=store.MAX_TEXT,
        )
        st.form_submit_button(
            tr("workshop.save"),
            type="primary",
            on_click=_save_decision,
            args=(zone, candidate, version, seen),
        )
    _vote_control(zone, candidate)
    _history(zone, candidate)


def _save_decision(zone: Zone, candidate: str, version: int, seen: dict[str, str]) -> None:
    """Record what the participant changed in the form (callback of its submit button)."""
    who = st.session_state.get(KEY_PARTICIPANT, "")
    if not who:
        st.session_state[KEY_NOTICE] = ("error", tr("workshop.name_needed"))
        return
    values = {
        f: str(st.session_state.get(_field_key(candidate, version, f), seen[f]))
        for f in store.FIELDS
    }
    changes = {field: value for field, value in values.items() if value != seen[field]}
    if not changes:
        st.session_state[KEY_NOTICE] = ("info", tr("workshop.nothing_changed"))
        return
    engine, key = decision_store(zone)
    decision = store.record_decision(engine, key, candidate, changes, participant=who)
    message = tr("workshop.saved", status=tr(f"workshop.status_{decision.status}"))
    if decision.version > version + 1:
        message += " " + tr("workshop.saved_meanwhile", count=decision.version - version - 1)
    st.session_state[KEY_NOTICE] = ("success", message)


def _vote_control(zone: Zone, candidate: str) -> None:
    engine, key = decision_store(zone)
    who = st.session_state.get(KEY_PARTICIPANT, "")
    votes = store.get_votes(engine, key, detail=True)
    mine = votes[(votes["candidate_id"] == candidate) & (votes["participant"] == who)]
    current = int(mine["weight"].iloc[0]) if len(mine) else 0
    widget = f"atelier_vote_{candidate}_{who}"
    st.segmented_control(
        tr("workshop.my_priority"),
        [0, 1, 2, 3],
        default=current,
        key=widget,
        format_func=lambda w: tr(f"workshop.priority_{w}"),
        on_change=_save_vote,
        args=(zone, candidate, widget),
        disabled=not who,
        help=tr("workshop.priority_help"),
    )


def _save_vote(zone: Zone, candidate: str, widget: str) -> None:
    who = st.session_state.get(KEY_PARTICIPANT, "")
    weight = st.session_state.get(widget)
    if who:
        engine, key = decision_store(zone)
        store.vote(engine, key, candidate, participant=who, weight=int(weight or 0))


def _when(moment: object) -> str:
    if moment is None or pd.isna(moment):
        return "—"
    return pd.Timestamp(moment).tz_convert("UTC").strftime("%d/%m/%Y %H:%M UTC")


def _history(zone: Zone, candidate: str) -> None:
    engine, key = decision_store(zone)
    steps = store.history(engine, key, candidate)
    with st.expander(tr("workshop.history", count=len(steps))):
        if steps.empty:
            st.caption(tr("workshop.history_empty"))
            return
        fields = {f: tr(f"workshop.field_{f}") for f in store.FIELDS}
        st.dataframe(
            pd.DataFrame(
                {
                    tr("workshop.col_updated"): steps["changed_at"].map(_when),
                    tr("workshop.col_participant"): steps["participant"],
                    tr("workshop.col_changes"): steps["changed"].map(
                        lambda c: ", ".join(fields.get(f, f) for f in str(c).split(",") if f)
                    ),
                    tr("workshop.col_status"): steps["status"].map(
                        lambda s: tr(f"workshop.status_{s}")
                    ),
                }
            ).iloc[::-1],
            hide_index=True,
        )


def show_workshop_map(zone: Zone, board: gpd.GeoDataFrame, candidate: str | None) -> None:
    """Show the board's candidates on the map, the opened one pointed out."""
    lang = language()
    assets = st.session_state.get(KEY_ASSETS, STATIC_URL)
    shown = board[board["decision"] != "rejected"]
    drawn, _ = best_links(shown, DRAWN_LINKS)
    fmap = build_base_map(zone, lang=lang, basemap="auto", assets_url=assets)
    layers = feature_layers(
        layer_features(zone, zone.companies, drawn, zone_groups(zone).iloc[0:0], lang=lang)
    )
    if candidate is not None and candidate in set(board["candidate_id"]):
        row = board.loc[board["candidate_id"] == candidate].iloc[0]
        layers.append(workshop.highlight_layer(row, label=link_tip(row, lang)))
    returned = st_folium(
        fmap,
        key="atelier_map",
        height=WORKSHOP_MAP_HEIGHT,
        use_container_width=True,
        returned_objects=["last_active_drawing"],
        feature_group_to_add=layers,
    )
    clicked = clicked_feature(returned)
    fresh = clicked != st.session_state.get("atelier_last_click")
    if clicked is not None and clicked[0] == "link" and clicked[1] != candidate and fresh:
        st.session_state["atelier_last_click"] = clicked
        st.session_state[KEY_CHOSEN] = clicked[1]
        st.session_state.pop(KEY_CHOSEN_INPUT, None)
        st.rerun()


@st.cache_data(show_spinner=False, max_entries=32, hash_funcs={Zone: Zone.fingerprint})
def _workshop_kpis(
    zone: Zone, decisions: tuple[tuple[str, str], ...], lang: str
) -> list[report.Kpi]:
    board = zone_links(zone).assign(decision=dict(decisions))
    board["decision"] = board["candidate_id"].map(dict(decisions))
    return report.workshop_kpis(zone, board, lang)


def board_kpis(zone: Zone, board: gpd.GeoDataFrame) -> list[report.Kpi]:
    """Return the workshop's headline figures (selected scenario against the existing), cached."""
    decisions = tuple(zip(board["candidate_id"].astype(str), board["decision"], strict=True))
    return _workshop_kpis(zone, decisions, language())


def show_kpi_cards(
    kpis: list[report.Kpi], *, per_row: int = 4, large: bool = False, skip: tuple[str, ...] = ()
) -> None:
    """Show headline figures as metric cards, ``per_row`` a row, their note below.

    ``large`` (presentation mode) puts the unit after the figure rather than in the label;
    ``skip`` leaves out the cards of those keys.
    """
    kpis = [kpi for kpi in kpis if kpi.key not in skip]
    for start in range(0, len(kpis), per_row):
        chunk = kpis[start : start + per_row]
        for column, kpi in zip(st.columns(per_row), chunk, strict=False):
            label, value = kpi.label, kpi.value
            if kpi.unit and large:
                value = f"{value} {kpi.unit}"
            elif kpi.unit:
                label = f"{label} ({kpi.unit})"
            column.metric(label, value, border=True)
            if kpi.detail:
                column.caption(kpi.detail)


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


def show_exports(zone: Zone) -> None:
    """Offer the workshop's exports: report (HTML, PDF), decisions (XLSX, CSV), GeoPackage.

    Files are made when the button is clicked, from the decisions stored at that moment.
    """
    lang = language()
    engine, key = decision_store(zone)
    links = zone_links(zone)

    def board_now() -> gpd.GeoDataFrame:
        return workshop.build_board(
            links, store.get_decisions(engine, key), store.get_votes(engine, key)
        )

    def report_now(*, anonymised: bool) -> str:
        return report.workshop_report(
            zone,
            board_now(),
            store.history(engine, key),
            anonymised=anonymised,
            lang=lang,
            zone_label=zone_title(zone),
        )

    def pdf_now() -> bytes:
        return report.report_pdf(report_now(anonymised=False))

    def gpkg_now() -> bytes:
        with tempfile.TemporaryDirectory(prefix="eit-geo-export-") as folder:
            layers = store.decision_layers(engine, key)
            return export_zone(zone, Path(folder) / "zone.gpkg", extra_layers=layers).read_bytes()

    stem = f"{zone.name}-atelier"
    buttons = [
        ("report_html", lambda: report_now(anonymised=False), f"{stem}.html", "text/html"),
        ("report_public", lambda: report_now(anonymised=True), f"{stem}-anonyme.html", "text/html"),
        ("report_pdf", pdf_now, f"{stem}.pdf", "application/pdf"),
        (
            "decisions_xlsx",
            lambda: report.table_xlsx(report.decisions_table(board_now(), lang)),
            f"{stem}-decisions.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            "decisions_csv",
            lambda: report.table_csv(report.decisions_table(board_now(), lang)),
            f"{stem}-decisions.csv",
            "text/csv",
        ),
        ("zone_gpkg", gpkg_now, f"{stem}.gpkg", "application/geopackage+sqlite3"),
    ]
    columns = st.columns(3)
    for index, (name, data, file_name, mime) in enumerate(buttons):
        columns[index % 3].download_button(
            tr(f"workshop.export_{name}"),
            data=data,
            file_name=file_name,
            mime=mime,
            key=f"atelier_export_{name}",
            on_click="ignore",
            help=tr(f"workshop.export_{name}_help"),
            width="stretch",
        )
    if report.find_chromium() is None:
        st.caption(tr("workshop.pdf_unavailable"))


# --------------------------------------------------------------------------- presentation


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


@st.cache_data(show_spinner=False, max_entries=8, hash_funcs={Zone: Zone.fingerprint})
def _public_zone(zone: Zone, lang: str) -> Zone:
    return anonymise.anonymise_zone(zone, lang=lang)


def show_presentation_map(zone: Zone, board: gpd.GeoDataFrame, *, anonymised: bool) -> None:
    """Show the retained and in-place synergies full width; anonymised if asked."""
    lang = language()
    chosen = board[board["decision"].isin(workshop.SELECTED)]
    shown_zone, links = zone, chosen
    if anonymised:
        shown_zone = _public_zone(zone, lang)
        links = anonymise.anonymise_candidates(chosen, zone, lang=lang)
        links = links[links.geometry.notna()]
    assets = st.session_state.get(KEY_ASSETS, STATIC_URL)
    fmap = build_base_map(shown_zone, lang=lang, basemap="auto", assets_url=assets)
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
        quantity = panels.format_quantity(row["quantity"], str(row["unit"]), lang)
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
