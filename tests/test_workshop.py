"""Workshop board (candidates + decisions + votes) and the network timeline."""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import plotly.graph_objects as go
import pytest

from eit_geo import indicators, store, timeline, workshop
from eit_geo.datafiles import example_path
from eit_geo.loading import load_zone
from eit_geo.matching import find_substitutions
from eit_geo.network_years import running_now

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.engine import Engine

    from eit_geo.zone import Zone


@pytest.fixture(scope="module")
def kalundborg() -> Zone:
    return load_zone(example_path("kalundborg"))


@pytest.fixture(scope="module")
def candidates(kalundborg: Zone) -> gpd.GeoDataFrame:
    return find_substitutions(running_now(kalundborg))  # as the pages: synergies of this year


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return store.open_store(f"sqlite:///{tmp_path / 'd.sqlite'}")


def _first(candidates: gpd.GeoDataFrame, status: str, n: int = 0) -> str:
    return str(candidates.loc[candidates["status"] == status, "candidate_id"].iloc[n])


def test_board_defaults_and_decisions(engine: Engine, candidates: gpd.GeoDataFrame) -> None:
    new, other, old = (
        _first(candidates, "candidate"),
        _first(candidates, "candidate", 1),
        _first(candidates, "existing"),
    )
    store.record_decision(
        engine, "z", new, {"status": "retained", "economic": "ok"}, participant="A"
    )
    store.record_decision(engine, "z", old, {"status": "rejected"}, participant="B")
    store.record_decision(engine, "z", "gone", {"status": "retained"}, participant="C")
    store.vote(engine, "z", other, participant="A", weight=2)
    store.vote(engine, "z", other, participant="B", weight=3)
    board = workshop.build_board(
        candidates, store.get_decisions(engine, "z"), store.get_votes(engine, "z")
    )
    assert isinstance(board, gpd.GeoDataFrame)
    assert board.index.equals(candidates.index)
    assert board["candidate_id"].tolist() == candidates["candidate_id"].tolist()
    rows = board.set_index("candidate_id")
    assert rows.at[new, "decision"] == "retained"
    assert rows.at[new, "economic"] == "ok"
    assert rows.at[new, "technical"] == "pending"
    assert rows.at[new, "participant"] == "A"
    assert rows.at[old, "decision"] == "rejected"
    assert rows.at[other, "decision"] == "to_study"
    assert (rows.at[other, "votes"], rows.at[other, "points"]) == (2, 5)
    assert rows.at[other, "voters"] == "A, B"
    assert rows.at[other, "version"] == 0
    untouched = board[(board["status"] == "existing") & (board["version"] == 0)]
    assert (untouched["decision"] == "in_place").all()
    assert "gone" not in set(board["candidate_id"])
    selected = workshop.selected_ids(board)
    assert selected[-1] == new  # existing synergies first, then the leads in the order retained
    assert old not in selected
    assert set(untouched["candidate_id"]) <= set(selected)
    assert "candidate_id" in candidates  # input untouched
    assert "decision" not in candidates


def test_sort_and_filter(engine: Engine, candidates: gpd.GeoDataFrame) -> None:
    last = str(candidates["candidate_id"].iloc[-1])
    store.vote(engine, "z", last, participant="A", weight=3)
    board = workshop.build_board(
        candidates, store.get_decisions(engine, "z"), store.get_votes(engine, "z")
    )
    by_points = workshop.sort_board(board, by="points")
    assert by_points["candidate_id"].iloc[0] == last
    by_score = workshop.sort_board(board, by="score", statuses=["to_study"])
    assert set(by_score["decision"]) == {"to_study"}
    assert by_score["score"].is_monotonic_decreasing
    with pytest.raises(ValueError, match="by 'name' is not one of score, points"):
        workshop.sort_board(board, by="name")
    with pytest.raises(ValueError, match="statuses: unknown done"):
        workshop.sort_board(board, statuses=["done"])


