"""The analysis layer: each part computed once, shared across settings, same figures as before."""

from __future__ import annotations

import dataclasses
import json
import re
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import pytest

from eit_geo import analysis as analysis_module
from eit_geo import cli, indicators, report, store, workshop
from eit_geo.analysis import Analysis, frame_key
from eit_geo.datafiles import example_path
from eit_geo.loading import load_zone
from eit_geo.matching import find_mutualisations, find_substitutions
from eit_geo.network_years import running_now
from eit_geo.synergy_files import write_matches

if TYPE_CHECKING:
    from eit_geo.zone import Zone

EXAMPLES = ("kalundborg", "dunkerque", "parc-rural")
ENGINE = (
    "find_substitutions",
    "find_mutualisations",
    "allocate",
    "existing_scenario",
    "candidate_scenario",
    "selected_scenario",
)


@pytest.fixture(scope="module")
def zones() -> dict[str, Zone]:
    return {name: load_zone(example_path(name)) for name in EXAMPLES}


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Count the calls the analysis makes to the engine and the indicators."""
    counted: Counter[str] = Counter()

    def counting(name: str, function: Callable[..., object]) -> Callable[..., object]:
        def wrapper(*args: object, **kwargs: object) -> object:
            counted[name] += 1
            return function(*args, **kwargs)

        return wrapper

    for name in ENGINE:
        monkeypatch.setattr(analysis_module, name, counting(name, getattr(analysis_module, name)))
    return counted


def edited_factors(key: str = "landfill_nonhazardous_industrial", value: float = 10.0):
    factors = indicators.read_factors()
    factors.loc[factors["key"] == key, "value"] = value
    return factors


@pytest.mark.parametrize("name", ["kalundborg", "parc-rural"])
def test_each_part_is_computed_once(name: str, zones: dict[str, Zone], calls: Counter) -> None:
    zone = zones[name]
    first = Analysis(zone)
    for _ in range(2):
        assert len(first.candidates) > 0
        assert len(first.groups) > 0
        first.scenario("existing")
        first.optimal  # noqa: B018 - computed on access
        first.scenario("optimal")
    assert calls == Counter(
        find_substitutions=1,
        find_mutualisations=1,
        allocate=1,
        existing_scenario=1,
        candidate_scenario=1,
    )
    # other factors value the exchanges again, on the same candidates and allocation
    other = first.with_settings(factors=edited_factors())
    assert other.candidates is first.candidates
    assert other.allocation is first.allocation
    other.optimal  # noqa: B018
    other.existing  # noqa: B018
    assert calls["find_substitutions"] == calls["allocate"] == 1
    assert calls["candidate_scenario"] == calls["existing_scenario"] == 2
    # equal settings made anew find what is kept, tables compared by their values
    again = first.with_settings(factors=edited_factors())
    assert again.optimal is other.optimal
    assert calls["candidate_scenario"] == 2


def test_a_setting_changed_gives_other_results(zones: dict[str, Zone], calls: Counter) -> None:
    zone = zones["kalundborg"]
    base = Analysis(zone)
    near = base.with_settings(max_km={"*": 1.0})
    assert near.max_km == (("*", 1.0),)
    assert near.settings_key != base.settings_key
    assert len(near.candidates) < len(base.candidates)
    rural = Analysis(zones["parc-rural"])
    fewer = rural.with_settings(top_k=1)
    assert fewer.candidates["status"].eq("candidate").sum() == 25
    assert rural.candidates["status"].eq("candidate").sum() == 36
    assert calls["find_substitutions"] == 4
    assert near.groups is base.groups  # groups take their own distances
    edited = base.with_settings(factors=edited_factors())
    # 451 000 t of exchanges running this year no longer landfilled at 10 kg CO2e/t: + 4 510 t
    gain = edited.existing.totals["co2_avoided_t"] - base.existing.totals["co2_avoided_t"]
    assert gain == pytest.approx(4_510, rel=1e-3)


def test_another_zone_shares_nothing(zones: dict[str, Zone], calls: Counter) -> None:
    kalundborg = Analysis(zones["kalundborg"])
    assert len(kalundborg.candidates) > 0
    dunkerque = dataclasses.replace(kalundborg, zone=zones["dunkerque"])
    assert set(dunkerque.candidates["from_id"]).isdisjoint(kalundborg.candidates["from_id"])
    assert calls["find_substitutions"] == 2


@pytest.mark.parametrize("name", EXAMPLES)
def test_same_figures_as_the_direct_calls(name: str, zones: dict[str, Zone]) -> None:
    zone = zones[name]
    factors = edited_factors()
    analysis = Analysis(zone, factors=factors)
    candidates = find_substitutions(running_now(zone))  # the synergies running this year
    pd.testing.assert_frame_equal(analysis.candidates, candidates)
    assert analysis.existing.totals == indicators.existing_scenario(zone, factors=factors).totals
    optimal = indicators.optimal_scenario(zone, candidates, factors=factors)
    assert analysis.optimal.totals == optimal.totals
    assert analysis.optimal.uncounted == optimal.uncounted
    ids = tuple(candidates["candidate_id"].astype(str).iloc[::-2])  # an order of their own
    chosen = analysis.with_settings(selected=ids)
    direct = indicators.selected_scenario(zone, candidates, ids, factors=factors)
    assert chosen.scenario("selected").totals == direct.totals
    assert chosen.selected_scenario.n_synergies == direct.n_synergies


def test_a_set_of_ids_keeps_the_candidates_order(zones: dict[str, Zone]) -> None:
    zone = zones["kalundborg"]
    candidates = find_substitutions(running_now(zone))
    ids = set(candidates["candidate_id"].astype(str))
    chosen = Analysis(zone, selected=ids)
    assert chosen.selected == frozenset(ids)
    direct = indicators.selected_scenario(zone, candidates, ids)
    assert chosen.selected_scenario.totals == direct.totals
    assert Analysis(zone, selected=sorted(ids)).selected == tuple(sorted(ids))


def test_unknown_scenario_and_missing_board(zones: dict[str, Zone]) -> None:
    analysis = Analysis(zones["dunkerque"])
    with pytest.raises(ValueError, match="realised"):
        analysis.scenario("realised")
    with pytest.raises(ValueError, match="no board"):
        analysis.workshop  # noqa: B018


def test_threads_wait_for_the_part_another_computes(
    zones: dict[str, Zone], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sessions asking at once for one part share one search (the dashboard's threads)."""
    searches: list[int] = []

    def counted_search(zone: Zone, **kwargs: object) -> object:
        searches.append(1)
        return find_substitutions(zone, **kwargs)

    monkeypatch.setattr(analysis_module, "find_substitutions", counted_search)
    base = Analysis(zones["kalundborg"])
    views = [base.with_settings(factors=edited_factors(value=v)) for v in (1.0, 2.0, 3.0, 4.0)]
    together = threading.Barrier(len(views), timeout=60)

    def ask(view: Analysis) -> object:
        together.wait()  # the four sessions ask at the same moment, while one search runs
        return view.candidates

    with ThreadPoolExecutor(max_workers=len(views)) as pool:
        found = list(pool.map(ask, views))
    assert len(searches) == 1
    assert all(frame is found[0] for frame in found)


