"""Tests of eit_geo.matching on small hand-made zones (tests/data/engine-*) and Kalundborg."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from engine_zones import links, without_synergies, zone

from eit_geo.datafiles import example_path
from eit_geo.loading import load_zone
from eit_geo.matching import (
    MATCH_QUALITY,
    SUBSTITUTION_COLUMNS,
    find_mutualisations,
    find_substitutions,
    rank_substitutions,
)

if TYPE_CHECKING:
    from eit_geo.zone import Zone

# --------------------------------------------------------------------------- rules


def test_rules_codes_chapters_and_substitution_table() -> None:
    found = find_substitutions(zone("rules"))
    assert links(
        found, "from_id", "to_id", "resource", "input_resource", "match", "conversion"
    ) == {
        ("a", "b", "10 01 05", "gypsum", "substitution", ""),
        ("a", "b", "10 01 05", "10 01", "ewc_chapter", ""),
        ("a", "c", "10 01 05", "10 01 05", "same_code", ""),
        ("a", "d", "10 01 05", "10", "ewc_chapter", ""),
        ("a", "b", "steam", "steam", "same_code", ""),
        ("a", "c", "steam", "hot_water", "substitution", ""),
        ("a", "c", "waste_heat", "hot_water", "substitution", "heat_pump"),
        ("d", "b", "10 01 02", "10 01", "ewc_chapter", ""),
    }


def test_never_a_company_with_itself() -> None:
    found = find_substitutions(zone("rules"), top_k=0)
    assert (found["from_id"] != found["to_id"]).all()
    assert ("a", "a") not in links(found, "from_id", "to_id")
    assert ("d", "d") not in links(found, "from_id", "to_id")


def test_quantity_is_min_of_offer_and_need() -> None:
    found = find_substitutions(zone("rules")).set_index("candidate_id")
    expected = {
        "a>b:10 01 05>gypsum": 100.0,
        "a>b:10 01 05>10 01": 20.0,
        "a>c:10 01 05>10 01 05": 50.0,
        "a>d:10 01 05>10": 5.0,
        "a>b:steam>steam": 80.0,
        "a>c:steam>hot_water": 40.0,
        "a>c:waste_heat>hot_water": 40.0,
        "d>b:10 01 02>10 01": 10.0,
    }
    assert found["quantity"].to_dict() == expected
    assert (found["quantity"] == found[["offer_quantity", "need_quantity"]].min(axis=1)).all()


def test_columns_types_and_order() -> None:
    found = find_substitutions(zone("rules"))
    assert isinstance(found, gpd.GeoDataFrame)
    assert list(found.columns[: len(SUBSTITUTION_COLUMNS)]) == list(SUBSTITUTION_COLUMNS)
    assert found.crs.to_epsg() == 4326
    assert (found.geom_type == "LineString").all()
    first = found.geometry.iloc[0]
    row = found.iloc[0]
    assert first.coords[0] == pytest.approx((row["from_lon"], row["from_lat"]))
    assert first.coords[-1] == pytest.approx((row["to_lon"], row["to_lat"]))
    assert (found["kind"] == "substitution").all()
    assert (found["status"] == "candidate").all()
    assert found["score"].is_monotonic_decreasing
    assert found["candidate_id"].is_unique
    assert found.at[found.index[0], "family"] in {"energy", "material"}


def test_score_formula() -> None:
    found = find_substitutions(zone("rules")).set_index("candidate_id")
    row = found.loc["a>b:10 01 05>gypsum"]
    assert row["distance_km"] == pytest.approx(0.1112, rel=5e-3)
    assert row["max_km"] == 50.0
    expected = MATCH_QUALITY["substitution"] * 0.5 ** (row["distance_km"] / 50.0) * 1.0
    assert row["score"] == pytest.approx(expected)
    heat = found.loc["a>c:waste_heat>hot_water"]
    fit = 40 / 50
    proximity = 0.5 ** (heat["distance_km"] / 1.5)
    assert heat["score"] == pytest.approx(0.8 * 0.75 * proximity * math.sqrt(fit))
    assert found["score"].between(0, 1).all()


def test_units_must_agree() -> None:
    with pytest.warns(UserWarning, match="unités différentes") as record:
        found = find_substitutions(zone("units"))
    assert found.empty
    assert [w.filename for w in record] == [__file__]  # points at the caller, not the engine
    with pytest.warns(UserWarning, match="unités différentes") as record:
        rank_substitutions(zone("units"))
    assert [w.filename for w in record] == [__file__]


# --------------------------------------------------------------------------- ranking


@pytest.mark.parametrize(
    ("top_k", "expected"),
    [
        (1, {("o1", "n1"), ("o2", "n2"), ("o3", "n3")}),
        (
            2,
            {("o1", "n1"), ("o1", "n2"), ("o2", "n2"), ("o2", "n1")}
            | {("o3", "n3"), ("o3", "n2"), ("o2", "n3")},
        ),
        (0, {(f"o{i}", f"n{j}") for i in (1, 2, 3) for j in (1, 2, 3)}),
    ],
)
def test_top_k_per_offer_and_per_need(top_k: int, expected: set) -> None:
    found = find_substitutions(zone("ranking"), top_k=top_k)
    assert links(found, "from_id", "to_id") == expected


def test_more_counts_what_was_left_out() -> None:
    found = find_substitutions(zone("ranking"), top_k=1).set_index("from_id")
    assert found["more_for_offer"].to_dict() == {"o1": 2, "o2": 2, "o3": 2}
    assert found["more_for_need"].to_dict() == {"o1": 2, "o2": 2, "o3": 2}
    assert found.attrs["found"] == 9
    assert found.attrs["more"] == 6
    everything = find_substitutions(zone("ranking"), top_k=0)
    assert (everything[["more_for_offer", "more_for_need"]] == 0).all().all()


def test_ranking_looks_past_the_nearest() -> None:
    found = find_substitutions(zone("widening"), top_k=1)
    assert links(found, "from_id", "to_id") == {
        ("o", "s1"), ("o", "s2"), ("o", "s3"), ("o", "s4"), ("o", "s5"),
        ("of", "nf"), ("o", "nf"),
    }  # fmt: skip


def test_negative_top_k_is_refused() -> None:
    with pytest.raises(ValueError, match="--top"):
        find_substitutions(zone("ranking"), top_k=-1)


def _random_zone(tmp_path: Path, seed: int) -> Zone:
    rng = np.random.default_rng(seed)
    n = 240
    centres = rng.uniform(0, 0.3, (6, 2))
    where = centres[rng.integers(0, 6, n)] + rng.normal(0, 0.01, (n, 2))
    ids = [f"c{i}" for i in range(n)]
    companies = pd.DataFrame(
        {"id": ids, "name": ids, "lat": 45 + where[:, 0], "lon": 3 + where[:, 1]}
    )
    codes = np.array(["steam", "hot_water", "10 01 05", "gypsum", "10 01", "waste_heat"])
    units = {"steam": "MWh/yr", "hot_water": "MWh/yr", "waste_heat": "MWh/yr"}
    company = rng.integers(0, n, 1200)
    resource = codes[rng.integers(0, len(codes), 1200)]
    flows = pd.DataFrame(
        {
            "company_id": np.array(ids)[company],
            "direction": np.where(rng.random(1200) < 0.5, "output", "input"),
            "resource": resource,
            "quantity": np.round(rng.lognormal(3, 1.5, 1200), 3) + 0.001,
            "unit": [units.get(c, "t/yr") for c in resource],
        }
    )
    flows.loc[flows["resource"].isin(["gypsum", "10 01", "hot_water"]), "direction"] = "input"
    folder = tmp_path / f"random-{seed}"
    folder.mkdir()
    companies.to_csv(folder / "companies.csv", index=False)
    flows.to_csv(folder / "flows.csv", index=False)
    return load_zone(folder)


def _incomplete(z: Zone, seed: int) -> Zone:
    """Return ``z`` with a tenth of its quantities unknown and synergies running on some flows.

    Some synergies use a flow whole, some part of it, some more than it holds.
    """
    rng = np.random.default_rng(seed)
    flows = z.flows.assign(quantity=z.flows["quantity"].astype(float))
    outputs = flows[flows["direction"] == "output"]
    inputs = flows[flows["direction"] == "input"]
    rows = []
    for offer in outputs.sample(60, random_state=seed).itertuples():
        needs = inputs[
            (inputs["resource"] == offer.resource)
            & (inputs["unit"] == offer.unit)
            & (inputs["company_id"] != offer.company_id)
        ]
        if len(needs):
            need = needs.iloc[int(rng.integers(len(needs)))]
            share = rng.choice([1.0, 0.5, 1.3])
            quantity = share * min(offer.quantity, need["quantity"])
            rows.append(
                (offer.company_id, need["company_id"], offer.resource, quantity, offer.unit)
            )
    synergies = pd.DataFrame(rows, columns=["from_id", "to_id", "resource", "quantity", "unit"])
    synergies = synergies.drop_duplicates(["from_id", "to_id", "resource"]).assign(
        family=lambda table: table["resource"].map(z.flows.groupby("resource")["family"].first()),
        since=pd.NA,
    )
    flows.loc[rng.random(len(flows)) < 0.1, "quantity"] = np.nan
    return dataclasses.replace(z, flows=flows, synergies=synergies[list(z.synergies.columns)])


@pytest.mark.parametrize(
    ("seed", "top_k", "incomplete"),
    [(1, 1, False), (2, 3, False), (3, 10, False), (4, 1, True), (5, 3, True), (6, 10, True)],
)
def test_ranking_is_exact_against_brute_force(
    tmp_path: Path, seed: int, top_k: int, *, incomplete: bool
) -> None:
    z = _random_zone(tmp_path, seed)
    if incomplete:
        z = _incomplete(z, seed)
        assert len(z.synergies) > 20
    everything = rank_substitutions(z, top_k=0)
    if incomplete:
        new = everything[everything["status"] == "candidate"]
        assert new["quantity"].isna().any()
        assert (new["offer_used"] > 0).any()
        known = new.dropna(subset=["quantity"])
        assert (known["quantity"] <= known["need_quantity"] - known["need_used"]).all()
        assert (known["quantity"] <= known["offer_quantity"] - known["offer_used"]).all()
        everything = new
    by_offer = everything.sort_values("score", ascending=False).groupby("from_flow_id").head(top_k)
    by_need = everything.sort_values("score", ascending=False).groupby("to_flow_id").head(top_k)
    expected = links(pd.concat([by_offer, by_need]), "from_flow_id", "to_flow_id")
    kept = rank_substitutions(z, top_k=top_k)
    kept = kept[kept["status"] == "candidate"]
    found = links(kept, "from_flow_id", "to_flow_id")
    if incomplete:  # unknown quantities fit alike: equal scores, and either of a tie may be kept
        expected ^= _ties_at_the_cut(everything, found ^ expected, top_k)
    assert found == expected
    assert kept.attrs["found"] == len(everything)


def _ties_at_the_cut(everything: pd.DataFrame, pairs: set[tuple], top_k: int) -> set[tuple]:
    """Return the ``pairs`` whose score equals the ``top_k``-th best of their offer or need."""
    table = everything.set_index(["from_flow_id", "to_flow_id"])["score"]
    cut = {
        side: everything.groupby(side)["score"].agg(lambda s: s.nlargest(top_k).min())
        for side in ("from_flow_id", "to_flow_id")
    }
    return {
        (offer, need)
        for offer, need in pairs
        if table[offer, need] in (cut["from_flow_id"][offer], cut["to_flow_id"][need])
    }


# --------------------------------------------------------------------------- existing synergies


def test_existing_synergies_are_kept_and_marked() -> None:
    found = find_substitutions(zone("existing")).set_index("candidate_id")
    assert found["status"].to_dict() == {
        "p>q:10 01 05>gypsum": "existing",
        "p>r:10 01 05>gypsum": "existing",
        "q>u:hot_water>hot_water": "existing",
        "p>u:10 01 05>gypsum": "candidate",
    }
    assert found.at["p>q:10 01 05>gypsum", "existing_quantity"] == 70.0
    assert found.at["p>q:10 01 05>gypsum", "quantity"] == 70.0  # as declared, not min(150, 80)
    far = found.loc["p>r:10 01 05>gypsum"]
    assert far["distance_km"] == pytest.approx(55.6, rel=5e-3)
    assert far["distance_km"] > far["max_km"]
    assert far["score"] == 0.0
    flowless = found.loc["q>u:hot_water>hot_water"]
    assert flowless["match"] == "existing"
    assert pd.isna(flowless["from_flow_id"])
    assert pd.isna(flowless["score"])
    assert flowless["quantity"] == 5.0


def test_existing_synergy_is_not_counted_as_new() -> None:
    z = zone("existing")
    found = find_substitutions(z)
    assert (found["status"] == "candidate").sum() == 1
    assert found.attrs["kept"] == 1
    bare = find_substitutions(without_synergies(z))
    assert (bare["status"] == "candidate").all()
    assert links(bare, "from_id", "to_id") == {("p", "q"), ("p", "u")}


# --------------------------------------------------------------------------- Kalundborg


def test_kalundborg_recall_of_local_exchanges() -> None:
    z = load_zone(example_path("kalundborg"))
    found = find_substitutions(without_synergies(z))
    local = z.synergies[z.synergies["to_id"] != "aalborgportland"]
    assert len(local) == len(z.synergies) - 1 == 19
    expected = links(local, "from_id", "to_id", "resource")
    assert expected <= links(found, "from_id", "to_id", "resource")
    others = len(found) - len(expected)
    assert others == 9
    with_existing = find_substitutions(z)
    assert (with_existing["status"] == "existing").sum() == len(z.synergies)
    # 4 of the 9 only re-propose what existing synergies already use: the refinery's cooling
    # water and Asnæs' water needs (taken whole), the utility's hot-water need (met by Asnæs
    # and Gyproc). The other 5 remain, on what is left.
    new = with_existing[with_existing["status"] == "candidate"]
    assert links(new, "from_id", "to_id", "resource", "input_resource") == {
        ("novonordisk", "argo", "15 01 01", "15 01"),
        ("kommune", "argo", "20 03 01", "20 03"),
        ("forsyning", "refinery", "process_water", "process_water"),
        ("forsyning", "refinery", "treated_wastewater", "process_water"),
        ("asnaes", "kommune", "10 01 01", "aggregates"),
    }


# --------------------------------------------------------------------------- what is left


def test_candidates_work_on_what_the_existing_synergies_leave() -> None:
    found = find_substitutions(zone("existing")).set_index("candidate_id")
    lead = found.loc["p>u:10 01 05>gypsum"]
    assert lead["quantity"] == 30.0  # 150 given out, 70 to q and 50 to r already
    assert (lead["offer_quantity"], lead["offer_used"], lead["offer_used_by"]) == (150, 120, "q,r")
    assert (lead["need_quantity"], lead["need_used"], lead["need_used_by"]) == (30, 0, "")
    bare = find_substitutions(without_synergies(zone("existing"))).set_index("candidate_id")
    assert bare.at["p>u:10 01 05>gypsum", "quantity"] == 30.0  # the need is the limit there
    assert bare.at["p>q:10 01 05>gypsum", "quantity"] == 80.0


@pytest.mark.parametrize("name", ["kalundborg", "dunkerque", "parc-rural"])
def test_no_lead_above_what_is_left_of_its_offer_and_need(name: str) -> None:
    z = load_zone(example_path(name))
    found = find_substitutions(z, top_k=0)
    new = found[found["status"] == "candidate"]
    assert (new["quantity"] > 0).all()
    assert (new["quantity"] <= new["offer_quantity"] - new["offer_used"]).all()
    assert (new["quantity"] <= new["need_quantity"] - new["need_used"]).all()
    existing = found[found["from_flow_id"].notna() & (found["status"] == "existing")]
    used = pd.concat(
        [
            existing.groupby("from_flow_id")["existing_quantity"].sum(),
            existing.groupby("to_flow_id")["existing_quantity"].sum(),
        ]
    )
    for side, column in (("from_flow_id", "offer_used"), ("to_flow_id", "need_used")):
        shown = found.dropna(subset=[side]).groupby(side)[column].first()
        assert shown.to_dict() == {f: used.get(f, 0.0) for f in shown.index}


def test_a_lead_with_nothing_left_is_not_a_lead() -> None:
    found = find_substitutions(load_zone(example_path("dunkerque")), top_k=0)
    new = found[found["status"] == "candidate"].set_index("candidate_id")
    # Grande-Synthe's 26,000 MWh are met by the steelworks: no other offer is proposed there.
    assert "dh_grandesynthe" not in set(new["to_id"])
    lead = new.loc["uve>dh_dunkerque:hot_water>hot_water"]
    assert lead["quantity"] == 30_000.0  # 150,000 needed, 105,000 from the steelworks
    assert (lead["need_used"], lead["need_used_by"]) == (105_000.0, "amdk")
    assert len(new) == 1


def test_rural_park_leads_on_what_is_left() -> None:
    found = find_substitutions(load_zone(example_path("parc-rural")), top_k=0)
    rows = found.set_index("candidate_id")
    bark = rows.loc["scierie>cooperative:03 01 01>biomass_fuel"]
    assert (bark["quantity"], bark["offer_used"], bark["offer_used_by"]) == (200, 600, "chaufferie")
    sawdust = rows.loc["scierie>chaufferie:03 01 05>biomass_fuel"]
    assert (sawdust["quantity"], sawdust["need_used"]) == (600.0, 600.0)


@pytest.mark.parametrize(
    ("name", "candidate_id", "declared"),
    [
        ("dunkerque", "amdk>dh_dunkerque:hot_water>hot_water", 105_000.0),
        ("parc-rural", "scierie>chaufferie:03 01 01>biomass_fuel", 600.0),
    ],
)
def test_existing_synergy_shows_its_declared_quantity(
    name: str, candidate_id: str, declared: float
) -> None:
    found = rank_substitutions(load_zone(example_path(name))).set_index("candidate_id")
    row = found.loc[candidate_id]
    assert row["status"] == "existing"
    assert row["quantity"] == row["existing_quantity"] == declared
    assert row["quantity"] < min(row["offer_quantity"], row["need_quantity"])


# --------------------------------------------------------------------------- score


@pytest.mark.parametrize("name", ["kalundborg", "dunkerque"])
def test_real_exchanges_rank_among_the_best_leads_of_their_offer(name: str) -> None:
    z = load_zone(example_path(name))
    found = find_substitutions(without_synergies(z), top_k=0)
    rank = found.groupby("from_flow_id")["score"].rank(ascending=False, method="min")
    found = found.assign(rank=rank)
    ranks = {}
    for synergy in z.synergies.itertuples():
        mine = found[(found["from_id"] == synergy.from_id) & (found["to_id"] == synergy.to_id)]
        mine = mine[mine["resource"] == synergy.resource]
        if synergy.to_id != "aalborgportland":  # 168 km away, beyond the 50 km of fly ash
            ranks[synergy.from_id, synergy.to_id, synergy.resource] = int(mine["rank"].min())
    assert len(ranks) == len(z.synergies) - (name == "kalundborg")
    assert max(ranks.values()) <= 3, ranks


def test_a_classic_lead_near_its_maximum_distance_ranks_first() -> None:
    # A sugar mill's warm condensates 1.3 km from greenhouses, waste heat allowing 1.5 km, raised
    # by a heat pump: once scored 0.07 and last, below a dairy's small need 0.4 km away.
    found = find_substitutions(zone("sugar"), top_k=0)
    heat = found[found["resource"] == "waste_heat"]
    assert heat["to_id"].tolist() == ["serres", "laiterie"]
    greenhouses = heat.iloc[0]
    assert greenhouses["distance_km"] == pytest.approx(1.30, abs=0.01)
    proximity = 0.5 ** (greenhouses["distance_km"] / 1.5)
    assert greenhouses["score"] == pytest.approx(0.8 * 0.75 * proximity * (12 / 15) ** 0.5)
    assert greenhouses["score"] > 0.29
    needs = found[found["to_id"] == "serres"]
    assert needs["from_id"].iloc[0] == "sucrerie"


def test_score_floor_at_the_maximum_distance_and_none_beyond() -> None:
    found = find_substitutions(zone("distances"), max_km={"steam": 10}, top_k=0)
    steam = found[found["resource"] == "steam"].set_index("to_id")
    for need, row in steam.iterrows():
        assert row["distance_km"] <= 10, need
        assert row["score"] >= 0.5 - 1e-9  # same code, equal sizes: 0.5 at the maximum at worst


# --------------------------------------------------------------------------- incomplete data


def _with_flows(z: Zone, **changes: dict[int, object]) -> Zone:
    """Return ``z`` with flow cells changed: ``column={row: value}``."""
    flows = z.flows.copy()
    for column, values in changes.items():
        if column == "quantity":
            flows[column] = flows[column].astype(float)
        for row, value in values.items():
            flows.loc[row, column] = value
    return dataclasses.replace(z, flows=flows)


def _row(z: Zone, company: str, resource: str) -> int:
    flows = z.flows
    return int(flows.index[(flows["company_id"] == company) & (flows["resource"] == resource)][0])


def test_unknown_quantity_is_matched_with_a_neutral_fit() -> None:
    z = zone("sugar")
    z = _with_flows(z, quantity={_row(z, "serres", "hot_water"): np.nan})
    found = find_substitutions(z, top_k=0).set_index("to_id")
    lead = found[found["resource"] == "waste_heat"].loc["serres"]
    assert np.isnan(lead["quantity"])
    assert lead["offer_quantity"] == 15_000.0
    assert np.isnan(lead["need_quantity"])
    assert lead["score"] == pytest.approx(0.8 * 0.75 * 0.5 ** (lead["distance_km"] / 1.5))


def test_flow_without_code_is_not_matched() -> None:
    z = zone("sugar")
    for empty in ("", None):
        blank = _with_flows(z, resource={_row(z, "serres", "hot_water"): empty})
        found = find_substitutions(blank, top_k=0)
        assert "serres" not in set(found["to_id"])
        assert len(found) == len(find_substitutions(z, top_k=0)) - 1
        groups = find_mutualisations(blank)
        assert not groups["members"].str.contains("serres").any()


def test_group_with_an_unknown_quantity_has_an_unknown_total_and_a_plain_centre() -> None:
    z = zone("groups")
    z = _with_flows(z, quantity={_row(z, "m2", "steam"): np.nan})
    steam = find_mutualisations(z).set_index("group_id").loc["input:steam:MWh/yr:m1"]
    assert steam["members"] == "m1,m2"
    assert np.isnan(steam["quantity"])  # never the 100 MWh of the one known
    assert steam["centre_lat"] == pytest.approx((45.0 + 45.013489) / 2, abs=1e-6)


def test_company_without_position_is_not_matched_by_distance() -> None:
    z = zone("existing")
    companies = z.companies.copy()
    companies.loc[companies["id"] == "u", "geometry"] = shapely.Point()
    found = find_substitutions(dataclasses.replace(z, companies=companies), top_k=0)
    assert "u" not in set(found.loc[found["status"] == "candidate", "to_id"])
    flowless = found.set_index("candidate_id").loc["q>u:hot_water>hot_water"]
    assert flowless["status"] == "existing"
    assert np.isnan(flowless["distance_km"])
    assert flowless.geometry is None or flowless.geometry.is_empty


def test_inputs_are_not_mutated() -> None:
    z = zone("existing")
    before = (z.companies.copy(), z.flows.copy(), z.synergies.copy())
    find_substitutions(z, max_km={"material": 100})
    find_mutualisations(z)
    pd.testing.assert_frame_equal(z.companies, before[0])
    pd.testing.assert_frame_equal(z.flows, before[1])
    pd.testing.assert_frame_equal(z.synergies, before[2])
