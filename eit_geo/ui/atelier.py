"""The Atelier page: the board of leads, the decision form, votes, history, map and exports."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError
from streamlit_folium import st_folium

from eit_geo import (
    codes,
    formatting,
    plan,
    plan_store,
    report,
    store,
    workshop,
)
from eit_geo.export import export_zone
from eit_geo.filters import best_links
from eit_geo.i18n import t
from eit_geo.maps import (
    DRAWN_LINKS,
    build_base_map,
    clicked_feature,
    feature_layers,
    layer_features,
)
from eit_geo.offline import STATIC_URL
from eit_geo.panels import (
    escape_markdown,
    link_facts,
    link_tip,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    import geopandas as gpd

    from eit_geo.zone import Zone
from eit_geo.ui import access
from eit_geo.ui.analyses import analysis, zone_groups, zone_links
from eit_geo.ui.carte import default_basemap, local_tiles
from eit_geo.ui.decisions import KEY_PARTICIPANT, decision_store, when_text
from eit_geo.ui.plan import plan_store_of, today
from eit_geo.ui.state import KEY_ASSETS, language, tr
from eit_geo.ui.widgets import facts
from eit_geo.ui.zones import zone_title

KEY_CHOSEN = "atelier_chosen"
KEY_CHOSEN_INPUT = "atelier_chosen_input"
KEY_SHOWN = "atelier_chosen_shown"
KEY_NOTICE = "atelier_notice"
KEY_STATUSES = "atelier_statuses"
KEY_BOARD_SORT = "atelier_sort"
WORKSHOP_MAP_HEIGHT = 560


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
                formatting.format_quantity(q, u, lang)
                for q, u in zip(rows["quantity"], rows["unit"], strict=True)
            ],
            tr("workshop.col_score"): formatting.aligned_numbers(rows["score"], lang, decimals=2),
            tr("workshop.col_checks"): [
                workshop.check_summary(r, lang) for _, r in rows.iterrows()
            ],
            tr("workshop.col_points"): rows["points"],
            tr("workshop.col_participant"): rows["participant"],
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        height=min(420, 38 + 35 * len(table)),
        column_config={tr("workshop.col_score"): st.column_config.TextColumn(alignment="right")},
        placeholder="—",
    )
    ids = rows["candidate_id"].astype(str).tolist()
    labels = {str(r["candidate_id"]): _candidate_label(r, lang) for _, r in board.iterrows()}
    chosen = st.session_state.get(KEY_CHOSEN)
    chosen = chosen if chosen in labels else None
    options = ids if chosen is None or chosen in ids else [chosen, *ids]
    # The picker follows the lead opened elsewhere (a click on the map) and shows its label
    # as it is now (its status after a save): a keyed selectbox keeps what it shows unless
    # its value is set through the session state, before it is drawn.
    shown = (chosen, None if chosen is None else labels[chosen])
    if st.session_state.get(KEY_CHOSEN_INPUT) != chosen or st.session_state.get(KEY_SHOWN) != shown:
        st.session_state[KEY_CHOSEN_INPUT] = chosen
    st.session_state[KEY_SHOWN] = shown
    st.selectbox(
        tr("workshop.open"),
        options,
        index=None,
        key=KEY_CHOSEN_INPUT,
        format_func=lambda ident: labels.get(ident, ident),
        placeholder=tr("workshop.open_placeholder"),
        on_change=_picked,
    )
    return chosen


def _picked() -> None:
    """Open the lead picked in the list (callback of the picker)."""
    st.session_state[KEY_CHOSEN] = st.session_state.get(KEY_CHOSEN_INPUT)


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
    facts(link_facts(row, lang, zone.company_names()))
    if row["participant"]:
        st.caption(
            tr("workshop.last_change", who=row["participant"], date=when_text(row["updated_at"]))
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
    try:
        engine, key = decision_store(zone)
        decision = store.record_decision(engine, key, candidate, changes, participant=who)
    except (SQLAlchemyError, store.StoreBusyError):  # the form keeps what was typed
        st.session_state[KEY_NOTICE] = ("error", tr("workshop.save_failed"))
        return
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
        try:
            engine, key = decision_store(zone)
            store.vote(engine, key, candidate, participant=who, weight=int(weight or 0))
        except (SQLAlchemyError, store.StoreBusyError):
            st.session_state[KEY_NOTICE] = ("error", tr("workshop.vote_failed"))


def _history(zone: Zone, candidate: str) -> None:
    engine, key = decision_store(zone)
    steps = store.history(engine, key, candidate)
    with st.expander(tr("workshop.history", count=len(steps))):
        if steps.empty:
            st.caption(tr("workshop.history_empty"))
            return
        fields = {f: tr(f"workshop.field_{f}") for f in store.FIELDS}
        table = pd.DataFrame(
            {
                tr("workshop.col_updated"): steps["changed_at"].map(when_text),
                tr("workshop.col_participant"): steps["participant"],
                tr("workshop.col_changes"): steps["changed"].map(
                    lambda c: ", ".join(fields.get(f, f) for f in str(c).split(",") if f)
                ),
                tr("workshop.col_status"): steps["status"].map(
                    lambda s: tr(f"workshop.status_{s}")
                ),
            }
        )
        if steps["imported_from"].astype(bool).any():  # imported changes say where from
            table[tr("workshop.col_origin")] = steps["imported_from"].to_numpy()
        st.dataframe(table.iloc[::-1], hide_index=True, placeholder="—")


def show_workshop_map(zone: Zone, board: gpd.GeoDataFrame, candidate: str | None) -> None:
    """Show the board's candidates on the map, the opened one pointed out."""
    lang = language()
    assets = st.session_state.get(KEY_ASSETS, STATIC_URL)
    shown = board[board["decision"] != "rejected"]
    drawn, _ = best_links(shown, DRAWN_LINKS)
    fmap = build_base_map(
        zone, lang=lang, basemap=default_basemap(), assets_url=assets, local=local_tiles()
    )
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
        st.session_state[KEY_CHOSEN] = clicked[1]  # the picker follows (`show_board`)
        st.rerun()