def test_check_summary() -> None:
    row = pd.Series({"technical": "ok", "regulatory": "watch", "economic": "pending"})
    assert workshop.check_summary(row) == "T ✓ · R ! · É ?"
    assert workshop.check_summary(row, "en") == "T ✓ · R ! · E ?"


def test_timeline_of_kalundborg(
    engine: Engine, kalundborg: Zone, candidates: gpd.GeoDataFrame
) -> None:
    new = _first(candidates, "candidate")
    store.record_decision(engine, "z", new, {"status": "retained"}, participant="A")
    store.record_decision(engine, "z", new, {"comment": "devis reçu"}, participant="B")
    store.record_decision(engine, "z", new, {"status": "in_place"}, participant="A")
    board = workshop.build_board(
        candidates, store.get_decisions(engine, "z"), store.get_votes(engine, "z")
    )
    events = timeline.network_timeline(kalundborg, board, store.history(engine, "z"))
    assert list(events.columns) == ["candidate_id", "label", "event", "date", "origin"]
    assert events["date"].is_monotonic_increasing
    first = events.iloc[0]
    assert (first["date"].year, first["event"], first["origin"]) == (1972, "in_place", "zone")
    assert "Raffinerie de Kalundborg" in first["label"]
    assert first["candidate_id"] == "refinery>gyproc:fuel_gas>fuel_gas"
    started = events[(events["origin"] == "zone") & (events["event"] == "in_place")]
    assert started["date"].dt.year.tolist() == sorted(
        kalundborg.synergies["since"].dropna().astype(int)
    )
    stopped = events[events["event"] == "stopped"]
    assert stopped["date"].dt.year.tolist() == [2019]  # the coal fly ash, with the coal
    assert stopped["candidate_id"].tolist() == [""]  # stopped: no longer on this year's board
    assert "Aalborg Portland" in stopped["label"].iloc[0]
    mine = events[events["candidate_id"] == new]
    assert mine["event"].tolist() == ["identified", "retained", "in_place"]
    assert set(mine["origin"]) == {"workshop"}

    figure = timeline.timeline_figure(events)
    assert isinstance(figure, go.Figure)
    step = figure.data[0]
    assert step.line.shape == "hv"
    assert list(step.y)[-1] == len(events[events["event"] == "in_place"]) - 1
    assert list(step.y)[-3:] == [17, 16, 17]  # 2018: biogas; 2019: the fly ash stops; workshop
    names = [trace.name for trace in figure.data[1:]]
    assert names == ["identifiée", "retenue", "mise en place", "arrêtée"]


def test_timeline_without_history(kalundborg: Zone, candidates: gpd.GeoDataFrame) -> None:
    board = workshop.build_board(candidates, pd.DataFrame(columns=["candidate_id"]), _no_votes())
    empty_history = pd.DataFrame(columns=["candidate_id", "status", "changed_at"])
    events = timeline.network_timeline(kalundborg, board, empty_history, lang="en")
    assert set(events["origin"]) == {"zone"}
    figure = timeline.timeline_figure(events, lang="en")
    assert figure.layout.title.text == "Growth of the synergy network"


def _no_votes() -> pd.DataFrame:
    return pd.DataFrame(columns=["candidate_id", "votes", "points", "voters"])


def test_selected_scenario_follows_decisions(
    engine: Engine, kalundborg: Zone, candidates: gpd.GeoDataFrame
) -> None:
    def scenario() -> dict[str, float | None]:
        board = workshop.build_board(
            candidates, store.get_decisions(engine, "z"), store.get_votes(engine, "z")
        )
        return workshop.selected_scenario(kalundborg, board).totals

    existing = indicators.existing_scenario(kalundborg).totals
    before = scenario()
    assert before["water_saved_m3"] == pytest.approx(existing["water_saved_m3"])
    water = candidates[(candidates["status"] == "candidate") & (candidates["family"] == "water")]
    store.record_decision(
        engine, "z", water["candidate_id"].iloc[0], {"status": "retained"}, participant="A"
    )
    after = scenario()
    assert after["water_saved_m3"] > before["water_saved_m3"]
    stopped = candidates.loc[candidates["status"] == "existing", "candidate_id"].iloc[0]
    store.record_decision(engine, "z", stopped, {"status": "rejected"}, participant="B")
    assert scenario()["energy_recovered_mwh"] < after["energy_recovered_mwh"]


