"""« Depuis la dernière réunion »: what changed in the network since a chosen date.

For the facilitator opening a meeting: leads whose workshop decision changed, steps done or
late, companies and flows added or removed, synergies started or stopped, figures that moved.
Decisions, steps and realised figures come from their histories in the store; the zone's data
is compared with the snapshot of it kept when it was last seen before the date
(``plan_store.record_snapshot``), and its ``since`` / ``until`` years say which synergies
started or stopped in the period.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, SupportsFloat

import pandas as pd

from eit_geo.codes import resource_label
from eit_geo.formatting import format_date, format_figure, format_quantity
from eit_geo.frames import records
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.indicators import INDICATORS, UNIT_KEYS, existing_scenario
from eit_geo.network_years import current_year, network_at
from eit_geo.panels import link_text

if TYPE_CHECKING:
    from eit_geo.zone import Zone

__all__ = ["SECTIONS", "Changes", "changes_since", "zone_snapshot"]

SECTIONS: tuple[str, ...] = (
    "leads",
    "steps_done",
    "steps_late",
    "steps_changed",
    "synergies_started",
    "synergies_stopped",
    "companies_added",
    "companies_removed",
    "flows_added",
    "flows_removed",
    "figures",
)
_MOVED = 0.005  # an indicator moved when it changed by more than half a percent


def zone_snapshot(zone: Zone) -> dict[str, Any]:
    """Return what a later « since the last meeting » compares: the zone's rows and figures.

    JSON-ready: companies (id, name), flows (company, direction, resource, quantity, unit),
    synergies (supplier, receiver, resource, quantity, unit, since, until) and the totals of
    today's network (`indicators.existing_scenario` on the network running this year).
    """
    synergies = zone.synergies
    until = synergies["until"] if "until" in synergies else pd.Series(pd.NA, index=synergies.index)
    totals = existing_scenario(network_at(zone, current_year())).totals
    return {
        "companies": [
            [str(i), str(n)]
            for i, n in zip(zone.companies["id"], zone.companies["name"], strict=True)
        ],
        "flows": [
            [
                str(row.company_id),
                str(row.direction),
                str(row.resource),
                _number(row.quantity),
                str(row.unit),
            ]
            for row in zone.flows.itertuples(index=False)
        ],
        "synergies": [
            [
                str(row.from_id),
                str(row.to_id),
                str(row.resource),
                _number(row.quantity),
                str(row.unit),
                _number(row.since),
                _number(end),
            ]
            for row, end in zip(synergies.itertuples(index=False), until, strict=True)
        ],
        "totals": {key: _number(value) for key, value in totals.items()},
    }


def _number(value: object) -> float | None:
    if not isinstance(value, str | SupportsFloat):  # None, pd.NA
        return None
    number = float(value)
    return None if math.isnan(number) else number


@dataclass
class Changes:
    """What changed since a date: one line per change, and what the comparison rests on.

    Attributes
    ----------
    since : the date asked (UTC)
    lines : ``section`` (one of `SECTIONS`), ``text`` (plain, in the language asked), ``when``
        (UTC, NaT for a change of the data), ``who``
    compared_with : when the snapshot of the data compared was taken, or None when nothing
        was kept from before the date (additions and removals of the data are then unknown)
    """

    since: datetime
    lines: pd.DataFrame
    compared_with: datetime | None = None
    notes: list[str] = field(default_factory=list)

    def section(self, name: str) -> pd.DataFrame:
        """Return the lines of one section."""
        return self.lines[self.lines["section"] == name]


def changes_since(
    zone: Zone,
    board: pd.DataFrame,
    *,
    since: datetime,
    decisions: pd.DataFrame,
    steps: pd.DataFrame,
    plan: pd.DataFrame,
    realised: pd.DataFrame,
    then: tuple[datetime, Mapping[str, Any]] | None,
    today: date,
    lang: str = DEFAULT_LANGUAGE,
) -> Changes:
    """List what changed since ``since``.

    Parameters
    ----------
    zone
        The zone as it is now.
    board
        ``workshop.build_board`` output (labels of the leads, their default status).
    since
        The moment of the last meeting (aware; UTC is assumed for a naive one).
    decisions, steps, realised
        ``store.history``, ``plan_store.step_history``, ``plan_store.realised_history``.
    plan
        ``plan.plan_board`` output (today's plan: the late steps).
    then
        ``plan_store.snapshot_before(…, since)``: the data as it stood then, or None.
    today
        The day steps are late against.
    lang
        Language of the lines.

    Returns
    -------
    Changes
        Every change found, by section, newest first within a section.
    """
    moment = pd.Timestamp(since)
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
    labels = {
        str(row.candidate_id): link_text(str(row.resource), row.from_name, row.to_name, lang)
        for row in board.itertuples(index=False)
    }
    lines: list[dict[str, Any]] = []
    lines += _lead_lines(board, decisions, moment, labels, lang)
    lines += _step_lines(steps, plan, moment=moment, labels=labels, today=today, lang=lang)
    lines += _year_lines(zone, moment, today, lang)
    lines += _realised_lines(zone, realised, moment, lang)
    compared = None
    notes: list[str] = []
    if then is None:
        notes.append(t("followup.changes_no_snapshot", lang))
    else:
        compared = then[0]
        lines += _data_lines(zone, then[1], lang)
    table = pd.DataFrame(lines, columns=["section", "text", "when", "who"])
    table["when"] = pd.to_datetime(table["when"], utc=True)
    order = {name: index for index, name in enumerate(SECTIONS)}
    table = table.assign(_order=table["section"].map(order))
    table = table.sort_values(["_order", "when"], ascending=[True, False], kind="stable")
    return Changes(
        moment.to_pydatetime(), table.drop(columns="_order").reset_index(drop=True), compared, notes
    )


def _line(section: str, text: str, when: object = None, who: str = "") -> dict[str, Any]:
    return {"section": section, "text": text, "when": when, "who": who}


def _lead_lines(
    board: pd.DataFrame,
    history: pd.DataFrame,
    moment: pd.Timestamp,
    labels: Mapping[str, str],
    lang: str,
) -> list[dict[str, Any]]:
    """Leads whose decision is not what it was at the meeting; in place / stopped apart."""
    if history.empty:
        return []
    existing = set(board.loc[board["status"].eq("existing"), "candidate_id"].astype(str))
    lines = []
    ordered = history.sort_values(["changed_at", "version"])
    for ident, rows in ordered.groupby("candidate_id", sort=False):
        candidate = str(ident)
        after = rows[rows["changed_at"] >= moment]
        if after.empty or candidate not in labels:
            continue
        before = rows[rows["changed_at"] < moment]
        default = "in_place" if candidate in existing else "to_study"
        old = str(before["status"].iloc[-1]) if len(before) else default
        new = str(after["status"].iloc[-1])
        if old == new:
            continue
        last = after.iloc[-1]
        section = "leads"
        if new == "in_place":
            section = "synergies_started"
        elif old == "in_place":
            section = "synergies_stopped"
        text = t(
            "followup.line_lead",
            lang,
            lead=labels[candidate],
            old=t(f"workshop.status_{old}", lang),
            new=t(f"workshop.status_{new}", lang),
        )
        lines.append(_line(section, text, last["changed_at"], str(last["participant"])))
    return lines


def _step_lines(
    history: pd.DataFrame,
    plan: pd.DataFrame,
    *,
    moment: pd.Timestamp,
    labels: Mapping[str, str],
    today: date,
    lang: str,
) -> list[dict[str, Any]]:
    lines = []
    recent = history[history["changed_at"] >= moment] if len(history) else history
    for candidate, rows in recent.groupby("candidate_id", sort=False):
        lead = labels.get(str(candidate), str(candidate))
        last = rows.iloc[-1]
        done = rows[rows["state"].eq("done") & rows["changed"].str.contains("state")]
        if len(done):
            row = done.iloc[-1]
            text = t("followup.line_step_done", lang, lead=lead, step=row["step"] or "—")
            lines.append(_line("steps_done", text, row["changed_at"], str(row["participant"])))
        elif str(last["state"]) != "done":
            text = t(
                "followup.line_step_changed",
                lang,
                lead=lead,
                step=last["step"] or "—",
                state=t(f"followup.state_{last['state']}", lang),
            )
            lines.append(_line("steps_changed", text, last["changed_at"], str(last["participant"])))
    for late in records(plan[plan["late"]]):
        text = t(
            "followup.line_step_late",
            lang,
            lead=late["label"],
            step=late["step"] or "—",
            due=format_date(late["due_date"], lang),
            days=(today - late["due_date"]).days,
        )
        lines.append(_line("steps_late", text, None, str(late["carrier_name"])))
    return lines


def _year_lines(zone: Zone, moment: pd.Timestamp, today: date, lang: str) -> list[dict[str, Any]]:
    """Synergies whose ``since`` or ``until`` year falls between the meeting's and today's."""
    names = zone.company_names()
    synergies = zone.synergies
    lines = []
    for column, section, key in (
        ("since", "synergies_started", "followup.line_started_year"),
        ("until", "synergies_stopped", "followup.line_stopped_year"),
    ):
        if column not in synergies:
            continue
        years = pd.to_numeric(synergies[column], errors="coerce")
        chosen = synergies[(years >= moment.year) & (years <= today.year)]
        for row in records(chosen):
            lead = _named_link(row, names, lang)
            year = int(row[column])
            lines.append(_line(section, t(key, lang, lead=lead, year=year)))
    return lines


def _named_link(row: dict[str, Any], names: dict[str, str], lang: str) -> str:
    """Return an exchange given by ids as « Ressource : A → B », with the companies' names."""
    supplier, receiver = row["from_id"], row["to_id"]
    return link_text(
        str(row["resource"]), names.get(supplier, supplier), names.get(receiver, receiver), lang
    )


def _realised_lines(
    zone: Zone, history: pd.DataFrame, moment: pd.Timestamp, lang: str
) -> list[dict[str, Any]]:
    names = zone.company_names()
    recent = history[history["changed_at"] >= moment] if len(history) else history
    lines = []
    for row in records(recent):
        lead = _named_link(row, names, lang)
        year, month, status = row["year"], row["month"], row["status"]
        period = str(year) if not month else f"{t(f'followup.month_{month}', lang)} {year}"
        if row["quantity"] is None or pd.isna(row["quantity"]):
            text = t("followup.line_realised_withdrawn", lang, lead=lead, period=period)
        else:
            text = t(
                "followup.line_realised",
                lang,
                lead=lead,
                period=period,
                quantity=format_quantity(row["quantity"], str(row["unit"]), lang),
                status=t(f"followup.status_{status}", lang),
            )
        lines.append(_line("figures", text, row["changed_at"], str(row["participant"])))
    return lines


def _data_lines(zone: Zone, then: Mapping[str, Any], lang: str) -> list[dict[str, Any]]:
    """Companies, flows and synergies added or removed in the data; indicators that moved."""
    now = zone_snapshot(zone)
    lines = []
    old_companies = dict(map(tuple, then.get("companies", [])))
    new_companies = dict(map(tuple, now["companies"]))
    for ident in sorted(set(new_companies) - set(old_companies)):
        lines.append(
            _line("companies_added", t("followup.line_company", lang, name=new_companies[ident]))
        )
    for ident in sorted(set(old_companies) - set(new_companies)):
        lines.append(
            _line("companies_removed", t("followup.line_company", lang, name=old_companies[ident]))
        )
    names = {**old_companies, **new_companies}
    lines += _row_lines(then.get("flows", []), now["flows"], names, "flows", lang)
    lines += _row_lines(then.get("synergies", []), now["synergies"], names, "synergies", lang)
    lines += _figure_lines(then.get("totals", {}), now["totals"], lang)
    return lines


def _row_lines(
    old: list[list[Any]], new: list[list[Any]], names: Mapping[str, str], kind: str, lang: str
) -> list[dict[str, Any]]:
    width = 3  # flows: company, direction, resource; synergies: supplier, receiver, resource
    before = {tuple(row[:width]): row for row in old}
    after = {tuple(row[:width]): row for row in new}
    lines = []
    sections = (
        ("flows_added", "flows_removed")
        if kind == "flows"
        else ("synergies_started", "synergies_stopped")
    )
    for keys, section in (
        (after.keys() - before.keys(), sections[0]),
        (before.keys() - after.keys(), sections[1]),
    ):
        for key in sorted(keys):
            row = after.get(key) or before[key]
            lines.append(_line(section, _row_text(row, names, kind, lang)))
    for key in sorted(after.keys() & before.keys()):
        quantity_at = 3
        was, now = before[key][quantity_at], after[key][quantity_at]
        if was != now and was is not None and now is not None:
            text = t(
                "followup.line_quantity",
                lang,
                what=_row_text(after[key], names, kind, lang),
                old=format_quantity(was, str(after[key][4]), lang),
                new=format_quantity(now, str(after[key][4]), lang),
            )
            lines.append(_line("figures", text))
    return lines


def _row_text(row: list[Any], names: Mapping[str, str], kind: str, lang: str) -> str:
    resource = resource_label(str(row[2]), lang)
    if kind == "flows":
        return t(
            f"followup.line_flow_{row[1]}",
            lang,
            company=names.get(row[0], row[0]),
            resource=resource,
        )
    return t(
        "map.link_tip",
        lang,
        resource=resource,
        source=names.get(row[0], row[0]),
        target=names.get(row[1], row[1]),
    )


def _figure_lines(
    old: Mapping[str, float | None], new: Mapping[str, float | None], lang: str
) -> list[dict[str, Any]]:
    lines = []
    for indicator in INDICATORS:
        was, now = old.get(indicator), new.get(indicator)
        if was is None or now is None or abs(now - was) <= _MOVED * max(abs(was), 1.0):
            continue
        text = t(
            "followup.line_indicator",
            lang,
            indicator=t(f"indicators.{indicator}", lang),
            old=format_figure(was, lang),
            new=format_figure(now, lang),
            unit=t(UNIT_KEYS[indicator], lang),
        )
        lines.append(_line("figures", text))
    return lines
