"""The action plan in the pages: a retained lead's next step (Atelier), late steps, the plan."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from eit_geo import plan, plan_store, report, store
from eit_geo.formatting import format_datetime, timezone
from eit_geo.panels import escape_markdown
from eit_geo.ui import access
from eit_geo.ui.decisions import KEY_PARTICIPANT, decision_store
from eit_geo.ui.state import language, tr

if TYPE_CHECKING:
    import geopandas as gpd
    from sqlalchemy.engine import Engine

    from eit_geo.zone import Zone

KEY_NOTICE = "plan_notice"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@st.cache_resource(show_spinner=False)
def _prepared(url: str, _engine: Engine) -> Engine:
    """Create the plan's tables once per store and server (``_engine`` is not hashed)."""
    del url  # the cache key
    return plan_store.prepare(_engine)


def plan_store_of(zone: Zone) -> tuple[Engine, str]:
    """Return the zone's store (the decisions' one, with the plan's tables) and its key."""
    engine, key = decision_store(zone)
    return _prepared(engine.url.render_as_string(hide_password=False), engine), key


def participant() -> str:
    """Return who is signed in to the workshop (the identity decisions are signed with)."""
    return str(st.session_state.get(KEY_PARTICIPANT, ""))


def today() -> date:
    """Return today's date in the dashboard's time zone: steps are late against it."""
    return datetime.now(timezone()).date()