def test_timeline_with_aliases(kalundborg: Zone, candidates: gpd.GeoDataFrame) -> None:
    board = workshop.build_board(candidates, pd.DataFrame(columns=["candidate_id"]), _no_votes())
    empty_history = pd.DataFrame(columns=["candidate_id", "status", "changed_at"])
    aliases = {cid: f"Entreprise {i}" for i, cid in enumerate(kalundborg.companies["id"])}
    events = timeline.network_timeline(kalundborg, board, empty_history, names=aliases)
    assert events["label"].str.startswith("Entreprise ").all()
    figure = timeline.timeline_figure(events)
    placed = (events["event"] == "in_place").sum()
    assert list(figure.data[0].y)[-1] == placed - 1  # distinct synergies, though names repeat


# --------------------------------------------------------------------------- order of retention

SURFACE = "forsyning>refinery:process_water>process_water"
TREATED = "forsyning>refinery:treated_wastewater>process_water"


def _board(engine: Engine, candidates: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return workshop.build_board(
        candidates,
        store.get_decisions(engine, "z"),
        store.get_votes(engine, "z"),
        store.history(engine, "z"),
    )


@pytest.mark.parametrize(("first", "second"), [(SURFACE, TREATED), (TREATED, SURFACE)])
def test_a_lead_retained_later_gets_what_the_earlier_ones_left(
    engine: Engine, kalundborg: Zone, candidates: gpd.GeoDataFrame, first: str, second: str
) -> None:
    # Both offer the refinery the 1,000,000 m3/yr of process water it still needs.
    leads = candidates.set_index("candidate_id")
    assert leads.at[first, "quantity"] == leads.at[second, "quantity"] == 1_000_000.0
    store.record_decision(engine, "z", first, {"status": "retained"}, participant="A")
    board = _board(engine, candidates).set_index("candidate_id")
    assert board.at[first, "quantity"] == 1_000_000.0
    assert second not in board.index  # undecided, with nothing left: no longer a lead
    store.record_decision(engine, "z", second, {"status": "retained"}, participant="B")
    store.record_decision(engine, "z", first, {"comment": "devis reçu"}, participant="C")
    board = _board(engine, candidates)
    assert workshop.retained_order(board) == (first, second)  # a comment does not reorder
    rows = board.set_index("candidate_id")
    assert rows.at[first, "allocated_quantity"] == 1_000_000.0
    assert rows.at[second, "allocated_quantity"] == rows.at[second, "quantity"] == 0.0
    assert rows.at[second, "need_used"] == 1_000_000.0
    assert rows.at[second, "need_used_by"] == "forsyning"
    assert rows.at[first, "need_used"] == 0.0
    chosen = workshop.selected_scenario(kalundborg, board)
    retained = chosen.exchanges[chosen.exchanges["status"] == "candidate"]
    assert retained["exchange_id"].tolist() == [first]
    same = indicators.selected_scenario(
        kalundborg, pd.DataFrame(candidates), workshop.selected_ids(board)
    )
    assert same.totals == pytest.approx(chosen.totals)


def test_retained_leads_add_to_the_existing_synergies_only_what_is_left(
    engine: Engine, kalundborg: Zone, candidates: gpd.GeoDataFrame
) -> None:
    store.record_decision(engine, "z", SURFACE, {"status": "retained"}, participant="A")
    store.record_decision(engine, "z", TREATED, {"status": "retained"}, participant="A")
    board = _board(engine, candidates)
    chosen = workshop.selected_scenario(kalundborg, board)
    existing = indicators.existing_scenario(kalundborg)
    added = chosen.exchanges["quantity"].sum() - existing.exchanges["quantity"].sum()
    assert added == pytest.approx(1_000_000.0)  # one refinery need, filled once
