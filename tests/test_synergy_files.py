"""Synergy files written from the ranked arrays by chunks are those of the whole table."""

from __future__ import annotations

import csv
import errno
import json
import os
import sys
from pathlib import Path

import pandas as pd
import pytest

from eit_geo import synergy_files
from eit_geo.datafiles import example_path
from eit_geo.export import FORMULA_START, is_formula
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


@pytest.mark.parametrize("threads", [1, 3])
def test_csv_is_the_same_on_any_number_of_threads(
    threads: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(synergy_files, "_CSV_ROWS", 2)  # many chunks, made out of order
    zone = load_zone(ZONES["dunkerque"])
    expected = write_matches(zone, tmp_path / "default.csv", top_k=3)[0]
    ranked, groups = write_matches(zone, tmp_path / "threads.csv", top_k=3, threads=threads)
    assert len(ranked) == len(expected)
    written = (tmp_path / "threads.csv").read_bytes()
    assert written == (tmp_path / "default.csv").read_bytes()
    assert written.count(b"\n") == 1 + len(ranked) + len(groups)


@pytest.mark.skipif(sys.platform != "linux", reason="uncached writes are Linux's")
def test_csv_written_uncached_or_not_is_the_same_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Texts written uncached (``RWF_DONTCACHE``), or plainly where refused, make one file."""
    monkeypatch.setattr(synergy_files, "_CSV_ROWS", 3)  # many texts
    zone = load_zone(ZONES["dunkerque"])
    pwritev = os.pwritev
    flags: list[int] = []

    def recorded(fd: int, buffers: list[memoryview], offset: int, flag: int = 0) -> int:
        flags.append(flag)
        return pwritev(fd, buffers, offset, flag)

    monkeypatch.setattr(synergy_files.os, "pwritev", recorded)
    ranked, groups = write_matches(zone, tmp_path / "uncached.csv", top_k=3)
    assert len(flags) >= len(ranked) // 3  # one write per text at least
    assert flags[0] == 0x80  # RWF_DONTCACHE first; if the file system refused it, 0 after
    assert set(flags[1:]) in ({0x80}, {0})

    def refused(fd: int, buffers: list[memoryview], offset: int, flag: int = 0) -> int:
        if flag:
            raise OSError(errno.EOPNOTSUPP, "Operation not supported")
        return pwritev(fd, buffers, offset, flag)

    monkeypatch.setattr(synergy_files.os, "pwritev", refused)
    write_matches(zone, tmp_path / "plain.csv", top_k=3)
    written = (tmp_path / "uncached.csv").read_bytes()
    assert written == (tmp_path / "plain.csv").read_bytes()
    assert written.count(b"\n") == 1 + len(ranked) + len(groups)


def test_a_failing_disk_is_reported_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(*_: object, **__: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(synergy_files, "_csv_text", disk_full)
    target = tmp_path / "synergies.csv"
    with pytest.raises(OSError, match="No space") as failure:
        write_matches(load_zone(ZONES["existing"]), target)
    assert failure.value.errno == 28
    assert list(tmp_path.iterdir()) == []  # nor a temporary file left behind


_FORMULAS = {  # company id: name, as a hostile inventory could give them
    "m1": '=HYPERLINK("http://example.org","Voir")',
    "+m2": "@SUM(A1:A9)",
    "m3": " -2+3",
    "m4": "\uff1dcmd|' /C calc'!A0",
    "m5": "\tEntreprise à tabulation",
}


def _hostile_zone(folder: Path) -> Path:
    folder.mkdir()
    companies = pd.DataFrame(
        {
            "id": list(_FORMULAS),
            "name": list(_FORMULAS.values()),
            "lat": [45.0, 45.0135, 45.027, 45.004, 45.02],
            "lon": [3.0, 3.0, 3.0, 3.01, 3.01],
        }
    )
    companies.to_csv(folder / "companies.csv", index=False)
    flows = pd.DataFrame(
        {
            "company_id": ["m1", "+m2", "m3", "m4", "m5"],
            "direction": ["output", "output", "input", "input", "input"],
            "resource": ["15 01 01"] * 5,
            "quantity": [10, 20, 15, 5, 8],
            "unit": ["t/yr"] * 5,
        }
    )
    flows.to_csv(folder / "flows.csv", index=False)
    return folder


@pytest.mark.parametrize("top_k", [0, 1])
def test_match_csv_cells_never_run_as_formulas(top_k: int, tmp_path: Path) -> None:
    zone = load_zone(_hostile_zone(tmp_path / "zone"))
    ranked, groups = write_matches(zone, tmp_path / "synergies.csv", top_k=top_k)
    assert len(ranked) > 0
    assert len(groups) > 0
    with (tmp_path / "synergies.csv").open(encoding="utf-8", newline="") as text:
        rows = list(csv.reader(text))
    cells = [cell for row in rows[1:] for cell in row]
    risky = [cell for cell in cells if FORMULA_START.match(cell)]
    assert risky == []
    names = set(zone.companies["name"])  # as loaded: blanks around a name are dropped
    assert sum(map(is_formula, names)) == 4
    shown = {cell for row in rows[1:] for cell in row if cell.removeprefix("'") in names}
    assert shown == {f"'{name}" if is_formula(name) else name for name in names}
    table = pd.DataFrame(rows[1:], columns=rows[0])
    links = table[table["kind"] == "substitution"]
    assert set(links["from_id"]) == {"m1", "'+m2"}
    assert all(cid.startswith("'+m2>") for cid in links["candidate_id"] if "+m2>" in cid)
    assert ranked.table()["from_name"].isin(list(_FORMULAS.values())).all()  # tables stay raw
