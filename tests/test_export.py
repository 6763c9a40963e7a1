"""Tests of eit_geo.export: the project GeoPackage loads back identical, in EPSG:4326."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyogrio
import pytest

from eit_geo.datafiles import data_path, example_names
from eit_geo.export import export_zone, neutralise_formulas
from eit_geo.loading import load_zone

if TYPE_CHECKING:
    from eit_geo.zone import Zone

TEST_ZONES = ["mini", "francais-cp1252", "francais-bom"]


def _zone_sources() -> list[Path]:
    here = Path(__file__).resolve().parent / "data" / "zones"
    return [here / name for name in TEST_ZONES] + [
        data_path("examples", name) for name in example_names()
    ]


@pytest.mark.parametrize("source", _zone_sources(), ids=lambda path: path.name)
def test_round_trip_gives_the_same_zone(
    source: Path, tmp_path: Path, assert_same_zone: Callable[..., None]
) -> None:
    zone = load_zone(source)
    path = export_zone(zone, tmp_path / "projet.gpkg")
    assert path == tmp_path / "projet.gpkg"
    again = load_zone(path)
    assert_same_zone(again, zone)
    layers = dict(pyogrio.list_layers(path))
    expected = {"companies": "Point", "flows": None, "synergies": None}
    if zone.perimeter is not None:
        expected["perimeter"] = zone.perimeter.geom_type.iloc[0]
    assert layers == expected
    assert pyogrio.read_info(path, layer="companies")["crs"] == "EPSG:4326"
    if zone.perimeter is not None:
        assert pyogrio.read_info(path, layer="perimeter")["crs"] == "EPSG:4326"


def test_round_trip_of_projected_companies(
    tmp_path: Path,
    mini_zone: Zone,
    write_tables: Callable[..., Path],
    assert_same_zone: Callable[..., None],
) -> None:
    folder = write_tables(tmp_path / "lambert", ".gpkg", mini_zone, crs="EPSG:2154")
    zone = load_zone(folder)
    again = load_zone(export_zone(zone, tmp_path / "projet.gpkg"))
    assert again.companies.crs == "EPSG:4326"
    assert_same_zone(again, zone)


def test_zone_without_perimeter_or_synergies(
    tmp_path: Path, mini_dir: Path, assert_same_zone: Callable[..., None]
) -> None:
    folder = tmp_path / "zone"
    folder.mkdir()
    for name in ("companies.csv", "flows.csv"):
        shutil.copy(mini_dir / name, folder)
    zone = load_zone(folder)
    assert zone.perimeter is None
    assert zone.synergies.empty
    path = export_zone(zone, tmp_path / "zone.gpkg")
    assert [name for name, _ in pyogrio.list_layers(path)] == ["companies", "flows", "synergies"]
    assert_same_zone(load_zone(path), zone)


def test_extra_layers_are_written_and_ignored_on_load(
    tmp_path: Path, mini_zone: Zone, assert_same_zone: Callable[..., None]
) -> None:
    decisions = pd.DataFrame({"flow_id": [0, 1], "decision": ["retenue", "écartée"]})
    path = export_zone(mini_zone, tmp_path / "atelier.gpkg", extra_layers={"decisions": decisions})
    pd.testing.assert_frame_equal(pyogrio.read_dataframe(path, layer="decisions"), decisions)
    assert_same_zone(load_zone(path), mini_zone)


def test_export_replaces_a_file_only_on_success(tmp_path: Path, mini_zone: Zone) -> None:
    path = export_zone(mini_zone, tmp_path / "projet.gpkg")
    before = path.read_bytes()
    with pytest.raises(AttributeError):
        export_zone(mini_zone, path, extra_layers={"casse": "pas un tableau"})  # type: ignore[dict-item]
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["projet.gpkg"]


def test_export_creates_missing_folders(tmp_path: Path, mini_zone: Zone) -> None:
    path = export_zone(mini_zone, tmp_path / "sorties" / "2025" / "projet.gpkg")
    assert path.is_file()


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("http://evil")',
        "+1+1",
        "-2+3",
        "@SUM(A1)",
        ' =HYPERLINK("http://evil")',
        "  \u3000=1+1",
        "\t=cmd|' /C calc'!A0",
        "\r=1+1",
        "\n=1+1",
        "\uff1d1+1",  # full-width « ＝ »
        "\uff0b1",
        " \uff20A1",
    ],
)
def test_formulas_are_neutralised(value: str) -> None:
    table = pd.DataFrame({"comment": [value], "n": [-3]})
    safe = neutralise_formulas(table)
    assert safe.at[0, "comment"] == f"'{value}"
    assert safe.at[0, "n"] == -3
    assert table.at[0, "comment"] == value  # the input is not modified


@pytest.mark.parametrize("value", ["Alpha", " Alpha", "a=b", "12", "", "Ève – 2024", "n° 3"])
def test_plain_text_is_kept(value: str) -> None:
    table = pd.DataFrame({"comment": pd.Series([value, None], dtype=object)})
    safe = neutralise_formulas(table)
    assert safe["comment"].tolist() == [value, None]
