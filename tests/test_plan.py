"""The action plan: retained leads with their next step, carriers, due dates and what is late."""

from __future__ import annotations

import io
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from eit_geo import plan, plan_store, report, store, workshop
from eit_geo.datafiles import example_path
from eit_geo.loading import load_zone
from eit_geo.matching import find_substitutions

if TYPE_CHECKING:
    from pathlib import Path

    import geopandas as gpd
    from sqlalchemy.engine import Engine

TODAY = date(2026, 5, 4)


@pytest.fixture(scope="module")
def candidates() -> gpd.GeoDataFrame:
    return find_substitutions(load_zone(example_path("kalundborg")))


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return plan_store.prepare(store.open_store(f"sqlite:///{tmp_path / 'store.sqlite'}"))


def _leads(candidates: gpd.GeoDataFrame, count: int) -> list[str]:
    fresh = candidates[candidates["status"] == "candidate"]
    return fresh["candidate_id"].astype(str).head(count).tolist()


def _board(engine: Engine, candidates: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return workshop.build_board(
        candidates, store.get_decisions(engine, "z"), store.get_votes(engine, "z")
    )


def test_plan_lists_retained_leads_late_first(engine: Engine, candidates) -> None:
    first, second, third = _leads(candidates, 3)
    for lead in (first, second, third):
        store.record_decision(engine, "z", lead, {"status": "retained"}, participant="Anne")
    plan_store.record_step(
        engine,
        "z",
        first,
        {"step": "Devis du raccordement", "carrier": "asnaes", "due": "2026-06-01"},
        participant="Anne",
    )
    plan_store.record_step(
        engine,
        "z",
        second,
        {"step": "Analyse de la qualité", "carrier": plan_store.FACILITATOR, "due": "2026-04-20"},
        participant="Bruno",
    )
    plan_store.record_step(
        engine,
        "z",
        third,
        {"step": "Contrat", "due": "2026-01-10", "state": "done"},
        participant="A",
    )
    board = _board(engine, candidates)
    table = plan.plan_board(board, plan_store.get_steps(engine, "z"), today=TODAY, lang="fr")
    assert list(table.columns) == list(plan.PLAN_COLUMNS)
    assert table["candidate_id"].tolist()[0] == second  # 14 days late
    late = table.set_index("candidate_id")
    assert bool(late.loc[second, "late"])
    assert late.loc[second, "days_late"] == 14
    assert late.loc[second, "carrier_name"] == "l'animateur"
    assert not late.loc[third, "late"]  # done, though its date has passed
    assert not late.loc[first, "late"]
    assert late.loc[first, "carrier_name"] == "Asnæs (Asnæsværket, Ørsted)"
    assert len(table) == 3  # synergies in place join the plan once given a step
    in_place = board.loc[board["decision"] == "in_place", "candidate_id"].iloc[0]
    plan_store.record_step(
        engine, "z", in_place, {"step": "Renouveler le contrat"}, participant="A"
    )
    table = plan.plan_board(board, plan_store.get_steps(engine, "z"), today=TODAY, lang="fr")
    assert len(table) == 4
    assert plan.late_steps(table, TODAY).sum() == 1


def test_a_lead_no_longer_retained_keeps_its_step(engine: Engine, candidates) -> None:
    (lead,) = _leads(candidates, 1)
    store.record_decision(engine, "z", lead, {"status": "retained"}, participant="A")
    plan_store.record_step(engine, "z", lead, {"step": "Visite"}, participant="A")
    store.record_decision(engine, "z", lead, {"status": "rejected"}, participant="B")
    table = plan.plan_board(
        _board(engine, candidates), plan_store.get_steps(engine, "z"), today=TODAY
    )
    row = table.set_index("candidate_id").loc[lead]
    assert (row["decision"], row["step"]) == ("rejected", "Visite")


def test_plan_table_reads_in_both_languages(engine: Engine, candidates) -> None:
    (lead,) = _leads(candidates, 1)
    store.record_decision(engine, "z", lead, {"status": "retained"}, participant="A")
    plan_store.record_step(
        engine,
        "z",
        lead,
        {"step": '=HYPERLINK("x")', "due": "2026-04-30", "state": "blocked"},
        participant="A",
    )
    table = plan.plan_board(
        _board(engine, candidates), plan_store.get_steps(engine, "z"), today=TODAY
    )
    french = plan.plan_table(table, "fr")
    row = french[french["Prochaine étape"] != ""].iloc[0]
    assert (row["État"], row["Retard"], row["Échéance"]) == ("bloqué", "4 j", "30 avr. 2026")
    english = plan.plan_table(table, "en")
    assert "Next step" in english.columns
    assert english["State"].iloc[0] == "blocked"
    workbook = report.table_xlsx(french, sheet="plan")
    sheet = pd.read_excel(io.BytesIO(workbook), sheet_name="plan")
    assert sheet["Prochaine étape"].dropna().iloc[0].startswith("'=")  # no formula runs


def test_carrier_options_put_the_lead_companies_first() -> None:
    lead = {"from_id": "asnaes", "to_id": "gyproc"}
    options = plan.carrier_options(lead, ["refinery", "gyproc", "asnaes", "argo"])
    assert options == ["", plan_store.FACILITATOR, "asnaes", "gyproc", "refinery", "argo"]
    assert plan.carrier_name("", {}) == ""
    assert plan.carrier_name(plan_store.FACILITATOR, {}, "en") == "the facilitator"
    assert plan.carrier_name("argo", {"argo": "ARGO"}) == "ARGO"
