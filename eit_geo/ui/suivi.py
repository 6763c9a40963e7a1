"""The Suivi page: quantities actually exchanged, planned against realised, the network by year."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from eit_geo import (
    changes,
    followup,
    followup_sheet,
    indicators,
    network_years,
    plan_store,
    store,
    timeline,
)
from eit_geo.codes import UNITS
from eit_geo.errors import ZoneError
from eit_geo.formatting import (
    format_amount,
    format_count,
    format_date,
    format_datetime,
    timezone,
    unit_label,
)
from eit_geo.maps import build_base_map, feature_layers, layer_features
from eit_geo.offline import STATIC_URL
from eit_geo.panels import escape_markdown
from eit_geo.ui.analyses import scenario, zone_links
from eit_geo.ui.decisions import decision_store, workshop_board
from eit_geo.ui.plan import current_plan, participant, plan_store_of, today
from eit_geo.ui.state import KEY_ASSETS, language, tr
from eit_geo.ui.widgets import show_figure, show_kpis, uploaders_in_language
from eit_geo.ui.zones import show_errors

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from eit_geo.zone import Zone

KEY_SYNERGY = "suivi_synergy"
KEY_NOTICE = "suivi_notice"
KEY_UNIT = "suivi_unit"
KEY_YEARS = ("suivi_year_left", "suivi_year_right")
KEY_REALISED_YEAR = "indicateurs_realised_year"
KEY_SINCE = "suivi_since"
DEFAULT_SINCE_DAYS = 30
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YEARS_MAP_HEIGHT = 420


def in_place_of(zone: Zone, board: pd.DataFrame | None) -> pd.DataFrame:
    """Return the zone's synergies in place (`followup.synergies_in_place`) in the language."""
    return followup.synergies_in_place(zone, board, lang=language())


def realised_totals(zone: Zone) -> pd.DataFrame:
    """Return the realised figures recorded for the zone, totalled per synergy and year."""
    engine, key = plan_store_of(zone)
    return followup.year_totals(plan_store.get_realised(engine, key))


def _notice() -> None:
    notice = st.session_state.pop(KEY_NOTICE, None)
    if notice is not None:
        getattr(st, notice[0])(notice[1])


def show_followup(zone: Zone, board: pd.DataFrame) -> None:
    """Record and show the quantities exchanged: per synergy, for the network, by workbook."""
    _notice()
    in_place = in_place_of(zone, board)
    if in_place.empty:
        st.info(tr("followup.none_in_place"))
        return
    labels = dict(zip(in_place["key"], in_place["label"], strict=True))
    chosen = st.selectbox(
        tr("followup.pick_synergy"),
        list(in_place["key"]),
        key=KEY_SYNERGY,
        format_func=lambda k: labels.get(k, k),
    )
    synergy = in_place.set_index("key").loc[chosen]
    totals = realised_totals(zone)
    pairs = followup.planned_vs_realised(in_place, totals)
    left, right = st.columns([2, 3])
    with left:
        _record_form(zone, chosen, synergy)
    with right:
        mine = pairs[pairs["key"] == chosen]
        if mine.empty:
            st.caption(tr("followup.no_figure"))
        else:
            show_figure(followup.synergy_figure(mine, lang=language()), f"{zone.name}-suivi")
    _figures_table(zone, chosen)
    st.subheader(tr("followup.network_title"))
    network = followup.network_by_year(in_place, totals)
    units = [u for u in UNITS if (network["unit"] == u).any()]
    if not units:
        st.caption(tr("followup.network_empty"))
    else:
        unit = st.radio(
            tr("indicators.sankey_unit"),
            units,
            format_func=lambda u: unit_label(u, language()),
            horizontal=True,
            key=KEY_UNIT,
        )
        show_figure(
            followup.network_figure(network, unit or units[0], lang=language()),
            f"{zone.name}-suivi-reseau",
        )
    st.subheader(tr("followup.sheet_title"))
    _sheet_exchange(zone, in_place)


