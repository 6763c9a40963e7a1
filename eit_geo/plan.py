"""The action plan: each retained lead's next step, who carries it, by when, and what is late."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from eit_geo.formatting import format_date, format_datetime
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.panels import link_tip
from eit_geo.plan_store import FACILITATOR, STEP_FIELDS

if TYPE_CHECKING:
    from collections.abc import Mapping

    from eit_geo.frames import Row

__all__ = [
    "PLANNED",
    "PLAN_COLUMNS",
    "carrier_name",
    "carrier_options",
    "late_steps",
    "plan_board",
    "plan_table",
]

PLANNED: tuple[str, ...] = ("retained", "in_place")
"""Workshop decisions whose lead gets an action plan (``workshop.SELECTED``)."""
PLAN_COLUMNS: tuple[str, ...] = (
    "candidate_id",
    "label",
    "decision",
    *STEP_FIELDS,
    "carrier_name",
    "due_date",
    "late",
    "days_late",
    "participant",
    "updated_at",
    "version",
)


def carrier_name(carrier: str, names: Mapping[str, str], lang: str = DEFAULT_LANGUAGE) -> str:
    """Return who carries a step as people read it: a company, « l'animateur », or ``""``."""
    if not carrier:
        return ""
    if carrier == FACILITATOR:
        return t("followup.carrier_facilitator", lang)
    return str(names.get(carrier, carrier))


def carrier_options(lead: Row, company_ids: list[str]) -> list[str]:
    """Return the carriers to offer for a lead: nobody, the facilitator, its two companies first.

    Values are stored as given (``""``, `plan_store.FACILITATOR` or a company id).
    """
    ends = [str(lead["from_id"]), str(lead["to_id"])]
    others = [ident for ident in company_ids if ident not in ends]
    return ["", FACILITATOR, *ends, *others]


def plan_board(
    board: pd.DataFrame,
    steps: pd.DataFrame,
    *,
    names: Mapping[str, str] | None = None,
    today: date,
    lang: str = DEFAULT_LANGUAGE,
) -> pd.DataFrame:
    """Join the leads the workshop retained, and any lead given a step, with their next step.

    Parameters
    ----------
    board
        ``workshop.build_board`` output.
    steps
        ``plan_store.get_steps`` output: a synergy in place given a step (renew a contract…)
        is listed too, and a lead no longer retained keeps its step (its ``decision`` says
        where the lead stands now).
    names
        ``{company id: name}`` for the carriers (the board's names by default).
    today
        The day against which steps are late.
    lang
        Language of the labels.

    Returns
    -------
    pandas.DataFrame
        One row per lead, `PLAN_COLUMNS`: ``label`` (« Resource : A → B »), ``carrier_name``,
        ``due_date`` (a date, or NaT), ``late`` (a due date past and the step not done),
        ``days_late``; leads without a step yet have empty fields and ``state`` « todo ».
        Late steps first, then by due date.
    """
    names = dict(names) if names is not None else _board_names(board)
    planned = board["decision"].eq("retained") | board["candidate_id"].astype(str).isin(
        set(steps["candidate_id"].astype(str))
    )
    leads = board.loc[planned]
    current = steps.set_index(steps["candidate_id"].astype(str))
    ids = leads["candidate_id"].astype(str)
    table = pd.DataFrame(
        {
            "candidate_id": ids.to_numpy(),
            "label": [link_tip(row, lang) for _, row in leads.iterrows()],
            "decision": leads["decision"].to_numpy(),
        }
    )
    for field in (*STEP_FIELDS, "participant"):
        default = "todo" if field == "state" else ""
        values = current[field].reindex(ids.to_numpy()) if field in current else None
        table[field] = default if values is None else values.fillna(default).to_numpy()
    updated = current["updated_at"].reindex(ids.to_numpy()).to_numpy() if len(current) else None
    table["updated_at"] = pd.NaT if updated is None else pd.to_datetime(updated, utc=True)
    table["version"] = (
        current["version"].reindex(ids.to_numpy()).fillna(0).astype(int).to_numpy()
        if len(current)
        else 0
    )
    table["carrier_name"] = [carrier_name(c, names, lang) for c in table["carrier"]]
    table["due_date"] = pd.to_datetime(table["due"].replace("", None), errors="coerce").dt.date
    table["late"] = late_steps(table, today)
    days = [
        (today - due).days if late else 0
        for due, late in zip(table["due_date"], table["late"], strict=True)
    ]
    table["days_late"] = days
    order = table.assign(_due=pd.to_datetime(table["due_date"]))
    order = order.sort_values(["late", "_due", "label"], ascending=[False, True, True])
    return order.drop(columns="_due")[list(PLAN_COLUMNS)].reset_index(drop=True)


def _board_names(board: pd.DataFrame) -> dict[str, str]:
    pairs = {
        **dict(zip(board["from_id"].astype(str), board["from_name"], strict=True)),
        **dict(zip(board["to_id"].astype(str), board["to_name"], strict=True)),
    }
    return {key: str(value) for key, value in pairs.items()}


def late_steps(plan: pd.DataFrame, today: date) -> pd.Series:
    """Return, aligned on ``plan``, whether each step is late: due before today and not done."""
    due = pd.to_datetime(plan["due"].replace("", None), errors="coerce")
    late = due.notna() & (due < pd.Timestamp(today)) & ~plan["state"].eq("done")
    return late.fillna(value=False).astype(bool)


def plan_table(plan: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> pd.DataFrame:
    """Return the plan as people read it (page, report, XLSX export): translated, dated.

    Columns: lead, workshop decision, next step, carried by, due date, state, late by (days),
    last change by and on.
    """
    return pd.DataFrame(
        {
            t("followup.col_lead", lang): plan["label"],
            t("workshop.col_status", lang): plan["decision"].map(
                lambda s: t(f"workshop.status_{s}", lang)
            ),
            t("followup.col_step", lang): plan["step"],
            t("followup.col_carrier", lang): plan["carrier_name"],
            t("followup.col_due", lang): [
                format_date(d, lang) if isinstance(d, date) else "" for d in plan["due_date"]
            ],
            t("followup.col_state", lang): plan["state"].map(
                lambda s: t(f"followup.state_{s}", lang)
            ),
            t("followup.col_late", lang): [
                t("followup.days_late", lang, days=d) if late else ""
                for d, late in zip(plan["days_late"], plan["late"], strict=True)
            ],
            t("workshop.col_participant", lang): plan["participant"],
            t("workshop.col_updated", lang): [
                format_datetime(m, lang) if not pd.isna(m) else "" for m in plan["updated_at"]
            ],
        }
    )
