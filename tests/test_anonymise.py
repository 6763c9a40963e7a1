"""Anonymised view: aliases, blurred positions, grouped small flows and candidates."""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from eit_geo import anonymise
from eit_geo.datafiles import example_path
from eit_geo.loading import load_zone
from eit_geo.matching import find_substitutions

if TYPE_CHECKING:
    from eit_geo.zone import Zone


@pytest.fixture(scope="module")
def kalundborg() -> Zone:
    return load_zone(example_path("kalundborg"))


def test_alias_letters() -> None:
    letters = anonymise.alias_letters(30)
    assert letters[:3] == ["A", "B", "C"]
    assert letters[25:28] == ["Z", "AA", "AB"]
    assert len(set(anonymise.alias_letters(800))) == 800


@pytest.mark.parametrize(
    ("sector", "lang", "label"),
    [
        ("20.59", "fr", "chimie"),
        ("20.59Z", "en", "chemicals"),
        ("35.11", "fr", "énergie"),
        ("C", "fr", "industrie manufacturière"),
        ("c", "en", "manufacturing"),
        (None, "fr", "secteur non précisé"),
        ("", "en", "sector not given"),
        ("zz", "fr", "secteur non précisé"),
    ],
)
def test_sector_label(sector: str | None, lang: str, label: str) -> None:
    assert anonymise.sector_label(sector, lang) == label


def test_pseudonyms_are_deterministic_and_hide_names(kalundborg: Zone) -> None:
    names = anonymise.pseudonyms(kalundborg.companies)
    again = anonymise.pseudonyms(kalundborg.companies.iloc[::-1])
    assert names.index.equals(kalundborg.companies.index)
    assert dict(zip(names["id"], names["alias"], strict=True)) == dict(
        zip(again["id"], again["alias"], strict=True)
    )
    assert sorted(names["alias_id"]) == anonymise.alias_letters(len(names))
    novo = names.set_index("id").loc["novonesis"]
    assert novo["alias"] == f"Entreprise {novo['alias_id']} — chimie"
    ordered_by_name = names.sort_values("id")["alias_id"].tolist()
    assert ordered_by_name != sorted(ordered_by_name)  # letters do not follow ids
    english = anonymise.pseudonyms(kalundborg.companies, lang="en")
    assert english.set_index("id").at["novonesis", "alias"].startswith("Company ")


def test_blur_points_snaps_to_cells_and_spreads_neighbours() -> None:
    points = gpd.GeoSeries(
        shapely.points([[2.3000, 51.0300], [2.3004, 51.0301], [2.3600, 51.0700]]),
        index=[10, 11, 12],
        crs="EPSG:4326",
    )
    blurred = anonymise.blur_points(points, cell_km=1.0)
    assert blurred.index.tolist() == [10, 11, 12]
    assert blurred.crs == points.crs
    metric = points.estimate_utm_crs()
    moved = points.to_crs(metric).distance(blurred.to_crs(metric))
    assert (moved < 1000).all()  # stays within ~a cell (centre ± ring)
    assert (moved > 1).all()  # but never on the true spot
    assert blurred.iloc[0].distance(blurred.iloc[1]) > 0  # neighbours no longer overlap
    again = anonymise.blur_points(points, cell_km=1.0)
    assert again.geom_equals(blurred).all()
    assert anonymise.blur_points(points.iloc[0:0]).empty


def test_round_significant() -> None:
    values = pd.Series([438000.0, 1234.0, 0.0, np.nan, 96.0])
    result = anonymise.round_significant(values).tolist()
    assert result[:3] == [440000.0, 1200.0, 0.0]
    assert np.isnan(result[3])
    assert result[4] == 96.0


def test_anonymise_zone_hides_what_identifies(kalundborg: Zone) -> None:
    before = kalundborg.fingerprint()
    public = anonymise.anonymise_zone(kalundborg)
    assert kalundborg.fingerprint() == before  # input untouched
    text = public.companies.to_csv() + public.flows.to_csv() + public.synergies.to_csv()
    for secret in [*kalundborg.companies["name"], *kalundborg.companies["id"], "Novo", "Ørsted"]:
        assert secret not in text
    assert set(public.companies.columns) == {"id", "name", "sector", "employees", "geometry"}
    assert public.companies["employees"].isna().all()
    assert public.companies.set_index("name").filter(like="chimie", axis=0)["sector"].eq("20").all()
    assert set(public.flows["company_id"]) <= set(public.companies["id"])
    assert set(public.synergies["from_id"]) <= set(public.companies["id"])
    assert (public.flows["label"].eq("") | public.flows["label"].str.contains("groupé")).all()
    assert len(public.companies) == len(kalundborg.companies)
    assert len(public.synergies) == len(kalundborg.synergies)
    assert public.perimeter is not None
    assert public.companies.crs == kalundborg.companies.crs


def test_small_flows_are_grouped_per_company_and_family(kalundborg: Zone) -> None:
    public = anonymise.anonymise_zone(kalundborg, small_share=0.05)
    grouped = public.flows[public.flows["label"] != ""]
    assert not grouped.empty
    assert set(grouped["resource"]) <= {"energy", "water", "gas", "material"}
    assert (grouped["resource"] == grouped["family"]).all()
    totals = kalundborg.flows.groupby(["family", "unit"])["quantity"].sum()
    public_totals = public.flows.groupby(["family", "unit"])["quantity"].sum()
    assert np.allclose(public_totals, totals, rtol=0.05)  # rounding only
    none = anonymise.anonymise_zone(kalundborg, small_share=0.0)
    assert (none.flows["label"] == "").all()
    assert len(none.flows) == len(kalundborg.flows)


def test_anonymise_candidates(kalundborg: Zone) -> None:
    candidates = find_substitutions(kalundborg)
    candidates["decision"] = "to_study"
    candidates["comment"] = "Appeler M. Dupont chez Novo Nordisk"
    candidates["participant"] = "Anne Martin"
    public = anonymise.anonymise_candidates(candidates, kalundborg, small_share=0.05)
    assert isinstance(public, gpd.GeoDataFrame)
    assert public.crs == "EPSG:4326"
    assert public["grouped"].sum() == len(candidates)
    text = public.drop(columns="geometry").to_csv()
    for secret in [*kalundborg.companies["name"], *kalundborg.companies["id"], "Dupont", "Anne"]:
        assert secret not in text
    groups = public[public["candidate_id"].str.startswith("group:")]
    assert not groups.empty
    assert groups.geometry.isna().all()
    assert groups["from_name"].str.contains("petite").all()
    lines = public[public.geometry.notna()]
    companies = anonymise.anonymise_zone(kalundborg).companies
    ends = {(round(p.x, 6), round(p.y, 6)) for p in companies.geometry}
    for line in lines.geometry:
        first, last = line.coords[0], line.coords[-1]
        assert (round(first[0], 6), round(first[1], 6)) in ends
        assert (round(last[0], 6), round(last[1], 6)) in ends
    assert (lines["distance_km"] * 2 % 1 == 0).all()
