"""Tests of eit_geo.matching.mutualisation: groups of nearby companies sharing a resource."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from engine_zones import zone

from eit_geo.datafiles import example_path
from eit_geo.loading import load_zone
from eit_geo.matching import MUTUALISATION_COLUMNS, find_mutualisations


def test_mutualisation_groups() -> None:
    groups = find_mutualisations(zone("groups")).set_index("group_id")
    assert list(groups.reset_index().columns[: len(MUTUALISATION_COLUMNS)]) == list(
        MUTUALISATION_COLUMNS
    )
    assert groups["members"].to_dict() == {
        "output:15 01 01:t/yr:m1": "m1,m2,m3",
        "input:steam:MWh/yr:m1": "m1,m2",
    }
    assert groups["n_members"].to_dict() == {
        "output:15 01 01:t/yr:m1": 3,
        "input:steam:MWh/yr:m1": 2,
    }
    assert groups["quantity"].to_dict() == {
        "output:15 01 01:t/yr:m1": 30.0,
        "input:steam:MWh/yr:m1": 150.0,
    }
    steam = groups.loc["input:steam:MWh/yr:m1"]
    assert steam["centre_lat"] == pytest.approx(45 + 0.5 / 111.2, abs=2e-4)
    assert steam["centre_lon"] == pytest.approx(3.0, abs=1e-4)
    assert (groups["kind"] == "mutualisation").all()
    assert groups.crs.to_epsg() == 4326
    assert (groups.geom_type == "Polygon").all()
    assert groups.geometry.iloc[0].contains(gpd.points_from_xy([3.0], [45.0])[0])


@pytest.mark.parametrize("name", ["groups", "kalundborg"])
def test_mutualisations_without_geometry_are_the_same_rows(name: str) -> None:
    z = zone(name) if name == "groups" else load_zone(example_path(name))
    with_hulls = find_mutualisations(z)
    plain = find_mutualisations(z, geometry=False)
    assert not isinstance(plain, gpd.GeoDataFrame)
    pd.testing.assert_frame_equal(plain, pd.DataFrame(with_hulls.drop(columns="geometry")))


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"min_members": 3}, {"m1,m2,m3"}),
        ({"max_km": 1}, set()),
        ({"max_km": {"material": 20}}, {"m1,m2,m3,m4", "m1,m2"}),
        ({"max_km": 20, "min_members": 4}, {"m1,m2,m3,m4"}),
    ],
)
def test_mutualisation_options(options: dict, expected: set) -> None:
    groups = find_mutualisations(zone("groups"), **options)
    assert set(groups["members"]) == expected


def test_kalundborg_groups() -> None:
    groups = find_mutualisations(load_zone(example_path("kalundborg")))
    assert "novonesis,novonordisk,refinery" in set(groups["members"])
    assert (groups["n_members"] >= 2).all()
