"""Tests of eit_geo.allocation: an optimal exchange scenario that never exceeds offer or need."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eit_geo.allocation import allocate, allocate_in_order
from eit_geo.datafiles import example_path
from eit_geo.loading import load_zone
from eit_geo.matching import find_substitutions

DATA = Path(__file__).parent / "data"


def candidates(rows: list[tuple]) -> pd.DataFrame:
    """Rows (from_flow_id, to_flow_id, offer, need, status[, score])."""
    table = pd.DataFrame(
        [row[:5] for row in rows],
        columns=["from_flow_id", "to_flow_id", "offer_quantity", "need_quantity", "status"],
    )
    table["quantity"] = table[["offer_quantity", "need_quantity"]].min(axis=1)
    table["score"] = [row[5] if len(row) > 5 else 0.5 for row in rows]
    table["kind"] = "substitution"
    return table


def assert_feasible(result: pd.DataFrame) -> None:
    linked = result[result["from_flow_id"].notna()]
    sent = linked.groupby("from_flow_id")["allocated_quantity"].sum()
    offered = linked.groupby("from_flow_id")["offer_quantity"].first()
    received = linked.groupby("to_flow_id")["allocated_quantity"].sum()
    needed = linked.groupby("to_flow_id")["need_quantity"].first()
    assert (sent <= offered + 1e-9).all()
    assert (received <= needed + 1e-9).all()
    assert (result["allocated_quantity"] >= 0).all()


def test_one_offer_two_needs() -> None:
    result = allocate(candidates([(1, 10, 100, 60, "candidate"), (1, 11, 100, 70, "candidate")]))
    assert result["allocated_quantity"].sum() == pytest.approx(100)
    assert_feasible(result)


def test_optimal_where_greedy_by_score_is_not() -> None:
    table = candidates(
        [
            (1, 10, 10, 10, "candidate", 0.9),
            (1, 11, 10, 10, "candidate", 0.2),
            (2, 10, 10, 10, "candidate", 0.2),
        ]
    )
    result = allocate(table)
    assert result["allocated_quantity"].tolist() == pytest.approx([0, 10, 10])


def test_ties_go_to_the_better_score() -> None:
    table = candidates([(1, 10, 10, 10, "candidate", 0.2), (1, 11, 10, 10, "candidate", 0.9)])
    assert allocate(table)["allocated_quantity"].tolist() == pytest.approx([0, 10])


def test_weight_column() -> None:
    table = candidates([(1, 10, 100, 100, "candidate"), (1, 11, 100, 100, "candidate")])
    table["co2_per_unit"] = [1.0, 2.0]
    result = allocate(table, weight="co2_per_unit")
    assert result["allocated_quantity"].tolist() == pytest.approx([0, 100])
    table["co2_per_unit"] = [np.nan, -1.0]
    assert allocate(table, weight="co2_per_unit")["allocated_quantity"].tolist() == [0, 0]


def test_existing_synergies_use_their_capacity_first() -> None:
    table = candidates([(1, 10, 100, 80, "candidate", 0.99), (1, 11, 100, 100, "existing", 0.1)])
    table["existing_quantity"] = [np.nan, 70.0]
    result = allocate(table)
    assert result["allocated_quantity"].tolist() == pytest.approx([30, 70])


def test_existing_zone_scenario() -> None:
    found = find_substitutions(load_zone(DATA / "engine-existing"))
    result = allocate(found).set_index("candidate_id")["allocated_quantity"]
    assert result.to_dict() == pytest.approx(
        {
            "p>q:10 01 05>gypsum": 70.0,
            "p>r:10 01 05>gypsum": 50.0,
            "p>u:10 01 05>gypsum": 30.0,
            "q>u:hot_water>hot_water": 5.0,
        }
    )


def test_mutualisation_rows_are_ignored() -> None:
    table = candidates([(1, 10, 100, 60, "candidate")])
    group = pd.DataFrame({"kind": ["mutualisation"], "status": [None], "quantity": [500.0]})
    result = allocate(pd.concat([table, group], ignore_index=True))
    assert result["allocated_quantity"].tolist() == pytest.approx([60, 0])


def test_input_not_mutated_and_index_kept() -> None:
    table = candidates([(1, 10, 100, 60, "candidate"), (2, 10, 5, 60, "candidate")])
    table.index = [7, 3]
    before = table.copy()
    result = allocate(table)
    pd.testing.assert_frame_equal(table, before)
    assert list(result.index) == [7, 3]


def test_missing_columns_are_named() -> None:
    with pytest.raises(ValueError, match="need_quantity"):
        allocate(pd.DataFrame({"from_flow_id": [1]}))
    with pytest.raises(ValueError, match="co2"):
        allocate(candidates([(1, 10, 1, 1, "candidate")]), weight="co2")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_allocations_are_feasible_and_optimal(seed: int) -> None:
    rng = np.random.default_rng(seed)
    offers = rng.uniform(1, 100, 30)
    needs = rng.uniform(1, 100, 30)
    pairs = {(int(rng.integers(30)), int(rng.integers(30))) for _ in range(120)}
    rows = [(f, 100 + g, offers[f], needs[g], "candidate", rng.random()) for f, g in pairs]
    result = allocate(candidates(rows))
    assert_feasible(result)
    bound = min(
        offers[sorted({f for f, _ in pairs})].sum(), needs[sorted({g for _, g in pairs})].sum()
    )
    assert result["allocated_quantity"].sum() <= bound + 1e-6


def test_kalundborg_scenario() -> None:
    zone = load_zone(example_path("kalundborg"))
    result = allocate(find_substitutions(zone))
    assert_feasible(result)
    existing = result[result["status"] == "existing"]
    assert existing["allocated_quantity"].sum() == pytest.approx(zone.synergies["quantity"].sum())


# --------------------------------------------------------------------------- what is left


def test_allocation_starts_from_what_existing_synergies_leave() -> None:
    table = candidates([(1, 10, 100, 80, "candidate"), (1, 11, 100, 100, "candidate")])
    table["offer_used"] = 70.0  # by existing synergies the table does not hold
    table["need_used"] = [0.0, 90.0]
    table["quantity"] = [30.0, 10.0]  # what the engine leaves
    result = allocate(table)
    assert result["allocated_quantity"].sum() == pytest.approx(30)
    assert result["allocated_quantity"].iloc[1] <= 10


def test_existing_synergy_keeps_its_declared_quantity() -> None:
    table = candidates([(1, 10, 100, 100, "existing"), (1, 11, 100, 100, "candidate")])
    table["existing_quantity"] = [120.0, np.nan]  # declared above what the offer says
    table["candidate_id"] = _ids(table)
    result = allocate(table)
    assert result["allocated_quantity"].tolist() == pytest.approx([120, 0])
    in_order = allocate_in_order(table, ["1"])
    assert in_order["allocated_quantity"].tolist() == pytest.approx([120, 0])


def test_unknown_quantity_is_not_allocated() -> None:
    table = candidates([(1, 10, np.nan, 50, "candidate"), (2, 10, 40, 50, "candidate")])
    table["quantity"] = [np.nan, 40.0]  # as the engine gives it: unknown, never 0
    result = allocate(table)
    assert np.isnan(result["allocated_quantity"].iloc[0])
    assert result["allocated_quantity"].iloc[1] == pytest.approx(40)


@pytest.mark.parametrize("name", ["kalundborg", "dunkerque", "parc-rural"])
def test_engine_scenarios_stay_within_what_is_left(name: str) -> None:
    found = find_substitutions(load_zone(example_path(name)))
    for result in (allocate(found), allocate_in_order(found, found["candidate_id"].tolist())):
        assert_feasible(result[result["status"] == "candidate"].assign(
            offer_quantity=lambda t: t["offer_quantity"] - t["offer_used"],
            need_quantity=lambda t: t["need_quantity"] - t["need_used"],
        ))  # fmt: skip
        existing = result[result["status"] == "existing"]
        assert (existing["allocated_quantity"] == existing["existing_quantity"]).all()


def _ids(table: pd.DataFrame) -> list[str]:
    return [str(i) for i in range(len(table))]


def test_leads_take_what_is_left_in_the_order_given() -> None:
    table = candidates(
        [(1, 10, 100, 80, "candidate"), (2, 10, 50, 80, "candidate"), (2, 11, 50, 30, "candidate")]
    )
    table["candidate_id"] = _ids(table)
    table["from_id"], table["to_id"] = ["a", "b", "b"], ["x", "x", "y"]
    table["offer_used"], table["need_used"] = 0.0, 0.0
    table["offer_used_by"], table["need_used_by"] = "", ""
    first = allocate_in_order(table, ["0", "1"])
    assert first["allocated_quantity"].tolist() == [80, 0, 0]
    assert first["quantity"].tolist() == [80, 0, 30]  # lead 1: nothing left of x's need
    assert first["need_used"].tolist() == [0, 80, 0]
    assert first["need_used_by"].tolist() == ["", "a", ""]
    second = allocate_in_order(table, ["1", "0"])
    assert second["allocated_quantity"].tolist() == [30, 50, 0]
    assert second["quantity"].tolist() == [30, 50, 0]  # lead 2: b's 50 t went to x
    assert second["offer_used"].tolist() == [0, 0, 50]
    assert second["offer_used_by"].tolist() == ["", "", "x"]
    assert second["need_used_by"].tolist() == ["b", "", ""]
    pd.testing.assert_frame_equal(table, table.copy())  # the input is kept


def test_a_lead_of_unknown_quantity_leaves_its_flows_unknown() -> None:
    table = candidates([(1, 10, np.nan, 80, "candidate"), (2, 10, 50, 80, "candidate")])
    table["quantity"] = [np.nan, 50.0]
    table["candidate_id"] = _ids(table)
    result = allocate_in_order(table, ["0"])
    assert np.isnan(result["allocated_quantity"].iloc[0])
    assert np.isnan(result["quantity"].iloc[1])  # what lead 0 took of the need is unknown