def _record_form(zone: Zone, key: str, synergy: pd.Series) -> None:
    lang = language()
    st.markdown(f"**{tr('followup.record_title')}**")
    st.caption(
        tr(
            "followup.planned_line",
            quantity=format_amount(synergy["quantity"], lang),
            unit=unit_label(str(synergy["unit"]), lang),
        )
    )
    with st.form(f"suivi_form_{key}", border=True):
        year, month = st.columns(2)
        year.number_input(
            tr("followup.year"),
            min_value=1900,
            max_value=network_years.current_year() + 1,
            value=network_years.current_year() - 1,
            step=1,
            key=f"suivi_year_{key}",
        )
        month.selectbox(
            tr("followup.month"),
            list(range(13)),
            key=f"suivi_month_{key}",
            format_func=lambda m: (
                tr("followup.whole_year") if m == 0 else tr(f"followup.month_{m}")
            ),
        )
        st.number_input(
            tr("followup.quantity", unit=unit_label(str(synergy["unit"]), lang)),
            min_value=0.0,
            value=None,
            step=1000.0,
            key=f"suivi_quantity_{key}",
        )
        st.radio(
            tr("followup.status"),
            plan_store.MEASURE_STATUSES,
            horizontal=True,
            key=f"suivi_status_{key}",
            format_func=lambda s: tr(f"followup.status_{s}"),
        )
        st.text_input(
            tr("followup.source"),
            key=f"suivi_source_{key}",
            max_chars=500,
            placeholder=tr("followup.source_placeholder"),
        )
        st.form_submit_button(
            tr("followup.record"), on_click=_save_figure, args=(zone, key, str(synergy["unit"]))
        )


def _save_figure(zone: Zone, key: str, unit: str) -> None:
    who = participant()
    if not who:
        st.session_state[KEY_NOTICE] = ("error", tr("workshop.name_needed"))
        return
    quantity = st.session_state.get(f"suivi_quantity_{key}")
    if quantity is None:
        st.session_state[KEY_NOTICE] = ("error", tr("followup.quantity_needed"))
        return
    from_to, resource = key.split(":", 1)
    from_id, to_id = from_to.split(">", 1)
    row = {
        "from_id": from_id,
        "to_id": to_id,
        "resource": resource,
        "year": int(st.session_state[f"suivi_year_{key}"]),
        "month": int(st.session_state.get(f"suivi_month_{key}") or 0),
        "quantity": float(quantity),
        "unit": unit,
        "status": st.session_state.get(f"suivi_status_{key}") or "measured",
        "source": str(st.session_state.get(f"suivi_source_{key}") or ""),
    }
    engine, zone_key = plan_store_of(zone)
    done = plan_store.record_realised(engine, zone_key, row, participant=who)
    message = "followup.recorded" if done["changed"] else "workshop.nothing_changed"
    st.session_state[KEY_NOTICE] = ("success", tr(message, year=row["year"]))
    st.session_state.pop(f"suivi_quantity_{key}", None)


def _figures_table(zone: Zone, key: str) -> None:
    engine, zone_key = plan_store_of(zone)
    figures = plan_store.get_realised(engine, zone_key)
    figures = figures[followup.synergy_keys(figures) == key] if len(figures) else figures
    lang = language()
    with st.expander(tr("followup.figures", count=len(figures))):
        if figures.empty:
            st.caption(tr("followup.no_figure"))
            return
        st.dataframe(
            pd.DataFrame(
                {
                    tr("followup.year"): figures["year"].astype(str),
                    tr("followup.month"): figures["month"].map(
                        lambda m: tr("followup.whole_year") if m == 0 else tr(f"followup.month_{m}")
                    ),
                    tr("followup.quantity", unit=unit_label(str(figures["unit"].iloc[0]), lang)): [
                        format_amount(q, lang) for q in figures["quantity"]
                    ],
                    tr("followup.status"): figures["status"].map(
                        lambda s: tr(f"followup.status_{s}")
                    ),
                    tr("followup.source"): figures["source"],
                    tr("workshop.col_participant"): figures["participant"],
                    tr("workshop.col_updated"): figures["updated_at"].map(
                        lambda m: format_datetime(m, lang)
                    ),
                }
            ),
            hide_index=True,
        )