EXPORT_RIGHTS = {
    "report_html": "export_report",
    "report_pdf": "export_report",
    "report_public": "export_public_report",
    "decisions_xlsx": "export_data",
    "decisions_csv": "export_data",
    "zone_gpkg": "export_data",
    "plan_xlsx": "export_data",
}  # which right of data/roles.toml each export needs on a shared server


def show_exports(zone: Zone) -> None:
    """Offer the workshop's exports: report (HTML, PDF), decisions (XLSX, CSV), GeoPackage.

    Files are made when the button is clicked, from the decisions stored at that moment.
    """
    lang = language()
    engine, key = decision_store(zone)
    links = zone_links(zone)
    steps_engine, _ = plan_store_of(zone)
    day = today()

    def plan_now(board: gpd.GeoDataFrame) -> pd.DataFrame:
        return plan.plan_board(board, plan_store.get_steps(steps_engine, key), today=day, lang=lang)

    def board_now() -> gpd.GeoDataFrame:
        return workshop.build_board(
            links,
            store.get_decisions(engine, key),
            store.get_votes(engine, key),
            store.history(engine, key),
        )

    def report_now(*, anonymised: bool) -> str:
        board = board_now()
        return report.workshop_report(
            zone,
            board,
            store.history(engine, key),
            anonymised=anonymised,
            lang=lang,
            zone_label=zone_title(zone),
            plan=plan_now(board),
            analysis=analysis(zone, board=board),
        )

    def pdf_now() -> bytes:
        return report.report_pdf(report_now(anonymised=False))

    def gpkg_now() -> bytes:
        with tempfile.TemporaryDirectory(prefix="eit-geo-export-") as folder:
            layers = {
                **store.decision_layers(engine, key),
                **plan_store.plan_layers(steps_engine, key),
            }
            return export_zone(zone, Path(folder) / "zone.gpkg", extra_layers=layers).read_bytes()

    stem = f"{zone.name}-atelier"
    buttons: list[tuple[str, Callable[[], str | bytes], str, str]] = [
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
            lambda: report.table_csv(report.decisions_table(board_now(), lang), lang),
            f"{stem}-decisions.csv",
            "text/csv",
        ),
        ("zone_gpkg", gpkg_now, f"{stem}.gpkg", "application/geopackage+sqlite3"),
        (
            "plan_xlsx",
            lambda: report.table_xlsx(plan.plan_table(plan_now(board_now()), lang), sheet="plan"),
            f"{stem}-plan-action.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ]
    buttons = [b for b in buttons if access.may(EXPORT_RIGHTS[b[0]])]
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
    if report.find_chromium() is None and access.may("export_report"):
        st.caption(tr("workshop.pdf_unavailable"))
