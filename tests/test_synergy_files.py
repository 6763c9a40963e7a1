"""Synergy files written from the ranked arrays by chunks are those of the whole table."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from eit_geo import synergy_files
from eit_geo.datafiles import example_path
from eit_geo.loading import load_zone
from eit_geo.matching import find_mutualisations, rank_links, rank_substitutions
from eit_geo.synergy_files import synergy_rows, write_matches, write_synergies

DATA = Path(__file__).parent / "data"
ZONES = {
    "existing": DATA / "engine-existing",  # with an existing synergy that no flows describe
    "kalundborg": example_path("kalundborg"),
    "dunkerque": example_path("dunkerque"),
}


@pytest.fixture(params=sorted(ZONES))
def zone(request: pytest.FixtureRequest):
    return load_zone(ZONES[request.param])


@pytest.mark.parametrize("chunk_rows", [1, 3, 200_000])
def test_streamed_csv_is_the_table_csv(
    zone, chunk_rows: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(synergy_files, "_CSV_ROWS", chunk_rows)
    groups = find_mutualisations(zone, geometry=False)
    ranked = rank_links(zone, top_k=3)
    streamed = write_synergies(ranked, groups, tmp_path / "streamed.csv")
    whole = write_synergies(rank_substitutions(zone, top_k=3), groups, tmp_path / "whole.csv")
    assert streamed.read_bytes() == whole.read_bytes()
    rows = pd.read_csv(streamed)
    assert len(rows) == len(ranked) + len(groups)
    assert list(rows["kind"]).count("substitution") == len(ranked)
    assert rows.columns[0] == "candidate_id"  # one header, first line only
    assert not (rows["candidate_id"] == "candidate_id").any()


def test_ranked_links_say_what_the_table_holds(zone) -> None:
    ranked = rank_links(zone, top_k=2)
    table = ranked.table()
    assert len(ranked) == len(table)
    assert ranked.existing == int((table["status"] == "existing").sum())
    assert ranked.attrs == table.attrs
    assert list(ranked.empty().columns) == list(table.columns)
    assert table.equals(rank_substitutions(zone, top_k=2))


def test_synergy_rows_are_the_same_from_arrays_or_table(zone) -> None:
    groups = find_mutualisations(zone, geometry=False)
    from_arrays = synergy_rows(rank_links(zone), groups)
    from_table = synergy_rows(rank_substitutions(zone), groups)
    assert from_arrays.equals(from_table)
    assert from_arrays.num_rows == len(rank_substitutions(zone)) + len(groups)


@pytest.mark.parametrize("suffix", [".csv", ".geojson"])
def test_write_matches_is_rank_group_write(zone, suffix: str, tmp_path: Path) -> None:
    (tmp_path / "expected").mkdir()  # same file name: GeoJSON holds it
    ranked, groups = write_matches(zone, tmp_path / f"synergies{suffix}", top_k=4)
    hulls = suffix != ".csv"
    expected_groups = find_mutualisations(zone, geometry=hulls)
    pd.testing.assert_frame_equal(pd.DataFrame(groups), pd.DataFrame(expected_groups))
    links = rank_substitutions(zone, top_k=4)
    assert len(ranked) == len(links)
    write_synergies(links, expected_groups, tmp_path / "expected" / f"synergies{suffix}")
    written = (tmp_path / f"synergies{suffix}").read_bytes()
    assert written == (tmp_path / "expected" / f"synergies{suffix}").read_bytes()
    if suffix == ".geojson":  # named after the file, not the temporary file written first
        assert json.loads(written)["name"] == "synergies"