def _sheet_exchange(zone: Zone, in_place: pd.DataFrame) -> None:
    st.caption(tr("followup.sheet_help"))
    left, right = st.columns(2)
    left.download_button(
        tr("followup.sheet_download"),
        data=lambda: followup_sheet.build_followup_template(in_place),
        file_name=f"{zone.name}-suivi-echanges.xlsx",
        mime=XLSX,
        key="suivi_sheet_download",
        on_click="ignore",
    )
    uploaders_in_language()
    upload = right.file_uploader(
        tr("followup.sheet_upload"), type=["xlsx", "csv"], key="suivi_sheet_upload"
    )
    size = format_count(st.get_option("server.maxUploadSize"), language())
    right.caption(tr("followup.sheet_limits", size=size))
    if upload is not None and right.button(tr("followup.sheet_import"), key="suivi_sheet_import"):
        _import_sheet(zone, in_place, upload.name, upload.getvalue())


def _import_sheet(zone: Zone, in_place: pd.DataFrame, name: str, data: bytes) -> None:
    who = participant()
    if not who:
        st.error(tr("workshop.name_needed"))
        return
    try:
        rows = followup_sheet.read_followup_sheet(
            data, file_name=name, in_place=in_place, lang=language()
        )
    except ZoneError as error:
        show_errors(error)
        return
    engine, key = plan_store_of(zone)
    changed = plan_store.record_realised_rows(engine, key, rows, participant=who)
    st.success(tr("followup.sheet_imported", rows=len(rows), changed=changed))


# --------------------------------------------------------------------------- realised scenario


def realised_scenario(
    zone: Zone, factors: pd.DataFrame | None = None, prices: pd.DataFrame | None = None
) -> indicators.Scenario:
    """Ask for the year and return the ``realised`` scenario (Indicateurs page).

    The year offered first is the latest with a figure; a note says how many synergies in place
    have one that year (the others are not counted, never as zero).
    """
    in_place = in_place_of(zone, workshop_board(zone))
    totals = realised_totals(zone)
    years = sorted({int(y) for y in totals["year"]}, reverse=True) if len(totals) else []
    if not years:
        years = [network_years.current_year() - 1]
    year = st.selectbox(
        tr("followup.realised_year"),
        years,
        key=KEY_REALISED_YEAR,
        help=tr("followup.realised_year_help"),
    )
    exchanges = followup.realised_exchanges(in_place, totals, int(year))
    st.caption(
        tr("followup.realised_cover", covered=len(exchanges), running=len(in_place), year=year)
    )
    return indicators.realised_scenario(zone, exchanges, factors=factors, prices=prices)


# --------------------------------------------------------------------------- the network by year


