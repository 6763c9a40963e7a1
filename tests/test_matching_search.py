"""The search's order, seen from outside: any number of threads, ties, the best first.

The exactness of the ranking against a brute force is in test_matching.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest
from engine_zones import zone

from eit_geo.datafiles import example_path
from eit_geo.loading import load_zone
from eit_geo.matching import match_zone, rank_substitutions

if TYPE_CHECKING:
    from eit_geo.zone import Zone


def _park(folder: Path, n_needs: int = 5) -> Zone:
    """One steam offer and ``n_needs`` needs alike, in two buildings 1 and 2 km north of it.

    The file alternates them. Leads to one building score the same: only their order in the
    file can set theirs.
    """
    folder.mkdir()
    needs = [f"n{i}" for i in range(n_needs)][::-1]  # ids against the file's order
    pd.DataFrame(
        {
            "id": ["o", *needs],
            "name": ["Offre", *needs],
            "lat": [45.0, *([45.009, 45.018] * n_needs)[:n_needs]],
            "lon": 3.0,
        }
    ).to_csv(folder / "companies.csv", index=False)
    pd.DataFrame(
        {
            "company_id": ["o", *needs],
            "direction": ["output", *["input"] * n_needs],
            "resource": "steam",
            "quantity": 100,
            "unit": "MWh/yr",
        }
    ).to_csv(folder / "flows.csv", index=False)
    return load_zone(folder)


def test_equal_leads_come_in_the_files_order(tmp_path: Path) -> None:
    found = rank_substitutions(_park(tmp_path / "park", n_needs=60), top_k=0)
    assert found["score"].nunique() == 2  # two buildings, each alike to the last digit
    in_file = [f"n{i}" for i in range(60)][::-1]
    near, far = in_file[0::2], in_file[1::2]
    assert list(found["to_id"]) == near + far  # the nearer first, each in the file's order


def test_leads_come_best_first() -> None:
    found = rank_substitutions(zone("ranking"), top_k=0)
    candidates = found[found["status"] == "candidate"]["score"].to_numpy()
    assert len(candidates) == 9
    assert (candidates[:-1] >= candidates[1:]).all()
    assert candidates[0] > candidates[-1]  # not all equal: the order means something


@pytest.mark.parametrize("threads", [2, 3])
def test_any_number_of_threads_finds_the_same(threads: int, tmp_path: Path) -> None:
    z = _park(tmp_path / "park", n_needs=12)
    examples = (z, zone("ranking"), zone("widening"), load_zone(example_path("dunkerque")))
    for example in examples:
        one = rank_substitutions(example, top_k=2, threads=1)
        several = rank_substitutions(example, top_k=2, threads=threads)
        pd.testing.assert_frame_equal(one, several)
        assert one.attrs == several.attrs


def test_groups_found_alongside_the_search_are_the_same_on_any_threads() -> None:
    z = zone("ranking")
    ranked_one, groups_one = match_zone(z, top_k=1, geometry=False, threads=1)
    ranked_three, groups_three = match_zone(z, top_k=1, geometry=False, threads=3)
    pd.testing.assert_frame_equal(ranked_one.table(), ranked_three.table())
    pd.testing.assert_frame_equal(groups_one.result(), groups_three.result())