def current_plan(zone: Zone, board: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return the plan of the zone's retained leads as stored right now (`plan.plan_board`)."""
    engine, key = plan_store_of(zone)
    return plan.plan_board(board, plan_store.get_steps(engine, key), today=today(), lang=language())


def show_late(zone: Zone, board: gpd.GeoDataFrame) -> None:
    """Warn about the steps that are late (due date past, not done), one line each."""
    table = current_plan(zone, board)
    late = table[table["late"]]
    if late.empty:
        return
    lines = [
        tr(
            "followup.late_line",
            lead=row["label"],
            step=row["step"] or tr("followup.no_step"),
            carrier=row["carrier_name"] or tr("followup.carrier_nobody"),
            days=row["days_late"],
        )
        for _, row in late.iterrows()
    ]
    st.warning(
        "\n".join(
            [
                tr("followup.late_title", count=len(late)),
                *(f"- {escape_markdown(x)}" for x in lines),
            ]
        )
    )


def _key(candidate: str, version: int, field: str) -> str:
    return f"plan_{field}_{version}_{candidate}"


def show_step(zone: Zone, board: gpd.GeoDataFrame, candidate: str | None) -> None:
    """Show the next step of the opened lead when the workshop retained it (or found it in place).

    A form with the step, who carries it (a company or the facilitator), the due date and the
    state; saving writes only what changed, signed with the participant's name.
    """
    notice = st.session_state.pop(KEY_NOTICE, None)
    if notice is not None:
        getattr(st, notice[0])(notice[1])
    if candidate is None or candidate not in set(board["candidate_id"].astype(str)):
        return
    lead = board.loc[board["candidate_id"].astype(str) == candidate].iloc[0]
    if lead["decision"] not in plan.PLANNED:
        return
    lang = language()
    engine, key = plan_store_of(zone)
    steps = plan_store.get_steps(engine, key)
    mine = steps[steps["candidate_id"] == candidate]
    seen = {f: plan_store.STEP_DEFAULTS[f] for f in plan_store.STEP_FIELDS}
    version = 0
    if len(mine):
        seen = {f: str(mine[f].iloc[0]) for f in plan_store.STEP_FIELDS}
        version = int(mine["version"].iloc[0])
    names = zone.company_names()
    options = plan.carrier_options(lead, [str(i) for i in zone.companies["id"]])
    if seen["carrier"] not in options:
        options.append(seen["carrier"])
    st.markdown(f"**{tr('followup.step_title')}**")
    with st.form(f"plan_form_{version}_{candidate}", border=True):
        st.text_area(
            tr("followup.col_step"),
            value=seen["step"],
            key=_key(candidate, version, "step"),
            max_chars=store.MAX_TEXT,
            placeholder=tr("followup.step_placeholder"),
        )
        left, right = st.columns(2)
        left.selectbox(
            tr("followup.col_carrier"),
            options,
            index=options.index(seen["carrier"]),
            key=_key(candidate, version, "carrier"),
            format_func=lambda c: (
                plan.carrier_name(c, names, lang) or tr("followup.carrier_nobody")
            ),
        )
        right.date_input(
            tr("followup.col_due"),
            value=date.fromisoformat(seen["due"]) if seen["due"] else None,
            key=_key(candidate, version, "due"),
            format="DD/MM/YYYY" if lang == "fr" else "YYYY-MM-DD",
        )
        st.radio(
            tr("followup.col_state"),
            plan_store.STEP_STATES,
            index=plan_store.STEP_STATES.index(seen["state"]),
            key=_key(candidate, version, "state"),
            horizontal=True,
            format_func=lambda s: tr(f"followup.state_{s}"),
        )
        st.form_submit_button(
            tr("followup.save_step"), on_click=_save_step, args=(zone, candidate, version, seen)
        )
    _step_history(engine, key, candidate)


def _save_step(zone: Zone, candidate: str, version: int, seen: dict[str, str]) -> None:
    """Record what the participant changed in the step form (callback of its button)."""
    who = participant()
    if not who:
        st.session_state[KEY_NOTICE] = ("error", tr("workshop.name_needed"))
        return
    values = {}
    for field in plan_store.STEP_FIELDS:
        value = st.session_state.get(_key(candidate, version, field), seen[field])
        values[field] = value.isoformat() if isinstance(value, date) else str(value or "")
    changes = {f: v for f, v in values.items() if v != seen[f]}
    if not changes:
        st.session_state[KEY_NOTICE] = ("info", tr("workshop.nothing_changed"))
        return
    engine, key = plan_store_of(zone)
    step = plan_store.record_step(engine, key, candidate, changes, participant=who)
    message = tr("followup.step_saved", state=tr(f"followup.state_{step['state']}"))
    if step["version"] > version + 1:
        message += " " + tr("workshop.saved_meanwhile", count=step["version"] - version - 1)
    st.session_state[KEY_NOTICE] = ("success", message)


def _step_history(engine: Engine, key: str, candidate: str) -> None:
    steps = plan_store.step_history(engine, key, candidate)
    lang = language()
    with st.expander(tr("followup.step_history", count=len(steps))):
        if steps.empty:
            st.caption(tr("workshop.history_empty"))
            return
        fields = {f: tr(f"followup.field_{f}") for f in plan_store.STEP_FIELDS}
        st.dataframe(
            pd.DataFrame(
                {
                    tr("workshop.col_updated"): steps["changed_at"].map(
                        lambda m: format_datetime(m, lang)
                    ),
                    tr("workshop.col_participant"): steps["participant"],
                    tr("workshop.col_changes"): steps["changed"].map(
                        lambda c: ", ".join(fields.get(f, f) for f in str(c).split(",") if f)
                    ),
                    tr("followup.col_step"): steps["step"],
                    tr("followup.col_state"): steps["state"].map(
                        lambda s: tr(f"followup.state_{s}")
                    ),
                }
            ).iloc[::-1],
            hide_index=True,
        )


def show_plan(zone: Zone, board: gpd.GeoDataFrame) -> None:
    """Show the whole action plan, late steps first, and offer it as an XLSX file."""
    table = current_plan(zone, board)
    if table.empty:
        st.info(tr("followup.plan_empty"))
        return
    late = int(table["late"].sum())
    st.caption(tr("followup.plan_counts", leads=len(table), late=late))
    shown = plan.plan_table(table, language())
    st.dataframe(shown, hide_index=True, width="stretch")
    if not access.may("export_data"):
        return
    st.download_button(
        tr("followup.plan_xlsx"),
        data=lambda: report.table_xlsx(
            plan.plan_table(current_plan(zone, board), language()), sheet="plan"
        ),
        file_name=f"{zone.name}-plan-action.xlsx",
        mime=XLSX,
        key="suivi_plan_xlsx",
        on_click="ignore",
    )