def show_years(zone: Zone, board: pd.DataFrame) -> None:
    """Show the network at two chosen years side by side: map, counts and indicators."""
    lang = language()
    first = min(network_years.network_years(zone))
    last = network_years.current_year()
    choices = list(range(first, last + 1))
    defaults = (choices[len(choices) // 2], last)
    columns = st.columns(2)
    chosen = []
    for side, column in enumerate(columns):
        with column:
            st.session_state.setdefault(KEY_YEARS[side], defaults[side])
            year = st.selectbox(tr("followup.at_year"), choices, key=KEY_YEARS[side])
            chosen.append(int(year))
            at = network_years.network_at(zone, int(year))
            st.caption(
                tr(
                    "followup.at_year_counts",
                    companies=format_count(len(at.companies), lang),
                    synergies=format_count(len(at.synergies), lang),
                )
            )
            _year_map(zone, at, side, int(year))
            existing = scenario(at, "existing", year=int(year))
            show_kpis(indicators.kpi_cards(existing, lang), per_row=2)
    undated = network_years.undated_synergies(zone)
    if undated:
        st.caption(tr("followup.undated_note", count=undated))
    engine, key = decision_store(zone)
    events = timeline.network_timeline(zone, board, store.history(engine, key), lang=lang)
    st.plotly_chart(timeline.timeline_figure(events, lang=lang, at_year=chosen), width="stretch")


def _year_map(zone: Zone, at: Zone, side: int, year: int) -> None:
    lang = language()
    links = zone_links(at, year=year)
    existing = links[links["status"] == "existing"]
    groups = gpd.GeoDataFrame({"group_id": [], "family": []}, geometry=[], crs=4326)
    assets = st.session_state.get(KEY_ASSETS, STATIC_URL)
    fmap = build_base_map(zone, lang=lang, basemap="auto", assets_url=assets)
    st_folium(
        fmap,
        key=f"suivi_year_map_{side}",
        height=YEARS_MAP_HEIGHT,
        use_container_width=True,
        returned_objects=[],
        feature_group_to_add=feature_layers(
            layer_features(at, at.companies, existing, groups, lang=lang), lang=lang
        ),
    )


# --------------------------------------------------------------------------- since the last meeting


@st.cache_resource(show_spinner=False, max_entries=64)
def _snapshot_once(url: str, key: str, fingerprint: str, _engine: Engine, _zone: Zone) -> bool:
    """Keep the zone's data in the store once per version of it and server (not hashed: _)."""
    del url
    return plan_store.record_snapshot(_engine, key, fingerprint, changes.zone_snapshot(_zone))


def keep_snapshot(zone: Zone) -> None:
    """Keep what the zone's data holds now, so that a later meeting can see what changed."""
    engine, key = plan_store_of(zone)
    url = engine.url.render_as_string(hide_password=False)
    _snapshot_once(url, key, zone.fingerprint(), engine, zone)


def show_changes(zone: Zone, board: gpd.GeoDataFrame) -> None:
    """Show what changed since the date of the last meeting, section by section."""
    lang = language()
    st.session_state.setdefault(KEY_SINCE, today() - timedelta(days=DEFAULT_SINCE_DAYS))
    day = st.date_input(
        tr("followup.since"),
        key=KEY_SINCE,
        max_value=today(),
        format="DD/MM/YYYY" if lang == "fr" else "YYYY-MM-DD",
        help=tr("followup.since_help"),
    )
    since = datetime(day.year, day.month, day.day, tzinfo=timezone())
    engine, key = plan_store_of(zone)
    found = changes.changes_since(
        zone,
        board,
        since=since,
        decisions=store.history(engine, key),
        steps=plan_store.step_history(engine, key),
        plan=current_plan(zone, board),
        realised=plan_store.realised_history(engine, key),
        then=plan_store.snapshot_before(engine, key, since),
        today=today(),
        lang=lang,
    )
    for note in found.notes:
        st.caption(note)
    if found.compared_with is not None:
        st.caption(tr("followup.changes_compared", date=format_datetime(found.compared_with, lang)))
    if found.lines.empty:
        st.info(tr("followup.changes_none", date=format_date(day, lang)))
        return
    for section in changes.SECTIONS:
        lines = found.section(section)
        if lines.empty:
            continue
        st.markdown(f"**{tr(f'followup.section_{section}')}** ({len(lines)})")
        st.markdown("\n".join(f"- {_change_text(row, lang)}" for _, row in lines.iterrows()))


def _change_text(row: pd.Series, lang: str) -> str:
    text = escape_markdown(str(row["text"]))
    signed = [escape_markdown(str(row["who"])) if row["who"] else ""]
    if not pd.isna(row["when"]):
        signed.append(format_datetime(row["when"], lang))
    signature = ", ".join(part for part in signed if part)
    return f"{text} — *{signature}*" if signature else text
