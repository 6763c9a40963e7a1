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


def _texts() -> list[bytes]:
    """Texts of sizes below, across and above whole blocks and the gathering buffer."""
    sizes = [0, 1, 4095, 4096, 4097, 3 * 4096, 10_000, 20_000, 7]
    return [bytes([65 + n % 26]) * size for n, size in enumerate(sizes)]


@pytest.mark.parametrize("direct", [True, False])
def test_uncached_file_writes_the_texts_in_order(
    direct: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(synergy_files, "_STAGED", 2 * synergy_files._BLOCK)  # many flushes
    if not direct:
        monkeypatch.setattr(synergy_files, "_switch_direct", lambda *_, **__: False)
    path = tmp_path / "out.csv"
    with synergy_files._UncachedFile(path) as out:
        direct_at_first = out._direct
        for text in _texts():
            out.write(text)
    assert out._direct == direct_at_first  # no block refused: aligned as O_DIRECT wants
    assert path.read_bytes() == b"".join(_texts())


def test_uncached_file_falls_back_when_blocks_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(synergy_files, "_STAGED", 2 * synergy_files._BLOCK)
    monkeypatch.setattr(synergy_files, "_switch_direct", lambda _fd, *, on: on)
    written = synergy_files._write_all
    refused: list[int] = []

    def refuse_first(fd: int, data: memoryview) -> None:
        if not refused:
            refused.append(len(data))
            raise OSError(22, "Invalid argument")  # EINVAL: what O_DIRECT says to odd blocks
        written(fd, data)

    monkeypatch.setattr(synergy_files, "_write_all", refuse_first)
    path = tmp_path / "out.csv"
    with synergy_files._UncachedFile(path) as out:
        for text in _texts():
            out.write(text)
    assert refused == [2 * synergy_files._BLOCK]
    assert path.read_bytes() == b"".join(_texts())


def test_uncached_file_writes_nothing_half_gathered_when_failing(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"

    def fail_while_writing() -> None:
        with synergy_files._UncachedFile(path) as out:
            out.write(b"x" * 5000)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fail_while_writing()
    assert path.read_bytes() == b""  # the caller throws the file away (atomic_path)


def test_uncached_file_reports_the_disk_failing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(_fd: int, data: memoryview) -> None:
        held.append(data)  # as a traceback holds the block being written
        raise OSError(28, "No space left on device")

    held: list[memoryview] = []
    monkeypatch.setattr(synergy_files, "_write_all", disk_full)
    path = tmp_path / "out.csv"

    def write_too_much() -> None:
        with synergy_files._UncachedFile(path) as out:
            out.write(b"x" * 3 * synergy_files._STAGED)

    with pytest.raises(OSError, match="No space") as failure:
        write_too_much()
    assert failure.value.errno == 28  # not hidden by the gathering buffer failing to close
