"""Follow-up of the exchanges in place: year totals, planned against realised, realised scenario."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go
import pytest

from eit_geo import followup, indicators, plan_store, store, workshop
from eit_geo.datafiles import example_path
from eit_geo.loading import load_zone
from eit_geo.matching import find_substitutions

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.engine import Engine

    from eit_geo.zone import Zone

GYPSUM = {"from_id": "asnaes", "to_id": "gyproc", "resource": "10 01 05", "unit": "t/yr"}
STEAM = {"from_id": "asnaes", "to_id": "refinery", "resource": "steam", "unit": "MWh/yr"}


@pytest.fixture(scope="module")
def kalundborg() -> Zone:
    return load_zone(example_path("kalundborg"))


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return plan_store.prepare(store.open_store(f"sqlite:///{tmp_path / 'store.sqlite'}"))


def _record(engine: Engine, synergy: dict, year: int, quantity: float, **more: object) -> None:
    row = {
        **synergy,
        "year": year,
        "quantity": quantity,
        "status": "measured",
        "source": "",
        **more,
    }
    plan_store.record_realised(engine, "z", row, participant="Claire")


def test_synergies_in_place_leave_out_the_stopped_ones(kalundborg: Zone) -> None:
    in_place = followup.synergies_in_place(kalundborg)
    assert list(in_place.columns) == list(followup.IN_PLACE_COLUMNS)
    assert "asnaes>aalborgportland:10 01 02" not in set(in_place["key"])  # stopped in 2019
    assert len(in_place) == len(kalundborg.synergies) - 1
    gypsum = in_place.set_index("key").loc["asnaes>gyproc:10 01 05"]
    assert (gypsum["quantity"], gypsum["unit"], gypsum["since"]) == (150_000.0, "t/yr", 1993)
    assert "Asnæs" in gypsum["label"]
    assert "Gyproc" in gypsum["label"]


def test_workshop_leads_in_place_join_and_rejected_ones_leave(kalundborg: Zone) -> None:
    candidates = find_substitutions(kalundborg)
    new = candidates[candidates["status"] == "candidate"].iloc[0]
    old = candidates[candidates["status"] == "existing"].iloc[0]
    decisions = pd.DataFrame(
        {
            "candidate_id": [new["candidate_id"], old["candidate_id"]],
            "status": ["in_place", "rejected"],
        }
    )
    board = workshop.build_board(
        candidates, decisions, pd.DataFrame(columns=["candidate_id", "votes", "points", "voters"])
    )
    in_place = followup.synergies_in_place(kalundborg, board)
    keys = set(in_place["key"])
    assert f"{new['from_id']}>{new['to_id']}:{new['resource']}" in keys
    assert f"{old['from_id']}>{old['to_id']}:{old['resource']}" not in keys
    added = in_place[in_place["origin"] == "workshop"]
    assert added["quantity"].tolist() == [new["quantity"]]


def test_year_totals_prefer_the_yearly_figure_then_sum_the_months(engine: Engine) -> None:
    _record(engine, GYPSUM, 2022, 120_000.0)
    _record(engine, GYPSUM, 2022, 9_000.0, month=3)  # a month beside the year: the year wins
    for month in (1, 2, 3):
        _record(engine, GYPSUM, 2023, 10_000.0, month=month, status="estimated")
    totals = followup.year_totals(plan_store.get_realised(engine, "z"))
    assert totals[["year", "quantity", "months", "status"]].to_numpy().tolist() == [
        [2022, 120_000.0, 12, "measured"],
        [2023, 30_000.0, 3, "estimated"],
    ]


def test_planned_against_realised_per_synergy_and_network(kalundborg: Zone, engine: Engine) -> None:
    _record(engine, GYPSUM, 2022, 140_000.0, source="bilan Gyproc")
    _record(engine, GYPSUM, 2023, 120_000.0, status="estimated")
    _record(engine, STEAM, 2023, 90_000.0)
    _record(engine, {**GYPSUM, "from_id": "nobody"}, 2023, 5.0)  # not a synergy in place
    in_place = followup.synergies_in_place(kalundborg)
    totals = followup.year_totals(plan_store.get_realised(engine, "z"))
    pairs = followup.planned_vs_realised(in_place, totals)
    gypsum = pairs[pairs["key"] == "asnaes>gyproc:10 01 05"]
    assert gypsum[["year", "planned", "realised"]].to_numpy().tolist() == [
        [2022, 150_000.0, 140_000.0],
        [2023, 150_000.0, 120_000.0],
    ]
    assert gypsum["ratio"].round(2).tolist() == [0.93, 0.8]
    network = followup.network_by_year(in_place, totals)
    tonnes = network[network["unit"] == "t/yr"]
    assert tonnes[["year", "planned", "realised", "covered"]].to_numpy().tolist() == [
        [2022, 150_000.0, 140_000.0, 1],
        [2023, 150_000.0, 120_000.0, 1],
    ]
    assert (network["running"] >= network["covered"]).all()

    figure = followup.synergy_figure(gypsum, lang="fr")
    assert isinstance(figure, go.Figure)
    assert [trace.name for trace in figure.data] == [
        "Réalisé (mesuré)",
        "Réalisé (estimé)",
        "Prévu",
    ]
    assert list(figure.data[0].y) == [140_000.0]
    subtitle = figure.layout.title.subtitle.text.split("<br>")  # wrapped: no line cut by the edge
    resource, exchange = str(gypsum["label"].iloc[0]).split(" : ")
    assert subtitle == [html.escape(resource), html.escape(exchange)]  # each on its line
    assert max(map(len, subtitle)) <= 75
    whole = followup.network_figure(network, "t/yr", lang="en")
    assert [trace.name for trace in whole.data] == ["Planned", "Realised"]
    assert whole.layout.yaxis.title.text == "t/yr"


def test_realised_scenario_counts_only_the_figures_given(kalundborg: Zone, engine: Engine) -> None:
    in_place = followup.synergies_in_place(kalundborg)
    empty = followup.realised_exchanges(
        in_place, followup.year_totals(plan_store.get_realised(engine, "z")), 2023
    )
    scenario = indicators.realised_scenario(kalundborg, empty)
    assert scenario.name == "realised"
    assert scenario.n_synergies == 0
    assert scenario.totals["tonnes_diverted"] == 0.0

    _record(engine, GYPSUM, 2023, 100_000.0)
    _record(engine, STEAM, 2023, 50_000.0, status="estimated")
    _record(engine, GYPSUM, 2024, 130_000.0)
    totals = followup.year_totals(plan_store.get_realised(engine, "z"))
    in_2023 = indicators.realised_scenario(
        kalundborg, followup.realised_exchanges(in_place, totals, 2023)
    )
    in_2024 = indicators.realised_scenario(
        kalundborg, followup.realised_exchanges(in_place, totals, 2024)
    )
    assert in_2023.n_synergies == 2
    assert in_2023.totals["tonnes_diverted"] == pytest.approx(100_000.0)
    assert in_2023.totals["energy_recovered_mwh"] == pytest.approx(50_000.0)
    assert in_2023.estimated["energy_recovered_mwh"]
    assert not in_2023.estimated["tonnes_diverted"]
    assert in_2024.totals["tonnes_diverted"] == pytest.approx(130_000.0)
    assert in_2024.totals["co2_avoided_t"] != in_2023.totals["co2_avoided_t"]
    existing = indicators.existing_scenario(kalundborg)
    assert existing.totals["tonnes_diverted"] > in_2024.totals["tonnes_diverted"]