def test_analyses_of_two_zones_run_at_once(
    zones: dict[str, Zone], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two sessions on two zones search at the same time: neither waits for the other."""
    started = {name: threading.Event() for name in ("kalundborg", "dunkerque")}

    def meeting_search(zone: Zone, **kwargs: object) -> object:
        started[zone.name].set()
        other = next(name for name in started if name != zone.name)
        assert started[other].wait(timeout=60), "the other zone's search waited for this one"
        return find_substitutions(zone, **kwargs)

    monkeypatch.setattr(analysis_module, "find_substitutions", meeting_search)
    pair = [Analysis(zones[name]) for name in started]
    with ThreadPoolExecutor(max_workers=2) as pool:
        found = list(pool.map(lambda analysis: analysis.optimal, pair))
    assert [scenario.name for scenario in found] == ["optimal", "optimal"]


def test_frame_key_follows_the_values() -> None:
    factors = indicators.read_factors()
    assert frame_key(factors) == frame_key(factors.copy())
    assert frame_key(factors) != frame_key(edited_factors())
    assert frame_key(None) == ""


@pytest.fixture(scope="module")
def board(zones: dict[str, Zone], tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """Kalundborg's board: two leads retained one after the other, an existing one stopped."""
    zone = zones["kalundborg"]
    candidates = find_substitutions(running_now(zone))
    engine = store.open_store(f"sqlite:///{tmp_path_factory.mktemp('a') / 'd.sqlite'}")
    new = candidates.loc[candidates["status"] == "candidate", "candidate_id"].tolist()
    existing = candidates.loc[candidates["status"] == "existing", "candidate_id"].tolist()
    for ident in (new[1], new[0]):
        store.record_decision(engine, "z", ident, {"status": "retained"}, participant="Anne")
    store.record_decision(engine, "z", existing[0], {"status": "rejected"}, participant="Bruno")
    return workshop.build_board(
        candidates,
        store.get_decisions(engine, "z"),
        store.get_votes(engine, "z"),
        store.history(engine, "z"),
    )


def without_ids(document: str) -> str:
    """Return the document without the random ids of its map and charts."""
    return re.sub(r"[0-9a-f]{32}|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", "", document)


def test_the_report_values_the_board_once(
    zones: dict[str, Zone], board: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    zone = zones["kalundborg"]
    before = workshop.selected_scenario(zone, board)
    valued: list[int] = []
    original = workshop.selected_scenario

    def counted(*args: object, **kwargs: object) -> indicators.Scenario:
        valued.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(workshop, "selected_scenario", counted)
    when = datetime(2026, 3, 1, tzinfo=UTC)
    history = pd.DataFrame(columns=["candidate_id", "status", "changed_at"])
    document = report.workshop_report(zone, board, history, generated=when)
    assert len(valued) == 1  # the figures and the headline cards value it once
    analysis = Analysis(zone, board=board)
    assert analysis.workshop.totals == before.totals
    kpis = report.workshop_kpis(zone, board, analysis=analysis)
    assert kpis == report.workshop_kpis(zone, board)
    again = report.workshop_report(zone, board, history, generated=when, analysis=analysis)
    assert without_ids(again) == without_ids(document)
    retained = {k.key: k.value for k in kpis}["retained"]
    assert retained == "2"


def test_cli_indicators_give_the_figures_of_before(
    capsys: pytest.CaptureFixture[str], zones: dict[str, Zone]
) -> None:
    assert cli.main(["indicators", "parc-rural", "--json"]) == 0
    values = json.loads(capsys.readouterr().out)
    zone = zones["parc-rural"]
    for scenario in (indicators.existing_scenario(zone), indicators.optimal_scenario(zone)):
        assert values[scenario.name] == json.loads(json.dumps(scenario.to_dict()))
    assert values["optimal"]["n_synergies"] > values["existing"]["n_synergies"]


def test_the_pages_keep_one_analysis_per_zone_and_settings(
    zones: dict[str, Zone], calls: Counter
) -> None:
    import streamlit as st  # noqa: PLC0415 - the UI layer, for this test only

    from eit_geo.ui import analyses  # noqa: PLC0415

    st.cache_resource.clear()  # the dashboard's analyses forgotten: the count starts at zero
    zone = zones["parc-rural"]
    copy = dataclasses.replace(zone, companies=zone.companies.copy())  # same values, new object
    kept = analyses.analysis(zone)
    assert analyses.analysis(copy).optimal is kept.optimal
    edited = analyses.analysis(zone, factors=edited_factors())
    assert edited.optimal is not kept.optimal
    assert analyses.analysis(zone, factors=edited_factors()).optimal is edited.optimal
    assert edited.candidates is kept.candidates
    assert analyses.zone_links(zone) is kept.candidates
    assert analyses.scenario(zone, "optimal", edited_factors()) is edited.optimal
    assert calls["find_substitutions"] == 1


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_streamed_matches_are_the_analysis_candidates_and_groups(
    name: str, zones: dict[str, Zone]
) -> None:
    analysis = Analysis(zones[name], max_km=(("*", 40.0),), top_k=3)
    links, groups = analysis.matches()
    candidates = analysis.candidates
    assert links["candidate_id"].astype(str).tolist() == candidates["candidate_id"].tolist()
    assert links["score"].tolist() == pytest.approx(candidates["score"].tolist(), nan_ok=True)
    assert candidates["distance_km"].max() <= 40
    running = find_mutualisations(running_now(zones[name]), geometry=False)
    pd.testing.assert_frame_equal(groups, running)
    shown = pd.DataFrame(analysis.groups.drop(columns="geometry"))  # the pages' groups
    pd.testing.assert_frame_equal(groups, shown)
    allocated, _ = analysis.matches(allocated=True)
    assert (
        allocated["allocated_quantity"].tolist()
        == analysis.allocation["allocated_quantity"].tolist()
    )


def test_write_is_the_file_the_engine_writes_for_the_year_analysed(
    tmp_path: Path, zones: dict[str, Zone]
) -> None:
    zone = zones["kalundborg"]  # its coal fly ash to Aalborg Portland stopped in 2019
    for year, fly_ash in ((2018, True), (None, False)):
        analysis = Analysis(zone, year=year, top_k=4)
        written = analysis.write(tmp_path / f"{year}.csv")
        write_matches(running_now(zone, year), tmp_path / f"engine-{year}.csv", top_k=4)
        text = (tmp_path / f"{year}.csv").read_bytes()
        assert text == (tmp_path / f"engine-{year}.csv").read_bytes()
        table = pd.read_csv(tmp_path / f"{year}.csv", dtype={"members": str})
        kinds = table["kind"].value_counts()
        existing = table[table["status"] == "existing"]
        assert written == (kinds["substitution"], len(existing), kinds["mutualisation"])
        ids = existing["candidate_id"].str.startswith("asnaes>aalborgportland:")
        assert ids.any() == fly_ash
    assert written.existing == 19  # this year's network
    allocated = Analysis(zone, top_k=4).write(tmp_path / "allocated.gpkg", allocated=True)
    links = gpd.read_file(tmp_path / "allocated.gpkg", layer="substitutions")
    assert len(links) == allocated.substitutions
    assert links["allocated_quantity"].sum() == pytest.approx(
        Analysis(zone, top_k=4).allocation["allocated_quantity"].sum()
    )
    assert links["allocated_quantity"].gt(0).any()
    groups = gpd.read_file(tmp_path / "allocated.gpkg", layer="mutualisations")
    assert len(groups) == allocated.groups > 0
    assert (groups.geom_type == "Polygon").all()  # hulls, unlike in a CSV file


def test_a_closed_company_is_in_no_group_of_the_years_after(zones: dict[str, Zone]) -> None:
    zone = zones["parc-rural"]
    member = Analysis(zone).groups["members"].iloc[0].split(",")[0]
    closed = zone.companies.assign(closed=zone.companies["id"].eq(member).map({True: 2020}))
    zone = dataclasses.replace(zone, companies=closed)
    named = {m for members in Analysis(zone).groups["members"] for m in members.split(",")}
    assert member not in named
    before = Analysis(zone, year=2019).groups["members"]
    assert any(member in members.split(",") for members in before)
