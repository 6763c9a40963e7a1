"""Tests of eit_geo.filters: sector groups and the filters of the map and the synergy list."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from eit_geo.datafiles import example_path, read_table
from eit_geo.filters import (
    UNKNOWN_SECTOR,
    MapFilter,
    apply_filter,
    best_links,
    filter_companies,
    filter_groups,
    filter_links,
    linked_companies_first,
    sector_colours,
    sector_group,
    sector_groups,
)
from eit_geo.i18n import translations
from eit_geo.loading import load_zone
from eit_geo.matching import find_mutualisations, find_substitutions


@pytest.fixture(scope="module")
def kalundborg():
    zone = load_zone(example_path("kalundborg"))
    return zone, find_substitutions(zone), find_mutualisations(zone)


@pytest.mark.parametrize(
    ("code", "group"),
    [
        ("35.11", "energy"),
        ("23.51Z", "industry"),
        ("3511Z", "energy"),
        ("03.22", "agriculture"),
        ("C", "industry"),
        ("e", "water_waste"),
        ("84.11", "public"),
        ("49.10", "trade_transport"),
        ("70.10", "services"),
        ("41.20", "construction"),
        ("00.00", UNKNOWN_SECTOR),
        ("<b>20.14</b>", UNKNOWN_SECTOR),
        ("", UNKNOWN_SECTOR),
        (None, UNKNOWN_SECTOR),
        (float("nan"), UNKNOWN_SECTOR),
    ],
)
def test_sector_group(code: object, group: str) -> None:
    assert sector_group(code) == group


def test_every_group_has_a_colour_and_labels() -> None:
    groups = set(read_table("nace_sections.csv")["group"]) | {UNKNOWN_SECTOR}
    assert groups == set(sector_colours())
    for group in groups:
        entry = translations()[f"sectors.{group}"]
        assert entry["fr"]
        assert entry["en"]


def test_sector_groups_aligned_on_index(kalundborg) -> None:
    zone, _, _ = kalundborg
    companies = zone.companies.set_axis(range(100, 100 + len(zone.companies)))
    groups = sector_groups(companies)
    assert groups.index.equals(companies.index)
    assert groups.loc[100] == "energy"  # Asnæs, 35.11


def test_sector_groups_without_sector_column() -> None:
    frame = pd.DataFrame({"id": ["a", "b"]})
    assert sector_groups(frame).tolist() == [UNKNOWN_SECTOR, UNKNOWN_SECTOR]


def test_filter_companies_by_sector(kalundborg) -> None:
    zone, _, _ = kalundborg
    energy = filter_companies(zone.companies, sectors=["energy"])
    assert set(energy["id"]) == {"asnaes", "bioenergi"}
    assert isinstance(energy, gpd.GeoDataFrame)
    assert energy.index.isin(zone.companies.index).all()
    assert len(filter_companies(zone.companies)) == len(zone.companies)
    assert filter_companies(zone.companies, sectors=[]).empty


def test_filter_links_by_family_status_and_companies(kalundborg) -> None:
    _, links, _ = kalundborg
    before = links.copy()
    water = filter_links(links, families=["water"])
    assert set(water["family"]) == {"water"}
    existing = filter_links(links, statuses=["existing"])
    assert len(existing) == 20
    assert set(existing["status"]) == {"existing"}
    between = filter_links(links, company_ids=["asnaes", "gyproc"])
    assert set(between["from_id"]) | set(between["to_id"]) <= {"asnaes", "gyproc"}
    assert len(between) == 1  # the FGD gypsum
    pd.testing.assert_frame_equal(links, before)  # input untouched


def test_filter_links_minimum_quantity_per_unit(kalundborg) -> None:
    _, links, _ = kalundborg
    kept = filter_links(links, min_quantity={"t/yr": 100_000.0})
    tonnes = kept[kept["unit"] == "t/yr"]
    assert (tonnes["quantity"] >= 100_000).all()
    assert len(kept[kept["unit"] != "t/yr"]) == len(links[links["unit"] != "t/yr"])


def test_filter_groups_needs_two_members_shown(kalundborg) -> None:
    _, _, groups = kalundborg
    steam = groups[groups["resource"] == "steam"]
    assert steam["n_members"].iloc[0] == 3
    kept = filter_groups(groups, company_ids=["novonesis", "novonordisk"])
    assert "input:steam:MWh/yr:novonesis" in set(kept["group_id"])
    alone = filter_groups(groups, company_ids=["novonesis"])
    assert alone.empty
    assert set(filter_groups(groups, families=["energy"])["family"]) == {"energy"}


def test_best_links_keeps_existing_and_best_candidates(kalundborg) -> None:
    _, links, _ = kalundborg
    kept, hidden = best_links(links, 3)
    candidates = links[links["status"] == "candidate"]
    assert hidden == len(candidates) - 3
    assert (kept["status"] == "existing").sum() == 20
    best = kept[kept["status"] == "candidate"]
    assert best["score"].min() >= candidates["score"].nlargest(3).min()
    assert best_links(links, None)[1] == 0
    assert best_links(links, 1000)[1] == 0


def test_apply_filter_hides_what_is_unchecked(kalundborg) -> None:
    zone, links, groups = kalundborg
    companies, kept, shown_groups = apply_filter(
        zone.companies, links, groups, MapFilter(candidates=False, groups=False)
    )
    assert len(companies) == 12
    assert set(kept["status"]) == {"existing"}
    assert shown_groups.empty
    companies, kept, _ = apply_filter(
        zone.companies, links, groups, MapFilter(sectors=("industry", "energy"))
    )
    ids = set(companies["id"])
    assert set(kept["from_id"]) <= ids
    assert set(kept["to_id"]) <= ids


def test_map_filter_is_a_cache_key() -> None:
    first = MapFilter(min_quantity=(("t/yr", 10.0),))
    assert first == MapFilter(min_quantity=(("t/yr", 10.0),))
    assert hash(first) == hash(MapFilter(min_quantity=(("t/yr", 10.0),)))
    assert first != MapFilter()
    assert MapFilter(existing=False).statuses() == ("candidate",)


def _points(ids: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": ids}, geometry=gpd.points_from_xy(range(len(ids)), range(len(ids))), crs=4326
    )


def test_linked_companies_first_keeps_those_links_and_groups_name() -> None:
    companies = _points([f"c{i}" for i in range(10)])
    links = pd.DataFrame({"from_id": ["c9"], "to_id": ["c7"]})
    groups = pd.DataFrame({"members": ["c8,c5"]})
    kept, hidden = linked_companies_first(companies, links, groups, 6)
    assert list(kept["id"]) == ["c0", "c1", "c5", "c7", "c8", "c9"]
    assert hidden == 4


def test_linked_companies_first_under_the_limit_keeps_all() -> None:
    companies = _points(["a", "b", "c"])
    links = pd.DataFrame({"from_id": ["a"], "to_id": ["b"]})
    kept, hidden = linked_companies_first(companies, links, pd.DataFrame({"members": []}), 3)
    assert list(kept["id"]) == ["a", "b", "c"]
    assert hidden == 0


def test_linked_companies_first_never_drops_a_linked_company() -> None:
    companies = _points(["a", "b", "c", "d"])
    links = pd.DataFrame({"from_id": ["a", "c"], "to_id": ["b", "d"]})
    kept, hidden = linked_companies_first(companies, links, pd.DataFrame({"members": []}), 2)
    assert list(kept["id"]) == ["a", "b", "c", "d"]
    assert hidden == 0
