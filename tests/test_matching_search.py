"""Tests of the helpers of eit_geo.matching.search (the public behaviour is in test_matching)."""

from __future__ import annotations

import numpy as np
import pytest

from eit_geo.matching.arrays import _distinct
from eit_geo.matching.ranking import _by_score
from eit_geo.matching.search import _from_both_ends, _merge_sides


def test_search_pieces_run_once_and_come_back_in_their_order() -> None:
    ran: list[int] = []
    work = [lambda i=i: ran.append(i) or i * 10 for i in range(9)]
    sizes = [5, 1, 9, 3, 3, 7, 2, 8, 4]  # largest and smallest taken from both ends
    for threads in (1, 2, 3):
        ran.clear()
        assert _from_both_ends(work, sizes, threads) == [i * 10 for i in range(9)]
        assert sorted(ran) == list(range(9))


@pytest.mark.parametrize(
    "key",
    [
        np.array([0.5, 0.1, 0.5, 0.3, 0.1, 0.5, 0.2, 0.1, 0.5]),
        np.array([np.nan, 0.2, np.nan, -0.0, 0.0, np.inf, 0.2, np.nan, -np.inf]),
        np.round(np.random.default_rng(0).random(50_000), 2),  # many ties
        np.where(np.arange(20_000) % 3 == 0, np.nan, np.arange(20_000) % 7 / 7),  # many NaN
        np.random.default_rng(1).integers(0, 5, 1000),
        np.array([7.0]),
        np.array([]),
    ],
)
def test_order_by_score_is_numpys_stable_argsort(key: np.ndarray) -> None:
    assert np.array_equal(_by_score(-key), np.argsort(key, kind="stable"))


@pytest.mark.parametrize(
    "values",
    [
        np.array([], dtype=np.int64),
        np.array([7]),
        np.array([3, 1, 3, 2, 1], dtype=np.int32),
        np.random.default_rng(0).integers(0, 10**12, 10_000),
        np.array([2.5, -1.0, 2.5, 0.0]),
    ],
)
def test_distinct_is_numpys_unique(values: np.ndarray) -> None:
    found = _distinct(values)
    assert found.dtype == values.dtype
    assert np.array_equal(found, np.unique(values))


def test_merge_sides_is_the_union_with_who_kept_each_pair() -> None:
    # rows (offer, need, metres, score); needs 0 to 2
    forward = np.array([[1.0, 0.0, 50.0, 0.5], [0.0, 1.0, 20.0, 0.8]])
    backward = np.array([[2.0, 2.0, 70.0, 0.1], [0.0, 1.0, 20.0, 0.8], [1.0, 2.0, 9.0, 0.9]])
    rows, flags = _merge_sides(forward, backward, n_needs=3)
    assert rows.tolist() == [
        [0.0, 1.0, 20.0, 0.8],
        [1.0, 0.0, 50.0, 0.5],
        [1.0, 2.0, 9.0, 0.9],
        [2.0, 2.0, 70.0, 0.1],
    ]
    assert flags.tolist() == [[True, True], [True, False], [False, True], [False, True]]
    none, no_flags = _merge_sides(np.empty((0, 4)), np.empty((0, 4)), n_needs=3)
    assert none.shape == (0, 4)
    assert no_flags.shape == (0, 2)
