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
    novo = names.set_index("id").loc["novonesis"]  # the only chemicals company of the zone
    assert novo["alias"] == f"Entreprise {novo['alias_id']} — industrie manufacturière"
    every_division = anonymise.pseudonyms(kalundborg.companies, k=1).set_index("id")
    assert every_division.at["novonesis", "alias"] == f"Entreprise {novo['alias_id']} — chimie"
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


# A port zone as a chamber of commerce would type it: one refinery among chemical plants, three
# chemical plants, two steelworks, a power plant alone in its section, a company without code.
PORT_SECTORS = {
    "raffinerie": "19.20Z",
    "chimie-1": "20.14Z",
    "chimie-2": "20.16Z",
    "chimie-3": "20.59Z",
    "acierie-1": "24.10Z",
    "acierie-2": "24.10Z",
    "centrale": "35.11Z",
    "logistique": "52.10B",
    "logistique-2": "52.24A",
    "logistique-3": "49.41A",
    "inconnue": "",
}


@pytest.fixture
def port_companies() -> pd.DataFrame:
    return pd.DataFrame({"id": list(PORT_SECTORS), "sector": list(PORT_SECTORS.values())})


def test_one_refinery_is_not_singled_out(port_companies: pd.DataFrame) -> None:
    names = anonymise.pseudonyms(port_companies).set_index("id")
    labels = names["sector_label"]
    assert "raffinage" not in set(labels)
    # the refinery (1) and the steelworks (2) are rare: pooled, three of them, they show their
    # section; the chemical plants (3) keep their division
    assert labels["raffinerie"] == "industrie manufacturière"
    assert labels[["acierie-1", "acierie-2"]].eq("industrie manufacturière").all()
    assert labels[["chimie-1", "chimie-2", "chimie-3"]].eq("chimie").all()
    assert (
        labels[["logistique", "logistique-2", "logistique-3"]].eq("transport et logistique").all()
    )
    assert labels["centrale"] == "autre activité"  # alone in its section
    assert labels["inconnue"] == "autre activité"
    counts = labels.value_counts()
    assert (counts.drop("autre activité") >= anonymise.SECTOR_K).all()


def test_a_rare_division_pools_with_the_smallest_of_its_section(
    port_companies: pd.DataFrame,
) -> None:
    companies = port_companies[port_companies["id"] != "acierie-2"]  # steel now alone too
    shown = anonymise.generalised_sectors(companies).set_axis(companies["id"])
    # refinery + steel = 2 < 3: chemicals (the section's smallest division left) join them
    assert shown[["raffinerie", "acierie-1", "chimie-1"]].eq("C").all()
    assert shown["centrale"] is None


def test_k_one_keeps_every_division(port_companies: pd.DataFrame) -> None:
    shown = anonymise.generalised_sectors(port_companies, k=1)
    assert shown.iloc[:2].tolist() == ["19", "20"]
    assert shown.iloc[-1] is None  # no code: nothing to show


def test_anonymised_zone_keeps_only_the_generalised_sector(kalundborg: Zone) -> None:
    public = anonymise.anonymise_zone(kalundborg)
    assert "19" not in set(public.companies["sector"].dropna())  # the refinery's division
    assert public.companies["name"].str.contains("raffinage").sum() == 0
