"""Uploads read in a worker: hostile files refused within 5 s and 500 MB, good ones loaded.

The hostile files are made in memory by ``tests/hostile.py`` (a few KB to 2 MB each); what each
would cost a reader that trusted it is in its docstring. The bounds asserted are the goal of the
issue, not a speed measurement: 5 s of the worker's processor time (alone on a machine it takes
0.04 to 1 s; the wall clock, which a machine busy with other work stretches, gets 30 s) and
500 MB of its resident memory (measured: 100 to 160 MB).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import hostile
import pytest

from eit_geo import store
from eit_geo.datafiles import example_path
from eit_geo.export import export_zone
from eit_geo.loading import load_zone
from eit_geo.upload import UPLOAD_LIMITS, read_upload

if TYPE_CHECKING:
    from eit_geo.zone import Zone

pytestmark = pytest.mark.process  # every upload is read by a worker process (eit_geo.sandbox)
CPU_SECONDS = 5.0
WALL_SECONDS = 30.0
PEAK_BYTES = 500_000_000


@pytest.fixture(scope="module", autouse=True)
def _started() -> None:
    """Start the worker server once, so that each bound measures a reading, not its start."""
    read_upload([("vide.csv", b"")], name="demarrage")


def _with_flows(mini_dir: Path, name: str, data: bytes) -> list[tuple[str, bytes]]:
    return [(name, data), ("flows.csv", (mini_dir / "flows.csv").read_bytes())]


HOSTILE: dict[str, tuple[Callable[[Path, Zone, Path], list[tuple[str, bytes]]], str]] = {
    "bzip2-zip-forged-sizes-8-GiB": (
        lambda _d, _z, _t: [("envoi.zip", hostile.bzip2_bomb())],
        "envoi.zip : une fois décompressé, le contenu dépasse 50 Mo",
    ),
    "deflate-zip-forged-sizes-2.2-GB": (
        lambda _d, _z, _t: [("envoi.zip", hostile.deflate_bomb())],
        "envoi.zip : une fois décompressé, le contenu dépasse 50 Mo",
    ),
    "xlsx-30-million-shared-strings": (
        lambda _d, _z, _t: [("zone.xlsx", hostile.shared_strings_bomb())],
        "zone.xlsx : trop de textes dans le classeur (plus de 8\u202f000\u202f000)",
    ),
    "xlsx-1-GiB-cell": (
        lambda _d, _z, _t: [("zone.xlsx", hostile.long_cell_bomb())],
        "zone.xlsx : une cellule dépasse 32\u202f767 caractères",
    ),
    "xlsx-3-million-rows": (
        lambda _d, _z, _t: [("zone.xlsx", hostile.many_rows_bomb())],
        "zone.xlsx : trop de lignes (plus de 200\u202f000)",
    ),
    "gpkg-recursive-view": (
        lambda _d, zone, tmp: [("vue.gpkg", hostile.recursive_view_geopackage(zone, tmp))],
        "vue.gpkg : la couche « flows » n'est pas une table simple (vue ou table virtuelle) : "
        "GeoPackage refusé",
    ),
    "gpkg-trigger": (
        lambda _d, zone, tmp: [("d.gpkg", hostile.trigger_geopackage(zone, tmp))],
        "d.gpkg : le GeoPackage contient un déclencheur (« vider ») qu'aucun logiciel SIG ne "
        "crée : refusé",
    ),
    "csv-header-10-million-columns": (
        lambda mini, _z, _t: _with_flows(mini, "companies.csv", hostile.wide_csv()),
        "companies.csv : trop de colonnes (plus de 500)",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_upload_is_refused_within_bounds(
    case: str, mini_dir: Path, mini_zone: Zone, tmp_path: Path
) -> None:
    make, expected = HOSTILE[case]
    files = make(mini_dir, mini_zone, tmp_path)
    started = time.monotonic()
    upload = read_upload(files, name="attaque")
    seconds = time.monotonic() - started
    assert upload.zone is None
    assert [str(p) for p in upload.problems] == [expected]
    assert 0 < upload.cpu_seconds < CPU_SECONDS, f"{case}: {upload.cpu_seconds:.2f} s of CPU"
    assert seconds < WALL_SECONDS, f"{case}: {seconds:.2f} s"
    assert 0 < upload.peak_bytes < PEAK_BYTES, f"{case}: {upload.peak_bytes / 1e6:.0f} MB"
    print(
        f"{case}: refused in {seconds:.2f} s ({upload.cpu_seconds:.2f} s of CPU), "
        f"worker peak {upload.peak_bytes / 1e6:.0f} MB"
    )


def test_hostile_messages_in_english(mini_dir: Path) -> None:
    upload = read_upload(
        _with_flows(mini_dir, "companies.csv", hostile.wide_csv(100_000)), name="x", lang="en"
    )
    assert [p.message for p in upload.problems] == ["too many columns (more than 500)"]


def test_a_good_upload_loads_like_its_folder(
    mini_dir: Path, mini_zone: Zone, assert_same_zone: Callable[..., None]
) -> None:
    files = [(p.name, p.read_bytes()) for p in sorted(mini_dir.iterdir())]
    upload = read_upload(files, name="mini")
    assert upload.problems == []
    assert upload.zone is not None
    assert upload.zone.source == "upload"
    assert_same_zone(upload.zone, mini_zone)
    assert upload.decisions == {}


def test_bad_content_gives_its_problems(mini_dir: Path) -> None:
    files = _with_flows(mini_dir, "companies.csv", b"id,name,lat,lon\na,Alpha,95,2\n")
    upload = read_upload(files, name="mini")
    assert upload.zone is None
    assert upload.error() is not None
    assert any(p.column == "lat" for p in upload.problems)


def test_rows_are_counted_before_a_whole_table_is_read(mini_dir: Path) -> None:
    rows = b"".join(b"c%d,Nom,55.6,11.1\n" % i for i in range(UPLOAD_LIMITS.max_rows + 1))
    files = _with_flows(mini_dir, "companies.csv", b"id,name,lat,lon\n" + rows)
    upload = read_upload(files, name="mini")
    assert [p.message for p in upload.problems] == ["trop de lignes (plus de 200\u202f000)"]


def test_the_decisions_of_an_uploaded_geopackage_come_back_unwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project GeoPackage's decisions are read, never written into any store by the upload."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    monkeypatch.delenv(store.DATABASE_ENV, raising=False)
    zone = load_zone(example_path("kalundborg"))
    source = store.open_store(f"sqlite:///{tmp_path / 'source.sqlite'}")
    store.record_decision(source, "k", "c1", {"status": "rejected"}, participant="Préfet")
    store.vote(source, "k", "c1", participant="Préfet", weight=3)
    path = export_zone(
        zone, tmp_path / "kalundborg.gpkg", extra_layers=store.decision_layers(source, "k")
    )
    source.dispose()
    upload = read_upload([(path.name, path.read_bytes())], name="kalundborg")
    assert upload.zone is not None
    assert upload.origin == "kalundborg.gpkg"
    assert sorted(upload.decisions) == ["decision_history", "decisions", "votes"]
    assert upload.decisions["decisions"]["status"].tolist() == ["rejected"]
    assert not (tmp_path / "share").exists()  # no store was even opened
